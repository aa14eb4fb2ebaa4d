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

#include "kftenant/dex/user_directory.h"
#include "kftenant/tenancy/plan.h"

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
  int bcrypt_cost = 12;
  std::map<std::string, std::string> quota;       // Profile resourceQuotaSpec.hard
  std::optional<std::chrono::milliseconds> wait;  // wait for the profile controller
};

// Checks the request alone (email, names, password length, cost, quota, profile name); the
// returned request has the email lower-cased. kInvalidArgument naming the field otherwise.
[[nodiscard]] Result<AddUserRequest> validate_add_user(AddUserRequest request);

// A planner for `user add`. It keeps the bcrypt hash and generated user ID between re-plans (so a
// conflict does not rehash) — call it from one thread. Refusals are kRefused.
[[nodiscard]] Planner add_user_planner(TenancyContext context, AddUserRequest request);

struct RemoveUserRequest {
  std::string email;
  bool keep_profile = false;
};
// Profiles owned by `email` (what `user remove` would delete), for the confirmation prompt.
[[nodiscard]] Result<std::vector<std::string>> profiles_owned_by(store::ObjectStore& store,
                                                                 std::string_view email);
// Removes the Dex user wherever it is stored (config.yaml entry and/or Password object), its
// profiles unless keep_profile, and restarts Dex when config.yaml changed. kNotFound when there
// is neither a Dex user nor a profile for the email.
[[nodiscard]] Planner remove_user_planner(TenancyContext context, RemoveUserRequest request);

struct PasswdRequest {
  std::string email;
  std::string password;
  int bcrypt_cost = 12;
};
// Rehashes the user's password in the backend that holds it; nothing when the password is
// already that one. kNotFound for an unknown user; kRefused for a hashFromEnv user.
[[nodiscard]] Planner passwd_planner(TenancyContext context, PasswdRequest request);

}  // namespace kftenant::tenancy
