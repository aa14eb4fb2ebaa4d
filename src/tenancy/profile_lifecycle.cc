#include "kftenant/tenancy/profile_lifecycle.h"

#include <fmt/format.h>

#include "kftenant/dex/password_object.h"
#include "kftenant/dex/user_directory.h"
#include "kftenant/kubeflow/naming.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/tenancy/users.h"
#include "kftenant/tenancy/validate.h"
#include "tenancy/claim_email.h"

namespace kftenant::tenancy {

using nlohmann::json;
using plan::Plan;
using plan::Planner;
using plan::Step;

namespace {

const char* const kRbacApiVersion = "rbac.authorization.k8s.io/v1";
const char* const kIstioApiVersion = "security.istio.io/v1beta1";

bool being_deleted(const json& object) {
  return object.contains(json::json_pointer("/metadata/deletionTimestamp"));
}

// The object, or null when absent (or its kind not served: Istio not installed).
Result<json> get_if_present(store::ObjectStore& store, const store::ObjectKey& key) {
  auto object = store.get(key);
  if (object) return object;
  if (object.error().code == ErrorCode::kNotFound) return json();
  return fail(object.error());
}

json user_subject(const std::string& email) {
  return {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "User"}, {"name", email}};
}

// The owner policy with `from` replaced by `to` in the userid header conditions and the `user`
// annotation; nullopt when nothing changes.
std::optional<json> policy_for_new_owner(const json& policy, const std::string& from,
                                         const std::string& to,
                                         const kubeflow::ContributorOptions& options) {
  json after = policy;
  after["metadata"]["annotations"]["user"] = to;
  const std::string key = "request.headers[" + options.userid_header + "]";
  const std::string old_value = options.userid_prefix + from;
  if (after.contains("spec") && after["spec"].contains("rules") &&
      after["spec"]["rules"].is_array())
    for (auto& rule : after["spec"]["rules"]) {
      if (!rule.contains("when") || !rule["when"].is_array()) continue;
      for (auto& condition : rule["when"]) {
        if (condition.value("key", "") != key || !condition.contains("values") ||
            !condition["values"].is_array())
          continue;
        for (auto& v : condition["values"])
          if (v.is_string() && v.get<std::string>() == old_value) v = options.userid_prefix + to;
      }
    }
  if (after == policy) return std::nullopt;
  return after;
}

}  // namespace

Planner create_profile_planner(CreateProfileRequest request) {
  return [request](store::ObjectStore& store) -> Result<Plan> {
    if (auto v = kubeflow::validate_profile_name(request.name); !v)
      return fail(v.error().with_context("profile " + request.name));
    auto owner = validate_email(request.owner);
    if (!owner) return fail(owner.error().with_context("--owner"));
    if (auto v = kubeflow::validate_quota(request.quota); !v) return fail(v.error());
    Plan plan;
    const std::string claim = detail::claim_email(store, request.dex, *owner, plan);
    auto accounts = dex::list_dex_accounts(store, request.dex, dex::Backend::kPasswordObject);
    if (accounts) {
      const dex::DexAccount* account = dex::find_account(*accounts, claim);
      if (!account || account->records.empty())
        plan.notes.push_back(fmt::format(
            "{} has no Dex user: they can open the profile once they sign in with that email "
            "(through a Dex connector, or after `kftenant user add {}`)",
            claim, claim));
    }
    auto planned = profile_planner({request.name, claim, request.quota, request.wait})(store);
    if (!planned) return fail(planned.error());
    for (auto& n : planned->notes) plan.notes.push_back(std::move(n));
    plan.steps = std::move(planned->steps);
    return plan;
  };
}

Planner delete_profile_planner(std::string name) {
  return [name](store::ObjectStore& store) -> Result<Plan> {
    if (auto v = kubeflow::validate_profile_name(name); !v)
      return fail(v.error().with_context("profile " + name));
    Plan plan;
    const store::ObjectKey key{kubeflow::kProfileApiVersion, "Profile", "", name};
    auto profile = get_if_present(store, key);
    if (!profile) return fail(profile.error());
    if (profile->is_null()) {
      plan.notes.push_back(fmt::format("no profile {}: nothing to delete", name));
      return plan;
    }
    if (being_deleted(*profile)) {
      plan.notes.push_back(fmt::format("profile {} is already being deleted", name));
      return plan;
    }
    Step step = Step::remove(
        std::move(*profile),
        fmt::format("delete Profile {} (its namespace and everything in it go too)", name));
    step.key = key;
    plan.steps.push_back(std::move(step));
    return plan;
  };
}

