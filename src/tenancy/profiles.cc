#include "kftenant/tenancy/profiles.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "kftenant/dex/password_object.h"
#include "kftenant/kubeflow/naming.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/tenancy/validate.h"
#include "tenancy/claim_email.h"

namespace kftenant::tenancy {

using plan::Plan;
using plan::Planner;
using plan::Step;
using plan::StepKind;
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

Error refused(std::string message) {
  Error e;
  e.code = ErrorCode::kRefused;
  e.message = std::move(message);
  return e;
}

Step delete_step(const nlohmann::json& object, std::string summary) {
  return Step::remove(object, std::move(summary));
}

// The emails `object` admits or is annotated for that are not `email` (ignoring case: case
// variants are one Dex user).
std::vector<std::string> other_holders(const nlohmann::json& object, const std::string& email,
                                       const kubeflow::ContributorOptions& options) {
  std::vector<std::string> out;
  for (auto& h : kubeflow::holders_of(object, options))
    if (dex::normalize_email(h) != dex::normalize_email(email)) out.push_back(std::move(h));
  return out;
}

Error taken_by(const nlohmann::json& object, const std::vector<std::string>& holders,
               const std::string& email, const std::string& hint) {
  std::string list;
  for (const auto& h : holders) list += (list.empty() ? "" : ", ") + h;
  return refused(fmt::format(
      "{} belongs to {}: KFAM gives {} and {} the same binding name, so changing it would take "
      "{}'s access away; nothing was written. {}",
      store::describe(store::key_of(object)), list, holders.front(), email, holders.front(), hint));
}

}  // namespace

namespace detail {

std::string claim_email(store::ObjectStore& store, const dex::DexLocation& location,
                        const std::string& email, Plan& plan) {
  auto accounts = dex::list_dex_accounts(store, location, dex::Backend::kPasswordObject);
  if (!accounts) return email;
  const auto* account = dex::find_account(*accounts, email);
  if (!account || !account->effective_record()) return email;
  std::string claim = account->claim_email();
  if (claim != email)
    plan.notes.push_back(fmt::format(
        "Dex stores this user as {} and puts that in the email claim: the bindings use {}", claim,
        claim));
  return claim;
}

}  // namespace detail

using detail::claim_email;

Planner quota_planner(QuotaRequest request) {
  return [request](store::ObjectStore& store) -> Result<Plan> {
    // Planners check their own input: a caller may not have.
    if (auto v = kubeflow::validate_profile_name(request.profile); !v) return fail(v.error());
    if (auto v = kubeflow::validate_quota(request.hard); !v) return fail(v.error());
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
    plan.steps.push_back(Step::replace(
        *profile, std::move(after),
        request.hard.empty() ? fmt::format("clear the quota of Profile {}", request.profile)
                             : fmt::format("set the quota of Profile {}", request.profile)));
    return plan;
  };
}

