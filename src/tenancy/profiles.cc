#include "kftenant/tenancy/profiles.h"

#include <fmt/format.h>

#include "kftenant/kubeflow/naming.h"
#include "kftenant/kubeflow/profile.h"

namespace kftenant::tenancy {
namespace {

const char* const kRbacApiVersion = "rbac.authorization.k8s.io/v1";
const char* const kIstioApiVersion = "security.istio.io/v1beta1";

Result<nlohmann::json> get_profile(store::ObjectStore& store, const std::string& name) {
  auto profile = store.get({kubeflow::kProfileApiVersion, "Profile", "", name});
  if (!profile && profile.error().code == ErrorCode::kNotFound)
    return make_error(
        ErrorCode::kNotFound,
        fmt::format("no profile {} (see `kftenant user list`): {}", name, profile.error().message));
  return profile;
}

// Objects of a kind in a namespace; none when the kind is not served (Istio missing).
Result<std::vector<nlohmann::json>> list_in(store::ObjectStore& store, const char* api_version,
                                            const char* kind, const std::string& ns) {
  auto items = store.list(api_version, kind, ns);
  if (!items && items.error().code == ErrorCode::kNotFound) return std::vector<nlohmann::json>();
  return items;
}

// Writes `desired` over `existing` keeping the server's metadata; nullopt when nothing differs
// in what KFAM cares about (annotations user/role, roleRef, subjects, spec).
std::optional<nlohmann::json> repaired(const nlohmann::json& existing,
                                       const nlohmann::json& desired) {
  nlohmann::json out = existing;
  bool changed = false;
  for (const char* field : {"roleRef", "subjects", "spec"}) {
    if (!desired.contains(field)) continue;
    if (!existing.contains(field) || existing[field] != desired[field]) {
      out[field] = desired[field];
      changed = true;
    }
  }
  for (const char* annotation : {"user", "role"}) {
    auto want = desired["metadata"]["annotations"][annotation];
    auto ptr = nlohmann::json::json_pointer(std::string("/metadata/annotations/") + annotation);
    if (!existing.contains(ptr) || existing.at(ptr) != want) {
      out["metadata"]["annotations"][annotation] = want;
      changed = true;
    }
  }
  if (!changed) return std::nullopt;
  return out;
}

Step delete_step(const nlohmann::json& object, std::string summary) {
  Step step;
  step.kind = StepKind::kDelete;
  step.key = store::key_of(object);
  step.before = object;
  step.summary = std::move(summary);
  return step;
}

}  // namespace

Planner quota_planner(QuotaRequest request) {
  return [request](store::ObjectStore& store) -> Result<Plan> {
    Plan plan;
    auto profile = get_profile(store, request.profile);
    if (!profile) return fail(profile.error());
    nlohmann::json after = *profile;
    auto& spec = after["spec"];
    nlohmann::json current = profile->value(
        nlohmann::json::json_pointer("/spec/resourceQuotaSpec/hard"), nlohmann::json::object());
    if (request.hard.empty()) {
      if (current.empty()) {
        plan.notes.push_back(fmt::format("profile {} has no quota", request.profile));
        return plan;
      }
      spec["resourceQuotaSpec"].erase("hard");
      if (spec["resourceQuotaSpec"].empty()) spec.erase("resourceQuotaSpec");
    } else {
      nlohmann::json wanted(request.hard);
      if (current == wanted) {
        plan.notes.push_back(fmt::format("profile {} already has this quota", request.profile));
        return plan;
      }
      spec["resourceQuotaSpec"]["hard"] = wanted;
    }
    Step step;
    step.kind = StepKind::kReplace;
    step.key = store::key_of(*profile);
    step.before = *profile;
    step.after = std::move(after);
    step.summary = request.hard.empty()
                       ? fmt::format("clear the quota of Profile {}", request.profile)
                       : fmt::format("set the quota of Profile {}", request.profile);
    plan.steps.push_back(std::move(step));
    return plan;
  };
}

Planner share_planner(ShareRequest request) {
  return [request](store::ObjectStore& store) -> Result<Plan> {
    Plan plan;
    auto profile = get_profile(store, request.profile);
    if (!profile) return fail(profile.error());
    auto owner = kubeflow::profile_owner(*profile);
    if (owner && *owner == request.email)
      return make_error(ErrorCode::kRefused,
                        fmt::format("{} owns profile {} already (RoleBinding namespaceAdmin)",
                                    request.email, request.profile));
    const std::string& ns = request.profile;
    if (store.capabilities().live) {
      auto namespace_object = store.get({"v1", "Namespace", "", ns});
      if (!namespace_object) {
        if (namespace_object.error().code == ErrorCode::kNotFound)
          return make_error(ErrorCode::kNotFound,
                            fmt::format("namespace {} does not exist yet: the Kubeflow profile "
                                        "controller makes it from the profile (is it running?)",
                                        ns));
        return fail(namespace_object.error());
      }
    }
    auto rbs = list_in(store, kRbacApiVersion, "RoleBinding", ns);
    if (!rbs) return fail(rbs.error());
    auto aps = list_in(store, kIstioApiVersion, "AuthorizationPolicy", ns);
    if (!aps) return fail(aps.error());

    // Pairs of this user under another role go (their names carry the role).
    std::string wanted_name =
        kubeflow::binding_name("User", request.email, kubeflow::to_string(request.role));
    for (const auto& c : kubeflow::contributors_from(*rbs, *aps)) {
      if (c.is_owner || c.email != request.email || c.binding_name == wanted_name) continue;
      for (const auto* list : {&*rbs, &*aps})
        for (const auto& o : *list)
          if (o["metadata"].value("name", "") == c.binding_name)
            plan.steps.push_back(delete_step(
                o, fmt::format("delete {} ({} had role {})", store::describe(store::key_of(o)),
                               request.email, kubeflow::to_string(c.role))));
    }
    nlohmann::json desired[] = {
        kubeflow::build_contributor_role_binding(ns, request.email, request.role),
        kubeflow::build_contributor_policy(ns, request.email, request.role, request.options)};
    for (const auto& want : desired) {
      auto key = store::key_of(want);
      auto existing = store.get(key);
      if (!existing && existing.error().code != ErrorCode::kNotFound) return fail(existing.error());
      Step step;
      step.key = key;
      if (!existing) {
        step.kind = StepKind::kCreate;
        step.after = want;
        step.summary = fmt::format("create {} ({} as {})", store::describe(key), request.email,
                                   kubeflow::to_string(request.role));
      } else if (auto fixed = repaired(*existing, want)) {
        step.kind = StepKind::kReplace;
        step.before = *existing;
        step.after = std::move(*fixed);
        step.summary = fmt::format("repair {}", store::describe(key));
      } else {
        continue;
      }
      plan.steps.push_back(std::move(step));
    }
    if (plan.steps.empty())
      plan.notes.push_back(fmt::format("{} already has role {} in profile {}", request.email,
                                       kubeflow::to_string(request.role), request.profile));
    return plan;
  };
}

Planner unshare_planner(std::string profile_name, std::string email) {
  return [profile_name, email](store::ObjectStore& store) -> Result<Plan> {
    Plan plan;
    auto profile = get_profile(store, profile_name);
    if (!profile) return fail(profile.error());
    auto owner = kubeflow::profile_owner(*profile);
    if (owner && *owner == email)
      return make_error(ErrorCode::kRefused,
                        fmt::format("{} owns profile {}: an owner cannot be unshared (transfer or "
                                    "delete the profile instead)",
                                    email, profile_name));
    auto rbs = list_in(store, kRbacApiVersion, "RoleBinding", profile_name);
    if (!rbs) return fail(rbs.error());
    auto aps = list_in(store, kIstioApiVersion, "AuthorizationPolicy", profile_name);
    if (!aps) return fail(aps.error());
    bool found = false;
    for (const auto& c : kubeflow::contributors_from(*rbs, *aps)) {
      if (c.is_owner || c.email != email) continue;
      found = true;
      for (const auto* list : {&*rbs, &*aps})
        for (const auto& o : *list)
          if (o["metadata"].value("name", "") == c.binding_name)
            plan.steps.push_back(delete_step(
                o, fmt::format("delete {} ({} as {})", store::describe(store::key_of(o)), email,
                               kubeflow::to_string(c.role))));
    }
    if (!found)
      return make_error(ErrorCode::kNotFound,
                        fmt::format("{} is not a contributor of profile {} (see `kftenant profile "
                                    "contributors {}`)",
                                    email, profile_name, profile_name));
    return plan;
  };
}

Result<std::vector<kubeflow::Contributor>> list_contributors(store::ObjectStore& store,
                                                             const std::string& profile) {
  auto p = get_profile(store, profile);
  if (!p) return fail(p.error());
  auto rbs = list_in(store, kRbacApiVersion, "RoleBinding", profile);
  if (!rbs) return fail(rbs.error());
  auto aps = list_in(store, kIstioApiVersion, "AuthorizationPolicy", profile);
  if (!aps) return fail(aps.error());
  return kubeflow::contributors_from(*rbs, *aps);
}

}  // namespace kftenant::tenancy
