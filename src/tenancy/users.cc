#include "kftenant/tenancy/users.h"

#include <fmt/format.h>

#include <memory>

#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/password_object.h"
#include "kftenant/kubeflow/naming.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/tenancy/validate.h"

namespace kftenant::tenancy {
namespace {

const char* const kProfileApiVersion = "kubeflow.org/v1";

std::string local_part(std::string_view email) {
  return std::string(email.substr(0, email.find('@')));
}

void append(std::vector<Step>& to, std::vector<Step> from) {
  for (auto& s : from) to.push_back(std::move(s));
}

// The Dex user of `email` in whichever backend holds it (static wins, as in Dex).
Result<std::optional<dex::DexUser>> find_any(store::ObjectStore& store,
                                             const TenancyContext& context,
                                             std::string_view email) {
  auto statics = dex::make_user_directory(dex::Backend::kStatic, context.dex, context.clock);
  auto found = statics->find(store, email);
  if (!found) {
    // Without a Dex ConfigMap the password-object backend can still hold the user.
    if (context.backend != dex::Backend::kPasswordObject ||
        found.error().code != ErrorCode::kNotFound)
      return fail(found.error());
  } else if (*found) {
    return found;
  }
  auto objects =
      dex::make_user_directory(dex::Backend::kPasswordObject, context.dex, context.clock);
  auto object = objects->find(store, email);
  if (!object) {
    if (object.error().code == ErrorCode::kNotFound) return std::optional<dex::DexUser>();
    return fail(object.error());
  }
  return object;
}

Error refused(std::string message) {
  Error e;
  e.code = ErrorCode::kRefused;
  e.message = std::move(message);
  return e;
}

Result<std::optional<nlohmann::json>> get_optional(store::ObjectStore& store,
                                                   const store::ObjectKey& key) {
  auto got = store.get(key);
  if (got) return std::optional<nlohmann::json>(std::move(*got));
  if (got.error().code == ErrorCode::kNotFound) {
    // A kind the cluster does not serve is a missing CRD, not a missing object.
    if (store::is_kind_not_served(got.error())) {
      if (key.kind == "Profile")
        return make_error(ErrorCode::kNotFound,
                          "Kubeflow's Profile CRD (profiles.kubeflow.org) is not installed: "
                          "install Kubeflow's profiles component (applications/profiles in "
                          "kubeflow/manifests), or pass --no-profile");
      return fail(got.error());
    }
    return std::optional<nlohmann::json>();
  }
  return fail(got.error());
}

// Profile steps of `user add`: create when absent; nothing when it is there for this owner
// with the requested quota; refusals otherwise.
Result<std::vector<Step>> plan_profile(store::ObjectStore& store, const AddUserRequest& request,
                                       const std::string& name) {
  std::vector<Step> steps;
  store::ObjectKey key{kProfileApiVersion, "Profile", "", name};
  auto existing = get_optional(store, key);
  if (!existing) return fail(existing.error());
  if (*existing) {
    auto owner = kubeflow::profile_owner(**existing);
    if (!owner || dex::normalize_email(*owner) != request.email)
      return fail(refused(fmt::format(
          "profile {} already exists and belongs to {}: choose another name with --profile NAME",
          name, owner ? *owner : std::string("no user (spec.owner is not a User)"))));
    if (!request.quota.empty()) {
      auto hard = (*existing)->value(nlohmann::json::json_pointer("/spec/resourceQuotaSpec/hard"),
                                     nlohmann::json::object());
      if (hard != nlohmann::json(request.quota))
        return fail(refused(fmt::format(
            "profile {} already exists with quota {}: change it with `kftenant profile quota {} "
            "--set ...`",
            name, hard.empty() ? std::string("(none)") : hard.dump(), name)));
    }
    return steps;
  }
  // The profile controller refuses a namespace that exists with another owner (kubeflow-contract
  // §2 step 5) and would then silently do nothing: refuse up front instead.
  if (store.capabilities().live) {
    auto ns = get_optional(store, {"v1", "Namespace", "", name});
    if (!ns) return fail(ns.error());
    if (*ns) {
      auto owner =
          (*ns)->value(nlohmann::json::json_pointer("/metadata/annotations/owner"), std::string());
      if (owner != request.email)
        return fail(refused(fmt::format(
            "namespace {} already exists and is not owned by {} (annotation owner: {}); the "
            "Kubeflow profile controller would not adopt it: choose another name with --profile",
            name, request.email, owner.empty() ? "none" : owner)));
    }
  }
  kubeflow::ProfileSpecInput input;
  input.name = name;
  input.owner_email = request.email;
  input.quota_hard = request.quota;
  Step step;
  step.kind = StepKind::kCreate;
  step.key = key;
  step.after = kubeflow::build_profile(input);
  step.summary = fmt::format("create Profile {} owned by {}", name, request.email);
  steps.push_back(std::move(step));
  return steps;
}

}  // namespace

Result<AddUserRequest> validate_add_user(AddUserRequest request) {
  auto email = validate_email(request.email);
  if (!email) return fail(email.error());
  request.email = *email;
  if (request.username) {
    if (auto v = validate_username(*request.username); !v) return fail(v.error());
  }
  if (request.user_id) {
    if (auto v = validate_user_id(*request.user_id); !v) return fail(v.error());
  }
  if (auto v = dex::validate_password(request.password); !v) return fail(v.error());
  if (request.bcrypt_cost < 10 || request.bcrypt_cost > 16)
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("--bcrypt-cost {}: Dex accepts logins only for costs 10..16 "
                                  "(default 12)",
                                  request.bcrypt_cost));
  if (request.create_profile) {
    std::string name =
        request.profile ? *request.profile : kubeflow::default_profile_name(request.email);
    if (auto v = kubeflow::validate_profile_name(name); !v) {
      Error e = v.error();
      e.message = request.profile ? fmt::format("--profile {}: {}", name, e.message)
                                  : fmt::format(
                                        "the default profile name {} for {} is not a valid "
                                        "namespace name ({}): pass --profile NAME",
                                        name, request.email, e.message);
      return fail(std::move(e));
    }
    request.profile = name;
  } else if (!request.quota.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "--quota needs a profile: drop --no-profile");
  }
  return request;
}

