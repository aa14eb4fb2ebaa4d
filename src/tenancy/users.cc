#include "kftenant/tenancy/users.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "kftenant/base64.h"
#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/password_object.h"
#include "kftenant/kubeflow/naming.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/tenancy/profiles.h"
#include "kftenant/tenancy/validate.h"

namespace kftenant::tenancy {

using plan::Plan;
using plan::Planner;
using plan::Step;
using plan::StepKind;
namespace {

const char* const kProfileApiVersion = "kubeflow.org/v1";
const char* const kHashPlaceholder = "<bcrypt hash of the new password, made at apply>";
const char* const kUserIdPlaceholder = "<user ID, a random UUID made at apply>";

std::string local_part(std::string_view email) {
  return std::string(email.substr(0, email.find('@')));
}

// Adds `from` to the plan and to the view, so that later reads of the view see them.
void append(plan::PlanView& view, std::vector<Step>& to, std::vector<Step> from) {
  view.record(from);
  for (auto& s : from) to.push_back(std::move(s));
}

Error refused(std::string message) {
  Error e;
  e.code = ErrorCode::kRefused;
  e.message = std::move(message);
  return e;
}

// "ConfigMap auth/dex config.yaml line 12" / "Password auth/<name>".
std::string where(const dex::DexUser& u) {
  return u.backend == dex::Backend::kStatic && u.line > 0
             ? u.location + " config.yaml line " + std::to_string(u.line)
             : u.location;
}

bool has_backend(const dex::DexAccount& account, dex::Backend backend) {
  for (const auto& r : account.records)
    if (r.backend == backend) return true;
  return false;
}

// The hash of a new password made once per planner (bcrypt is slow; a re-plan must not rehash),
// and the placeholders that hide it in printed plans.
struct HashMemo {
  std::string hash;
  Result<std::string> get(const std::string& password, int cost) {
    if (hash.empty()) {
      auto made = dex::bcrypt_hash(password, cost);
      if (!made) return fail(made.error());
      hash = *made;
    }
    return hash;
  }
  void hide_in(Plan& plan) const {
    if (hash.empty()) return;
    plan.placeholders.emplace_back(hash, kHashPlaceholder);
    plan.placeholders.emplace_back(base64::encode(hash), kHashPlaceholder);
  }
};

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
// with the requested quota; refusals otherwise. `owner` is the email as Dex puts it in the claim.
Result<std::vector<Step>> plan_profile(store::ObjectStore& store, const ProfileRequest& request) {
  const std::string& name = request.name;
  const std::string& owner = request.owner;
  std::vector<Step> steps;
  store::ObjectKey key{kProfileApiVersion, "Profile", "", name};
  auto existing = get_optional(store, key);
  if (!existing) return fail(existing.error());
  if (*existing) {
    auto current = kubeflow::profile_owner(**existing);
    if (!current || dex::normalize_email(*current) != dex::normalize_email(owner))
      return fail(refused(fmt::format(
          "profile {} already exists and belongs to {}: choose another name with --profile NAME",
          name, current ? *current : std::string("no user (spec.owner is not a User)"))));
    if (*current != owner)
      return fail(refused(fmt::format(
          "profile {} is owned by {}, but Dex puts {} in the email claim (the kubeflow-userid "
          "header), so this user cannot open it; make them agree: `kftenant user remove {} "
          "--keep-profile --yes` then `kftenant user add {}` stores the email in lower case",
          name, *current, owner, owner, dex::normalize_email(owner))));
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
      auto ns_owner =
          (*ns)->value(nlohmann::json::json_pointer("/metadata/annotations/owner"), std::string());
      if (ns_owner != owner)
        return fail(refused(fmt::format(
            "namespace {} already exists and is not owned by {} (annotation owner: {}); the "
            "Kubeflow profile controller would not adopt it: choose another name with --profile",
            name, owner, ns_owner.empty() ? "none" : ns_owner)));
    }
  }
  kubeflow::ProfileSpecInput input;
  input.name = name;
  input.owner_email = owner;
  input.quota_hard = request.quota;
  steps.push_back(Step::create(kubeflow::build_profile(input),
                               fmt::format("create Profile {} owned by {}", name, owner)));
  return steps;
}

// The account that already has `user_id`, other than `email`'s own; null when none.
const dex::DexAccount* user_id_holder(const std::vector<dex::DexAccount>& accounts,
                                      const std::string& user_id, const std::string& email) {
  const std::string key = dex::normalize_email(email);
  for (const auto& a : accounts) {
    if (a.key == key) continue;
    for (const auto& r : a.records)
      if (r.user_id == user_id) return &a;
  }
  return nullptr;
}

Result<int> checked_cost(int cost) {
  if (cost < dex::kMinBcryptCost || cost > dex::kMaxBcryptCost)
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("--bcrypt-cost {}: Dex accepts logins only for costs {}..{} "
                    "(default {})",
                    cost, dex::kMinBcryptCost, dex::kMaxBcryptCost, dex::kDefaultBcryptCost));
  return cost;
}

