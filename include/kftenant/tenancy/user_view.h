// One merged view of users for `user list` / `user show` (and later the REST API): Dex users of
// both backends, the Profiles they own, each profile's namespace state, quota and contributors,
// plus what looks wrong (a user without a profile, a profile whose owner has no Dex user, a
// contributor with no Dex user — its access passes to whoever signs in with that email later —,
// a hashFromEnv user whose hash lives in a Secret). Never contains a password or a hash: the Dex
// records are DexRecordViews, which have no field for one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kftenant/dex/user_directory.h"
#include "kftenant/kubeflow/contributor.h"
#include "kftenant/tenancy/users.h"

namespace kftenant::tenancy {

struct ProfileView {
  std::string name;
  std::string owner;
  // Namespace phase: "Active", "Terminating", "missing" (not created yet), or "" when the store
  // is a manifests folder (namespaces are made by the profile controller on the cluster).
  std::string namespace_phase;
  std::map<std::string, std::string> quota;         // spec.resourceQuotaSpec.hard
  std::vector<kubeflow::Contributor> contributors;  // KFAM's view, owner excluded
};

// One Dex record as views show it: a DexUser without its hash. There is no field a hash could
// be copied into, so no view, and nothing serialised from one, can carry it.
struct DexRecordView {
  std::string email;  // as stored
  dex::Backend backend = dex::Backend::kStatic;
  // Where Dex gets the hash: "inline" (in config.yaml or the Password object), "env:VAR"
  // (hashFromEnv, from a Secret) or "none" (Dex cannot log this record in).
  std::string hash_source;
  std::string username;
  std::string user_id;
  std::string location;     // "ConfigMap auth/dex" or "Password auth/<object name>"
  size_t line = 0;          // static: 1-based line of the entry in config.yaml
  std::string object_name;  // Password objects: metadata.name
  std::vector<std::string> problems;

  friend bool operator==(const DexRecordView&, const DexRecordView&) = default;
};
[[nodiscard]] DexRecordView record_view(const dex::DexUser& user);

struct UserView {
  // As Dex puts it in the email claim (the effective record's email as stored); for profile-only
  // rows the owner name.
  std::string email;
  // The record Dex logs in with (or, when it can use none, the first one); absent: a profile
  // owner without a Dex user.
  std::optional<DexRecordView> dex;
  // Every record Dex has of this login (case variants, shadowed or misnamed Password objects):
  // one user, however many records.
  std::vector<DexRecordView> records;
  std::vector<ProfileView> profiles;
  std::vector<std::string> warnings;
};

// Every Dex user (static first, then Password objects, Dex's order) followed by owners of
// profiles that have no Dex user. Reads each kind once (a handful of LISTs, whatever the number
// of users).
[[nodiscard]] Result<std::vector<UserView>> list_users(store::ObjectStore& store,
                                                       const TenancyContext& context);

// One user; kNotFound when there is neither a Dex user nor a profile for `email`.
[[nodiscard]] Result<UserView> show_user(store::ObjectStore& store, const TenancyContext& context,
                                         std::string_view email);

// {"email", "backend", "username", "userID", "hashSource" ("inline", "env:VAR" or "none"),
// "location", "records": [{"email", "backend", "location", "line"?, "problems"}], "profiles":
// [...], "warnings": [...]}; no hash.
[[nodiscard]] nlohmann::json to_json(const UserView& view);
// {"name", "owner", "quota": {...}, "contributors": [{"email", "role"}], "namespace"?: phase}.
[[nodiscard]] nlohmann::json to_json(const ProfileView& view);

}  // namespace kftenant::tenancy
