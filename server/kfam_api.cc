#include "server/kfam_api.h"

#include <fmt/format.h>

#include "kftenant/dex/password_object.h"
#include "kftenant/tenancy/validate.h"
#include "server/api_error.h"
#include "server/json_body.h"

namespace kftenant::server {
namespace {

using nlohmann::json;

json object_property(std::string description) {
  return {{"type", "object"}, {"description", std::move(description)}};
}

const json& binding_schema() {
  static const json schema = {
      {"type", "object"},
      {"required", {"user", "referredNamespace"}},
      {"properties",
       {{"user", schema_property("object", "{\"kind\": \"User\", \"name\": email}")},
        {"referredNamespace", schema_property("string", "the profile's namespace")},
        {"RoleRef", schema_property("object",
                                    "{\"kind\": \"ClusterRole\", \"name\": \"admin\" | "
                                    "\"edit\" | \"view\"}")},
        {"roleRef", schema_property("object", "the same (Go's JSON decoding ignores case)")},
        {"status", schema_property("string", "unused, as in KFAM")}}}};
  return schema;
}

const json& profile_schema() {
  static const json schema = {
      {"type", "object"},
      {"required", {"metadata", "spec"}},
      {"properties",
       {{"apiVersion", schema_property("string", "kubeflow.org/v1beta1 (or v1)")},
        {"kind", schema_property("string", "Profile")},
        {"metadata", object_property("{\"name\": the profile's name}")},
        {"spec", object_property("{\"owner\": {\"kind\": \"User\", \"name\": email}, "
                                 "\"resourceQuotaSpec\"?: {\"hard\": {...}}}")}}}};
  return schema;
}

// KFAM's frontend role names: admin, edit, view (roleBindingNameMap's keys).
Result<kubeflow::Role> role_of_binding(const JsonBody& body) {
  auto ref = body.has("RoleRef") ? body.string_map("RoleRef") : body.string_map("roleRef");
  const std::string field = body.has("RoleRef") ? "RoleRef" : "roleRef";
  if (auto kind = ref.find("kind"); kind != ref.end() && kind->second != "ClusterRole")
    return fail(field_error(field + ".kind", "RoleRef.kind must be ClusterRole"));
  auto name = ref.find("name");
  if (name == ref.end())
    return fail(field_error(field + ".name", "RoleRef.name is required: admin, edit or view"));
  auto role = kubeflow::parse_role(name->second);
  if (!role) return fail(field_error(field + ".name", role.error().message));
  return role;
}

Result<std::string> user_of_binding(const JsonBody& body) {
  auto user = body.string_map("user");
  if (auto kind = user.find("kind"); kind == user.end() || kind->second != "User")
    return fail(field_error("user.kind", "user.kind must be User (KFAM binds users only)"));
  auto name = user.find("name");
  if (name == user.end() || name->second.empty())
    return fail(field_error("user.name", "user.name is required: the contributor's email"));
  if (auto email = tenancy::validate_email(name->second); !email)
    return fail(field_error("user.name", email.error().message));
  return name->second;
}

json binding(const std::string& email, const std::string& ns, std::string_view role) {
  return {{"user", {{"kind", "User"}, {"name", email}}},
          {"referredNamespace", ns},
          {"RoleRef", {{"kind", "ClusterRole"}, {"name", std::string(role)}}},
          {"status", ""}};
}

std::string query(const ApiRequest& request, const std::string& name) {
  auto it = request.query.find(name);
  return it == request.query.end() ? "" : it->second;
}

// KFAM answers a write with 200 and no body; kftenant's errors keep their statuses.
ApiResponse as_kfam(ApiResponse answer) {
  if (answer.status >= 400) return answer;
  answer.status = 200;
  answer.body = json::object();
  return answer;
}

}  // namespace

void KfamApi::add_routes(RouteTable& routes) {
  const std::vector<QueryParameter> filters = {
      {"user", "only this user's bindings (exactly as stored)"},
      {"namespace", "only this namespace's"},
      {"role", "only this role's: admin, edit or view"}};
  routes.add({"GET",
              "/kfam/v1/bindings",
              "kfamListBindings",
              "KFAM: contributor bindings (owners as admin) of the profiles the caller may see",
              Access::kSignedIn,
              filters,
              {503},
              [this](const ApiRequest& r) { return list_bindings(r); }});
  for (bool add : {true, false}) {
    Route route{add ? "POST" : "DELETE",
                "/kfam/v1/bindings",
                add ? "kfamCreateBinding" : "kfamDeleteBinding",
                add ? "KFAM: give a user a role in a namespace (its owner or an administrator)"
                    : "KFAM: take a user's role in a namespace away (its owner or an "
                      "administrator)",
                Access::kProfileOwner,
                {},
                {400, 404, 409, 415, 422, 503},
                [this, add](const ApiRequest& r) { return change_binding(r, add); }};
    route.request_schema = binding_schema();
    routes.add(std::move(route));
  }
  Route create{"POST",
               "/kfam/v1/profiles",
               "kfamCreateProfile",
               "KFAM: create a Profile (for oneself; for others, administrators only)",
               Access::kSignedIn,
               {},
               {400, 403, 409, 415, 422, 503},
               [this](const ApiRequest& r) { return create_profile(r); }};
  create.request_schema = profile_schema();
  routes.add(std::move(create));
  routes.add({"DELETE",
              "/kfam/v1/profiles/{profile}",
              "kfamDeleteProfile",
              "KFAM: delete a Profile (its owner or an administrator)",
              Access::kProfileOwner,
              {},
              {404, 409, 503},
              [this](const ApiRequest& r) { return delete_profile(r); }});
  routes.add({"GET",
              "/kfam/v1/role/clusteradmin",
              "kfamIsClusterAdmin",
              "KFAM: whether ?user= is an administrator (true/false; the caller's own, or an "
              "administrator's question)",
              Access::kSignedIn,
              {{"user", "the email asked about"}},
              {400},
              [this](const ApiRequest& r) { return cluster_admin(r); }});
}

ApiResponse KfamApi::list_bindings(const ApiRequest& request) {
  auto views = views_.current();
  if (!views) return error_response(views.error());
  const ViewSnapshot& snapshot = **views;
  const Caller& caller = *request.caller;
  const std::string user = query(request, "user"), ns = query(request, "namespace"),
                    role = query(request, "role");
  json bindings = json::array();
  auto add = [&](const std::string& email, const std::string& in, std::string_view as) {
    // Filters compare with the `user` and `role` annotations exactly, as KFAM's do.
    if ((!user.empty() && email != user) || (!role.empty() && as != role)) return;
    bindings.push_back(binding(email, in, as));
  };
  for (size_t i = 0; i < snapshot.profiles.size(); ++i) {
    const auto& p = snapshot.profiles[i].view;
    // Kubeflow names a profile's namespace after it.
    if (!ns.empty() && p.name != ns) continue;
    if (!caller.admin && snapshot.role_of(caller.email, i).empty()) continue;
    // The owner's row is KFAM's namespaceAdmin binding: there once the namespace is.
    if (!p.owner.empty() && p.namespace_phase != "missing") add(p.owner, p.name, "admin");
    for (const auto& c : p.contributors) add(c.email, p.name, kubeflow::to_string(c.role));
  }
  return {200, json{{"bindings", std::move(bindings)}}, "", ""};
}

ApiResponse KfamApi::change_binding(const ApiRequest& request, bool add) {
  auto body = JsonBody::parse(request, binding_schema());
  if (!body) return error_response(body.error());
  const std::string ns = *body->string("referredNamespace");
  if (auto refused = profiles_.refuse_unless_owner(
          request, ns, add ? "add a binding to" : "remove a binding from"))
    return *refused;
  auto email = user_of_binding(*body);
  if (!email) return error_response(email.error());
  ApiResponse answer;
  if (add) {
    auto role = role_of_binding(*body);
    if (!role) return error_response(role.error());
    answer = profiles_.apply_share(ns, *email, *role, 200);
  } else {
    answer = profiles_.apply_unshare(ns, *email);
  }
  answer.audit_target.emplace("namespace", ns);
  answer.audit_target.emplace("email", *email);
  return as_kfam(std::move(answer));
}

ApiResponse KfamApi::create_profile(const ApiRequest& request) {
  auto body = JsonBody::parse(request, profile_schema());
  if (!body) return error_response(body.error());
  const json& doc = body->value();
  tenancy::CreateProfileRequest create;
  const json name = doc["metadata"].value("name", json());
  if (!name.is_string())
    return error_response(field_error("metadata.name", "metadata.name is required"));
  create.name = name.get<std::string>();
  const json& spec = doc["spec"];
  const json owner = spec.value("owner", json::object());
  if (!owner.is_object() || owner.value("kind", "") != "User" ||
      !owner.value("name", json()).is_string())
    return error_response(field_error(
        "spec.owner", "spec.owner must be {\"kind\": \"User\", \"name\": the owner's email}"));
  create.owner = owner["name"].get<std::string>();
  if (spec.contains("resourceQuotaSpec")) {
    const json hard = spec["resourceQuotaSpec"].value("hard", json::object());
    if (!hard.is_object())
      return error_response(field_error("spec.resourceQuotaSpec.hard", "must be an object"));
    for (auto it = hard.begin(); it != hard.end(); ++it) {
      if (!it.value().is_string())
        return error_response(field_error("spec.resourceQuotaSpec.hard." + it.key(),
                                          "quota values are strings (\"4\", \"8Gi\")"));
      create.quota.emplace(it.key(), it.value().get<std::string>());
    }
  }
  for (auto it = spec.begin(); it != spec.end(); ++it)
    if (it.key() != "owner" && it.key() != "resourceQuotaSpec")
      return error_response(field_error(
          "spec." + it.key(),
          fmt::format("spec.{} is not supported by kftenant (owner and resourceQuotaSpec are)",
                      it.key())));
  ApiResponse answer = profiles_.create(request, std::move(create), 200);
  answer.audit_target.emplace("name", name.get<std::string>());
  return as_kfam(std::move(answer));
}

ApiResponse KfamApi::delete_profile(const ApiRequest& request) {
  const std::string& name = request.path_params.at("profile");
  if (auto refused = profiles_.refuse_unless_owner(request, name, "delete")) return *refused;
  return as_kfam(profiles_.apply_delete(name));
}

ApiResponse KfamApi::cluster_admin(const ApiRequest& request) {
  const Caller& caller = *request.caller;
  const std::string user = query(request, "user");
  if (user.empty())
    return error_response(field_error("user", "?user= is required: the email asked about"));
  const bool self = dex::normalize_email(user) == dex::normalize_email(caller.email);
  if (!self && !caller.admin)
    return error_response(api_error(
        ErrorCode::kForbidden,
        fmt::format("{} may ask only about themselves: ?user={}", caller.email, caller.email)));
  // The caller's own flag, or (an administrator asking) whether `user` is one of them.
  if (self) return {200, json(caller.admin), "", ""};
  auto admin = is_admin_(user);
  if (!admin) return error_response(admin.error());
  return {200, json(*admin), "", ""};
}

}  // namespace kftenant::server
