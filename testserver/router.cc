// The HTTP entry point: faults, authentication, content negotiation, routing to discovery,
// control endpoints and resource handlers, encoding of the answer, request log.
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "kftenant/yaml.h"
#include "testserver/discovery.h"
#include "testserver/query.h"
#include "testserver/request_body.h"
#include "testserver/request_info.h"
#include "testserver/typing.h"

namespace kftenant::testserver {
namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string p;
  while (std::getline(ss, p, '/')) {
    if (!p.empty()) parts.push_back(p);
  }
  return parts;
}

Reply page_not_found() {
  Reply r;
  r.status = 404;
  r.plain_text = true;
  r.body_text = "404 page not found\n";
  return r;
}

// Whether the Accept header allows JSON or YAML; sets *yaml when YAML is preferred.
bool acceptable(const std::string& accept, bool* yaml) {
  *yaml = false;
  if (accept.empty()) return true;
  std::stringstream ss(accept);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = item.substr(0, item.find(';'));
    item.erase(std::remove_if(item.begin(), item.end(), ::isspace), item.end());
    if (item == "application/json" || item == "*/*" || item == "application/*" ||
        item == "application/json;stream=watch" || item == "application/vnd.kubernetes.protobuf") {
      return true;
    }
    if (item == "application/yaml") {
      *yaml = true;
      return true;
    }
  }
  return false;
}

std::string verb_for(const std::string& method, const Route& r, bool watch) {
  if (method == "GET") return r.name.empty() ? (watch ? "watch" : "list") : "get";
  if (method == "POST") return "create";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return r.name.empty() ? "deletecollection" : "delete";
  return "";
}

// strconv.ParseUint(s, 10, 64)'s error for a resourceVersion, or "" when it parses.
std::string parse_uint_error(const std::string& s) {
  bool digits =
      !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) return "strconv.ParseUint: parsing " + go_quote(s) + ": invalid syntax";
  std::string trimmed = s.substr(std::min(s.find_first_not_of('0'), s.size()));
  if (trimmed.size() > 20 || (trimmed.size() == 20 && trimmed > "18446744073709551615")) {
    return "strconv.ParseUint: parsing " + go_quote(s) + ": value out of range";
  }
  return "";
}