Planner share_planner(ShareRequest raw) {
  return [raw](store::ObjectStore& store) -> Result<Plan> {
    ShareRequest request = raw;
    auto valid_email = validate_email(request.email);
    if (!valid_email) return fail(valid_email.error().with_context("--with"));
    if (auto v = kubeflow::validate_profile_name(request.profile); !v)
      return fail(v.error().with_context("profile " + request.profile));
    Plan plan;
    request.email = claim_email(store, request.dex, *valid_email, plan);
    auto profile = get_profile(store, request.profile);
    if (!profile) return fail(profile.error());
    auto owner = kubeflow::profile_owner(*profile);
    if (owner && dex::normalize_email(*owner) == dex::normalize_email(request.email))
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
    const std::string role(kubeflow::to_string(request.role));
    const std::string unshare_hint = fmt::format(
        "Share with {} under another role, or take the access away first with "
        "`kftenant profile unshare {} --with <that email>`",
        request.email, request.profile);

    // Pairs of this user under another role go (their names carry the role).
    std::string wanted_name = kubeflow::binding_name("User", request.email, role);
    for (const auto& c : kubeflow::contributors_from(*rbs, *aps, request.options)) {
      if (c.is_owner || dex::normalize_email(c.email) != dex::normalize_email(request.email) ||
          c.binding_name == wanted_name)
        continue;
      for (const auto* list : {&*rbs, &*aps})
        for (const auto& o : *list) {
          if (o["metadata"].value("name", "") != c.binding_name) continue;
          if (auto others = other_holders(o, request.email, request.options); !others.empty())
            return fail(taken_by(o, others, request.email, unshare_hint));
          plan.steps.push_back(delete_step(
              o, fmt::format("delete {} ({} had role {})", store::describe(store::key_of(o)),
                             request.email, kubeflow::to_string(c.role))));
        }
    }
    nlohmann::json desired[] = {
        kubeflow::build_contributor_role_binding(ns, request.email, request.role),
        kubeflow::build_contributor_policy(ns, request.email, request.role, request.options)};
    for (const auto& want : desired) {
      auto key = store::key_of(want);
      auto existing = store.get(key);
      if (!existing && existing.error().code != ErrorCode::kNotFound) return fail(existing.error());
      if (!existing) {
        plan.steps.push_back(Step::create(
            want, fmt::format("create {} ({} as {})", store::describe(key), request.email, role)));
      } else if (auto others = other_holders(*existing, request.email, request.options);
                 !others.empty()) {
        // Never rewrite another user's binding or policy onto this email.
        return fail(taken_by(*existing, others, request.email, unshare_hint));
      } else if (auto fixed = repaired(*existing, want)) {
        plan.steps.push_back(Step::replace(*existing, std::move(*fixed),
                                           fmt::format("repair {}", store::describe(key))));
      }
    }
    if (plan.steps.empty())
      plan.notes.push_back(fmt::format("{} already has role {} in profile {}", request.email, role,
                                       request.profile));
    return plan;
  };
}

Planner unshare_planner(std::string profile_name, std::string raw_email,
                        kubeflow::ContributorOptions options) {
  return [profile_name, raw_email, options](store::ObjectStore& store) -> Result<Plan> {
    auto valid_email = validate_email(raw_email);
    if (!valid_email) return fail(valid_email.error().with_context("--with"));
    const std::string& email = *valid_email;
    if (auto v = kubeflow::validate_profile_name(profile_name); !v)
      return fail(v.error().with_context("profile " + profile_name));
    Plan plan;
    auto profile = get_profile(store, profile_name);
    if (!profile) return fail(profile.error());
    auto owner = kubeflow::profile_owner(*profile);
    if (owner && dex::normalize_email(*owner) == email)
      return make_error(ErrorCode::kRefused,
                        fmt::format("{} owns profile {}: an owner cannot be unshared (transfer or "
                                    "delete the profile instead)",
                                    email, profile_name));
    auto rbs = list_in(store, kRbacApiVersion, "RoleBinding", profile_name);
    if (!rbs) return fail(rbs.error());
    auto aps = list_in(store, kIstioApiVersion, "AuthorizationPolicy", profile_name);
    if (!aps) return fail(aps.error());
    for (const auto& c : kubeflow::contributors_from(*rbs, *aps, options)) {
      if (c.is_owner || dex::normalize_email(c.email) != email) continue;
      for (const auto* list : {&*rbs, &*aps})
        for (const auto& o : *list) {
          if (o["metadata"].value("name", "") != c.binding_name) continue;
          if (auto others = other_holders(o, email, options); !others.empty())
            return fail(taken_by(o, others, email,
                                 "Remove that object by hand once you know whose access it is "
                                 "(`kftenant profile contributors " +
                                     profile_name + "`)"));
          plan.steps.push_back(
              delete_step(o, fmt::format("delete {} ({} as {})", store::describe(store::key_of(o)),
                                         email, kubeflow::to_string(c.role))));
        }
    }
    if (plan.steps.empty())
      plan.notes.push_back(fmt::format(
          "{} is not a contributor of profile {} (see `kftenant profile contributors {}`)", email,
          profile_name, profile_name));
    return plan;
  };
}

