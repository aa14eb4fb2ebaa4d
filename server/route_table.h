// The REST API's routes as data: method, path pattern, who may call it, and the handler. The
// HTTP front (http_server.h) dispatches through it and the OpenAPI document is generated from it
// (openapi.h), so the document cannot drift from what is served.
//
// A pattern is a path whose segments are literals or {name} placeholders
// ("/api/v1/users/{email}"); a placeholder matches one non-empty segment (already percent-
// decoded by the HTTP layer) and is handed to the handler in ApiRequest::path_params.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kftenant::server {

// Who may call a route. Object-level rules (is the caller this profile's owner?) are the
// handler's to check; this is what the route promises, what the OpenAPI document states in
// x-kftenant-access and what the README's table lists.
enum class Access {
  kAnyone,         // no identity needed (health, the OpenAPI document)
  kSignedIn,       // any identified caller
  kAdmin,          // an administrator only
  kAdminOrSelf,    // an administrator, or the user the path names
  kProfileMember,  // an administrator, or the profile's owner or a contributor
  kProfileOwner,   // an administrator, or the profile's owner
};
[[nodiscard]] std::string_view to_string(Access access);

// The caller as identity.h established it.
struct Caller {
  // As the header gives it, without the prefix: Kubeflow compares a Profile's owner and a
  // contributor binding's user with it byte for byte, and so does this server.
  // With --identity token, the token's username minus the prefix (an email for OIDC users,
  // system:serviceaccount:NS:NAME for a ServiceAccount).
  std::string email;
  std::vector<std::string> groups;  // the groups header's, or the token's
  bool admin = false;
};

struct ApiRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> path_params;
  std::map<std::string, std::string> query;  // the first value of each parameter
  std::string body;
  std::string content_type;
  std::string accept;            // the Accept header ("" when absent)
  std::optional<Caller> caller;  // set for every route but kAnyone ones
  std::string request_id;
  // Who connected: the first X-Forwarded-For address when the request has one (behind the
  // ingress every request comes from the gateway's sidecar), else the peer's address.
  std::string client_address;
};

struct ApiResponse {
  int status = 200;
  nlohmann::json body;  // sent as application/json unless `text` is set
  std::string text;     // a non-JSON body (text/plain unless content_type says otherwise)
  std::string content_type;
  // Set instead of `text`: bytes others hold too (a view snapshot's page, sent by every
  // request for it), written from where they are rather than copied per answer.
  std::shared_ptr<const std::string> shared_text = nullptr;
  // What a write acted on beyond the path's parameters (the email a POST /api/v1/users
  // created): added to the audit line's target. Never a password.
  std::map<std::string, std::string> audit_target = {};
  std::map<std::string, std::string> headers = {};  // sent with the answer (Retry-After)
  // Set: the body is produced while it is sent (chunked; `content_type` says what it is, e.g.
  // text/event-stream), by calling this on the server's thread with a writer that returns
  // false once the client has gone. `body` and `text` are then unused.
  std::function<void(const std::function<bool(std::string_view)>& write)> stream = nullptr;
};

using Handler = std::function<ApiResponse(const ApiRequest&)>;

struct QueryParameter {
  std::string name;
  std::string description;
};

struct Route {
  std::string method;   // "GET", "POST", ...
  std::string pattern;  // "/api/v1/users/{email}"
  std::string operation_id;
  std::string summary;
  Access access = Access::kSignedIn;
  std::vector<QueryParameter> query_parameters;
  std::vector<int> error_statuses;  // besides 401/403 (implied by access): 404, 400, ...
  Handler handler;
  // The JSON body the route takes (json_body.h's schema subset), null for none: what the
  // OpenAPI document shows and what JsonBody::parse checks, one value for both.
  nlohmann::json request_schema = nullptr;
  int success_status = 200;
  // A write: its requests get an audit line (HttpServer), whatever their answer.
  [[nodiscard]] bool mutating() const { return method != "GET" && method != "HEAD"; }
};

class RouteTable {
 public:
  // Adds a route; a second route with the same method and pattern replaces nothing: it is a bug
  // of the caller and is refused with false.
  bool add(Route route);

  struct Lookup {
    const Route* route = nullptr;  // null: no route for this method and path
    std::map<std::string, std::string> path_params;
    // With no route: the methods the path has routes for ("" = the path is unknown: 404; some:
    // 405 with an Allow header).
    std::vector<std::string> allowed_methods;
  };
  [[nodiscard]] Lookup find(const std::string& method, const std::string& path) const;

  [[nodiscard]] const std::vector<Route>& routes() const { return routes_; }

 private:
  // A pattern split once at add(), so that find() (every request) neither sorts nor splits.
  struct CompiledPattern {
    size_t route = 0;                   // index into routes_
    std::vector<std::string> segments;  // "{name}" kept as written
    size_t placeholders = 0;
  };
  std::vector<Route> routes_;
  std::vector<CompiledPattern> order_;  // fewer placeholders first, then in the order added
};

// An OpenAPI 3.0 document of every route: paths, operationIds, path and query parameters, the
// access rule (x-kftenant-access) and the error answers, all of them the {code, message, field}
// object.
[[nodiscard]] nlohmann::json openapi_document(const RouteTable& routes, const std::string& title,
                                              const std::string& version);

// Adds GET /api/v1/openapi.json (anyone), answering openapi_document() of `routes` as they are
// once it has been added: call it after every other route.
void add_openapi_route(RouteTable& routes, const std::string& version);

}  // namespace kftenant::server
