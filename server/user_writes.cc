#include "server/user_writes.h"

#include <fmt/format.h>

#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/password_object.h"
#include "kftenant/dex/user_directory.h"
#include "kftenant/kubeflow/naming.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/tenancy/removal_preview.h"
#include "kftenant/tenancy/user_view.h"
#include "kftenant/tenancy/validate.h"
#include "server/api_error.h"
#include "server/json_body.h"
#include "server/plan_runner.h"

namespace kftenant::server {
namespace {

using nlohmann::json;

const json& create_user_schema() {
  static const json schema = {
      {"type", "object"},
      {"required", {"email"}},
      {"properties",
       {{"email", schema_property("string", "the login email (Dex lower-cases it)")},
        {"password", schema_property("string", "the password (8..72 bytes, one line); or:")},
        {"passwordHash", schema_property("string", "a bcrypt hash of it (cost 10..16); or:")},
        {"generatePassword",
         schema_property("boolean",
                         "true: a password is made up and returned once, in this answer")},
        {"username", schema_property("string", "Dex's username (default: the email before '@')")},
        {"userID",
         schema_property("string", "Dex's userID, the `sub` claim (default: a random UUID)")},
        {"profile", schema_property("string", "the profile name (default: from the email)")},
        {"createProfile", schema_property("boolean", "false: no profile (default true)")},
        {"waitSeconds", wait_property()},
        {"quota", schema_property("object",
                                  "the profile's resource quota, e.g. {\"cpu\": \"4\", \"memory\": "
                                  "\"8Gi\"}")}}}};
  return schema;
}

const json& delete_user_schema() {
  static const json schema = {
      {"type", "object"},
      {"properties",
       {{"confirm",
         schema_property("string", "required: the email being removed, as a confirmation")},
        {"keepProfile",
         schema_property("boolean", "true: keep the user's profiles (default false)")},
        {"keepAccess",
         schema_property("boolean", "true: keep their contributor access to other profiles")}}}};
  return schema;
}

const json& own_password_schema() {
  static const json schema = {
      {"type", "object"},
      {"required", {"currentPassword", "newPassword"}},
      {"properties",
       {{"currentPassword", schema_property("string", "the password the caller signs in with")},
        {"newPassword", schema_property("string", "the new password (8..72 bytes, one line)")}}}};
  return schema;
}

const json& password_schema() {
  static const json schema = {
      {"type", "object"},
      {"properties",
       {{"password", schema_property("string", "the new password (8..72 bytes, one line); or:")},
        {"generatePassword",
         schema_property("boolean",
                         "true: a password is made up and returned once, in this answer")}}}};
  return schema;
}

bool query_flag(const ApiRequest& request, const std::string& name) {
  auto it = request.query.find(name);
  return it != request.query.end() && (it->second == "true" || it->second == "1");
}

// The password of a create or reset: exactly one of password, passwordHash (when allowed) and
// generatePassword.
struct PasswordChoice {
  std::string password;
  std::string hash;
  bool generated = false;
};
Result<PasswordChoice> choose_password(const JsonBody& body, bool hash_allowed) {
  const bool generate = body.boolean("generatePassword").value_or(false);
  const int given =
      int(body.has("password")) + int(hash_allowed && body.has("passwordHash")) + int(generate);
  const std::string options = hash_allowed ? "password, passwordHash or \"generatePassword\": true"
                                           : "password or \"generatePassword\": true";
  if (given == 0) return fail(field_error("password", fmt::format("give one of {}", options)));
  if (given > 1) return fail(field_error("password", fmt::format("give only one of {}", options)));
  PasswordChoice out;
  if (generate) {
    out.password = tenancy::generate_password();
    out.generated = true;
  } else if (auto hash = body.string("passwordHash"); hash && hash_allowed) {
    out.hash = *hash;
  } else {
    out.password = *body.string("password");
    if (auto v = in_field(dex::validate_password(out.password), "password"); !v)
      return fail(v.error());
  }
  return out;
}

// A failure after a generated password may have been stored: the answer carries it, once, so
// that the caller can keep it (running the same request again keeps the stored password).
ApiResponse failed_after(const Error& error, const PlanOutcome& outcome,
                         const PasswordChoice& choice) {
  ApiResponse response = error_response(error);
  if (choice.generated && outcome.password_attempted)
    response.body["generatedPassword"] = choice.password;
  return response;
}

ApiResponse nothing_to_remove(const std::string& email) {
  return error_response(
      api_error(ErrorCode::kNotFound,
                fmt::format("no Dex user, profile or access for {}: nothing to remove", email)));
}

}  // namespace

void UserWriteApi::add_routes(RouteTable& routes) {
  Route create{"POST",
               "/api/v1/users",
               "createUser",
               "Create a user: the Dex user (password given, as a bcrypt hash, or generated), "
               "its profile and quota, as `kftenant user add` (201; 200 when all was in place)",
               Access::kAdmin,
               {},
               {400, 409, 413, 415, 422, 503},
               [this](const ApiRequest& r) { return create_user(r); }};
  create.request_schema = create_user_schema();
  create.success_status = 201;
  routes.add(std::move(create));
  routes.add({"GET",
              "/api/v1/users/{email}/removal",
              "previewUserRemoval",
              "What DELETE /api/v1/users/{email} would remove: profiles with what their "
              "namespaces hold, access to other profiles, the steps",
              Access::kAdmin,
              {{"keepProfile", "true: as DELETE with keepProfile"},
               {"keepAccess", "true: as DELETE with keepAccess"}},
              {404, 422, 503},
              [this](const ApiRequest& r) { return removal_preview(r); }});
  Route remove{"DELETE",
               "/api/v1/users/{email}",
               "deleteUser",
               "Remove a user: every Dex record of it, its profiles (namespaces and all) unless "
               "keepProfile, its access to other profiles unless keepAccess; the body's "
               "`confirm` must be the email",
               Access::kAdmin,
               {},
               {400, 404, 409, 415, 422, 503},
               [this](const ApiRequest& r) { return delete_user(r); }};
  remove.request_schema = delete_user_schema();
  routes.add(std::move(remove));
  Route password{"POST",
                 "/api/v1/users/{email}/password",
                 "setUserPassword",
                 "Set a user's password (given or generated) in every record Dex has of it",
                 Access::kAdmin,
                 {},
                 {400, 404, 409, 415, 422, 503},
                 [this](const ApiRequest& r) { return set_password(r); }};
  password.request_schema = password_schema();
  routes.add(std::move(password));
  Route own{"POST",
            "/api/v1/me/password",
            "changeMyPassword",
            "Change the caller's own Dex password: the current one must match the stored hash",
            Access::kSignedIn,
            {},
            {400, 403, 404, 409, 415, 422, 429, 503},
            [this](const ApiRequest& r) { return change_own_password(r); }};
  own.request_schema = own_password_schema();
  routes.add(std::move(own));
}

std::optional<ApiResponse> UserWriteApi::over_attempt_limit(const ApiRequest& request) {
  std::vector<std::string> keys = {"caller " + request.caller->email};
  if (!request.client_address.empty()) keys.push_back("address " + request.client_address);
  if (auto allowed = attempts_->attempt(keys); !allowed) return error_response(allowed.error());
  return std::nullopt;
}

ApiResponse UserWriteApi::create_user(const ApiRequest& request) {
  auto body = JsonBody::parse(request, create_user_schema());
  if (!body) return error_response(body.error());
  auto email = tenancy::validate_email(*body->string("email"));
  if (!email) return error_response(field_error("email", email.error().message));
  ApiResponse response = create_user(request, *body, *email);
  response.audit_target.emplace("email", *email);
  return response;
}

ApiResponse UserWriteApi::create_user(const ApiRequest&, const JsonBody& body,
                                      const std::string& email) {
  tenancy::AddUserRequest add;
  add.email = email;
  add.username = body.string("username");
  add.user_id = body.string("userID");
  add.profile = body.string("profile");
  add.create_profile = body.boolean("createProfile").value_or(true);
  add.quota = body.string_map("quota");
  add.bcrypt_cost = options_.bcrypt_cost;
  if (auto wait = body.integer("waitSeconds"); wait && *wait > 0)
    add.wait = std::chrono::seconds(*wait);
  if (add.username)
    if (auto v = in_field(tenancy::validate_username(*add.username), "username"); !v)
      return error_response(v.error());
  if (add.user_id)
    if (auto v = in_field(tenancy::validate_user_id(*add.user_id), "userID"); !v)
      return error_response(v.error());
  if (!add.create_profile && (add.profile || !add.quota.empty()))
    return error_response(field_error(add.profile ? "profile" : "quota",
                                      "createProfile is false: drop profile and quota"));
  if (add.create_profile) {
    if (add.profile)
      if (auto v = in_field(kubeflow::validate_profile_name(*add.profile), "profile"); !v)
        return error_response(v.error());
    if (auto v = in_field(kubeflow::validate_quota(add.quota), "quota"); !v)
      return error_response(v.error());
  }
  PasswordChoice choice;
  if (context_.dex.managed) {
    auto chosen = choose_password(body, /*hash_allowed=*/true);
    if (!chosen) return error_response(chosen.error());
    choice = std::move(*chosen);
    add.password = choice.password;
    add.hash = choice.hash;
    add.keep_existing_password = choice.generated;
  } else if (body.has("password") || body.has("passwordHash") || body.has("generatePassword")) {
    return error_response(
        field_error("password",
                    "the server runs with --dex-backend none and writes no Dex user: drop the "
                    "password (people sign in through Dex's connector)"));
  }
  auto validated = tenancy::validate_add_user(std::move(add), context_.dex.managed);
  if (!validated) {
    // What the checks above did not name (the default profile name of an unusual email, a
    // hash's cost): the field it concerns.
    const std::string field = !choice.hash.empty() ? "passwordHash" : "profile";
    return error_response(field_error(field, validated.error().message));
  }
  PlanOutcome outcome;
  if (auto applied = run_plan(store_, context_,
                              tenancy::add_user_planner(context_, std::move(*validated)), outcome);
      !applied)
    return failed_after(applied.error(), outcome, choice);
  auto view = tenancy::show_user(store_, context_, email);
  if (!view) return error_response(view.error());
  ApiResponse response{outcome.applied.empty() ? 200 : 201, tenancy::to_json(*view), "", ""};
  if (choice.generated && outcome.password_written)
    response.body["generatedPassword"] = choice.password;
  return response;
}

ApiResponse UserWriteApi::removal_preview(const ApiRequest& request) {
  auto email = tenancy::validate_email(request.path_params.at("email"));
  if (!email) return error_response(field_error("email", email.error().message));
  tenancy::RemoveUserRequest remove{*email, query_flag(request, "keepProfile"),
                                    query_flag(request, "keepAccess"), options_.contributor};
  auto preview = tenancy::preview_removal(store_, context_, remove);
  if (!preview) return error_response(preview.error());
  if (preview->plan.empty()) return nothing_to_remove(*email);
  json out = to_json(*preview);
  out["email"] = *email;
  return {200, std::move(out), "", ""};
}

ApiResponse UserWriteApi::delete_user(const ApiRequest& request) {
  auto body = JsonBody::parse(request, delete_user_schema());
  if (!body) return error_response(body.error());
  auto email = tenancy::validate_email(request.path_params.at("email"));
  if (!email) return error_response(field_error("email", email.error().message));
  tenancy::RemoveUserRequest remove{*email, body->boolean("keepProfile").value_or(false),
                                    body->boolean("keepAccess").value_or(false),
                                    options_.contributor};
  const auto confirm = body->string("confirm");
  if (!confirm || dex::normalize_email(*confirm) != *email) {
    // Unconfirmed: say what it would remove, so that the caller decides knowingly.
    auto preview = tenancy::preview_removal(store_, context_, remove);
    if (!preview) return error_response(preview.error());
    if (preview->plan.empty()) return nothing_to_remove(*email);
    return error_response(check_confirmation(confirm, *email, false,
                                             fmt::format("removing {} deletes {}", *email,
                                                         describe_removal(*preview)))
                              .error());
  }
  PlanOutcome outcome;
  if (auto applied =
          run_plan(store_, context_, tenancy::remove_user_planner(context_, remove), outcome);
      !applied)
    return error_response(applied.error());
  if (outcome.applied.empty()) return nothing_to_remove(*email);
  json out = to_json(outcome);
  out["email"] = *email;
  return {200, std::move(out), "", ""};
}

ApiResponse UserWriteApi::set_password(const ApiRequest& request) {
  if (auto limited = over_attempt_limit(request)) return *limited;
  auto body = JsonBody::parse(request, password_schema());
  if (!body) return error_response(body.error());
  auto email = tenancy::validate_email(request.path_params.at("email"));
  if (!email) return error_response(field_error("email", email.error().message));
  auto chosen = choose_password(*body, /*hash_allowed=*/false);
  if (!chosen) return error_response(chosen.error());
  tenancy::PasswdRequest passwd{*email, chosen->password, options_.bcrypt_cost};
  auto validated = tenancy::validate_passwd(std::move(passwd));
  if (!validated) return error_response(field_error("password", validated.error().message));
  PlanOutcome outcome;
  if (auto applied = run_plan(store_, context_,
                              tenancy::passwd_planner(context_, std::move(*validated)), outcome);
      !applied)
    return failed_after(applied.error(), outcome, *chosen);
  json out = {{"email", *email}, {"changed", !outcome.applied.empty()}};
  if (chosen->generated && outcome.password_written) out["generatedPassword"] = chosen->password;
  return {200, std::move(out), "", ""};
}

ApiResponse UserWriteApi::change_own_password(const ApiRequest& request) {
  // Counted before anything is read or compared: a guesser's every try costs a token.
  if (auto limited = over_attempt_limit(request)) return *limited;
  auto body = JsonBody::parse(request, own_password_schema());
  if (!body) return error_response(body.error());
  const std::string email = request.caller->email;
  const std::string current = *body->string("currentPassword");
  const std::string next = *body->string("newPassword");
  if (auto v = in_field(dex::validate_password(next), "newPassword"); !v)
    return error_response(v.error());
  if (!context_.dex.managed)
    return error_response(api_error(ErrorCode::kRefused,
                                    "the server runs with --dex-backend none: passwords are the "
                                    "identity provider's, not Dex's"));
  auto directory = dex::make_user_directory(context_.backend, context_.dex, context_.clock);
  auto user = directory->find(store_, email);
  if (!user) return error_response(user.error());
  if (!*user)
    return error_response(api_error(
        ErrorCode::kNotFound,
        fmt::format("{} has no Dex password (signing in through another connector?)", email)));
  if ((*user)->hash.empty())
    return error_response(api_error(
        ErrorCode::kRefused, fmt::format("the password of {} comes from a Secret (hashFromEnv): "
                                         "an administrator changes it there",
                                         email)));
  auto matches = dex::bcrypt_verify(current, (*user)->hash);
  if (!matches) return error_response(matches.error());
  if (!*matches)
    return error_response(api_error(ErrorCode::kForbidden,
                                    "the current password is not right: nothing was changed",
                                    "currentPassword"));
  tenancy::PasswdRequest passwd{email, next, options_.bcrypt_cost};
  auto validated = tenancy::validate_passwd(std::move(passwd));
  if (!validated) return error_response(field_error("newPassword", validated.error().message));
  PlanOutcome outcome;
  if (auto applied = run_plan(store_, context_,
                              tenancy::passwd_planner(context_, std::move(*validated)), outcome);
      !applied)
    return error_response(applied.error());
  return {200, json{{"email", email}, {"changed", !outcome.applied.empty()}}, "", ""};
}

}  // namespace kftenant::server
