#include "server/profile_writes.h"

#include <fmt/format.h>

#include "kftenant/kubeflow/naming.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/tenancy/profile_lifecycle.h"
#include "kftenant/tenancy/profiles.h"
#include "kftenant/tenancy/removal_preview.h"
#include "kftenant/tenancy/validate.h"
#include "server/api_error.h"
#include "server/json_body.h"
#include "server/plan_runner.h"

namespace kftenant::server {
namespace {

using nlohmann::json;

const json& create_schema() {
  static const json schema = {
      {"type", "object"},
      {"required", {"name"}},
      {"properties",
       {{"name", schema_property("string", "the profile (and namespace) name")},
        {"owner", schema_property("string",
                                  "the owner's email (default: the caller; another "
                                  "owner: administrators only)")},
        {"quota", schema_property("object",
                                  "the resource quota, e.g. {\"cpu\": \"4\"} "
                                  "(administrators only)")},
        {"waitSeconds", wait_property()}}}};
  return schema;
}

const json& delete_schema() {
  static const json schema = {
      {"type", "object"},
      {"properties",
       {{"confirm",
         schema_property("string", "required: the profile's name, as a confirmation")}}}};
  return schema;
}

const json& quota_schema() {
  static const json schema = {
      {"type", "object"},
      {"required", {"hard"}},
      {"properties",
       {{"hard", schema_property("object",
                                 "the new spec.resourceQuotaSpec.hard, replacing the "
                                 "old one; {} clears it")}}}};
  return schema;
}

const json& contributor_schema(bool email_in_path) {
  static const json with_email = {{"type", "object"},
                                  {"required", {"email", "role"}},
                                  {"properties",
                                   {{"email", schema_property("string", "the contributor's email")},
                                    {"role", schema_property("string", "admin, edit or view")}}}};
  static const json role_only = {
      {"type", "object"},
      {"required", {"role"}},
      {"properties", {{"role", schema_property("string", "admin, edit or view")}}}};
  return email_in_path ? role_only : with_email;
}

const json& transfer_schema() {
  static const json schema = {
      {"type", "object"},
      {"required", {"owner"}},
      {"properties", {{"owner", schema_property("string", "the new owner's email")}}}};
  return schema;
}

ApiResponse forbidden(const ApiRequest& request, std::string_view what) {
  return error_response(api_error(
      ErrorCode::kForbidden, fmt::format("{} may not {}: only its owner or an administrator may",
                                         request.caller->email, what)));
}

Result<std::string> email_field(const std::optional<std::string>& value, const std::string& field) {
  auto email = tenancy::validate_email(value.value_or(""));
  if (!email) return fail(field_error(field, email.error().message));
  return email;
}

}  // namespace

void ProfileWriteApi::add_routes(RouteTable& routes) {
  auto add = [&routes](Route route, const json& schema, int success = 200) {
    route.request_schema = schema;
    route.success_status = success;
    routes.add(std::move(route));
  };
  add({"POST",
       "/api/v1/profiles",
       "createProfile",
       "Create a profile (201; 200 when it is there with this owner): for the caller, or, by "
       "an administrator, for anyone and with a quota",
       Access::kSignedIn,
       {},
       {400, 403, 409, 415, 422, 503},
       [this](const ApiRequest& r) { return create_profile(r); }},
      create_schema(), 201);
  add({"DELETE",
       "/api/v1/profiles/{name}",
       "deleteProfile",
       "Delete a profile: its namespace and everything in it go too; the body's `confirm` must "
       "be the name",
       Access::kProfileOwner,
       {},
       {400, 404, 409, 415, 422, 503},
       [this](const ApiRequest& r) { return delete_profile(r); }},
      delete_schema());
  add({"PUT",
       "/api/v1/profiles/{name}/quota",
       "setProfileQuota",
       "Replace the profile's resource quota",
       Access::kAdmin,
       {},
       {400, 404, 415, 422, 503},
       [this](const ApiRequest& r) { return set_quota(r, false); }},
      quota_schema());
  routes.add({"DELETE",
              "/api/v1/profiles/{name}/quota",
              "clearProfileQuota",
              "Remove the profile's resource quota",
              Access::kAdmin,
              {},
              {404, 503},
              [this](const ApiRequest& r) { return set_quota(r, true); }});
  add({"POST",
       "/api/v1/profiles/{name}/contributors",
       "addContributor",
       "Give someone a role (admin, edit, view) in the profile, as KFAM's RoleBinding and "
       "AuthorizationPolicy; a contributor with another role gets this one (201 when added)",
       Access::kProfileOwner,
       {},
       {400, 404, 409, 415, 422, 503},
       [this](const ApiRequest& r) { return put_contributor(r, false); }},
      contributor_schema(false), 201);
  add({"PUT",
       "/api/v1/profiles/{name}/contributors/{email}",
       "setContributorRole",
       "Set a contributor's role (adds them when they have none)",
       Access::kProfileOwner,
       {},
       {400, 404, 409, 415, 422, 503},
       [this](const ApiRequest& r) { return put_contributor(r, true); }},
      contributor_schema(true));
  routes.add({"DELETE",
              "/api/v1/profiles/{name}/contributors/{email}",
              "removeContributor",
              "Take a contributor's access away (404 when they have none)",
              Access::kProfileOwner,
              {},
              {404, 409, 422, 503},
              [this](const ApiRequest& r) { return remove_contributor(r); }});
  add({"POST",
       "/api/v1/profiles/{name}/owner",
       "transferProfile",
       "Make someone else the owner: the Profile, its namespace's owner annotation and the "
       "owner's RoleBinding and AuthorizationPolicy; the old owner keeps no access",
       Access::kProfileOwner,
       {},
       {400, 404, 409, 415, 422, 503},
       [this](const ApiRequest& r) { return transfer(r); }},
      transfer_schema());
}

std::optional<ApiResponse> ProfileWriteApi::refuse_unless_owner(const ApiRequest& request,
                                                                const std::string& name,
                                                                std::string_view what) {
  const Caller& caller = *request.caller;
  auto profile = store_.get({"kubeflow.org/v1", "Profile", "", name});
  if (!profile) {
    if (profile.error().code != ErrorCode::kNotFound) return error_response(profile.error());
    if (!caller.admin) return forbidden(request, fmt::format("{} profile {}", what, name));
    return error_response(
        api_error(ErrorCode::kNotFound,
                  fmt::format("profile {} not found: GET /api/v1/profiles lists them", name)));
  }
  if (caller.admin) return std::nullopt;
  const json owner = profile->value("/spec/owner/name"_json_pointer, json());
  if (owner.is_string() && owner.get<std::string>() == caller.email) return std::nullopt;
  return forbidden(request, fmt::format("{} profile {}", what, name));
}

ApiResponse ProfileWriteApi::profile_answer(const std::string& name, int status) {
  auto views = views_.current();
  if (!views) return error_response(views.error());
  const auto& snapshot = **views;
  auto it = snapshot.profile_by_name.find(name);
  if (it == snapshot.profile_by_name.end()) return {status, json{{"name", name}}, "", ""};
  return {status, snapshot.profiles[it->second].json, "", ""};
}

ApiResponse ProfileWriteApi::create_profile(const ApiRequest& request) {
  auto body = JsonBody::parse(request, create_schema());
  if (!body) return error_response(body.error());
  const Caller& caller = *request.caller;
  tenancy::CreateProfileRequest create;
  create.name = *body->string("name");
  create.quota = body->string_map("quota");
  if (auto wait = body->integer("waitSeconds"); wait && *wait > 0)
    create.wait = std::chrono::seconds(*wait);
  // The owner exactly as given (Kubeflow compares it byte for byte with the header).
  create.owner = body->string("owner").value_or(caller.email);
  return this->create(request, std::move(create), 201);
}

ApiResponse ProfileWriteApi::create(const ApiRequest& request, tenancy::CreateProfileRequest create,
                                    int created_status) {
  const Caller& caller = *request.caller;
  create.dex = context_.dex;
  if (auto v = in_field(kubeflow::validate_profile_name(create.name), "name"); !v)
    return error_response(v.error());
  if (auto v = in_field(kubeflow::validate_quota(create.quota), "quota"); !v)
    return error_response(v.error());
  if (auto owner = email_field(create.owner, "owner"); !owner) return error_response(owner.error());
  if (!caller.admin && create.owner != caller.email)
    return error_response(api_error(
        ErrorCode::kForbidden,
        fmt::format("{} may not create a profile for {}: only administrators create profiles "
                    "for others",
                    caller.email, create.owner)));
  if (!caller.admin && !create.quota.empty())
    return error_response(
        api_error(ErrorCode::kForbidden,
                  fmt::format("{} may not set a quota: ask an administrator", caller.email)));
  ApiResponse answer;
  PlanOutcome outcome;
  if (auto applied = run_plan(store_, context_, tenancy::create_profile_planner(create), outcome);
      !applied)
    answer = error_response(applied.error());
  else
    answer = profile_answer(create.name, outcome.applied.empty() ? 200 : created_status);
  answer.audit_target.emplace("name", create.name);
  return answer;
}

ApiResponse ProfileWriteApi::delete_profile(const ApiRequest& request) {
  // Who may comes first: someone else learns nothing from how their body is wrong.
  const std::string& name = request.path_params.at("name");
  if (auto refused = refuse_unless_owner(request, name, "delete")) return *refused;
  auto body = JsonBody::parse(request, delete_schema());
  if (!body) return error_response(body.error());
  const auto confirm = body->string("confirm");
  if (!confirm || *confirm != name) {
    auto preview = tenancy::preview_profile_deletion(store_, name);
    if (!preview) return error_response(preview.error());
    return error_response(check_confirmation(confirm, name, false,
                                             fmt::format("deleting profile {} deletes {}", name,
                                                         describe_removal(*preview, "nothing")))
                              .error());
  }
  return apply_delete(name);
}

ApiResponse ProfileWriteApi::apply_delete(const std::string& name) {
  PlanOutcome outcome;
  if (auto applied = run_plan(store_, context_, tenancy::delete_profile_planner(name), outcome);
      !applied)
    return error_response(applied.error());
  json out = to_json(outcome);
  out["name"] = name;
  return {200, std::move(out), "", ""};
}

ApiResponse ProfileWriteApi::set_quota(const ApiRequest& request, bool clear) {
  const std::string& name = request.path_params.at("name");
  tenancy::QuotaRequest quota{name, {}};
  if (!clear) {
    auto body = JsonBody::parse(request, quota_schema());
    if (!body) return error_response(body.error());
    quota.hard = body->string_map("hard");
    if (auto v = in_field(kubeflow::validate_quota(quota.hard), "hard"); !v)
      return error_response(v.error());
  }
  PlanOutcome outcome;
  if (auto applied = run_plan(store_, context_, tenancy::quota_planner(quota), outcome); !applied)
    return error_response(applied.error());
  return profile_answer(name, 200);
}

ApiResponse ProfileWriteApi::put_contributor(const ApiRequest& request, bool email_in_path) {
  const std::string& name = request.path_params.at("name");
  if (auto refused = refuse_unless_owner(request, name, "change the contributors of"))
    return *refused;
  auto body = JsonBody::parse(request, contributor_schema(email_in_path));
  if (!body) return error_response(body.error());
  auto email = email_in_path ? email_field(request.path_params.at("email"), "email")
                             : email_field(body->string("email"), "email");
  if (!email) return error_response(email.error());
  auto role = kubeflow::parse_role(*body->string("role"));
  if (!role) return error_response(field_error("role", role.error().message));
  ApiResponse answer = apply_share(name, *email, *role, email_in_path ? 200 : 201);
  answer.audit_target.emplace("email", *email);
  return answer;
}

ApiResponse ProfileWriteApi::apply_share(const std::string& name, const std::string& email,
                                         kubeflow::Role role, int created_status) {
  tenancy::ShareRequest share{name, email, role, contributor_, context_.dex};
  PlanOutcome outcome;
  if (auto applied = run_plan(store_, context_, tenancy::share_planner(share), outcome); !applied)
    return error_response(applied.error());
  return profile_answer(name, outcome.applied.empty() ? 200 : created_status);
}

ApiResponse ProfileWriteApi::remove_contributor(const ApiRequest& request) {
  const std::string& name = request.path_params.at("name");
  if (auto refused = refuse_unless_owner(request, name, "change the contributors of"))
    return *refused;
  auto email = email_field(request.path_params.at("email"), "email");
  if (!email) return error_response(email.error());
  return apply_unshare(name, *email);
}

ApiResponse ProfileWriteApi::apply_unshare(const std::string& name, const std::string& email) {
  PlanOutcome outcome;
  if (auto applied =
          run_plan(store_, context_, tenancy::unshare_planner(name, email, contributor_), outcome);
      !applied)
    return error_response(applied.error());
  if (outcome.applied.empty())
    return error_response(api_error(
        ErrorCode::kNotFound,
        fmt::format("{} is no contributor of profile {}: nothing to remove", email, name)));
  return profile_answer(name, 200);
}

ApiResponse ProfileWriteApi::transfer(const ApiRequest& request) {
  const std::string& name = request.path_params.at("name");
  if (auto refused = refuse_unless_owner(request, name, "transfer")) return *refused;
  auto body = JsonBody::parse(request, transfer_schema());
  if (!body) return error_response(body.error());
  auto to = email_field(body->string("owner"), "owner");
  if (!to) return error_response(to.error());
  tenancy::TransferProfileRequest transfer{name, *to, context_.dex, contributor_};
  PlanOutcome outcome;
  if (auto applied =
          run_plan(store_, context_, tenancy::transfer_profile_planner(transfer), outcome);
      !applied)
    return error_response(applied.error());
  ApiResponse answer = profile_answer(name, 200);
  answer.audit_target.emplace("owner", *to);
  return answer;
}

}  // namespace kftenant::server
