// Dex users behind one interface, whichever way Dex stores them.
//
//  - StaticPasswords: `staticPasswords` entries of config.yaml inside ConfigMap <ns>/<configmap>
//    (what Kubeflow ships). Edited in place with DexConfig: every other byte of config.yaml is
//    kept. Dex reads config.yaml only at start, so a change needs a rollout restart of the Dex
//    Deployment (plan_restart).
//  - PasswordObjects: `Password` objects (dex.coreos.com/v1) in Dex's namespace, named
//    password_object_name(email), `email` lower-case, `hash` = base64 of the bcrypt string. Dex
//    reads them on every login: no restart. See ../shared/reference/dex-contract.md §2.
//
// Directories never write: they return plan steps for plan::apply_plan, computed from the
// store's current state (empty when the store already holds what is asked).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kftenant/error.h"
#include "kftenant/plan/plan.h"
#include "kftenant/plan/plan_view.h"
#include "kftenant/store/object_store.h"

namespace kftenant::dex {

enum class Backend { kStatic, kPasswordObject };

// "static" / "password-crd" (the CLI's --dex-backend values).
[[nodiscard]] std::string_view to_string(Backend backend);
[[nodiscard]] Result<Backend> parse_backend(std::string_view text);

// Where Dex lives (CLI --dex-namespace/--dex-configmap/--dex-deployment).
struct DexLocation {
  std::string ns = "auth";
  std::string configmap = "dex";
  std::string config_key = "config.yaml";
  std::string deployment = "dex";
  // False with --dex-backend none (Dex federates to a connector, or is managed elsewhere):
  // kftenant then reads and writes nothing of Dex. list_dex_accounts answers no accounts, so
  // owners and contributors are taken as given.
  bool managed = true;
};

// One record Dex holds: a staticPasswords entry or a Password object.
struct DexUser {
  std::string email;          // as stored (static entries keep their case)
  std::string hash;           // bcrypt string ($2a$/$2b$/$2y$); empty for hashFromEnv users
  std::string hash_from_env;  // static only: the env var holding the hash (from a Secret)
  std::string username;
  std::string user_id;
  Backend backend = Backend::kStatic;
  std::string location;     // "ConfigMap auth/dex" or "Password auth/<object name>"
  size_t line = 0;          // static: 1-based line of the entry in config.yaml
  std::string object_name;  // Password objects: metadata.name
  // Why Dex cannot use this record as it is, one line each, naming the place: "config.yaml line
  // 12: no hash and no hashFromEnv: Dex exits at startup", "bcrypt cost 8 is outside Dex's
  // 10..16: this user can never log in", "named x, not the name Dex looks up for this email".
  std::vector<std::string> problems;

  friend bool operator==(const DexUser&, const DexUser&) = default;
};

// Every record Dex has for one login: records whose emails are equal ignoring ASCII case (Dex
// lower-cases emails for lookups), and which of them Dex logs in with.
//  - Static entries win over Password objects (storage/static.go), and among static entries the
//    last one wins (a map keyed by the lower-cased email) — yet every entry is listed and each
//    one's hash matters to whoever edits config.yaml next.
//  - Without a static entry Dex reads the Password object named password_object_name(email),
//    and only if its `email` field is the lower-cased address (storage/kubernetes getPassword).
//    An object under another name is never read.
struct DexAccount {
  std::string key;                  // the lower-cased email
  std::vector<DexUser> records;     // static entries in file order, then Password objects
  std::optional<size_t> effective;  // index into records; nullopt when Dex can use none of them
  // What is surprising about this login, one line each: case variants, shadowed or misnamed
  // Password objects, an email with capitals in the claim, and every record's problems.
  std::vector<std::string> warnings;

  // The email Dex puts in the `email` claim — and so in the kubeflow-userid header that profile
  // owners and contributor bindings are matched against: the effective record's email exactly as
  // stored (static entries keep their case), else the lower-cased key.
  [[nodiscard]] std::string claim_email() const;
  [[nodiscard]] const DexUser* effective_record() const {
    return effective ? &records[*effective] : nullptr;
  }
};

// Pod-template annotation kftenant sets on the Dex Deployment when it restarts it: the SHA-256
// (hex) of the config.yaml the restarted pods read. A mismatch with the ConfigMap means Dex runs
// an older config. Together with kConfigHashAnnotation on the ConfigMap (set when kftenant
// writes config.yaml) this lets a re-run after a crash between "write config" and "restart" see
// that the restart is still owed.
inline constexpr const char* kDeploymentConfigHashAnnotation = "kftenant.io/dex-config-sha256";
inline constexpr const char* kConfigHashAnnotation = "kftenant.io/config-sha256";
inline constexpr const char* kRestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";

// What UserDirectory::plan_upsert_all planned for a list of users.
struct UpsertAll {
  std::vector<plan::Step> steps;             // merged: one write per object (plan::merge_steps)
  std::vector<std::optional<Error>> errors;  // per user: why plan_upsert refused it (left out)
  std::vector<char> changes;                 // per user: the steps change its record
  // The first user whose write would take the ConfigMap past the API server's limit (its error
  // is plan_upsert's kTooLarge); it and the users after it are left out. nullopt when all fit.
  std::optional<size_t> first_too_large;
};

class UserDirectory {
 public:
  virtual ~UserDirectory() = default;
  [[nodiscard]] virtual Backend backend() const = 0;

