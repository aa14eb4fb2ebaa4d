// Test helpers for manifests mode: file snapshots, and `kubectl kustomize` as the oracle of what
// a tree builds to. Header-only (this folder has no test binary of its own); used by
// tests/store and tests/lifecycle.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "kftenant/yaml.h"
#include "support/run_process.h"

namespace kftenant::testing {

inline std::string slurp_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every file under `root` (relative path, '/' separated -> bytes), hidden folders (.git) skipped.
inline std::map<std::string, std::string> snapshot_tree(const std::string& root) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file())
      out[fs::relative(it->path(), root).generic_string()] = slurp_file(it->path().string());
  }
  return out;
}

// Why `kubectl kustomize` cannot serve as the oracle here, or nullopt when it can. The oracle
// needs kustomize v4 or later (`patches:` with targets, components, `../` bases as resources):
// Debian 12's kubernetes-client 1.20 has kustomize v2.0.3, which has none of them.
inline std::optional<std::string> kustomize_unusable() {
  static const std::optional<std::string> answer = []() -> std::optional<std::string> {
    const std::string kubectl =
        std::filesystem::exists("/usr/bin/kubectl") ? "/usr/bin/kubectl" : "kubectl";
    auto r = run_process({"/bin/sh", "-c", "\"$1\" version --client 2>&1", "sh", kubectl});
    if (r.exit_code != 0) return "kubectl is not installed";
    std::smatch m;
    if (std::regex_search(r.out, m, std::regex(R"(Kustomize Version: v?(\d+))"))) {
      if (std::stoi(m[1]) >= 4) return std::nullopt;
      return "kubectl's kustomize is v" + m[1].str() + " (needs v4 or later for patches:)";
    }
    // kubectl before 1.24 does not print its kustomize; 1.21 was the first with kustomize v4.
    if (std::regex_search(r.out, m, std::regex(R"(Minor:\"(\d+))")) && std::stoi(m[1]) >= 21)
      return std::nullopt;
    return "kubectl's kustomize is older than v4 (" + r.out.substr(0, r.out.find('\n')) +
           "); it has no `patches:` support";
  }();
  return answer;
}

struct Built {
  int exit_code = -1;
  std::string out, err;
  std::vector<nlohmann::json> objects;

  // The built object of `kind` named `name` (and `ns` when not empty), or null.
  [[nodiscard]] nlohmann::json find(const std::string& kind, const std::string& name,
                                    const std::string& ns = "") const {
    for (const auto& o : objects) {
      if (o.value("kind", "") != kind) continue;
      const auto& meta = o.value("metadata", nlohmann::json::object());
      if (meta.value("name", "") != name) continue;
      if (!ns.empty() && meta.value("namespace", "") != ns) continue;
      return o;
    }
    return nullptr;
  }
};

// `kubectl kustomize root`, parsed. Call kustomize_unusable() first.
inline Built kustomize_build(const std::string& root) {
  const std::string kubectl =
      std::filesystem::exists("/usr/bin/kubectl") ? "/usr/bin/kubectl" : "kubectl";
  auto r = run_process({kubectl, "kustomize", root});
  Built b;
  b.exit_code = r.exit_code;
  b.out = r.out;
  b.err = r.err;
  if (r.exit_code == 0) {
    auto all = yaml::parse_all(r.out, "kubectl kustomize " + root);
    if (all) b.objects = std::move(*all);
  }
  return b;
}

}  // namespace kftenant::testing
