// The user lifecycle as planners: what `kftenant user add/remove/passwd` change, computed from
// the store's current state (see plan.h for why planners, not scripts). Every request is
// validated before anything is read; every refusal (a different password for an existing user,
// a profile owned by someone else) is found while planning, before any step is applied.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/user_directory.h"
#include "kftenant/kubeflow/contributor.h"
#include "kftenant/plan/plan.h"

namespace kftenant::tenancy {

struct TenancyContext {
  dex::DexLocation dex;
  dex::Backend backend = dex::Backend::kStatic;
  Clock* clock = nullptr;  // system clock when null
};

struct AddUserRequest {
  std::string email;
  std::optional<std::string> username;  // default: the part of the email before '@'
  std::optional<std::string> user_id;   // default: a random UUID (kept on re-runs)
  std::optional<std::string> profile;   // default: kubeflow::default_profile_name(email)
  bool create_profile = true;
  std::string password;  // never logged, never part of a Plan (only its bcrypt hash is)
  // The password was made up for this user (--generate-password): when the Dex user exists
  // already, its password is kept (nothing to compare) and the rest of the add goes on, so a
  // re-run after a failure finishes the job. Otherwise a different password is kRefused.
  // Without a password (an import row that gives none) the existing user's password is kept
  // and a new user is kInvalidArgument.
  bool keep_existing_password = false;
  // A bcrypt hash to store for a new user instead of hashing `password` (one made beforehand on
  // every core by a bulk import, or given in its file). With an existing user and no password
  // given, it must be the stored hash exactly (a different one is kRefused: a hash cannot be
  // checked against another). Its cost must be 10..16.
  std::string hash;
  int bcrypt_cost = dex::kDefaultBcryptCost;
  std::map<std::string, std::string> quota;       // Profile resourceQuotaSpec.hard
  std::optional<std::chrono::milliseconds> wait;  // wait for the profile controller
};

// Checks the request alone (email, names, password, cost, quota, profile name); the returned
// request has the email lower-cased and the profile name filled in. kInvalidArgument naming the
// field otherwise. With `check_password` false the password is not looked at (so a command can
// check everything else before asking for one).
[[nodiscard]] Result<AddUserRequest> validate_add_user(AddUserRequest request,
                                                       bool check_password = true);

// A planner for `user add`. With context.dex.managed false (--dex-backend none) it writes no Dex
// user and needs no password: only the profile, owned by the email as given. It keeps the bcrypt
// hash and generated user ID between re-plans (so a conflict does not rehash) — call it from one
// thread. Refusals are kRefused: a different password, a --user-id another user has (Dex's `sub`
// claim would be shared), a profile that belongs to someone else. When Dex stores the email with
// capitals (a hand-made static entry), the profile is owned by the email exactly as Dex puts it in
// the claim.
[[nodiscard]] plan::Planner add_user_planner(TenancyContext context, AddUserRequest request);

// The Dex part of `user add` (no profile) for many users at once, as a bulk import plans it
// (context.dex.managed must be true). Each request gets the decisions and refusals
// add_user_planner would give it, as if the requests were planned in order each seeing those
// before it, but from one listing of Dex's accounts and one UserDirectory::plan_upsert_all:
// planning n users of the static backend reads and checks config.yaml once, not n times. The
// plan holds the steps of every request that changes something, merged (static: one replace of
// the ConfigMap and at most one restart), and each one's notes and placeholders, in order.
// Copies share their state (a copy can be the plan::Planner while another reads the outcome);
// re-plans (after a conflict) keep each request's hash and generated user ID.
class AddDexUsersPlanner {
 public:
  AddDexUsersPlanner(TenancyContext context, std::vector<AddUserRequest> requests);

  // For the first plan only, Dex's accounts as the caller listed them just before (a bulk
  // import lists them once for every row); later plans list them again.
  void use_accounts(std::shared_ptr<const std::vector<dex::DexAccount>> accounts);

  // Errors of the run as a whole (the store unreachable, Dex's config unreadable) are the
  // error; a request's own refusal is in errors() and leaves it out of the plan.
  [[nodiscard]] Result<plan::Plan> operator()(store::ObjectStore& store) const;

  // As of the last plan, per request: its refusal, and whether the plan changes its Dex user.
  [[nodiscard]] const std::vector<std::optional<Error>>& errors() const;
  [[nodiscard]] const std::vector<char>& changes() const;
  // The first request that does not fit in the ConfigMap (its error is kTooLarge); it and the
  // requests after it are left out. nullopt when all fit.
  [[nodiscard]] std::optional<size_t> first_too_large() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

struct ProfileRequest {
  std::string name;   // checked with kubeflow::validate_profile_name
  std::string owner;  // the email exactly as Dex puts it in the claim (DexAccount::claim_email)
  std::map<std::string, std::string> quota;       // checked with kubeflow::validate_quota
  std::optional<std::chrono::milliseconds> wait;  // wait for the profile controller
};
// The Profile part of `user add`, alone: creates the Profile when absent; nothing when it is
// there with this owner (and the quota, when one is asked for). kRefused for a profile or
// namespace that belongs to someone else, or a quota that differs (`profile quota` changes it).
[[nodiscard]] plan::Planner profile_planner(ProfileRequest request);

struct RemoveUserRequest {
  std::string email;
  bool keep_profile = false;
  // Leave the user's contributor bindings in other people's profiles in place.
  bool keep_access = false;
  kubeflow::ContributorOptions contributor_options;  // how KFAM names the userid header
};
// Removes every record Dex has of the user (all case variants of the config.yaml entry, Password
// objects whatever their name), its profiles unless keep_profile, its access to every other
// profile (the KFAM RoleBinding and AuthorizationPolicy pairs naming the email, any case) unless
// keep_access, and restarts Dex when config.yaml changed. Access left behind would pass to
// whoever signs in with that email next (a new Dex user, another connector). A binding that also
// admits another email is left as it is, with a note (as `profile unshare` refuses it). An empty
// plan with a note when there is neither a Dex user, a profile nor access for the email
// (removing twice is not an error).
[[nodiscard]] plan::Planner remove_user_planner(TenancyContext context, RemoveUserRequest request);

struct PasswdRequest {
  std::string email;
  std::string password;
  int bcrypt_cost = dex::kDefaultBcryptCost;
};
// Checks the request alone: email (lower-cased in the result), password, cost.
[[nodiscard]] Result<PasswdRequest> validate_passwd(PasswdRequest request,
                                                    bool check_password = true);
// kRefused with --dex-backend none (context.dex.managed false). Otherwise rehashes the user's
// password in every record Dex has of the user (case variants, a shadowed
// Password object); nothing when they all have that password already. kNotFound for an unknown
// user; kRefused for a hashFromEnv user.
[[nodiscard]] plan::Planner passwd_planner(TenancyContext context, PasswdRequest request);

}  // namespace kftenant::tenancy