  // Users this backend holds, in storage order. Missing ConfigMap / config key / unparsable
  // config.yaml / missing Password CRD are errors naming the object and how Kubeflow installs it.
  [[nodiscard]] virtual Result<std::vector<DexUser>> list(store::ObjectStore& store) const = 0;

  // The user Dex would use for `email` (case-insensitive), if any. A Password object under
  // the email's name whose `email` is not the lower-cased address (Dex errors on every login of
  // such a user) is kRefused, naming the object.
  [[nodiscard]] virtual Result<std::optional<DexUser>> find(store::ObjectStore& store,
                                                            std::string_view email) const = 0;

  // Steps that make `user` (email, hash, username, user_id) stored exactly so: one replace of
  // the ConfigMap (static) or one create/replace of a Password object. Empty when already so.
  // Invalid values (bad UTF-8, empty email/hash, a hash that is not bcrypt: Dex would exit at
  // startup) are kInvalidArgument. Static only: an empty hash with `hash_from_env` set stores
  // `hashFromEnv`; config.yaml without `enablePasswordDB: true` is kRefused. Password objects: an
  // email that is a static user is kRefused (Dex would never read the object).
  [[nodiscard]] virtual Result<std::vector<plan::Step>> plan_upsert(store::ObjectStore& store,
                                                                    const DexUser& user) const = 0;

  // What plan_upsert of each user in turn gives, each one seeing the steps of those before it:
  // a user plan_upsert refuses (kInvalidArgument, kRefused) is left out with its error, and the
  // steps are merged. Other errors (the store unreachable, config.yaml unreadable) are the error.
  // The static directory reads, edits and checks config.yaml once for all users instead of once
  // per user (n users: one parse and one check of Dex's rules, not n; it goes one by one only
  // when the result would not load, so that the refusal names the user who causes it). So a
  // config.yaml that Dex cannot load before the batch but can after it (a user of the batch
  // fixes a broken entry) is one write of every user, where one by one would refuse those
  // before the fix.
  [[nodiscard]] virtual Result<UpsertAll> plan_upsert_all(store::ObjectStore& store,
                                                          const std::vector<DexUser>& users) const;

  // Steps that remove every record of `email` in this backend (case variants of a static entry,
  // Password objects of that email whatever their name); empty when there is none.
  [[nodiscard]] virtual Result<std::vector<plan::Step>> plan_remove(
      store::ObjectStore& store, std::string_view email) const = 0;

  // Steps that set `hash` (a bcrypt string) on every record of `email` in this backend, keeping
  // everything else of each record (static entries keep their other bytes, comments included).
  // Empty when there is none or all have it already. A hashFromEnv entry is kRefused (its hash
  // lives in a Secret).
  [[nodiscard]] virtual Result<std::vector<plan::Step>> plan_set_password(
      store::ObjectStore& store, std::string_view email, const std::string& hash) const = 0;

  // Steps that make Dex serve the config `view` shows (the store once the steps planned so far
  // are applied): for static, a rollout restart (+ wait on live stores) when config.yaml differs
  // from what the Dex pods were started with and the plan changes it (view differs from
  // view.stored()), or kftenant's own annotations say the restart is owed; on a manifests folder
  // only the config-hash annotation is set (so applying the manifests rolls Dex). Planned after
  // every change of a composed plan, the restarts merge into one (plan::merge_steps). Always
  // empty for Password objects.
  [[nodiscard]] virtual Result<std::vector<plan::Step>> plan_restart(
      plan::PlanView& view) const = 0;
};

[[nodiscard]] std::unique_ptr<UserDirectory> make_user_directory(Backend backend,
                                                                 DexLocation location,
                                                                 Clock* clock = nullptr);

// Every login of both backends, grouped into accounts, in Dex's ListPasswords order (static
// first, then Password objects; storage/static.go). A missing Password CRD means no Password
// objects; a missing Dex ConfigMap means no static users only when `backend` is password-crd
// (otherwise it is the error that names it).
[[nodiscard]] Result<std::vector<DexAccount>> list_dex_accounts(store::ObjectStore& store,
                                                                const DexLocation& location,
                                                                Backend backend = Backend::kStatic);

// The account of `email` (any case) among `accounts`; null when there is none.
[[nodiscard]] const DexAccount* find_account(const std::vector<DexAccount>& accounts,
                                             std::string_view email);

}  // namespace kftenant::dex