// What add_user_planner keeps across re-plans: a conflict must not rehash (bcrypt is slow) nor
// change the generated ID.
struct AddUserMemo {
  HashMemo hash;
  std::string user_id;
};

// The Dex user that `request` (validated) asks for, decided from Dex's `accounts`: an existing
// user is kept as it is (its password checked or kept, refusals for what would change it), a
// new one gets its hash and a user ID no other account has.
struct DexUserDecision {
  dex::DexUser desired;
  std::string owner;  // the email as Dex puts it in the claim: profiles and bindings carry it
  bool is_new = false;
  Plan plan;  // notes and placeholders
};

Result<DexUserDecision> decide_dex_user(const TenancyContext& context,
                                        const AddUserRequest& request,
                                        const std::vector<dex::DexAccount>& accounts,
                                        AddUserMemo& memo) {
  DexUserDecision decision;
  Plan& plan = decision.plan;
  dex::DexUser& desired = decision.desired;
  const dex::DexAccount* account = dex::find_account(accounts, request.email);
  const dex::DexUser* existing = account ? account->effective_record() : nullptr;
  std::string owner = request.email;
  if (existing) {
    const dex::DexUser& user = *existing;
    if (user.backend != context.backend)
      return fail(
          refused(fmt::format("{} is already a Dex user in {} ({}): remove it there first, or use "
                              "--dex-backend {}",
                              request.email, user.location, dex::to_string(user.backend),
                              dex::to_string(user.backend))));
    if (user.hash.empty() && !user.hash_from_env.empty() && !request.keep_existing_password)
      return fail(refused(fmt::format(
          "{} already exists and its hash comes from environment variable {} (hashFromEnv, a "
          "Secret of the Dex Deployment); kftenant leaves that entry alone",
          request.email, user.hash_from_env)));
    if (user.hash.empty() && user.hash_from_env.empty())
      return fail(refused(fmt::format(
          "{}: the entry for {} has no hash and no hashFromEnv, so Dex cannot start with this "
          "config.yaml; give it a password with `kftenant user passwd {}`",
          where(user), request.email, request.email)));
    if (request.keep_existing_password) {
      plan.notes.push_back(fmt::format(
          "Dex user {} already exists ({}): its password is kept, no password was generated "
          "(`kftenant user passwd {}` sets a new one)",
          request.email, where(user), request.email));
    } else {
      // A hash given is compared as it is; a password is checked against the stored hash.
      const bool by_hash = request.password.empty() && !request.hash.empty();
      bool same = request.hash == user.hash;
      if (!by_hash) {
        auto verified = dex::bcrypt_verify(request.password, user.hash);
        if (!verified)
          return fail(
              verified.error().with_context("checking the existing hash of " + request.email));
        same = *verified;
      }
      if (!same)
        return fail(refused(fmt::format(
            "{} already exists with a different password{}: to change it use `kftenant user "
            "passwd {}`",
            request.email, by_hash ? " hash" : "", request.email)));
      plan.notes.push_back(
          fmt::format("Dex user {} already exists ({}), unchanged", request.email, user.location));
    }
    if (request.username && *request.username != user.username)
      return fail(
          refused(fmt::format("{} already exists with username {}", request.email, user.username)));
    if (request.user_id && *request.user_id != user.user_id)
      return fail(
          refused(fmt::format("{} already exists with user ID {}", request.email, user.user_id)));
    owner = account->claim_email();
    if (owner != request.email)
      plan.notes.push_back(fmt::format(
          "Dex stores this user as {} ({}) and puts that in the email claim: the profile is "
          "owned by {} to match",
          owner, where(user), owner));
    desired = user;
  } else {
    if (account && !account->records.empty())
      for (const auto& w : account->warnings)
        plan.notes.push_back(fmt::format("{}: {} (left as it is)", request.email, w));
    if (memo.user_id.empty()) {
      memo.user_id = request.user_id ? *request.user_id : generate_user_id();
      // A random UUID colliding is not a real risk, but the check below costs nothing more.
      while (!request.user_id && user_id_holder(accounts, memo.user_id, request.email))
        memo.user_id = generate_user_id();
    }
    if (const auto* holder = user_id_holder(accounts, memo.user_id, request.email))
      return fail(refused(fmt::format(
          "user ID {} is already the user ID of {} ({}): Dex puts it in the `sub` claim, so "
          "the two would be one identity to applications; choose another --user-id or leave "
          "it out for a random one",
          quote_for_message(memo.user_id), holder->claim_email(), where(holder->records.front()))));
    if (request.hash.empty() && request.password.empty())
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{} is a new Dex user and no password was given: give a "
                                    "password, a hash or generate one",
                                    request.email));
    auto hash = request.hash.empty() ? memo.hash.get(request.password, request.bcrypt_cost)
                                     : Result<std::string>(request.hash);
    if (!hash) return fail(hash.error());
    desired.email = request.email;
    desired.hash = *hash;
    desired.username = request.username ? *request.username : local_part(request.email);
    desired.user_id = memo.user_id;
    desired.backend = context.backend;
    memo.hash.hide_in(plan);
    if (!request.user_id) plan.placeholders.emplace_back(memo.user_id, kUserIdPlaceholder);
  }
  decision.owner = std::move(owner);
  decision.is_new = !existing;
  return decision;
}

}  // namespace

