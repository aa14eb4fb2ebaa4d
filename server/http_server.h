// The HTTP front of `kftenant serve`: cpp-httplib underneath, the route table on top. Every
// answer is JSON (errors {code, message, field}); what it does for every request, in order:
//   - a body over max_body_bytes: 413, before any handler runs;
//   - no route for the path: 404; a route for another method: 405 with Allow;
//   - a route other than kAnyone: the caller is identified (401 when it cannot be);
//   - kAdmin routes refuse non-administrators (403) before the handler runs;
//   - the handler; an exception escaping it is a 500 "internal" (a bug), never a crash;
//   - an X-Request-Id on the answer, and one JSON access line on the log stream (time, request
//     id, method, route pattern, status, caller, milliseconds; no body, no query string);
//   - for a mutating route, one JSON audit line (audit_log), refusals included.
// /healthz answers 200 while the process serves; /readyz 200 once `ready()` says so, else 503;
// /metrics, when `metrics` is set, the Prometheus text of metrics.h (every request counted).
// The three need no identity.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>

#include "kftenant/error.h"
#include "server/identity.h"
#include "server/line_writer.h"
#include "server/metrics.h"
#include "server/route_table.h"
#include "server/serving_certificate.h"

namespace httplib {
class Server;
}

namespace kftenant::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (bind() says which)
  size_t max_body_bytes = 1 << 20;
  std::chrono::seconds read_timeout{10};
  std::chrono::seconds write_timeout{10};
  int threads = 32;  // connections served at once (a keep-alive connection holds one)
  size_t keep_alive_requests = 10'000;  // requests on one connection before it is closed
  IdentityOptions identity;
  std::function<bool()> ready;  // null: always ready
  // One JSON line per request, written by a thread of its own (line_writer.h): it may follow
  // the answer by a little (flush_logs() waits for it). Null: none.
  std::ostream* access_log = nullptr;
  // One JSON line per request to a mutating route, whatever its answer (stdout in `kftenant
  // serve`): time, requestId, caller, action (the operationId), target (the path's parameters),
  // status, result ("ok" or the error's code). Never a body. Null: none.
  std::ostream* audit_log = nullptr;
  ServeMetrics* metrics = nullptr;  // null: no /metrics; else must outlive the server
  // Set: HTTPS with this certificate (re-read when its files change); null: plain HTTP, as
  // inside the mesh (the sidecar terminates mTLS).
  std::shared_ptr<ServingCertificate> tls;
};

class HttpServer {
 public:
  HttpServer(RouteTable routes, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listening socket; the port bound (the one asked for, or the one chosen for 0).
  // kInvalidArgument naming the address when it cannot be bound.
  [[nodiscard]] Result<int> bind();
  // Serves until stop(); call after bind(). Returns once in-flight requests have finished.
  void serve();
  // Stops accepting connections and lets serve() return once the requests being handled are
  // answered. Safe from any thread (not from a signal handler).
  void stop();

  [[nodiscard]] const RouteTable& routes() const { return routes_; }
  // Returns once the access and audit lines of the requests answered so far are in their
  // streams.
  void flush_logs();

 private:
  void install_handlers();

  RouteTable routes_;
  HttpServerOptions options_;
  Identity identity_;
  std::unique_ptr<LineWriter> access_writer_;  // outlives http_'s handlers
  std::unique_ptr<httplib::Server> http_;
  std::atomic<unsigned long long> next_request_{1};
  std::atomic<bool> stopped_{false};
  int listening_fd_ = -1;  // the socket bind() made (httplib's socket-options callback)
  std::string request_prefix_;
  std::mutex log_mu_;
};

}  // namespace kftenant::server
