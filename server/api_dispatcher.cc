#include "server/api_dispatcher.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <ctime>
#include <random>

#include "server/api_error.h"

namespace kftenant::server {
namespace {

// `text` as a JSON string literal, invalid UTF-8 replaced.
std::string json_string(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string random_prefix() {
  std::random_device rd;
  return fmt::format("{:08x}", rd());
}

ApiResponse error_answer(const ApiError& error) {
  return ApiResponse{error.status, to_json(error), "", ""};
}

}  // namespace

ApiDispatcher::ApiDispatcher(const RouteTable& routes, const HttpServerOptions& options)
    : routes_(routes),
      options_(options),
      identity_(options_.identity),
      access_writer_(options_.access_log ? std::make_unique<LineWriter>(*options_.access_log)
                                         : nullptr),
      request_prefix_(random_prefix()) {}

ApiDispatcher::~ApiDispatcher() = default;

ApiResponse ApiDispatcher::answer(const IncomingRequest& in, const std::string& request_id,
                                  std::string& route_name, std::string& caller_name,
                                  const Route*& audited,
                                  std::map<std::string, std::string>& target) {
  if (in.path == "/healthz") {
    route_name = in.path;
    return ApiResponse{200, {}, "ok\n", ""};
  }
  if (in.path == "/readyz") {
    route_name = in.path;
    if (!options_.ready || options_.ready()) return ApiResponse{200, {}, "ok\n", ""};
    return error_answer(api_error(ErrorCode::kServerError,
                                  "not ready: the cache of the cluster has not synced yet"));
  }
  if (in.path == "/metrics" && options_.metrics && in.method == "GET") {
    route_name = in.path;
    return ApiResponse{
        200, {}, options_.metrics->render(), std::string(ServeMetrics::kContentType)};
  }
  auto lookup = routes_.find(in.method, in.path);
  if (!lookup.route) {
    if (lookup.allowed_methods.empty()) {
      return error_answer(api_error(
          ErrorCode::kNotFound,
          fmt::format("no such endpoint: {} (GET /api/v1/openapi.json lists them)", in.path)));
    }
    ApiResponse refused =
        error_answer(api_error(ErrorCode::kMethodNotAllowed,
                               fmt::format("{} does not take {}: it takes {}", in.path, in.method,
                                           fmt::join(lookup.allowed_methods, ", "))));
    refused.headers["Allow"] = fmt::format("{}", fmt::join(lookup.allowed_methods, ", "));
    return refused;
  }
  const Route& route = *lookup.route;
  route_name = route.pattern;
  if (route.mutating()) {
    audited = &route;
    target = lookup.path_params;
  }
  ApiRequest request;
  request.method = in.method;
  request.path = in.path;
  request.path_params = std::move(lookup.path_params);
  for (const auto& [key, value] : in.query) request.query.emplace(key, value);
  request.body = in.body;
  request.content_type = in.header("Content-Type").value_or("");
  request.accept = in.header("Accept").value_or("");
  request.request_id = request_id;
  request.client_address = in.peer_address;
  if (auto forwarded = in.header("X-Forwarded-For"); forwarded && !forwarded->empty()) {
    auto first = forwarded->substr(0, forwarded->find(','));
    std::erase_if(first, [](unsigned char c) { return std::isspace(c); });
    if (!first.empty()) request.client_address = first;
  }
  if (route.access != Access::kAnyone) {
    auto caller = identity_.identify(in.header);
    if (!caller) return error_answer(api_error(caller.error()));
    caller_name = caller->email;
    if (route.access == Access::kAdmin && !caller->admin) {
      return error_answer(
          api_error(ErrorCode::kForbidden,
                    fmt::format("{} is not an administrator: {} {} is for administrators only "
                                "(kftenant serve --admin)",
                                caller->email, route.method, route.pattern)));
    }
    request.caller = std::move(*caller);
  }
  try {
    ApiResponse answer = route.handler(request);
    if (audited) target.merge(answer.audit_target);
    return answer;
  } catch (...) {
    return error_answer(api_error(ErrorCode::kInternal,
                                  "internal error (a bug in kftenant): the request may be "
                                  "retried; please report it with the X-Request-Id"));
  }
}

ApiResponse ApiDispatcher::dispatch(const IncomingRequest& in) {
  const auto started = std::chrono::steady_clock::now();
  if (options_.metrics) options_.metrics->request_started();
  const std::string request_id = fmt::format("{}-{}", request_prefix_, next_request_.fetch_add(1));
  std::string route_name = "-", caller_name = "-";
  const Route* audited = nullptr;
  std::map<std::string, std::string> target;
  ApiResponse out = answer(in, request_id, route_name, caller_name, audited, target);
  out.headers["X-Request-Id"] = request_id;

  const std::string now = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
  if (audited && options_.audit_log) {
    std::string result = "ok";
    if (out.status >= 400)
      result = out.body.is_object() ? out.body.value("code", "error") : "error";
    nlohmann::json line = {{"time", now},           {"requestId", request_id},
                           {"caller", caller_name}, {"action", audited->operation_id},
                           {"target", target},      {"status", out.status},
                           {"result", result}};
    std::lock_guard lock(log_mu_);
    *options_.audit_log << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                        << "\n"
                        << std::flush;
  }
  const auto took = std::chrono::steady_clock::now() - started;
  if (options_.metrics) {
    options_.metrics->observe_request(in.method, route_name == "-" ? "" : route_name, out.status,
                                      took);
    options_.metrics->request_finished();
  }
  if (access_writer_) {
    const auto ms = std::chrono::duration<double, std::milli>(took).count();
    // Formatted rather than built as a json object (a map per line: a tenth of a cached read's
    // time); the strings a client chooses are escaped by json_string().
    access_writer_->write(fmt::format(
        R"({{"caller":{},"method":{},"ms":{},"requestId":"{}","route":{},"status":{},"time":"{}"}})",
        json_string(caller_name), json_string(in.method), std::round(ms * 100) / 100, request_id,
        json_string(route_name), out.status, now));
  }
  return out;
}

void ApiDispatcher::flush_logs() {
  if (access_writer_) access_writer_->flush();
  // Audit lines are written under log_mu_ before their answer leaves: taking it orders them
  // before what the caller reads of the stream next (ThreadSanitizer does not count an answer
  // received over a socket as ordering).
  std::lock_guard lock(log_mu_);
}

}  // namespace kftenant::server
