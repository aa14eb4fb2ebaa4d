// The UserDirectory factory, backend names, shared validation and the merged user list.
#include "kftenant/dex/user_directory.h"

#include <set>

#include "dex/user_directories.h"
#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/password_object.h"
#include "kftenant/dex/static_passwords.h"

namespace kftenant::dex {

std::string_view to_string(Backend backend) {
  return backend == Backend::kStatic ? "static" : "password-crd";
}

Result<Backend> parse_backend(std::string_view text) {
  if (text == "static") return Backend::kStatic;
  if (text == "password-crd") return Backend::kPasswordObject;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown Dex backend '" + std::string(text) +
                        "': use 'static' (staticPasswords in config.yaml) or 'password-crd' "
                        "(Password objects, Dex with kubernetes storage)");
}

std::unique_ptr<UserDirectory> make_user_directory(Backend backend, DexLocation location,
                                                   Clock* clock) {
  if (backend == Backend::kPasswordObject)
    return detail::make_password_object_directory(std::move(location));
  // A caller-owned clock is borrowed (no-op deleter); otherwise the process clock.
  std::shared_ptr<Clock> c =
      clock ? std::shared_ptr<Clock>(clock, [](Clock*) {}) : kftenant::system_clock();
  return detail::make_static_directory(std::move(location), std::move(c));
}

Result<std::vector<DexUser>> list_all_dex_users(store::ObjectStore& store,
                                                const DexLocation& location) {
  auto statics = make_user_directory(Backend::kStatic, location)->list(store);
  if (!statics) return fail(statics.error());
  auto objects = make_user_directory(Backend::kPasswordObject, location)->list(store);
  if (!objects && objects.error().code != ErrorCode::kNotFound) return fail(objects.error());
  // storage/static.go: static users shadow stored ones with the same (lower-cased) email.
  std::set<std::string> static_emails;
  for (const auto& u : *statics) static_emails.insert(normalize_email(u.email));
  std::vector<DexUser> out = std::move(*statics);
  if (objects) {
    for (auto& u : *objects) {
      if (!static_emails.count(normalize_email(u.email))) out.push_back(std::move(u));
    }
  }
  return out;
}

namespace detail {

Result<void> validate_user(const DexUser& user, bool allow_hash_from_env) {
  if (user.email.empty())
    return make_error(ErrorCode::kInvalidArgument, "a Dex user needs an email");
  for (const std::string* field : {&user.email, &user.username, &user.user_id}) {
    if (auto q = quote_yaml_string(*field); !q)
      return make_error(ErrorCode::kInvalidArgument,
                        "Dex user " + std::string(field == &user.email ? "email" : "field") +
                            " is not valid UTF-8");
  }
  if (user.hash.empty()) {
    if (allow_hash_from_env && !user.hash_from_env.empty()) return ok();
    return make_error(ErrorCode::kInvalidArgument,
                      "Dex user " + user.email + " needs a password hash");
  }
  // The hash itself is not echoed: it is not a password, but it does not belong in logs either.
  if (auto cost = bcrypt_cost(user.hash); !cost)
    return make_error(ErrorCode::kInvalidArgument,
                      "the password hash for Dex user " + user.email +
                          " is not a bcrypt hash ($2a$/$2b$/$2y$); Dex would refuse to start");
  return ok();
}

}  // namespace detail
}  // namespace kftenant::dex