Result<AddUserRequest> validate_add_user(AddUserRequest request, bool check_password) {
  auto email = validate_email(request.email);
  if (!email) return fail(email.error());
  request.email = *email;
  if (request.username) {
    if (auto v = validate_username(*request.username); !v) return fail(v.error());
  }
  if (request.user_id) {
    if (auto v = validate_user_id(*request.user_id); !v) return fail(v.error());
  }
  if (!request.hash.empty()) {
    auto cost = dex::bcrypt_cost(request.hash);
    if (!cost) return fail(cost.error());
    if (*cost < dex::kMinBcryptCost || *cost > dex::kMaxBcryptCost)
      return make_error(
          ErrorCode::kInvalidArgument,
          fmt::format("the bcrypt hash for {} has cost {}: Dex refuses logins "
                      "unless the cost is {}..{}",
                      request.email, *cost, dex::kMinBcryptCost, dex::kMaxBcryptCost));
  } else if (check_password && !(request.keep_existing_password && request.password.empty())) {
    // keep_existing_password with no password: an existing user's is kept, a new user is
    // refused by the planner.
    if (auto v = dex::validate_password(request.password); !v) return fail(v.error());
  }
  if (auto c = checked_cost(request.bcrypt_cost); !c) return fail(c.error());
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
    if (auto v = kubeflow::validate_quota(request.quota); !v) return fail(v.error());
  } else if (!request.quota.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "--quota needs a profile: drop --no-profile");
  }
  return request;
}

Result<PasswdRequest> validate_passwd(PasswdRequest request, bool check_password) {
  auto email = validate_email(request.email);
  if (!email) return fail(email.error());
  request.email = *email;
  if (auto c = checked_cost(request.bcrypt_cost); !c) return fail(c.error());
  if (check_password)
    if (auto v = dex::validate_password(request.password); !v) return fail(v.error());
  return request;
}