Planner add_user_planner(TenancyContext context, AddUserRequest request) {
  // State kept across re-plans: a conflict must not rehash (bcrypt is slow) nor change the ID.
  struct Memo {
    std::string hash;
    std::string user_id;
  };
  auto memo = std::make_shared<Memo>();
  return [context, request, memo](store::ObjectStore& store) -> Result<Plan> {
    Plan plan;
    auto directory = dex::make_user_directory(context.backend, context.dex, context.clock);
    auto existing = find_any(store, context, request.email);
    if (!existing) return fail(existing.error());
    dex::DexUser desired;
    if (*existing) {
      const dex::DexUser& user = **existing;
      if (user.backend != context.backend)
        return fail(refused(
            fmt::format("{} is already a Dex user in {} ({}): remove it there first, or use "
                        "--dex-backend {}",
                        request.email, user.location, dex::to_string(user.backend),
                        dex::to_string(user.backend))));
      if (user.hash.empty())
        return fail(refused(fmt::format(
            "{} already exists and its hash comes from environment variable {} (hashFromEnv, a "
            "Secret of the Dex Deployment); kftenant leaves that entry alone",
            request.email, user.hash_from_env)));
      auto same = dex::bcrypt_verify(request.password, user.hash);
      if (!same)
        return fail(same.error().with_context("checking the existing hash of " + request.email));
      if (!*same)
        return fail(refused(fmt::format(
            "{} already exists with a different password: to change it use `kftenant user "
            "passwd {}`",
            request.email, request.email)));
      if (request.username && *request.username != user.username)
        return fail(refused(
            fmt::format("{} already exists with username {}", request.email, user.username)));
      if (request.user_id && *request.user_id != user.user_id)
        return fail(
            refused(fmt::format("{} already exists with user ID {}", request.email, user.user_id)));
      plan.notes.push_back(
          fmt::format("Dex user {} already exists ({}), unchanged", request.email, user.location));
      desired = user;
    } else {
      if (memo->hash.empty()) {
        auto hash = dex::bcrypt_hash(request.password, request.bcrypt_cost);
        if (!hash) return fail(hash.error());
        memo->hash = *hash;
        memo->user_id = request.user_id ? *request.user_id : generate_user_id();
      }
      desired.email = request.email;
      desired.hash = memo->hash;
      desired.username = request.username ? *request.username : local_part(request.email);
      desired.user_id = memo->user_id;
      desired.backend = context.backend;
    }
    auto upsert = directory->plan_upsert(store, desired);
    if (!upsert) return fail(upsert.error());
    append(plan.steps, std::move(*upsert));
    auto restart = directory->plan_restart(store, plan.steps);
    if (!restart) return fail(restart.error());
    append(plan.steps, std::move(*restart));
    if (request.create_profile) {
      auto profile = plan_profile(store, request, *request.profile);
      if (!profile) return fail(profile.error());
      append(plan.steps, std::move(*profile));
      if (request.wait) {
        Step wait;
        wait.kind = StepKind::kWaitProfileReady;
        wait.key = {kProfileApiVersion, "Profile", "", *request.profile};
        wait.owner = request.email;
        wait.timeout = *request.wait;
        wait.summary = fmt::format(
            "wait for the profile controller: namespace {} (owner {}), RoleBinding namespaceAdmin, "
            "AuthorizationPolicy ns-owner-access-istio",
            *request.profile, request.email);
        plan.steps.push_back(std::move(wait));
      }
    }
    return plan;
  };
}

