// The declarative file of `kftenant apply -f`: the users and profiles an installation should
// have, Kubernetes-style.
//
//   apiVersion: kftenant.io/v1alpha1
//   kind: Tenants
//   metadata:
//     name: research          # the set: what `apply --prune` may delete is what this set made
//   users:                    # Dex users, each as in an import file's YAML (user_file.h) but
//   - email: alice@example.com  # with hashes only, never a password:
//     username: alice
//     userID: "1001"
//     hash: "$2y$12$..."       # inline, or
//     hashFrom:                # exactly one of:
//       env: ALICE_HASH        #   an environment variable of the kftenant process
//       file: hashes/alice     #   a file (relative to this one), trailing newline dropped
//       secretKeyRef: {namespace: auth, name: dex-hashes, key: alice}   # a Secret's key
//     profile: alice           # as in import: empty = the registration-flow name, "-" = none;
//     quota: {cpu: "4"}        #   its quota and contributors, as in import
//     contributors: [{email: bob@example.com, role: edit}]
//   profiles:                 # profiles on their own (an owner from a Dex connector, or a
//   - name: team-vision        # second profile of a user)
//     owner: carol@example.com
//     quota: {cpu: "8", memory: 32Gi}
//     contributors:
//     - {email: alice@example.com, role: admin}
//
// A user without a hash keeps the password they have; a new one cannot be made (apply says so
// before writing). A quota given is the profile's quota exactly; none given leaves the quota as it
// is (`kftenant profile quota --clear` removes one). Every problem of every file is listed as
// FILE:LINE: field: message, not just the first. Several files merge into one set: a user (any
// case), a profile or a user ID in two places, or two set names, is a problem naming both.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/tenancy/user_file.h"

namespace kftenant::tenancy {

inline constexpr const char* kTenantsApiVersion = "kftenant.io/v1alpha1";
inline constexpr const char* kTenantsKind = "Tenants";
inline constexpr const char* kDefaultTenantSet = "default";

// Where a user's bcrypt hash comes from.
struct HashSource {
  enum class Kind { kNone, kInline, kEnv, kFile, kSecretKey };
  Kind kind = Kind::kNone;
  std::string name;  // kEnv: the variable; kFile: the path as written; kSecretKey: the Secret
  std::string ns;    // kSecretKey: the Secret's namespace
  std::string key;   // kSecretKey: the key in its data

  // "environment variable ALICE_HASH", "file hashes/alice", "Secret auth/dex-hashes key alice".
  [[nodiscard]] std::string describe() const;
};

struct TenantUser {
  std::string source;  // the file, as named in messages
  int line = 0;
  std::string email;  // lower-cased, valid
  std::optional<std::string> username;
  std::optional<std::string> user_id;
  HashSource hash_from;
  // The bcrypt hash (cost 10..16); empty: kNone, or a kSecretKey not read yet
  // (resolve_secret_hashes in apply_tenants.h reads those from the store).
  std::string hash;
};

struct TenantProfile {
  std::string source;
  int line = 0;
  std::string name;                                         // a valid profile name
  std::string owner;                                        // lower-cased, valid
  std::optional<std::map<std::string, std::string>> quota;  // nullopt: leave as it is
  std::vector<ContributorGrant> contributors;               // without the owner, each once
};

struct TenantsProblem {
  std::string source;
  int line = 0;
  std::string field;
  std::string message;  // never contains a hash
};

struct Tenants {
  std::string set = kDefaultTenantSet;  // metadata.name
  std::string set_source;               // where it was named ("" when defaulted)
  std::vector<TenantUser> users;        // valid entries, in file order
  std::vector<TenantProfile> profiles;  // inline ones of users first, then the list
  std::vector<TenantsProblem> problems;

  [[nodiscard]] bool ok() const { return problems.empty(); }
};

struct TenantsReadOptions {
  // hashFrom.env lookups; the process environment when empty.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  // hashFrom.file paths are relative to this directory (the file's own); "" = current directory.
  std::string base_dir;
};

[[nodiscard]] Tenants read_tenants(std::string_view text, std::string source,
                                   const TenantsReadOptions& options = {});

// Adds `from` (another file) to `into`; what the two both name becomes a problem on `from`'s
// entry naming `into`'s place.
void merge_tenants(Tenants& into, Tenants from);

// "tenants.yaml:12: users: ..." (FILE:LINE: field: message).
[[nodiscard]] std::string describe(const TenantsProblem& problem);

}  // namespace kftenant::tenancy
