#include "kftenant/tenancy/doctor.h"

#include <fmt/core.h>

#include <utility>

#include "kftenant/kube/resource.h"
#include "kftenant/tenancy/onboard.h"
#include "kftenant/yaml.h"

namespace kftenant::tenancy {
namespace {

namespace res = kube::resources;
using State = InstallCheck::State;

InstallCheck make_check(std::string name, bool required) {
  InstallCheck c;
  c.name = std::move(name);
  c.required = required;
  return c;
}

void set_ok(InstallCheck& c, std::string detail) {
  c.state = State::kOk;
  c.detail = std::move(detail);
}

// Reads `name` of `ref` for check `c`: on failure fills c with `hint` (not found), "cannot
// check" naming the permission (forbidden) or the error.
std::optional<nlohmann::json> fetch(store::ObjectStore& store, const kube::ResourceRef& ref,
                                    const std::string& ns, const std::string& name, InstallCheck& c,
                                    std::string hint) {
  auto obj = store.get({ref.api_version(), ref.kind, ref.namespaced ? ns : "", name});
  if (obj) return std::move(*obj);
  switch (obj.error().code) {
    case ErrorCode::kNotFound:
      c.state = c.required ? State::kMissing : State::kAbsent;
      c.detail = std::move(hint);
      break;
    case ErrorCode::kForbidden:
      // The verb and resource as RBAC names them: "get on configmaps in namespace auth".
      c.state = State::kCannotCheck;
      c.detail = fmt::format("cannot check: forbidden (needs get on {}{})", ref.group_resource(),
                             ns.empty() || !ref.namespaced ? std::string() : " in namespace " + ns);
      break;
    default:
      c.state = State::kError;
      c.detail = obj.error().message;
  }
  return std::nullopt;
}

InstallCheck check_object(store::ObjectStore& store, const kube::ResourceRef& ref,
                          const std::string& ns, const std::string& name, std::string label,
                          std::string hint, bool required) {
  InstallCheck c = make_check(std::move(label), required);
  if (fetch(store, ref, ns, name, c, std::move(hint))) set_ok(c, "present");
  return c;
}

InstallCheck check_dex_config(store::ObjectStore& store, const dex::DexLocation& dex) {
  InstallCheck c =
      make_check(fmt::format("ConfigMap {}/{} {}", dex.ns, dex.configmap, dex.config_key), true);
  auto cm = fetch(store, res::kConfigMaps, dex.ns, dex.configmap, c,
                  "not found: install Dex as Kubeflow does (manifests common/dex), or set "
                  "--dex-namespace/--dex-configmap");
  if (!cm) return c;
  const auto& data = (*cm)["data"];
  c.state = State::kMissing;
  if (!data.is_object() || !data.contains(dex.config_key) || !data[dex.config_key].is_string()) {
    c.detail = "has no data." + dex.config_key + ": is this Dex's ConfigMap?";
    return c;
  }
  auto config = yaml::parse(data[dex.config_key].get<std::string>(), dex.config_key);
  if (!config) {
    c.state = State::kError;
    c.detail = config.error().message;
    return c;
  }
  if (!config->is_object()) {
    c.state = State::kError;
    c.detail = dex.config_key + " is not a mapping";
    return c;
  }
  const bool password_db = config->value("enablePasswordDB", false);
  std::size_t users = 0;
  if (auto it = config->find("staticPasswords"); it != config->end() && it->is_array())
    users = it->size();
  const std::string storage = (*config)["storage"].is_object()
                                  ? (*config)["storage"].value("type", std::string("?"))
                                  : std::string("?");
  c.detail = fmt::format(
      "enablePasswordDB={}, {} static user(s), storage {}, {} KiB of the 1024 "
      "KiB a ConfigMap may hold",
      password_db, users, storage, (store::configmap_data_bytes(*cm) + 1023) / 1024);
  if (password_db)
    c.state = State::kOk;
  else
    c.detail += ": set enablePasswordDB: true for Dex to accept static users";
  return c;
}

InstallCheck check_dex_deployment(store::ObjectStore& store, const dex::DexLocation& dex) {
  InstallCheck c = make_check(fmt::format("Deployment {}/{}", dex.ns, dex.deployment), true);
  auto d = fetch(store, res::kDeployments, dex.ns, dex.deployment, c,
                 "not found: Dex must run as a Deployment (Kubeflow manifests common/dex), or set "
                 "--dex-deployment");
  if (!d) return c;
  if (!store.capabilities().live) {
    set_ok(c, "present (a folder has no rollout status)");
    return c;
  }
  const auto& status = (*d)["status"];
  const auto generation = (*d)["metadata"].value("generation", 0LL);
  const auto observed = status.is_object() ? status.value("observedGeneration", 0LL) : 0LL;
  const auto replicas = (*d)["spec"].is_object() ? (*d)["spec"].value("replicas", 1LL) : 1LL;
  const auto available = status.is_object() ? status.value("availableReplicas", 0LL) : 0LL;
  set_ok(c, fmt::format("{}/{} available{}", available, replicas,
                        observed >= generation ? "" : ", rollout in progress"));
  return c;
}

}  // namespace

std::vector<InstallCheck> check_installation(store::ObjectStore& store,
                                             const TenancyContext& context) {
  std::vector<InstallCheck> checks;
  InstallCheck reachable = make_check(store.description(), true);
  if (auto answer = store.check_reachable(); answer) {
    set_ok(reachable, *answer);
    checks.push_back(std::move(reachable));
  } else {
    reachable.state = State::kError;
    reachable.detail = answer.error().message;
    checks.push_back(std::move(reachable));
    return checks;
  }
  const bool live = store.capabilities().live;
  const auto& dex = context.dex;
  if (dex.managed) {
    checks.push_back(check_object(store, res::kNamespaces, "", dex.ns, "Namespace " + dex.ns,
                                  "not found: Kubeflow installs Dex in namespace auth", live));
    checks.push_back(check_dex_config(store, dex));
    checks.push_back(check_dex_deployment(store, dex));
  }
  checks.push_back(check_object(
      store, res::kCustomResourceDefinitions, "", "profiles.kubeflow.org",
      "CRD profiles.kubeflow.org",
      "not found: install Kubeflow's profile controller (manifests applications/profiles)", live));
  if (dex.managed)
    checks.push_back(check_object(store, res::kCustomResourceDefinitions, "",
                                  "passwords.dex.coreos.com", "CRD passwords.dex.coreos.com",
                                  "not found: Dex creates it at start with kubernetes storage; "
                                  "needed only for --dex-backend password-crd",
                                  false));
  for (const char* role : {"kubeflow-admin", "kubeflow-edit", "kubeflow-view"}) {
    checks.push_back(check_object(
        store, res::kClusterRoles, "", role, std::string("ClusterRole ") + role,
        "not found: install Kubeflow's roles (manifests common/kubeflow-roles)", live));
  }
  return checks;
}

bool DoctorReport::healthy() const {
  for (const auto& c : checks)
    if (c.failed() && c.required) return false;
  for (const auto& f : findings)
    if (f.level == Finding::Level::kError) return false;
  return !findings_error || findings_error->code == ErrorCode::kForbidden;
}

DoctorReport run_doctor(store::ObjectStore& store, const TenancyContext& context) {
  DoctorReport report;
  report.checks = check_installation(store, context);
  if (report.checks.front().state != State::kOk) return report;
  auto findings = diagnose(store, context);
  if (findings)
    report.findings = std::move(*findings);
  else
    report.findings_error = findings.error();
  return report;
}

std::string_view to_string(InstallCheck::State state) {
  using State = InstallCheck::State;
  switch (state) {
    case State::kOk:
      return "ok";
    case State::kMissing:
      return "MISSING";
    case State::kAbsent:
      return "absent";
    case State::kCannotCheck:
      return "unknown";
    case State::kError:
      return "ERROR";
  }
  return "?";
}

nlohmann::json to_json(const DoctorReport& report) {
  nlohmann::json checks = nlohmann::json::array(), findings = nlohmann::json::array();
  for (const auto& c : report.checks)
    checks.push_back({{"name", c.name},
                      {"state", std::string(to_string(c.state))},
                      {"required", c.required},
                      {"detail", c.detail}});
  for (const auto& f : report.findings) {
    nlohmann::json j = {{"severity", f.level == Finding::Level::kError ? "error" : "warning"},
                        {"object", f.subject},
                        {"message", f.message}};
    if (f.fix) j["fix"] = f.fix_summary;
    findings.push_back(std::move(j));
  }
  nlohmann::json out = {{"healthy", report.healthy()}, {"checks", checks}, {"findings", findings}};
  if (report.findings_error) out["findingsError"] = report.findings_error->message;
  return out;
}

}  // namespace kftenant::tenancy
