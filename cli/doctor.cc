#include "doctor.h"

#include <fmt/core.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kftenant/kube/resource.h"
#include "kftenant/store/cluster_store.h"
#include "kftenant/tenancy/diagnostics.h"
#include "kftenant/yaml.h"

namespace kftenant::cli {
namespace {

namespace res = kube::resources;

struct Check {
  enum class State {
    kOk,
    kMissing,      // required and not there
    kAbsent,       // optional and not there
    kCannotCheck,  // the caller may not read it (403): nothing known
    kError,        // reading it failed otherwise (401, server error...)
  };
  explicit Check(std::string n) : name(std::move(n)) {}
  std::string name;
  State state = State::kMissing;
  bool required = true;
  std::string detail;  // what was found, or how to fix it

  void set_ok(std::string d) {
    state = State::kOk;
    detail = std::move(d);
  }
  // Also "cannot check": doctor must not call healthy what it could not see.
  bool failed() const { return state != State::kOk && state != State::kAbsent; }
};

void print(const Check& c) {
  const char* mark = "ok";
  switch (c.state) {
    case Check::State::kOk:
      mark = "ok";
      break;
    case Check::State::kMissing:
      mark = "MISSING";
      break;
    case Check::State::kAbsent:
      mark = "absent";
      break;
    case Check::State::kCannotCheck:
      mark = "unknown";
      break;
    case Check::State::kError:
      mark = "ERROR";
      break;
  }
  fmt::print("{:<8} {:<44} {}\n", mark, c.name, c.detail);
}

// The verb and resource a GET needed, as RBAC names them: "get on configmaps in namespace auth".
std::string needs(const kube::ResourceRef& ref, const std::string& ns) {
  return fmt::format("needs get on {}{}", ref.group_resource(),
                     ns.empty() || !ref.namespaced ? std::string() : " in namespace " + ns);
}

Check check_api(kube::Client& client) {
  Check c("API server " + client.config().server);
  auto version = client.get_path("/version");
  if (version) {
    c.set_ok(fmt::format("reachable, {}", version->value("gitVersion", "unknown version")));
    return c;
  }
  if (version.error().code == ErrorCode::kUnauthorized) {
    c.state = Check::State::kError;
    c.detail = version.error().message;
    return c;
  }
  // Some servers do not serve /version to every user; discovery proves reachability too.
  auto api = client.get_path("/api");
  if (api) {
    c.set_ok("reachable");
  } else {
    c.state = Check::State::kError;
    c.detail = version.error().message;
  }
  return c;
}

// GETs an object for check `c`: on failure fills c (state and detail) with `hint` (not found),
// "cannot check" (forbidden) or the error.
std::optional<nlohmann::json> fetch(kube::Client& client, const kube::ResourceRef& ref,
                                    const std::string& ns, const std::string& name, Check& c,
                                    std::string hint) {
  auto obj = client.get(ref, ns, name);
  if (obj) return std::move(*obj);
  switch (obj.error().code) {
    case ErrorCode::kNotFound:
      c.state = c.required ? Check::State::kMissing : Check::State::kAbsent;
      c.detail = std::move(hint);
      break;
    case ErrorCode::kForbidden:
      c.state = Check::State::kCannotCheck;
      c.detail = "cannot check: forbidden (" + needs(ref, ns) + ")";
      break;
    default:
      c.state = Check::State::kError;
      c.detail = obj.error().message;
  }
  return std::nullopt;
}

Check check_object(kube::Client& client, const kube::ResourceRef& ref, const std::string& ns,
                   const std::string& name, std::string label, std::string hint, bool required) {
  Check c(std::move(label));
  c.required = required;
  if (fetch(client, ref, ns, name, c, std::move(hint))) c.set_ok("present");
  return c;
}

Check check_dex_config(kube::Client& client, const GlobalOptions& o) {
  Check c(fmt::format("ConfigMap {}/{} config.yaml", o.dex_namespace, o.dex_configmap));
  auto cm = fetch(client, res::kConfigMaps, o.dex_namespace, o.dex_configmap, c,
                  "not found: install Dex as Kubeflow does (manifests common/dex), or set "
                  "--dex-namespace/--dex-configmap");
  if (!cm) return c;
  const auto& data = (*cm)["data"];
  c.state = Check::State::kMissing;
  if (!data.is_object() || !data.contains("config.yaml") || !data["config.yaml"].is_string()) {
    c.detail = "has no data.config.yaml: is this Dex's ConfigMap?";
    return c;
  }
  auto config = yaml::parse(data["config.yaml"].get<std::string>(), "config.yaml");
  if (!config) {
    c.state = Check::State::kError;
    c.detail = config.error().message;
    return c;
  }
  if (!config->is_object()) {
    c.state = Check::State::kError;
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
  c.detail = fmt::format("enablePasswordDB={}, {} static user(s), storage {}", password_db, users,
                         storage);
  if (password_db)
    c.state = Check::State::kOk;
  else
    c.detail += ": set enablePasswordDB: true for Dex to accept static users";
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
  c.set_ok(fmt::format("{}/{} available{}", available, replicas,
                       observed >= generation ? "" : ", rollout in progress"));
  return c;
}

// The findings about users and profiles (tenancy::diagnose); true when there is an error.
bool print_findings(store::ObjectStore& store, const GlobalOptions& options) {
  auto context = tenancy_context(options);
  if (!context) {
    fmt::print("{:<8} {:<44} {}\n", "ERROR", "users and profiles", context.error().message);
    return true;
  }
  auto findings = tenancy::diagnose(store, *context);
  if (!findings) {
    const bool forbidden = findings.error().code == ErrorCode::kForbidden;
    fmt::print("{:<8} {:<44} {}\n", forbidden ? "unknown" : "ERROR", "users and profiles",
               forbidden ? "cannot check: forbidden (" + findings.error().message + ")"
                         : findings.error().message);
    return !forbidden;
  }
  bool errors = false;
  if (findings->empty()) {
    fmt::print("{:<8} {:<44} {}\n", "ok", "users and profiles",
               "no problem found in Dex's users, profiles and contributor bindings");
  }
  for (const auto& f : *findings) {
    const bool error = f.level == tenancy::Finding::Level::kError;
    errors = errors || error;
    fmt::print("{:<8} {:<44} {}\n", error ? "ERROR" : "warning", f.subject, f.message);
  }
  return errors;
}

}  // namespace

void add_doctor_command(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "doctor",
      "Check that the cluster has what Kubeflow multi-user management needs, and what is wrong "
      "with its users, profiles and contributors");
  cmd->callback([&options, &exit_code] {
    // A manifests folder has no API server: only the users and profiles in its files.
    if (!options.manifests.empty()) {
      auto session = open_session(options);
      if (!session) {
        exit_code = report_error(session.error());
        return;
      }
      exit_code = print_findings(*session->store, options) ? kExitFailure : kExitOk;
      return;
    }
    if (!options.dex_config_file.empty()) {
      exit_code = report_error(usage_error("--dex-config-file needs --manifests"));
      return;
    }
    auto client = make_client(options);
    if (!client) {
      exit_code = report_error(client.error());
      return;
    }
    auto& c = **client;
    std::vector<Check> checks;
    checks.push_back(check_api(c));
    if (checks.back().state != Check::State::kOk) {
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
      if (check.failed() && check.required) all_ok = false;
    }
    store::ClusterStore store(c);
    if (print_findings(store, options)) all_ok = false;
    exit_code = all_ok ? kExitOk : kExitFailure;
  });
}

}  // namespace kftenant::cli
