#include "server/http_server.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <httplib.h>

#include <cctype>
#include <cmath>
#include <ctime>
#include <random>

#include "kftenant/listen_backlog.h"
#include "server/api_error.h"

namespace kftenant::server {
namespace {

void send(httplib::Response& res, const ApiResponse& answer) {
  res.status = answer.status;
  for (const auto& [name, value] : answer.headers) res.set_header(name, value);
  if (answer.stream) {
    res.set_chunked_content_provider(
        answer.content_type, [stream = answer.stream](size_t, httplib::DataSink& sink) {
          stream([&sink](std::string_view chunk) {
            return sink.is_writable() && sink.write(chunk.data(), chunk.size());
          });
          sink.done();
          return true;
        });
  } else if (!answer.text.empty() || !answer.content_type.empty()) {
    res.set_content(answer.text, answer.content_type.empty() ? "text/plain; charset=utf-8"
                                                             : answer.content_type);
  } else {
    res.set_content(answer.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "application/json");
  }
}

void send_error(httplib::Response& res, const ApiError& error) {
  send(res, ApiResponse{error.status, to_json(error), "", ""});
}

std::unique_ptr<httplib::Server> make_http(const std::shared_ptr<ServingCertificate>& tls) {
  if (!tls) return std::make_unique<httplib::Server>();
  return std::make_unique<httplib::SSLServer>([tls](SSL_CTX& ctx) {
    tls->configure(ctx);
    return true;
  });
}

// `text` as a JSON string literal, invalid UTF-8 replaced.
std::string json_string(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string random_prefix() {
  std::random_device rd;
  return fmt::format("{:08x}", rd());
}

}  // namespace

HttpServer::HttpServer(RouteTable routes, HttpServerOptions options)
    : routes_(std::move(routes)),
      options_(std::move(options)),
      identity_(options_.identity),
      access_writer_(options_.access_log ? std::make_unique<LineWriter>(*options_.access_log)
                                         : nullptr),
      http_(make_http(options_.tls)),
      request_prefix_(random_prefix()) {
  install_handlers();
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::install_handlers() {
  httplib::Server& http = *http_;
  http.set_payload_max_length(options_.max_body_bytes);
  // Headers and body go out in separate writes: with Nagle's algorithm, the client's delayed ACK
  // held every answer ~40 ms (bench_serve's p50 was 42 ms for a cached read).
  http.set_tcp_nodelay(true);
  // httplib closes a keep-alive connection after 5 requests by default: every client (wrk, an
  // Envoy sidecar's pool) then reconnects, and with the library's listen backlog of 5 the burst
  // of SYNs overflows it and waits for TCP's one-second retransmission (bench_serve's p99).
  http.set_keep_alive_max_count(options_.keep_alive_requests);
  // SO_REUSEADDR, not httplib's SO_REUSEPORT (listen_backlog.h), and the socket remembered for
  // bind() to widen.
  http.set_socket_options([this](int sock) {
    (void)set_listen_socket_options(sock);
    listening_fd_ = sock;
  });
  http.set_read_timeout(options_.read_timeout);
  http.set_write_timeout(options_.write_timeout);
  const int threads = std::max(1, options_.threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };

  // httplib's own answers (413 for a body over the limit, 400 for a request it cannot read)
  // get the API's error body; answers of ours that have a body keep it.
  http.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (res.status == 413) {
          send_error(res, api_error(ErrorCode::kTooLarge,
                                    "the request body is over the server's limit (--max-body)"));
        } else {
          send_error(res, ApiError{res.status, "BadRequest", "the request could not be read", ""});
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        send_error(res, api_error(ErrorCode::kInternal,
                                  "internal error (a bug in kftenant): the request may be "
                                  "retried; please report it with the X-Request-Id"));
      });

  auto dispatch = [this](const httplib::Request& req, httplib::Response& res) {
    const auto started = std::chrono::steady_clock::now();
    if (options_.metrics) options_.metrics->request_started();
    const std::string request_id =
        fmt::format("{}-{}", request_prefix_, next_request_.fetch_add(1));
    res.set_header("X-Request-Id", request_id);
    std::string route_name = "-", caller_name = "-";
    const Route* audited = nullptr;
    std::map<std::string, std::string> target;
    [&] {
      if (req.path == "/healthz") {
        route_name = req.path;
        send(res, ApiResponse{200, {}, "ok\n", ""});
        return;
      }
      if (req.path == "/readyz") {
        route_name = req.path;
        if (!options_.ready || options_.ready())
          send(res, ApiResponse{200, {}, "ok\n", ""});
        else
          send_error(res, api_error(ErrorCode::kServerError,
                                    "not ready: the cache of the cluster has not synced yet"));
        return;
      }
      if (req.path == "/metrics" && options_.metrics && req.method == "GET") {
        route_name = req.path;
        send(res,
             ApiResponse{
                 200, {}, options_.metrics->render(), std::string(ServeMetrics::kContentType)});
        return;
      }
      auto lookup = routes_.find(req.method, req.path);
      if (!lookup.route) {
        if (lookup.allowed_methods.empty()) {
          send_error(res, api_error(ErrorCode::kNotFound,
                                    fmt::format("no such endpoint: {} (GET /api/v1/openapi.json "
                                                "lists them)",
                                                req.path)));
        } else {
          res.set_header("Allow", fmt::format("{}", fmt::join(lookup.allowed_methods, ", ")));
          send_error(res,
                     api_error(ErrorCode::kMethodNotAllowed,
                               fmt::format("{} does not take {}: it takes {}", req.path, req.method,
                                           fmt::join(lookup.allowed_methods, ", "))));
        }
        return;
      }
      const Route& route = *lookup.route;
      route_name = route.pattern;
      if (route.mutating()) {
        audited = &route;
        target = lookup.path_params;
      }
      ApiRequest request;
      request.method = req.method;
      request.path = req.path;
      request.path_params = std::move(lookup.path_params);
      for (const auto& [key, value] : req.params) request.query.emplace(key, value);
      request.body = req.body;
      request.content_type = req.get_header_value("Content-Type");
      request.accept = req.get_header_value("Accept");
      request.request_id = request_id;
      request.client_address = req.remote_addr;
      if (auto forwarded = req.get_header_value("X-Forwarded-For"); !forwarded.empty()) {
        auto first = forwarded.substr(0, forwarded.find(','));
        std::erase_if(first, [](unsigned char c) { return std::isspace(c); });
        if (!first.empty()) request.client_address = first;
      }
      if (route.access != Access::kAnyone) {
        auto caller = identity_.identify([&](std::string_view name) -> std::optional<std::string> {
          const std::string key(name);
          if (!req.has_header(key)) return std::nullopt;
          return req.get_header_value(key);
        });
        if (!caller) {
          send_error(res, api_error(caller.error()));
          return;
        }
        caller_name = caller->email;
        if (route.access == Access::kAdmin && !caller->admin) {
          send_error(res, api_error(ErrorCode::kForbidden,
                                    fmt::format("{} is not an administrator: {} {} is for "
                                                "administrators only (kftenant serve --admin)",
                                                caller->email, route.method, route.pattern)));
          return;
        }
        request.caller = std::move(*caller);
      }
      ApiResponse answer = route.handler(request);
      if (audited) target.merge(answer.audit_target);
      send(res, answer);
    }();
    const std::string now = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
    if (audited && options_.audit_log) {
      std::string result = "ok";
      if (res.status >= 400) {
        auto body = nlohmann::json::parse(res.body, nullptr, false);
        result = body.is_object() ? body.value("code", "error") : "error";
      }
      nlohmann::json line = {{"time", now},           {"requestId", request_id},
                             {"caller", caller_name}, {"action", audited->operation_id},
                             {"target", target},      {"status", res.status},
                             {"result", result}};
      std::lock_guard lock(log_mu_);
      *options_.audit_log << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                          << "\n"
                          << std::flush;
    }
    const auto took = std::chrono::steady_clock::now() - started;
    if (options_.metrics) {
      options_.metrics->observe_request(req.method, route_name == "-" ? "" : route_name, res.status,
                                        took);
      options_.metrics->request_finished();
    }
    if (access_writer_) {
      const auto ms = std::chrono::duration<double, std::milli>(took).count();
      // Formatted rather than built as a json object (a map per line: a tenth of a cached
      // read's time); the strings a client chooses are escaped by json_string().
      access_writer_->write(fmt::format(
          R"({{"caller":{},"method":{},"ms":{},"requestId":"{}","route":{},"status":{},"time":"{}"}})",
          json_string(caller_name), json_string(req.method), std::round(ms * 100) / 100, request_id,
          json_string(route_name), res.status, now));
    }
  };
  const std::string any = ".*";
  http.Get(any, dispatch);
  http.Post(any, dispatch);
  http.Put(any, dispatch);
  http.Patch(any, dispatch);
  http.Delete(any, dispatch);
  http.Options(any, dispatch);
}

Result<int> HttpServer::bind() {
  int port = options_.port;
  if (port == 0) {
    port = http_->bind_to_any_port(options_.host);
  } else if (!http_->bind_to_port(options_.host, port)) {
    port = -1;
  }
  if (port <= 0)
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot listen on {}:{}: the address is in use or not this "
                                  "machine's (--listen)",
                                  options_.host, options_.port));
  widen_listen_backlog(listening_fd_);  // httplib's backlog of 5 (kftenant/listen_backlog.h)
  return port;
}

void HttpServer::serve() {
  if (!stopped_) http_->listen_after_bind();
}

void HttpServer::flush_logs() {
  if (access_writer_) access_writer_->flush();
  // Audit lines are written under log_mu_ before their answer leaves: taking it orders them
  // before what the caller reads of the stream next (ThreadSanitizer does not count an answer
  // received over a socket as ordering).
  std::lock_guard lock(log_mu_);
}

void HttpServer::stop() {
  stopped_ = true;
  if (http_) http_->stop();
}

}  // namespace kftenant::server
