#include "doctor.h"

#include <fmt/core.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kftenant/kube/resource.h"
#include "kftenant/yaml.h"

namespace kftenant::cli {
namespace {

namespace res = kube::resources;

struct Check {
  explicit Check(std::string n) : name(std::move(n)) {}
  std::string name;
  bool ok = false;
  bool required = true;
  std::string detail;  // what was found, or how to fix it
};

void print(const Check& c) {
  const char* mark = c.ok ? "ok" : (c.required ? "MISSING" : "absent");
  fmt::print("{:<8} {:<44} {}\n", mark, c.name, c.detail);
}

Check check_api(kube::Client& client) {
  Check c("API server " + client.config().server);
  auto version = client.get_path("/version");
  if (version) {
    c.ok = true;
    c.detail = fmt::format("reachable, {}", version->value("gitVersion", "unknown version"));
    return c;
  }
  // Some servers do not serve /version to every user; discovery proves reachability too.
  auto api = client.get_path("/api");
  c.ok = api.has_value();
  c.detail = api ? "reachable" : version.error().message;
  return c;
}

// GETs an object for check `c`: on failure fills c.detail with `hint` (not found) or the error.
std::optional<nlohmann::json> fetch(kube::Client& client, const kube::ResourceRef& ref,
                                    const std::string& ns, const std::string& name, Check& c,
                                    std::string hint) {
  auto obj = client.get(ref, ns, name);
  if (obj) return std::move(*obj);
  c.detail = obj.error().code == ErrorCode::kNotFound ? std::move(hint) : obj.error().message;
  return std::nullopt;
}

Check check_object(kube::Client& client, const kube::ResourceRef& ref, const std::string& ns,
                   const std::string& name, std::string label, std::string hint, bool required) {
  Check c(std::move(label));
  c.required = required;
  if (fetch(client, ref, ns, name, c, std::move(hint))) {
    c.ok = true;
    c.detail = "present";
  }
  return c;
}

Check check_dex_config(kube::Client& client, const GlobalOptions& o) {
  Check c(fmt::format("ConfigMap {}/{} config.yaml", o.dex_namespace, o.dex_configmap));
  auto cm = fetch(client, res::kConfigMaps, o.dex_namespace, o.dex_configmap, c,
                  "not found: install Dex as Kubeflow does (manifests common/dex), or set "
                  "--dex-namespace/--dex-configmap");
  if (!cm) return c;
  const auto& data = (*cm)["data"];
  if (!data.is_object() || !data.contains("config.yaml") || !data["config.yaml"].is_string()) {
    c.detail = "has no data.config.yaml: is this Dex's ConfigMap?";
    return c;
  }
  auto config = yaml::parse(data["config.yaml"].get<std::string>(), "config.yaml");
  if (!config) {
    c.detail = config.error().message;
    return c;
  }
  if (!config->is_object()) {
    c.detail = "config.yaml is not a mapping";
    return c;
  }
  const bool password_db = config->value("enablePasswordDB", false);
  std::size_t users = 0;
  if (auto it = config->find("staticPasswords"); it != config->end() && it->is_array()) {
    users = it->size();
  }
  const std::string storage = (*config)["storage"].is_object()
                                  ? (*config)["storage"].value("type", std::string("?"))
                                  : std::string("?");
  c.ok = password_db;
  c.detail = fmt::format("enablePasswordDB={}, {} static user(s), storage {}", password_db, users,
                         storage);
  if (!password_db) c.detail += ": set enablePasswordDB: true for Dex to accept static users";
  return c;
}

Check check_dex_deployment(kube::Client& client, const GlobalOptions& o) {
  Check c(fmt::format("Deployment {}/{}", o.dex_namespace, o.dex_deployment));
  auto d = fetch(client, res::kDeployments, o.dex_namespace, o.dex_deployment, c,
                 "not found: Dex must run as a Deployment (Kubeflow manifests common/dex), or set "
                 "--dex-deployment");
  if (!d) return c;
  const auto& status = (*d)["status"];
  const auto generation = (*d)["metadata"].value("generation", 0LL);
  const auto observed = status.is_object() ? status.value("observedGeneration", 0LL) : 0LL;
  const auto replicas = (*d)["spec"].is_object() ? (*d)["spec"].value("replicas", 1LL) : 1LL;
  const auto available = status.is_object() ? status.value("availableReplicas", 0LL) : 0LL;
  c.ok = true;
  c.detail = fmt::format("{}/{} available{}", available, replicas,
                         observed >= generation ? "" : ", rollout in progress");
  return c;
}

}  // namespace

void add_doctor_command(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "doctor", "Check that the cluster has what Kubeflow multi-user management needs");
  cmd->callback([&options, &exit_code] {
    auto client = make_client(options);
    if (!client) {
      exit_code = report_error(client.error());
      return;
    }
    auto& c = **client;
    std::vector<Check> checks;
    checks.push_back(check_api(c));
    if (!checks.back().ok) {
      print(checks.back());
      exit_code = kExitFailure;
      return;
    }
    const auto& o = options;
    checks.push_back(check_object(c, res::kNamespaces, "", o.dex_namespace,
                                  "Namespace " + o.dex_namespace,
                                  "not found: Kubeflow installs Dex in namespace auth", true));
    checks.push_back(check_dex_config(c, o));
    checks.push_back(check_dex_deployment(c, o));
    checks.push_back(check_object(
        c, res::kCustomResourceDefinitions, "", "profiles.kubeflow.org",
        "CRD profiles.kubeflow.org",
        "not found: install Kubeflow's profile controller (manifests applications/profiles)",
        true));
    checks.push_back(check_object(c, res::kCustomResourceDefinitions, "",
                                  "passwords.dex.coreos.com", "CRD passwords.dex.coreos.com",
                                  "not found: Dex creates it at start with kubernetes storage; "
                                  "needed only for --dex-backend password-crd",
                                  false));
    for (const char* role : {"kubeflow-admin", "kubeflow-edit", "kubeflow-view"}) {
      checks.push_back(check_object(
          c, res::kClusterRoles, "", role, std::string("ClusterRole ") + role,
          "not found: install Kubeflow's roles (manifests common/kubeflow-roles)", true));
    }
    bool all_ok = true;
    for (const auto& check : checks) {
      print(check);
      if (!check.ok && check.required) all_ok = false;
    }
    exit_code = all_ok ? kExitOk : kExitFailure;
  });
}

}  // namespace kftenant::cli