Result<std::vector<std::string>> profiles_shared_with(store::ObjectStore& store,
                                                      const std::string& email,
                                                      const kubeflow::ContributorOptions& options) {
  const std::string wanted = dex::normalize_email(email);
  auto profiles = list_in(store, kubeflow::kProfileApiVersion, "Profile", "");
  if (!profiles) return fail(profiles.error());
  std::set<std::string> names;
  for (const auto& p : *profiles) names.insert(p["metadata"].value("name", ""));
  std::set<std::string> shared;
  for (const char* kind : {"RoleBinding", "AuthorizationPolicy"}) {
    const char* api_version =
        std::string_view(kind) == "RoleBinding" ? kRbacApiVersion : kIstioApiVersion;
    auto objects = list_in(store, api_version, kind, "");
    if (!objects) return fail(objects.error());
    for (const auto& o : *objects) {
      const std::string ns = o["metadata"].value("namespace", "");
      const std::string name = o["metadata"].value("name", "");
      // The owner's access goes with the profile (kubeflow-contract.md §2).
      if (name == kubeflow::kOwnerRoleBinding || name == kubeflow::kOwnerAuthorizationPolicy ||
          !names.count(ns) || shared.count(ns))
        continue;
      for (const auto& holder : kubeflow::holders_of(o, options))
        if (dex::normalize_email(holder) == wanted) shared.insert(ns);
    }
  }
  return std::vector<std::string>(shared.begin(), shared.end());
}

std::vector<std::vector<std::string>> binding_name_collisions(
    const std::vector<std::string>& emails) {
  // One role is enough: the role is appended to the same email-derived part.
  std::map<std::string, std::vector<std::string>> by_name;
  for (const auto& e : emails) {
    auto& group = by_name[kubeflow::binding_name("User", e, "edit")];
    bool known = false;
    for (const auto& g : group) known = known || dex::normalize_email(g) == dex::normalize_email(e);
    if (!known) group.push_back(e);
  }
  std::vector<std::vector<std::string>> out;
  for (auto& [name, group] : by_name)
    if (group.size() > 1) out.push_back(std::move(group));
  return out;
}

Result<std::vector<kubeflow::Contributor>> list_contributors(
    store::ObjectStore& store, const std::string& profile, const dex::DexLocation& dex,
    const kubeflow::ContributorOptions& options) {
  auto p = get_profile(store, profile);
  if (!p) return fail(p.error());
  auto rbs = list_in(store, kRbacApiVersion, "RoleBinding", profile);
  if (!rbs) return fail(rbs.error());
  auto aps = list_in(store, kIstioApiVersion, "AuthorizationPolicy", profile);
  if (!aps) return fail(aps.error());
  auto contributors = kubeflow::contributors_from(*rbs, *aps, options);
  // Dex users KFAM would name like a contributor: sharing with them would need these objects.
  auto accounts = dex::list_dex_accounts(store, dex, dex::Backend::kPasswordObject);
  if (accounts && dex.managed) {
    for (auto& c : contributors) {
      if (c.is_owner) continue;
      const dex::DexAccount* own = dex::find_account(*accounts, c.email);
      if (!own || own->records.empty())
        c.problems.push_back(fmt::format(
            "no Dex user has this email: whoever signs in with it later gets this access "
            "(expected when users sign in through a Dex connector; `kftenant profile unshare {} "
            "--with {}` removes it)",
            profile, c.email));
      for (const auto& a : *accounts) {
        if (a.key == dex::normalize_email(c.email)) continue;
        if (kubeflow::binding_name("User", a.claim_email(), kubeflow::to_string(c.role)) ==
            c.binding_name)
          c.problems.push_back(fmt::format(
              "KFAM names Dex user {} like {} ({}): {} cannot be given role {} here without "
              "taking it from {}",
              a.claim_email(), c.email, c.binding_name, a.claim_email(),
              kubeflow::to_string(c.role), c.email));
      }
    }
  }
  return contributors;
}

}  // namespace kftenant::tenancy