Planner add_user_planner(TenancyContext context, AddUserRequest request) {
  auto memo = std::make_shared<AddUserMemo>();
  return [context, raw = std::move(request), memo](store::ObjectStore& base) -> Result<Plan> {
    plan::PlanView store(base);
    // Planners check their own input: a caller may not have.
    // With --dex-backend none there is no password to check: the profile is all there is.
    auto valid = validate_add_user(raw, /*check_password=*/context.dex.managed);
    if (!valid) return fail(valid.error());
    const AddUserRequest& request = *valid;
    if (!context.dex.managed) {
      Plan plan;
      plan.notes.push_back(fmt::format(
          "--dex-backend none: no Dex user is written; {} signs in through your Dex connector",
          request.email));
      if (!request.create_profile) return plan;
      auto profile =
          plan_profile(store, {*request.profile, request.email, request.quota, request.wait});
      if (!profile) return fail(profile.error());
      append(store, plan.steps, std::move(*profile));
      if (request.wait)
        plan.steps.push_back(
            kubeflow::profile_ready_wait(*request.profile, request.email, *request.wait));
      return plan;
    }
    auto directory = dex::make_user_directory(context.backend, context.dex, context.clock);
    auto accounts = dex::list_dex_accounts(store, context.dex, context.backend);
    if (!accounts) return fail(accounts.error());
    auto decided = decide_dex_user(context, request, *accounts, *memo);
    if (!decided) return fail(decided.error());
    Plan plan = std::move(decided->plan);
    const std::string& owner = decided->owner;
    auto upsert = directory->plan_upsert(store, decided->desired);
    if (!upsert) return fail(upsert.error());
    append(store, plan.steps, std::move(*upsert));
    auto restart = directory->plan_restart(store);
    if (!restart) return fail(restart.error());
    append(store, plan.steps, std::move(*restart));
    if (request.create_profile) {
      auto profile = plan_profile(store, {*request.profile, owner, request.quota, request.wait});
      if (!profile) return fail(profile.error());
      append(store, plan.steps, std::move(*profile));
      if (request.wait) {
        plan.steps.push_back(kubeflow::profile_ready_wait(*request.profile, owner, *request.wait));
      }
    }
    return plan;
  };
}

struct AddDexUsersPlanner::State {
  TenancyContext context;
  std::vector<AddUserRequest> requests;
  std::vector<AddUserMemo> memos;                                // per request
  std::shared_ptr<const std::vector<dex::DexAccount>> accounts;  // for the next plan only
  std::mutex mutex;                                              // one plan at a time
  std::vector<std::optional<Error>> errors;
  std::vector<char> changes;
  std::optional<size_t> first_too_large;
};

AddDexUsersPlanner::AddDexUsersPlanner(TenancyContext context, std::vector<AddUserRequest> requests)
    : state_(std::make_shared<State>()) {
  state_->context = std::move(context);
  state_->memos.resize(requests.size());
  state_->requests = std::move(requests);
}

void AddDexUsersPlanner::use_accounts(
    std::shared_ptr<const std::vector<dex::DexAccount>> accounts) {
  std::lock_guard lock(state_->mutex);
  state_->accounts = std::move(accounts);
}

const std::vector<std::optional<Error>>& AddDexUsersPlanner::errors() const {
  return state_->errors;
}
const std::vector<char>& AddDexUsersPlanner::changes() const {
  return state_->changes;
}
std::optional<size_t> AddDexUsersPlanner::first_too_large() const {
  return state_->first_too_large;
}

