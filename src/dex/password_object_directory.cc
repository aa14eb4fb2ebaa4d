// UserDirectory over Dex's Password objects (dex.coreos.com/v1), for Dex with kubernetes
// storage. Dex reads them on every login (storage/kubernetes has no cache), so no restart.
// Object format: dexidp/dex storage/kubernetes/types.go Password, fromStoragePassword.
#include "dex/user_directories.h"
#include "kftenant/base64.h"
#include "kftenant/dex/password_object.h"

namespace kftenant::dex::detail {
namespace {

using nlohmann::json;
using tenancy::Step;
using tenancy::StepKind;

std::string text_field(const json& j, const char* field) {
  auto it = j.find(field);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Sets `field` to `value`, or drops it when empty (Go omitempty / absent = empty to Dex).
void set_or_erase(json& j, const char* field, const std::string& value) {
  if (value.empty()) {
    j.erase(field);
  } else {
    j[field] = value;
  }
}

class PasswordObjectDirectory final : public UserDirectory {
 public:
  explicit PasswordObjectDirectory(DexLocation location) : loc_(std::move(location)) {}

  Backend backend() const override { return Backend::kPasswordObject; }

  Result<std::vector<DexUser>> list(store::ObjectStore& store) const override {
    auto objects = store.list(kPasswordApiVersion, kPasswordKind, loc_.ns);
    if (!objects) {
      if (objects.error().code != ErrorCode::kNotFound) return fail(objects.error());
      return make_error(ErrorCode::kNotFound,
                        "Dex's Password CRD (passwords.dex.coreos.com) is not installed: Dex "
                        "creates it at startup when storage.type is kubernetes");
    }
    std::vector<DexUser> out;
    for (const auto& o : *objects) out.push_back(to_user(o));
    return out;
  }

  Result<std::optional<DexUser>> find(store::ObjectStore& store,
                                      std::string_view email) const override {
    auto object = get(store, email);
    if (!object) return fail(object.error());
    if (!*object) return std::optional<DexUser>();
    // storage/kubernetes getPassword: the object's email must be the lower-cased one, or every
    // login of this user errors out.
    const std::string want = normalize_email(email);
    const std::string have = text_field(**object, "email");
    if (have != want) {
      return make_error(ErrorCode::kRefused,
                        describe_object(email) + " is broken: its email is '" + have +
                            "' but Dex requires '" + want +
                            "' for this name, so logins of this user fail; re-add the user to "
                            "rewrite it, or delete the object");
    }
    return std::optional<DexUser>(to_user(**object));
  }

  Result<std::vector<Step>> plan_upsert(store::ObjectStore& store,
                                        const DexUser& user) const override {
    if (auto v = validate_user(user, /*allow_hash_from_env=*/false); !v) return fail(v.error());
    // storage/static.go: a static email shadows a stored password, so the object would be dead.
    auto statics = make_static_directory(loc_, kftenant::system_clock());
    auto shadow = statics->find(store, user.email);
    if (!shadow && shadow.error().code != ErrorCode::kNotFound) return fail(shadow.error());
    if (shadow && *shadow) {
      return make_error(ErrorCode::kRefused,
                        user.email + " is a static user in " + (*shadow)->location +
                            " (config.yaml staticPasswords), which Dex uses instead of any "
                            "Password object; manage it with --dex-backend static");
    }
    auto existing = get(store, user.email);
    if (!existing) return fail(existing.error());
    const std::string name = password_object_name(user.email);
    json desired;
    if (*existing) {
      desired = **existing;  // keeps metadata (resourceVersion) and fields Dex added
    } else {
      if (auto r = require_crd(store); !r) return fail(r.error());
      desired = {{"apiVersion", kPasswordApiVersion},
                 {"kind", kPasswordKind},
                 {"metadata", {{"name", name}, {"namespace", loc_.ns}}}};
    }
    desired["email"] = normalize_email(user.email);
    desired["hash"] = base64::encode(user.hash);
    set_or_erase(desired, "username", user.username);
    set_or_erase(desired, "userID", user.user_id);
    Step s;
    s.key = {kPasswordApiVersion, kPasswordKind, loc_.ns, name};
    if (*existing) {
      if (desired == **existing) return std::vector<Step>{};
      s.kind = StepKind::kReplace;
      s.before = **existing;
      s.summary = "update " + store::describe(s.key) + " (Dex user " + user.email + ")";
    } else {
      s.kind = StepKind::kCreate;
      s.summary = "create " + store::describe(s.key) + " (Dex user " + user.email + ")";
    }
    s.after = std::move(desired);
    return std::vector<Step>{std::move(s)};
  }

  Result<std::vector<Step>> plan_remove(store::ObjectStore& store,
                                        std::string_view email) const override {
    auto existing = get(store, email);
    if (!existing) return fail(existing.error());
    if (!*existing) return std::vector<Step>{};
    Step s;
    s.kind = StepKind::kDelete;
    s.key = store::key_of(**existing);
    s.before = **existing;
    s.summary = "delete " + store::describe(s.key) + " (Dex user " + std::string(email) + ")";
    return std::vector<Step>{std::move(s)};
  }

  Result<std::vector<Step>> plan_restart(store::ObjectStore&,
                                         const std::vector<Step>&) const override {
    return std::vector<Step>{};  // Dex reads Password objects on every login
  }

 private:
  DexLocation loc_;

  store::ObjectKey key_for(std::string_view email) const {
    return {kPasswordApiVersion, kPasswordKind, loc_.ns, password_object_name(email)};
  }
  std::string describe_object(std::string_view email) const {
    return store::describe(key_for(email));
  }

  // The object Dex would read for `email`; nullopt when absent (or the CRD is missing).
  Result<std::optional<json>> get(store::ObjectStore& store, std::string_view email) const {
    auto object = store.get(key_for(email));
    if (object) return std::optional<json>(std::move(*object));
    if (object.error().code == ErrorCode::kNotFound) return std::optional<json>();
    return fail(object.error());
  }

  // A get of a kind the store does not know is kNotFound like a missing object; a list tells
  // them apart, so a create against a cluster without the CRD fails at plan time, clearly.
  Result<void> require_crd(store::ObjectStore& store) const {
    auto probe = list(store);
    if (!probe) return fail(probe.error());
    return ok();
  }

  DexUser to_user(const json& o) const {
    DexUser u;
    u.email = text_field(o, "email");
    // `hash` is []byte in Go: standard base64 of the bcrypt string. Undecodable stays empty.
    u.hash = base64::decode(text_field(o, "hash")).value_or(std::string());
    u.username = text_field(o, "username");
    u.user_id = text_field(o, "userID");
    u.backend = Backend::kPasswordObject;
    u.location = store::describe(store::key_of(o));
    return u;
  }
};

}  // namespace

std::unique_ptr<UserDirectory> make_password_object_directory(DexLocation location) {
  return std::make_unique<PasswordObjectDirectory>(std::move(location));
}

}  // namespace kftenant::dex::detail
