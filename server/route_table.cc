#include "server/route_table.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>
#include <string_view>

namespace kftenant::server {
namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) break;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_placeholder(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// A path with a trailing slash or an empty segment ("/api/v1/users//x") matches nothing:
// clients get a 404, not a guess.
bool well_formed(std::string_view path) {
  return !path.empty() && path.front() == '/' && (path.size() == 1 || path.back() != '/') &&
         path.find("//") == std::string_view::npos;
}

std::string status_description(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad request: the body or a parameter is malformed";
    case 401:
      return "No identity: the caller could not be identified";
    case 403:
      return "Forbidden: the caller may not do this";
    case 201:
      return "Created";
    case 404:
      return "Not found";
    case 409:
      return "Refused: the cluster's state does not allow it (owned by another, a different "
             "password), or a conflict that re-planning did not resolve";
    case 413:
      return "The body is over the server's limit, or the change would make an object too large";
    case 415:
      return "The body is not application/json";
    case 422:
      return "The body parses but a field is invalid (the field is named)";
    case 429:
      return "Too many requests: retry after the Retry-After header's seconds";
    case 503:
      return "Not ready, or the Kubernetes API server cannot be reached";
    default:
      return "Error";
  }
}

}  // namespace

std::string_view to_string(Access access) {
  switch (access) {
    case Access::kAnyone:
      return "anyone";
    case Access::kSignedIn:
      return "signed-in";
    case Access::kAdmin:
      return "admin";
    case Access::kAdminOrSelf:
      return "admin-or-self";
    case Access::kProfileMember:
      return "admin-or-profile-member";
    case Access::kProfileOwner:
      return "admin-or-profile-owner";
  }
  return "?";
}

bool RouteTable::add(Route route) {
  for (const auto& r : routes_)
    if (r.method == route.method && r.pattern == route.pattern) return false;
  CompiledPattern compiled;
  compiled.route = routes_.size();
  for (auto segment : segments(route.pattern)) {
    compiled.segments.emplace_back(segment);
    if (is_placeholder(segment)) ++compiled.placeholders;
  }
  routes_.push_back(std::move(route));
  // A literal segment wins over a placeholder ("/api/v1/users/me" before "/api/v1/users/{email}"
  // if both existed): routes with fewer placeholders are tried first.
  auto at = std::upper_bound(
      order_.begin(), order_.end(), compiled.placeholders,
      [](size_t placeholders, const CompiledPattern& c) { return placeholders < c.placeholders; });
  order_.insert(at, std::move(compiled));
  return true;
}

RouteTable::Lookup RouteTable::find(const std::string& method, const std::string& path) const {
  Lookup out;
  if (!well_formed(path)) return out;
  const auto have = segments(path);
  std::set<std::string> allowed;
  for (const auto& compiled : order_) {
    const auto& want = compiled.segments;
    if (want.size() != have.size()) continue;
    bool match = true;
    for (size_t i = 0; i < want.size() && match; ++i)
      match = is_placeholder(want[i]) || want[i] == have[i];
    if (!match) continue;
    const Route& r = routes_[compiled.route];
    if (r.method != method) {
      allowed.insert(r.method);
      continue;
    }
    out.route = &r;
    for (size_t i = 0; i < want.size(); ++i)
      if (is_placeholder(want[i]))
        out.path_params.emplace(want[i].substr(1, want[i].size() - 2), have[i]);
    return out;
  }
  out.allowed_methods.assign(allowed.begin(), allowed.end());
  return out;
}

nlohmann::json openapi_document(const RouteTable& routes, const std::string& title,
                                const std::string& version) {
  using nlohmann::json;
  json paths = json::object();
  for (const auto& r : routes.routes()) {
    json op = {{"operationId", r.operation_id},
               {"summary", r.summary},
               {"x-kftenant-access", std::string(to_string(r.access))}};
    json parameters = json::array();
    for (auto segment : segments(r.pattern)) {
      if (!is_placeholder(segment)) continue;
      parameters.push_back({{"name", std::string(segment.substr(1, segment.size() - 2))},
                            {"in", "path"},
                            {"required", true},
                            {"schema", {{"type", "string"}}}});
    }
    for (const auto& q : r.query_parameters)
      parameters.push_back({{"name", q.name},
                            {"in", "query"},
                            {"required", false},
                            {"description", q.description},
                            {"schema", {{"type", "string"}}}});
    if (!parameters.empty()) op["parameters"] = std::move(parameters);
    // Either scheme, as `kftenant serve --identity` says; none for the open routes.
    if (r.access != Access::kAnyone)
      op["security"] =
          json::array({{{"kubeflowUserid", json::array()}}, {{"kubernetesToken", json::array()}}});
    std::set<int> errors(r.error_statuses.begin(), r.error_statuses.end());
    if (r.access != Access::kAnyone) errors.insert(401);
    if (r.access != Access::kAnyone && r.access != Access::kSignedIn) errors.insert(403);
    json responses = {{std::to_string(r.success_status),
                       {{"description", status_description(r.success_status)}}}};
    if (!r.request_schema.is_null())
      op["requestBody"] = {{"required", r.request_schema.contains("required")},
                           {"content", {{"application/json", {{"schema", r.request_schema}}}}}};
    for (int status : errors)
      responses[std::to_string(status)] = {
          {"description", status_description(status)},
          {"content",
           {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
    op["responses"] = std::move(responses);
    std::string method = r.method;
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    paths[r.pattern][method] = std::move(op);
  }
  json error_schema = {
      {"type", "object"},
      {"required", {"code", "message"}},
      {"properties",
       {{"code", {{"type", "string"}, {"description", "the kind of failure, e.g. NotFound"}}},
        {"message", {{"type", "string"}, {"description", "one line: what is wrong, what to do"}}},
        {"field", {{"type", "string"}, {"description", "the request field at fault"}}}}}};
  return {
      {"openapi", "3.0.3"},
      {"info", {{"title", title}, {"version", version}}},
      {"paths", std::move(paths)},
      {"components",
       {{"schemas", {{"Error", std::move(error_schema)}}},
        {"securitySchemes",
         {{"kubeflowUserid",
           {{"type", "apiKey"},
            {"in", "header"},
            {"name", "kubeflow-userid"},
            {"description",
             "--identity header (the default): the signed-in user, set by Kubeflow's ingress "
             "(the header's name is --userid-header)"}}},
          {"kubernetesToken",
           {{"type", "http"},
            {"scheme", "bearer"},
            {"description", "--identity token: a Kubernetes token, checked by TokenReview"}}}}}}}};
}

void add_openapi_route(RouteTable& routes, const std::string& version) {
  auto document = std::make_shared<nlohmann::json>();
  routes.add({"GET",
              "/api/v1/openapi.json",
              "getOpenApi",
              "This document: every endpoint, its parameters, who may call it, its errors",
              Access::kAnyone,
              {},
              {},
              [document](const ApiRequest&) {
                return ApiResponse{200, *document, "", ""};
              }});
  *document = openapi_document(routes, "kftenant", version);
}

}  // namespace kftenant::server
