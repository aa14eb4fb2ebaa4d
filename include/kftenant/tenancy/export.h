// `kftenant export`: the users, profiles, quotas and contributors of a cluster or a manifests
// folder as a user file that `kftenant import` reads back (user_file.h): CSV or the YAML `users:`
// list. Round trip: exporting, importing the file on an empty cluster and exporting again gives
// the same file (with hashes; without them a new user has no password to be made with).
//
// One row per user, sorted by email: a Dex user (static entry or Password object) and the
// profile they own, or a profile owner without a Dex user. The import format holds one profile
// per user: a user owning several is exported with the first by name and a warning naming the
// others. Hashes only when asked for (with_hashes); a user whose hash comes from an environment
// variable (hashFromEnv) has none to export (a warning says so).
#pragma once

#include <string>
#include <vector>

#include "kftenant/store/object_store.h"
#include "kftenant/tenancy/user_file.h"
#include "kftenant/tenancy/users.h"

namespace kftenant::tenancy {

struct ExportOptions {
  bool with_hashes = false;  // bcrypt hashes in the file (which then must be kept secret)
};

struct UserExport {
  std::vector<UserRow> rows;  // password_spec kHash (with hashes) or kNone
  std::vector<std::string> warnings;
};

[[nodiscard]] Result<UserExport> export_users(store::ObjectStore& store,
                                              const TenancyContext& context,
                                              const ExportOptions& options = {});

// The rows as import reads them: CSV with the header email,username,user_id,profile[,hash],
// quota,contributors; YAML `users:` with every value a double-quoted string. `with_hashes`
// adds the hash column / key.
[[nodiscard]] std::string write_user_csv(const std::vector<UserRow>& rows, bool with_hashes);
[[nodiscard]] std::string write_user_yaml(const std::vector<UserRow>& rows, bool with_hashes);

}  // namespace kftenant::tenancy
