// `kftenant export`: the users, profiles, quotas and contributors of a cluster or a manifests
// folder as a file that `kftenant import` (CSV, user_file.h) or `kftenant apply` (YAML, a
// Tenants file: tenants_file.h) reads back. Round trip: exporting, importing / applying the file
// on an empty cluster and exporting again gives the same file (with hashes; without them a new
// user has no password to be made with).
//
// One row per user, sorted by email: a Dex user (static entry or Password object) and the
// profile they own, or a profile owner without a Dex user. The CSV holds one profile per user: a
// user owning several is exported with the first by name and a warning naming the others. The
// Tenants file lists the Dex users under `users:` (with their first profile) and every other
// profile — those of owners without a Dex user, a user's second one — under `profiles:`.
// Hashes only when asked for (with_hashes); a user whose hash comes from an environment
// variable (hashFromEnv) has none to export (a warning says so).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "kftenant/store/object_store.h"
#include "kftenant/tenancy/tenants_file.h"
#include "kftenant/tenancy/user_file.h"
#include "kftenant/tenancy/users.h"

namespace kftenant::tenancy {

struct ExportOptions {
  bool with_hashes = false;  // bcrypt hashes in the file (which then must be kept secret)
};

struct UserExport {
  std::vector<UserRow> rows;  // password_spec kHash (with hashes) or kNone
  // Emails of rows that are profile owners without a Dex user.
  std::set<std::string> without_dex_user;
  // Profiles beyond each user's first (by name), sorted by name: what a row cannot hold.
  std::vector<TenantProfile> more_profiles;
  std::vector<std::string> warnings;
  std::vector<std::string> csv_warnings;  // what the CSV leaves out (more_profiles)
};

[[nodiscard]] Result<UserExport> export_users(store::ObjectStore& store,
                                              const TenancyContext& context,
                                              const ExportOptions& options = {});

// The rows as import reads them: CSV with the header email,username,user_id,profile[,hash],
// quota,contributors; YAML `users:` with every value a double-quoted string. `with_hashes`
// adds the hash column / key.
[[nodiscard]] std::string write_user_csv(const std::vector<UserRow>& rows, bool with_hashes);
[[nodiscard]] std::string write_user_yaml(const std::vector<UserRow>& rows, bool with_hashes);

// The export as a Tenants file (apiVersion kftenant.io/v1alpha1, kind Tenants): `users:` as
// write_user_yaml writes them, for the rows with a Dex user; `profiles:` for the others' profiles
// and more_profiles, sorted by name. Import reads its users, apply all of it.
[[nodiscard]] std::string write_tenants_yaml(const UserExport& exported, bool with_hashes);

}  // namespace kftenant::tenancy