Result<Plan> AddDexUsersPlanner::operator()(store::ObjectStore& base) const {
  State& st = *state_;
  std::lock_guard lock(st.mutex);
  const size_t n = st.requests.size();
  st.errors.assign(n, std::nullopt);
  st.changes.assign(n, 0);
  st.first_too_large.reset();
  if (!st.context.dex.managed)
    return make_error(ErrorCode::kInternal, "AddDexUsersPlanner needs a managed Dex");
  plan::PlanView store(base);
  std::vector<dex::DexAccount> accounts;
  if (st.accounts) {
    accounts = *st.accounts;
    st.accounts.reset();
  } else {
    auto listed = dex::list_dex_accounts(store, st.context.dex, st.context.backend);
    if (!listed) return fail(listed.error());
    accounts = std::move(*listed);
  }
  // Each request's decision, seeing the new users of the requests before it (their user IDs).
  std::vector<DexUserDecision> decisions;
  std::vector<size_t> decided;  // request index of each decision
  for (size_t i = 0; i < n; ++i) {
    auto valid = validate_add_user(st.requests[i]);
    if (!valid) {
      st.errors[i] = valid.error();
      continue;
    }
    auto decision = decide_dex_user(st.context, *valid, accounts, st.memos[i]);
    if (!decision) {
      st.errors[i] = decision.error();
      continue;
    }
    if (decision->is_new) {
      dex::DexAccount added;
      added.key = dex::normalize_email(decision->desired.email);
      added.records.push_back(decision->desired);
      added.effective = 0;
      accounts.push_back(std::move(added));
    }
    decisions.push_back(std::move(*decision));
    decided.push_back(i);
  }
  std::vector<dex::DexUser> users;
  users.reserve(decisions.size());
  for (const auto& d : decisions) users.push_back(d.desired);
  auto directory = dex::make_user_directory(st.context.backend, st.context.dex, st.context.clock);
  auto upserted = directory->plan_upsert_all(store, users);
  if (!upserted) return fail(upserted.error());
  Plan plan;
  for (size_t k = 0; k < decided.size(); ++k) {
    const size_t i = decided[k];
    if (upserted->first_too_large && k >= *upserted->first_too_large) {
      if (k == *upserted->first_too_large) {
        st.first_too_large = i;
        st.errors[i] = upserted->errors[k];
      }
      continue;
    }
    if (upserted->errors[k]) {
      st.errors[i] = upserted->errors[k];
      continue;
    }
    st.changes[i] = upserted->changes[k];
    for (auto& note : decisions[k].plan.notes) plan.notes.push_back(std::move(note));
    for (auto& p : decisions[k].plan.placeholders) plan.placeholders.push_back(std::move(p));
  }
  append(store, plan.steps, std::move(upserted->steps));
  auto restart = directory->plan_restart(store);
  if (!restart) return fail(restart.error());
  append(store, plan.steps, std::move(*restart));
  return plan;
}

Planner profile_planner(ProfileRequest request) {
  return [request = std::move(request)](store::ObjectStore& store) -> Result<Plan> {
    if (auto v = kubeflow::validate_profile_name(request.name); !v) return fail(v.error());
    if (auto v = validate_email(request.owner); !v) return fail(v.error());
    if (auto v = kubeflow::validate_quota(request.quota); !v) return fail(v.error());
    Plan plan;
    auto steps = plan_profile(store, request);
    if (!steps) return fail(steps.error());
    if (steps->empty())
      plan.notes.push_back(
          fmt::format("profile {} already exists for {}, unchanged", request.name, request.owner));
    plan.steps = std::move(*steps);
    if (request.wait)
      plan.steps.push_back(
          kubeflow::profile_ready_wait(request.name, request.owner, *request.wait));
    return plan;
  };
}

namespace {

// Profiles owned by `email` (matched as Dex matches emails).
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

}  // namespace

