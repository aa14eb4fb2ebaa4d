// Which kubeconfig files to read, in kubectl's order (k8s.io/client-go/tools/clientcmd/loader.go
// ClientConfigLoadingRules.Load, and DeferredLoadingClientConfig for the in-cluster fallback).
#include <cstdlib>
#include <set>

#include "kftenant/kube/kubeconfig.h"
#include "kube/kubeconfig_internal.h"

namespace kftenant::kube {
namespace {

constexpr std::string_view kNoKubeconfig =
    "no kubeconfig found: set --kubeconfig or KUBECONFIG, or create ~/.kube/config";

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> out;
  std::set<std::string> seen;  // loader.go deduplicates the list
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string_view::npos) end = list.size();
    std::string item(list.substr(start, end - start));
    if (!item.empty() && seen.insert(item).second) out.push_back(item);
    start = end + 1;
  }
  return out;
}

// Reads and merges `path`; a missing file is skipped (returns false) unless `must_exist`.
Result<bool> load_file(const std::string& path, bool must_exist, std::string_view how,
                       detail::MergedKubeconfig& merged) {
  bool not_found = false;
  auto text = detail::read_local_file(path, 16u << 20, &not_found);
  if (!text) {
    if (not_found && !must_exist) return false;
    return make_error(
        not_found ? ErrorCode::kConfig : ErrorCode::kIo,
        "cannot read kubeconfig " + path + " (" + std::string(how) + "): " + text.error().message);
  }
  if (auto r = detail::merge_kubeconfig_text(*text, path, merged); !r) return fail(r.error());
  return true;
}

}  // namespace

Result<RestConfig> parse_kubeconfig(std::string_view text, std::string_view path,
                                    std::string_view context) {
  detail::MergedKubeconfig merged;
  if (auto r = detail::merge_kubeconfig_text(text, path, merged); !r) return fail(r.error());
  return detail::resolve_kubeconfig(merged, context);
}

Result<RestConfig> load_rest_config(const KubeconfigOptions& options) {
  detail::MergedKubeconfig merged;
  if (!options.explicit_path.empty()) {
    // --kubeconfig replaces every other source, and must exist.
    auto r = load_file(options.explicit_path, true, "from --kubeconfig", merged);
    if (!r) return fail(r.error());
    return detail::resolve_kubeconfig(merged, options.context);
  }

  std::optional<std::string> list =
      options.kubeconfig_env ? options.kubeconfig_env : env("KUBECONFIG");
  std::vector<std::string> files = list ? split_list(*list) : std::vector<std::string>{};
  if (!files.empty()) {
    // $KUBECONFIG replaces ~/.kube/config; missing entries are skipped.
    for (const auto& f : files) {
      auto r = load_file(f, false, "listed in KUBECONFIG", merged);
      if (!r) return fail(r.error());
    }
  } else {
    std::optional<std::string> home = options.home ? options.home : env("HOME");
    if (home && !home->empty()) {
      std::string path = *home + "/.kube/config";
      auto r = load_file(path, false, "the default kubeconfig", merged);
      if (!r) return fail(r.error());
    }
  }

  if (merged.empty()) {
    if (!options.context.empty()) {
      return make_error(ErrorCode::kConfig, "context \"" + options.context +
                                                "\" not found: " + std::string(kNoKubeconfig));
    }
    // Nothing configured: inside a pod, use its service account (as DeferredLoadingClientConfig).
    InClusterOptions in_cluster;
    in_cluster.host = env("KUBERNETES_SERVICE_HOST");
    in_cluster.port = env("KUBERNETES_SERVICE_PORT");
    if (in_cluster.host && !in_cluster.host->empty() && in_cluster.port &&
        !in_cluster.port->empty()) {
      return load_in_cluster_config(in_cluster);
    }
    if (!files.empty() && merged.files.empty()) {
      std::string listed;
      for (const auto& f : files) listed += (listed.empty() ? "" : ", ") + f;
      return make_error(
          ErrorCode::kConfig,
          std::string(kNoKubeconfig) + " (none of the files in KUBECONFIG exist: " + listed + ")");
    }
    return make_error(ErrorCode::kConfig, std::string(kNoKubeconfig));
  }
  return detail::resolve_kubeconfig(merged, options.context);
}

}  // namespace kftenant::kube