Planner transfer_profile_planner(TransferProfileRequest request) {
  return [request](store::ObjectStore& store) -> Result<Plan> {
    const std::string& name = request.profile;
    if (auto v = kubeflow::validate_profile_name(name); !v)
      return fail(v.error().with_context("profile " + name));
    auto to_email = validate_email(request.to);
    if (!to_email) return fail(to_email.error().with_context("--to"));
    Plan plan;
    auto profile = get_if_present(store, {kubeflow::kProfileApiVersion, "Profile", "", name});
    if (!profile) return fail(profile.error());
    if (profile->is_null())
      return make_error(ErrorCode::kNotFound,
                        fmt::format("no profile {} (see `kftenant user list`)", name));
    if (being_deleted(*profile))
      return make_error(ErrorCode::kRefused,
                        fmt::format("profile {} is being deleted: it cannot be transferred", name));
    const std::string from = kubeflow::profile_owner(*profile).value_or("");
    const std::string to = detail::claim_email(store, request.dex, *to_email, plan);
    const std::string change = fmt::format("from {} to {}", from.empty() ? "(no owner)" : from, to);

    // The namespace first in the checks: one owned by someone else is not this profile's.
    auto ns = get_if_present(store, {"v1", "Namespace", "", name});
    if (!ns) return fail(ns.error());
    std::string ns_owner;
    if (!ns->is_null()) {
      ns_owner = ns->value(json::json_pointer("/metadata/annotations/owner"), std::string());
      if (!ns_owner.empty() && ns_owner != from && ns_owner != to)
        return make_error(
            ErrorCode::kRefused,
            fmt::format("namespace {} carries owner {}, not the profile's owner {}: it is not "
                        "profile {}'s to transfer; nothing was written",
                        name, ns_owner, from, name));
    }

    if (from != to) {
      json after = *profile;
      after["spec"]["owner"] = {{"kind", "User"}, {"name", to}};
      plan.steps.push_back(Step::replace(*profile, std::move(after),
                                         fmt::format("transfer Profile {} {}", name, change)));
    }
    if (!ns->is_null() && ns_owner != to) {
      json after = *ns;
      after["metadata"]["annotations"][kubeflow::kOwnerAnnotation] = to;
      plan.steps.push_back(Step::replace(
          *ns, std::move(after),
          fmt::format("set the owner annotation of Namespace {} to {} (the profile controller "
                      "stops at a namespace whose owner differs)",
                      name, to)));
    }
    auto admin =
        get_if_present(store, {kRbacApiVersion, "RoleBinding", name, kubeflow::kOwnerRoleBinding});
    if (!admin) return fail(admin.error());
    if (!admin->is_null()) {
      json after = *admin;
      after["subjects"] = json::array({user_subject(to)});
      after["metadata"]["annotations"]["user"] = to;
      if (after != *admin)
        plan.steps.push_back(Step::replace(*admin, std::move(after),
                                           fmt::format("make {} the subject of RoleBinding {}/{}",
                                                       to, name, kubeflow::kOwnerRoleBinding)));
    }
    auto policy = get_if_present(store, {kIstioApiVersion, "AuthorizationPolicy", name,
                                         kubeflow::kOwnerAuthorizationPolicy});
    if (!policy) return fail(policy.error());
    if (!policy->is_null() && !from.empty())
      if (auto after = policy_for_new_owner(*policy, from, to, request.contributor_options))
        plan.steps.push_back(
            Step::replace(*policy, std::move(*after),
                          fmt::format("admit {} instead of {} in AuthorizationPolicy {}/{}", to,
                                      from, name, kubeflow::kOwnerAuthorizationPolicy)));
    if (plan.steps.empty()) {
      plan.notes.push_back(fmt::format("profile {} is owned by {} already, unchanged", name, to));
    } else if (!from.empty() && dex::normalize_email(from) != dex::normalize_email(to)) {
      plan.notes.push_back(fmt::format(
          "{} no longer has access to profile {} (`kftenant profile share {} --with {} --role "
          "admin` gives it back)",
          from, name, name, from));
    }
    return plan;
  };
}

}  // namespace kftenant::tenancy