Planner remove_user_planner(TenancyContext context, RemoveUserRequest request) {
  return [context, request](store::ObjectStore& base) -> Result<Plan> {
    plan::PlanView store(base);
    Plan plan;
    std::string email = dex::normalize_email(request.email);
    bool found_anything = false;
    auto accounts = dex::list_dex_accounts(store, context.dex, context.backend);
    if (!accounts) return fail(accounts.error());
    if (const dex::DexAccount* account = dex::find_account(*accounts, email)) {
      found_anything = !account->records.empty();
      for (const auto& r : account->records)
        if (r.hash.empty() && !r.hash_from_env.empty())
          plan.notes.push_back(fmt::format(
              "{} had its hash in environment variable {} (a Secret); the Secret is left as it is",
              r.email, r.hash_from_env));
      for (auto backend : {dex::Backend::kStatic, dex::Backend::kPasswordObject}) {
        if (!has_backend(*account, backend)) continue;
        auto directory = dex::make_user_directory(backend, context.dex, context.clock);
        auto steps = directory->plan_remove(store, email);
        if (!steps) return fail(steps.error());
        append(store, plan.steps, std::move(*steps));
        if (backend == dex::Backend::kStatic) {
          auto restart = directory->plan_restart(store);
          if (!restart) return fail(restart.error());
          append(store, plan.steps, std::move(*restart));
        }
      }
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
      Step step = Step::remove(
          std::move(*profile),
          fmt::format("delete Profile {} (its namespace and everything in it go too)", name));
      step.key = {kProfileApiVersion, "Profile", "", name};  // whatever the object says
      plan.steps.push_back(std::move(step));
    }
    // Access to other people's profiles: KFAM's bindings name the email, not the Dex user, so
    // left behind they would admit whoever signs in with it next.
    auto shared = profiles_shared_with(store, email, request.contributor_options);
    if (!shared) return fail(shared.error());
    std::vector<std::string> kept;
    for (const auto& name : *shared) {
      if (std::find(owned->begin(), owned->end(), name) != owned->end()) continue;
      found_anything = true;
      if (request.keep_access) {
        kept.push_back(name);
        continue;
      }
      auto unshare = unshare_planner(name, email, request.contributor_options)(store);
      if (!unshare) {
        if (unshare.error().code != ErrorCode::kRefused) return fail(unshare.error());
        plan.notes.push_back(fmt::format("access to profile {} is left as it is: {}", name,
                                         unshare.error().message));
        continue;
      }
      append(store, plan.steps, std::move(unshare->steps));
    }
    if (!kept.empty())
      plan.notes.push_back(fmt::format("{}'s access to profile(s) {} is kept (--keep-access)",
                                       email, fmt::join(kept, ", ")));
    if (!found_anything)
      plan.notes.push_back(
          fmt::format("no Dex user, no profile and no access for {}: nothing to remove", email));
    return plan;
  };
}

Planner passwd_planner(TenancyContext context, PasswdRequest request) {
  auto memo = std::make_shared<HashMemo>();
  return [context, request, memo](store::ObjectStore& base) -> Result<Plan> {
    plan::PlanView store(base);
    auto valid = validate_passwd(request);
    if (!valid) return fail(valid.error());
    const std::string& email = valid->email;
    Plan plan;
    if (!context.dex.managed)
      return make_error(ErrorCode::kRefused,
                        fmt::format("--dex-backend none: kftenant manages no Dex passwords; {} "
                                    "changes their password where they sign in (the connector)",
                                    email));
    auto accounts = dex::list_dex_accounts(store, context.dex, context.backend);
    if (!accounts) return fail(accounts.error());
    const dex::DexAccount* account = dex::find_account(*accounts, email);
    if (!account || account->records.empty())
      return make_error(
          ErrorCode::kNotFound,
          fmt::format("no Dex user {}: add it with `kftenant user add {}`", email, email));
    for (const auto& r : account->records)
      if (r.hash.empty() && !r.hash_from_env.empty())
        return fail(refused(fmt::format(
            "{} ({}) takes its hash from environment variable {} (hashFromEnv, a Secret of the "
            "Dex Deployment): update that Secret, or remove the entry and add the user again",
            r.email, where(r), r.hash_from_env)));
    // Unchanged only when every record already verifies with this password.
    bool all_same = true;
    for (const auto& r : account->records) {
      auto same =
          r.hash.empty() ? Result<bool>(false) : dex::bcrypt_verify(valid->password, r.hash);
      all_same = all_same && same && *same;
    }
    if (all_same) {
      plan.notes.push_back(fmt::format("{} already has this password, unchanged", email));
      return plan;
    }
    auto hash = memo->get(valid->password, valid->bcrypt_cost);
    if (!hash) return fail(hash.error());
    memo->hide_in(plan);
    if (account->records.size() > 1)
      plan.notes.push_back(fmt::format(
          "{} has {} records in Dex; each gets the new password, so none keeps the old one", email,
          account->records.size()));
    for (auto backend : {dex::Backend::kStatic, dex::Backend::kPasswordObject}) {
      if (!has_backend(*account, backend)) continue;
      auto directory = dex::make_user_directory(backend, context.dex, context.clock);
      auto steps = directory->plan_set_password(store, email, *hash);
      if (!steps) return fail(steps.error());
      append(store, plan.steps, std::move(*steps));
      auto restart = directory->plan_restart(store);
      if (!restart) return fail(restart.error());
      append(store, plan.steps, std::move(*restart));
    }
    return plan;
  };
}

}  // namespace kftenant::tenancy
