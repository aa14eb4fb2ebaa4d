// The UserDirectory factory, backend names, shared validation and the merged user list.
#include "kftenant/dex/user_directory.h"

#include <map>
#include <set>

#include "dex/user_directories.h"
#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/password_object.h"
#include "kftenant/dex/static_passwords.h"
#include "kftenant/plan/compose.h"
#include "kftenant/plan/plan_view.h"

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

Result<UpsertAll> UserDirectory::plan_upsert_all(store::ObjectStore& store,
                                                 const std::vector<DexUser>& users) const {
  plan::PlanView view(store);
  UpsertAll out;
  out.errors.resize(users.size());
  out.changes.assign(users.size(), 0);
  std::vector<plan::Step> steps;
  for (size_t i = 0; i < users.size(); ++i) {
    auto planned = plan_upsert(view, users[i]);
    if (!planned) {
      const ErrorCode code = planned.error().code;
      if (code == ErrorCode::kTooLarge) {
        out.errors[i] = planned.error();
        out.first_too_large = i;
        break;
      }
      if (code != ErrorCode::kInvalidArgument && code != ErrorCode::kRefused)
        return fail(planned.error());
      out.errors[i] = planned.error();
      continue;
    }
    out.changes[i] = !planned->empty();
    view.record(*planned);
    for (auto& step : *planned) steps.push_back(std::move(step));
  }
  out.steps = plan::merge_steps(std::move(steps));
  return out;
}

std::string DexAccount::claim_email() const {
  const DexUser* user = effective_record();
  return user ? user->email : key;
}

namespace {

std::string where(const DexUser& u) {
  return u.backend == Backend::kStatic && u.line > 0
             ? u.location + " config.yaml line " + std::to_string(u.line)
             : u.location;
}

void describe_account(DexAccount& account) {
  size_t statics = 0;
  for (const auto& r : account.records) statics += r.backend == Backend::kStatic;
  if (statics > 0) {
    account.effective = statics - 1;  // the last static entry wins
  } else {
    const std::string name = password_object_name(account.key);
    for (size_t i = 0; i < account.records.size(); ++i) {
      const DexUser& r = account.records[i];
      if (r.object_name == name && r.email == account.key) account.effective = i;
    }
  }
  if (statics > 1) {
    std::string list;
    for (const auto& r : account.records) {
      if (r.backend != Backend::kStatic) continue;
      list += (list.empty() ? "" : ", ") + r.email + " (line " + std::to_string(r.line) + ")";
    }
    account.warnings.push_back(
        std::to_string(statics) + " staticPasswords entries for this email: " + list +
        "; Dex logs in with the last one and lists them all; `kftenant user remove` and "
        "`kftenant user passwd` act on every one");
  }
  for (const auto& r : account.records) {
    if (r.backend == Backend::kPasswordObject && statics > 0)
      account.warnings.push_back(r.location +
                                 " is shadowed by the staticPasswords entry (Dex uses config.yaml "
                                 "for this email); it becomes the login again if the entry goes");
    for (const auto& p : r.problems) account.warnings.push_back(where(r) + ": " + p);
  }
  if (const DexUser* e = account.effective_record(); e && e->email != account.key)
    account.warnings.push_back(
        "Dex keeps the capitals of " + e->email + " (" + where(*e) +
        ") and puts it so in the email claim: profile owners and contributor bindings must use " +
        e->email + " exactly");
  if (!account.effective && !account.records.empty())
    account.warnings.push_back("Dex can use none of these records: this user cannot log in");
}

}  // namespace

Result<std::vector<DexAccount>> list_dex_accounts(store::ObjectStore& store,
                                                  const DexLocation& location, Backend backend) {
  if (!location.managed) return std::vector<DexAccount>{};
  std::vector<DexUser> records;
  auto statics = make_user_directory(Backend::kStatic, location)->list(store);
  if (!statics) {
    if (backend != Backend::kPasswordObject || statics.error().code != ErrorCode::kNotFound)
      return fail(statics.error());
  } else {
    records = std::move(*statics);
  }
  auto objects = make_user_directory(Backend::kPasswordObject, location)->list(store);
  if (!objects && objects.error().code != ErrorCode::kNotFound) return fail(objects.error());
  if (objects)
    for (auto& o : *objects) records.push_back(std::move(o));
  std::vector<DexAccount> accounts;
  std::map<std::string, size_t> by_key;
  for (auto& r : records) {
    std::string key = normalize_email(r.email);
    auto [it, added] = by_key.emplace(key, accounts.size());
    if (added) {
      accounts.emplace_back();
      accounts.back().key = key;
    }
    accounts[it->second].records.push_back(std::move(r));
  }
  // Static entries first within an account (they are listed first already), then objects.
  for (auto& a : accounts) describe_account(a);
  return accounts;
}

const DexAccount* find_account(const std::vector<DexAccount>& accounts, std::string_view email) {
  const std::string key = normalize_email(email);
  for (const auto& a : accounts)
    if (a.key == key) return &a;
  return nullptr;
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