Result<std::vector<std::string>> profiles_owned_by(store::ObjectStore& store,
                                                   std::string_view email) {
  std::vector<std::string> names;
  auto profiles = store.list(kProfileApiVersion, "Profile", "");
  if (!profiles) {
    if (profiles.error().code == ErrorCode::kNotFound) return names;  // no Profile CRD
    return fail(profiles.error());
  }
  std::string wanted = dex::normalize_email(email);
  for (const auto& p : *profiles) {
    auto owner = kubeflow::profile_owner(p);
    if (owner && dex::normalize_email(*owner) == wanted)
      names.push_back(p["metadata"].value("name", ""));
  }
  return names;
}

Planner remove_user_planner(TenancyContext context, RemoveUserRequest request) {
  return [context, request](store::ObjectStore& store) -> Result<Plan> {
    Plan plan;
    std::string email = dex::normalize_email(request.email);
    bool found_anything = false;
    std::vector<Step> dex_steps;
    std::unique_ptr<dex::UserDirectory> statics;
    for (auto backend : {dex::Backend::kStatic, dex::Backend::kPasswordObject}) {
      auto directory = dex::make_user_directory(backend, context.dex, context.clock);
      auto user = directory->find(store, email);
      if (!user) {
        // A backend that is not installed holds no users.
        if (user.error().code == ErrorCode::kNotFound && backend != context.backend) continue;
        return fail(user.error());
      }
      if (!*user) continue;
      found_anything = true;
      if (backend == dex::Backend::kStatic && (*user)->hash.empty())
        plan.notes.push_back(fmt::format(
            "{} had its hash in environment variable {} (a Secret); the Secret is left as it is",
            email, (*user)->hash_from_env));
      auto steps = directory->plan_remove(store, email);
      if (!steps) return fail(steps.error());
      append(dex_steps, std::move(*steps));
      if (backend == dex::Backend::kStatic) statics = std::move(directory);
    }
    append(plan.steps, std::move(dex_steps));
    if (statics) {
      auto restart = statics->plan_restart(store, plan.steps);
      if (!restart) return fail(restart.error());
      append(plan.steps, std::move(*restart));
    }
    auto owned = profiles_owned_by(store, email);
    if (!owned) return fail(owned.error());
    for (const auto& name : *owned) {
      found_anything = true;
      if (request.keep_profile) {
        plan.notes.push_back(fmt::format("profile {} is kept (--keep-profile)", name));
        continue;
      }
      auto profile = store.get({kProfileApiVersion, "Profile", "", name});
      if (!profile) {
        if (profile.error().code == ErrorCode::kNotFound) continue;
        return fail(profile.error());
      }
      if (profile->contains(nlohmann::json::json_pointer("/metadata/deletionTimestamp"))) {
        plan.notes.push_back(fmt::format("profile {} is already being deleted", name));
        continue;
      }
      Step step;
      step.kind = StepKind::kDelete;
      step.key = {kProfileApiVersion, "Profile", "", name};
      step.before = std::move(*profile);
      step.summary =
          fmt::format("delete Profile {} (its namespace and everything in it go too)", name);
      plan.steps.push_back(std::move(step));
    }
    if (!found_anything)
      return make_error(ErrorCode::kNotFound,
                        fmt::format("no Dex user and no profile for {}: nothing to remove "
                                    "(see `kftenant user list`)",
                                    email));
    return plan;
  };
}

Planner passwd_planner(TenancyContext context, PasswdRequest request) {
  auto memo = std::make_shared<std::string>();
  return [context, request, memo](store::ObjectStore& store) -> Result<Plan> {
    Plan plan;
    std::string email = dex::normalize_email(request.email);
    auto existing = find_any(store, context, email);
    if (!existing) return fail(existing.error());
    if (!*existing)
      return make_error(
          ErrorCode::kNotFound,
          fmt::format("no Dex user {}: add it with `kftenant user add {}`", email, email));
    dex::DexUser user = **existing;
    if (user.hash.empty())
      return fail(refused(fmt::format(
          "{} takes its hash from environment variable {} (hashFromEnv, a Secret of the Dex "
          "Deployment): update that Secret, or remove the entry and add the user again",
          email, user.hash_from_env)));
    auto same = dex::bcrypt_verify(request.password, user.hash);
    if (same && *same) {
      plan.notes.push_back(fmt::format("{} already has this password, unchanged", email));
    } else {
      if (memo->empty()) {
        auto hash = dex::bcrypt_hash(request.password, request.bcrypt_cost);
        if (!hash) return fail(hash.error());
        *memo = *hash;
      }
      user.hash = *memo;
    }
    auto directory = dex::make_user_directory(user.backend, context.dex, context.clock);
    auto upsert = directory->plan_upsert(store, user);
    if (!upsert) return fail(upsert.error());
    append(plan.steps, std::move(*upsert));
    auto restart = directory->plan_restart(store, plan.steps);
    if (!restart) return fail(restart.error());
    append(plan.steps, std::move(*restart));
    return plan;
  };
}

}  // namespace kftenant::tenancy
