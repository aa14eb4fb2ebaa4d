// UserDirectory over Dex's Password objects (dex.coreos.com/v1), for Dex with kubernetes
// storage. Dex reads them on every login (storage/kubernetes has no cache), so no restart.
// Object format: dexidp/dex storage/kubernetes/types.go Password, fromStoragePassword.
#include "dex/user_directories.h"
#include "kftenant/base64.h"
#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/password_object.h"

namespace kftenant::dex::detail {
namespace {

using nlohmann::json;
using plan::Step;
using plan::StepKind;

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
      return crd_missing();
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
    const bool new_hash = !*existing || text_field(**existing, "hash") != base64::encode(user.hash);
    desired["hash"] = base64::encode(user.hash);
    set_or_erase(desired, "username", user.username);
    set_or_erase(desired, "userID", user.user_id);
    const std::string what = store::describe({kPasswordApiVersion, kPasswordKind, loc_.ns, name}) +
                             " (Dex user " + user.email + ")";
    Step s;
    if (*existing) {
      if (desired == **existing) return std::vector<Step>{};
      s = Step::replace(**existing, std::move(desired), "update " + what);
    } else {
      s = Step::create(std::move(desired), "create " + what);
    }
    s.writes_password = new_hash;
    return std::vector<Step>{std::move(s)};
  }

  Result<std::vector<Step>> plan_remove(store::ObjectStore& store,
                                        std::string_view email) const override {
    auto objects = objects_of(store, email);
    if (!objects) return fail(objects.error());
    std::vector<Step> steps;
    for (auto& o : *objects) {
      const std::string what = store::describe(store::key_of(o));
      steps.push_back(
          Step::remove(std::move(o), "delete " + what + " (Dex user " + std::string(email) + ")"));
    }
    return steps;
  }

  Result<std::vector<Step>> plan_set_password(store::ObjectStore& store, std::string_view email,
                                              const std::string& hash) const override {
    if (auto cost = bcrypt_cost(hash); !cost)
      return make_error(ErrorCode::kInvalidArgument,
                        "the new password hash for " + std::string(email) + " is not bcrypt");
    auto objects = objects_of(store, email);
    if (!objects) return fail(objects.error());
    std::vector<Step> steps;
    const std::string encoded = base64::encode(hash);
    for (auto& o : *objects) {
      if (text_field(o, "hash") == encoded) continue;
      nlohmann::json after = o;
      after["hash"] = encoded;
      const std::string what = store::describe(store::key_of(o));
      Step s = Step::replace(std::move(o), std::move(after),
                             "set the password of Dex user " + std::string(email) + " in " + what);
      s.writes_password = true;
      steps.push_back(std::move(s));
    }
    return steps;
  }

  Result<std::vector<Step>> plan_restart(plan::PlanView&) const override {
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

  // Every object of `email`: the one under its name and any other whose `email` field is the
  // address in another case (made by hand, or by a tool that did not know idToName).
  Result<std::vector<json>> objects_of(store::ObjectStore& store, std::string_view email) const {
    std::vector<json> out;
    auto objects = store.list(kPasswordApiVersion, kPasswordKind, loc_.ns);
    if (!objects) {
      if (objects.error().code == ErrorCode::kNotFound) return out;  // no CRD: no objects
      return fail(objects.error());
    }
    const std::string key = normalize_email(email);
    const std::string name = password_object_name(key);
    for (auto& o : *objects) {
      const std::string object_name = o.value(json::json_pointer("/metadata/name"), std::string());
      if (normalize_email(text_field(o, "email")) == key || object_name == name)
        out.push_back(std::move(o));
    }
    return out;
  }

  // A get of a kind the store does not know is kNotFound like a missing object, so a create
  // against a cluster without the CRD is caught here, at plan time, with what to do. Discovery,
  // not a list: a list reads every Password object, once per new user of an import.
  Result<void> require_crd(store::ObjectStore& store) const {
    auto served = store.serves(kPasswordApiVersion, kPasswordKind);
    if (!served) return fail(served.error());
    if (!*served) return crd_missing();
    return ok();
  }

  static tl::unexpected<Error> crd_missing() {
    return make_error(ErrorCode::kNotFound,
                      "Dex's Password CRD (passwords.dex.coreos.com) is not installed: Dex "
                      "creates it at startup when storage.type is kubernetes");
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
    u.object_name = o.value(json::json_pointer("/metadata/name"), std::string());
    // What Dex makes of it (storage/kubernetes getPassword, server passwordDB.Login).
    const std::string key = normalize_email(u.email);
    if (u.email.empty()) {
      u.problems.push_back("has no email: Dex cannot match it to a login");
    } else if (u.object_name != password_object_name(key)) {
      u.problems.push_back("is named " + u.object_name + ", but Dex looks " + key + " up as " +
                           password_object_name(key) +
                           ": Dex never reads this object (`kftenant user remove` deletes it)");
    } else if (u.email != key) {
      u.problems.push_back("its email " + u.email +
                           " is not lower-case: Dex fails every login of this user (\"email "
                           "mapped to password with email\"); re-add the user to rewrite it");
    }
    if (u.hash.empty()) {
      u.problems.push_back("its hash is not base64 of a bcrypt hash: logins fail");
    } else if (auto cost = bcrypt_cost(u.hash); !cost) {
      u.problems.push_back("its hash is not a bcrypt hash: logins fail");
    } else if (*cost < kMinBcryptCost || *cost > kMaxBcryptCost) {
      u.problems.push_back("its bcrypt cost " + std::to_string(*cost) + " is outside Dex's " +
                           std::to_string(kMinBcryptCost) + ".." + std::to_string(kMaxBcryptCost) +
                           ": this user can never log in (set a new password)");
    }
    return u;
  }
};

}  // namespace

std::unique_ptr<UserDirectory> make_password_object_directory(DexLocation location) {
  return std::make_unique<PasswordObjectDirectory>(std::move(location));
}

}  // namespace kftenant::dex::detail
