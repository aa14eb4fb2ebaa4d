#include "server/http_server.h"

#include <fmt/format.h>
#include <httplib.h>

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
  } else if (answer.shared_text || !answer.text.empty() || !answer.content_type.empty()) {
    res.set_content(
        answer.shared_text ? *answer.shared_text : answer.text,
        answer.content_type.empty() ? "text/plain; charset=utf-8" : answer.content_type);
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

}  // namespace

HttpServer::HttpServer(RouteTable routes, HttpServerOptions options)
    : routes_(std::move(routes)),
      options_(std::move(options)),
      dispatcher_(routes_, options_),
      http_(make_http(options_.tls)) {
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
  // A handler's exception is answered by the dispatcher; this is for one thrown around it.
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        send_error(res, api_error(ErrorCode::kInternal,
                                  "internal error (a bug in kftenant): the request may be "
                                  "retried; please report it with the X-Request-Id"));
      });

  auto dispatch = [this](const httplib::Request& req, httplib::Response& res) {
    IncomingRequest in;
    in.method = req.method;
    in.path = req.path;
    in.query.insert(req.params.begin(), req.params.end());
    in.body = req.body;
    in.header = [&req](std::string_view name) -> std::optional<std::string> {
      const std::string key(name);
      if (!req.has_header(key)) return std::nullopt;
      return req.get_header_value(key);
    };
    in.peer_address = req.remote_addr;
    send(res, dispatcher_.dispatch(in));
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
  dispatcher_.flush_logs();
}

void HttpServer::stop() {
  stopped_ = true;
  if (http_) http_->stop();
}

}  // namespace kftenant::server