// What kube-apiserver 1.26 refuses about a LIST/WATCH's options before it reads anything:
// ValidateListOptions (apimachinery/pkg/apis/meta/internalversion/validation), the query's
// integer conversions, and the storage's resourceVersion parsing (apiserver/pkg/storage/etcd3
// ParseResourceVersion: a 400 where the list is served from etcd at that revision, a 500 else).
std::optional<Reply> check_list_options(const httplib::Request& req, const ListQuery& q) {
  for (const char* name : {"limit", "timeoutSeconds"}) {
    std::string v = query_param(req, name);
    if (v.empty()) continue;
    char* end = nullptr;
    errno = 0;
    (void)std::strtoll(v.c_str(), &end, 10);
    if (end == v.c_str() || *end != '\0' || errno == ERANGE) {
      return Reply::status_body(
          bad_request("strconv.ParseInt: parsing " + go_quote(v) + ": " +
                      (errno == ERANGE ? "value out of range" : "invalid syntax")));
    }
  }
  const std::string& match = q.resource_version_match;
  std::vector<FieldError> errors;
  if (!match.empty()) {
    if (q.watch) {
      errors.push_back(
          field_forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden for watch"));
    }
    if (q.resource_version.empty()) {
      errors.push_back(
          field_forbidden("resourceVersionMatch",
                          "resourceVersionMatch is forbidden unless resourceVersion is provided"));
    }
    if (!q.continue_token.empty()) {
      errors.push_back(field_forbidden(
          "resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
    }
    if (match != "Exact" && match != "NotOlderThan") {
      errors.push_back(
          field_not_supported("resourceVersionMatch", match, {"Exact", "NotOlderThan", ""}));
    }
    if (match == "Exact" && q.resource_version == "0") {
      errors.push_back(
          field_forbidden("resourceVersionMatch",
                          "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
    }
  }
  if (!errors.empty()) {
    return Reply::status_body(
        make_invalid_status(GroupKind{"meta.k8s.io", "ListOptions"}, "", errors));
  }
  if (!q.resource_version.empty()) {
    if (std::string e = parse_uint_error(q.resource_version); !e.empty()) {
      std::string message =
          "resourceVersion: Invalid value: " + go_quote(q.resource_version) + ": " + e;
      if (!q.watch && (match == "Exact" || q.limit > 0)) {
        return Reply::status_body(bad_request("invalid resource version: " + message));
      }
      return Reply::status_body(make_status(500, "", message));
    }
  }
  return std::nullopt;
}

ListQuery list_query(const httplib::Request& req) {
  ListQuery q;
  q.label_selector = query_param(req, "labelSelector");
  q.field_selector = query_param(req, "fieldSelector");
  q.resource_version = query_param(req, "resourceVersion");
  q.resource_version_match = query_param(req, "resourceVersionMatch");
  q.continue_token = query_param(req, "continue");
  std::string w = query_param(req, "watch");
  q.watch = w == "1" || w == "true";
  q.bookmarks = query_param(req, "allowWatchBookmarks") == "true";
  try {
    if (!query_param(req, "limit").empty()) q.limit = std::stoll(query_param(req, "limit"));
    if (!query_param(req, "timeoutSeconds").empty()) {
      q.timeout_seconds = std::stoll(query_param(req, "timeoutSeconds"));
    }
  } catch (...) {
  }
  return q;
}

}  // namespace

// The one place the server reads query parameters. httplib's own req.params leave '+'
// undecoded, so the raw target is decoded the way the real server's url.ParseQuery does.
std::string query_param(const httplib::Request& req, const std::string& name) {
  size_t q = req.target.find('?');
  if (q == std::string::npos) return "";
  return query_get(parse_query(std::string_view(req.target).substr(q + 1)), name);
}

Result<Route> ApiServer::Impl::parse_route(const std::string& path, bool* not_api,
                                           Reply* not_found_reply) const {
  *not_api = false;
  auto parts = split_path(path);
  Route r;
  size_t i = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    r.version = parts[1];
    i = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    r.group = parts[1];
    r.version = parts[2];
    i = 3;
  } else {
    *not_api = true;
    *not_found_reply = page_not_found();
    return make_error(ErrorCode::kNotFound, "not an API path");
  }
  bool core = parts[0] == "api";
  if (!registry.has_group_version(r.group, r.version) || (core && r.version != "v1")) {
    // An unknown version of a built-in group (or of the core API) reaches go-restful's
    // container, which answers a Status; unknown groups and versions of CRD groups get the
    // plain "404 page not found" (tests/differential k09-discovery).
    bool builtin_group =
        core || r.group == "authentication.k8s.io" || r.group == "authorization.k8s.io";
    for (const auto& info : registry.all()) {
      builtin_group = builtin_group || (!info->custom && info->group == r.group);
    }
    const bool known_version =
        !core && (r.group == "authentication.k8s.io" || r.group == "authorization.k8s.io") &&
        r.version == "v1";
    *not_found_reply = builtin_group && !known_version
                           ? Reply::status_body(generic_server_response(404))
                           : page_not_found();
    return make_error(ErrorCode::kNotFound, "unknown group/version");
  }
  std::vector<std::string> rest(parts.begin() + static_cast<long>(i), parts.end());
  if (rest.size() >= 2 && rest[0] == "namespaces" &&
      (rest.size() == 2 || (rest[2] != "status" && rest[2] != "finalize"))) {
    r.ns = rest[1];
    if (rest.size() > 2) {
      rest.erase(rest.begin(), rest.begin() + 2);
    } else {
      rest = {"namespaces", r.ns};
      r.ns.clear();
    }
  }
  if (rest.empty() || rest.size() > 3) {
    *not_found_reply = core ? Reply::status_body(generic_server_response(404)) : page_not_found();
    return make_error(ErrorCode::kNotFound, "bad path");
  }
  r.plural = rest[0];
  if (rest.size() > 1) r.name = rest[1];
  if (rest.size() > 2) r.subresource = rest[2];
  r.info = registry.find(r.group, r.version, r.plural);
  bool ok = r.info != nullptr;
  if (ok && !r.info->namespaced && !r.ns.empty()) ok = false;
  if (ok && r.info->namespaced && r.ns.empty() && !r.name.empty()) ok = false;
  if (ok && !r.subresource.empty()) {
    ok = (r.subresource == "status" && r.info->has_status) ||
         (r.subresource == "scale" && r.info->has_scale) ||
         (r.subresource == "finalize" && core && r.plural == "namespaces") ||
         (r.subresource == "token" && core && r.plural == "serviceaccounts");
  }
  if (!ok) {
    *not_found_reply = core ? Reply::status_body(generic_server_response(404)) : page_not_found();
    return make_error(ErrorCode::kNotFound, "unknown resource");
  }
  return r;
}

std::optional<Reply> ApiServer::Impl::discovery(const std::string& path,
                                                const httplib::Request& req) {
  (void)req;
  auto parts = split_path(path);
  auto crd_entries = [this] {
    std::vector<ResourceInfo> out;
    auto lock = store.lock();
    for (const auto& [key, crd] : store.list("customresourcedefinitions.apiextensions.k8s.io")) {
      auto entries = resources_from_crd(*crd);
      out.insert(out.end(), entries.begin(), entries.end());
    }
    return out;
  };
  if (parts.size() == 1 && parts[0] == "api") {
    return Reply::object(200, api_versions_document("127.0.0.1:" + std::to_string(bound_port)));
  }
  if (parts.size() == 1 && parts[0] == "apis") {
    return Reply::object(200, api_group_list_document(crd_entries()));
  }
  if (parts.size() == 2 && parts[0] == "apis") {
    if (auto doc = api_group_document(parts[1], crd_entries())) return Reply::object(200, *doc);
    return page_not_found();
  }
  if ((parts.size() == 2 && parts[0] == "api") || (parts.size() == 3 && parts[0] == "apis")) {
    std::string group = parts[0] == "api" ? "" : parts[1];
    std::string version = parts.back();
    if (auto doc = api_resource_list_document(group, version, crd_entries())) {
      return Reply::object(200, *doc);
    }
    return std::nullopt;  // the route's own 404 (a Status for built-in groups)
  }
  if (parts.size() == 1 && parts[0] == "version") {
    ojson v = {{"major", "1"},
               {"minor", "26"},
               {"gitVersion", "v1.26.4"},
               {"gitCommit", "f89670c3aa4059d6999cb42e23ccb4f0b9d03979"},
               {"gitTreeState", "clean"},
               {"buildDate", "2023-04-12T12:05:35Z"},
               {"goVersion", "go1.19.8"},
               {"compiler", "gc"},
               {"platform", "linux/amd64"}};
    return Reply::object(200, v);
  }
  if (parts.size() == 1 && (parts[0] == "healthz" || parts[0] == "livez" || parts[0] == "readyz")) {
    Reply r;
    r.plain_text = true;
    r.body_text = "ok";
    return r;
  }
  return std::nullopt;
}

void ApiServer::Impl::write_reply(const httplib::Request& req, httplib::Response& res,
                                  const Reply& reply, bool custom_sorted) {
  (void)custom_sorted;
  res.status = reply.status;
  for (const auto& w : reply.warnings) {
    std::string escaped;
    for (char c : w) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    res.set_header("Warning", "299 - \"" + escaped + "\"");
  }
  for (const auto& [k, v] : reply.headers) res.set_header(k, v);
  if (reply.plain_text) {
    res.set_content(reply.body_text, "text/plain; charset=utf-8");
    return;
  }
  bool yaml_out = false;
  acceptable(req.get_header_value("Accept"), &yaml_out);
  if (yaml_out) {
    res.set_content(yaml::emit(to_json(reply.body)), "application/yaml");
  } else {
    res.set_content(reply.body.dump(), "application/json");
  }
}

void ApiServer::Impl::handle(const httplib::Request& req, httplib::Response& res) {
  const std::string& path = req.path;
  std::string query;
  if (auto q = req.target.find('?'); q != std::string::npos) query = req.target.substr(q + 1);
  RequestRecord rec{req.method, path, query, "", 0, "", req.get_header_value("Content-Type")};
  auto finish = [&](const Reply& reply) {
    write_reply(req, res, reply, false);
    rec.status = reply.status;
    record(rec);
  };

  std::optional<FaultRule> fault = take_fault(req.method, path);
  if (fault) rec.fault = describe_fault(*fault);
  if (fault && fault->latency.count() > 0) std::this_thread::sleep_for(fault->latency);
  int fd = req.ssl ? SSL_get_fd(const_cast<SSL*>(req.ssl)) : -1;
  if (fault && fault->drop_connection && fault->drop_before_processing) {
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    record(rec);
    return;
  }

  // The real filter chain: request info, authentication, authorization, then the handlers
  // (routing, content negotiation). A forbidden request never learns what exists.
  RequestInfoResult info = request_info(req.method, path, query);
  if (info.error) {
    // responsewriters.InternalError: plain text, the request URI quoted.
    Reply r;
    r.status = 500;
    r.plain_text = true;
    r.body_text = "Internal Server Error: " + go_quote(req.target) +
                  ": failed to create RequestInfo: " + *info.error + "\n";
    return finish(r);
  }
  auto user = authenticate(req);
  if (!user) return finish(Reply::status_body(unauthorized()));
  rec.user = user->name;
  struct RequestUser {  // the request context's user, for the RBAC storage's checks
    explicit RequestUser(const User* u) { request_user = u; }
    ~RequestUser() { request_user = nullptr; }
  } request_user_scope(&*user);
  if (fault && fault->status != 0) {
    bool not_api = false;
    Reply nf;
    auto route = parse_route(path, &not_api, &nf);
    return finish(fault_reply(*fault, route ? &*route : nullptr));
  }
  if (auto denied = authorize(*user, info.info)) return finish(*denied);

  bool yaml_out = false;
  if (!acceptable(req.get_header_value("Accept"), &yaml_out)) {
    return finish(Reply::status_body(generic_server_response(
        406,
        "406: Not Acceptable\n\nAvailable representations: application/json, application/yaml, "
        "application/vnd.kubernetes.protobuf")));
  }

  if (path.rfind("/testserver/", 0) == 0) return finish(control(req));

  bool drop_after = fault && fault->drop_connection;
  auto send = [&](const Reply& reply) {
    if (!drop_after) return finish(reply);
    // Answer the status line, headers and half of the body, then cut the connection.
    write_reply(req, res, reply, false);
    std::string body = res.body;
    std::string content_type = res.get_header_value("Content-Type");
    res.body.clear();
    res.set_content_provider(body.size(), content_type,
                             [body, fd](size_t offset, size_t, httplib::DataSink& sink) {
                               if (offset == 0) sink.write(body.data(), body.size() / 2);
                               if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
                               return false;
                             });
    rec.status = reply.status;
    record(rec);
  };

  bool not_api = false;
  Reply nf;
  auto route = parse_route(path, &not_api, &nf);
  if (!route) {
    if (req.method == "GET") {
      if (auto d = discovery(path, req)) return send(*d);
    }
    if (auto r = review(*user, req)) return send(*r);
    return finish(nf);
  }
  ListQuery q = list_query(req);
  std::string verb = verb_for(req.method, *route, q.watch);
  // namespaces/finalize serves only PUT and serviceaccounts/token only POST (the real server
  // registers no other method there: go-restful's 405).
  if ((route->subresource == "finalize" && verb != "update") ||
      (route->subresource == "token" && verb != "create")) {
    verb.clear();
  }
  if (verb.empty()) return finish(Reply::status_body(generic_server_response(405)));

  if (verb == "watch" || verb == "list") {
    if (auto bad = check_list_options(req, q)) return finish(*bad);
  }
  if (verb == "watch") {
    if (auto sel = parse_selectors(*route, q); !sel) {
      return finish(Reply::status_body(bad_request(sel.error().message)));
    }
    // Compression would buffer the events of a stream.
    const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
    serve_watch(*route, q, req, res, drop_after);
    rec.status = 200;
    record(rec);
    return;
  }

  Reply reply;
  if (route->subresource == "token") {
    auto lock = store.lock();
    return send(do_token_request(*route, req.body));
  }
  if (verb == "create" || verb == "update") {
    if (!route->name.empty() && verb == "create") {
      return finish(Reply::status_body(generic_server_response(405)));
    }
    std::optional<ojson> body = parse_object_body(*route->info, req, &reply);
    if (!body) return finish(reply);
    auto lock = store.lock();
    reply = verb == "create" ? do_create(*route, std::move(*body), req)
                             : do_update(*route, std::move(*body), req);
  } else {
    auto lock = store.lock();
    if (verb == "get") reply = do_get(*route);
    if (verb == "list") reply = do_list(*route, q);
    if (verb == "patch") reply = do_patch(*route, req.body, req);
    if (verb == "delete") {
      ojson options = req.body.empty() ? ojson() : ojson::parse(req.body, nullptr, false);
      if (options.is_discarded()) options = ojson();
      reply = do_delete(*route, options, req);
    }
    if (verb == "deletecollection") reply = do_delete_collection(*route, q, req);
  }
  send(reply);
}

}  // namespace kftenant::testserver
