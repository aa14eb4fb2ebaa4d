// The HTTP front of `kftenant serve`: cpp-httplib underneath, api_dispatcher.h's answering on
// top (routes, identity, the access and audit lines, metrics). The server itself adds: a body over
// max_body_bytes is a 413 before anything else runs, and a request it cannot read a 400, both
// with the API's error body; read and write timeouts; keep-alive up to keep_alive_requests;
// HTTPS when `tls` is set; chunked streaming of ApiResponse::stream.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>

#include "kftenant/error.h"
#include "server/api_dispatcher.h"
#include "server/http_server_options.h"
#include "server/route_table.h"

namespace httplib {
class Server;
}

namespace kftenant::server {

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
  ApiDispatcher dispatcher_;  // outlives http_'s handlers
  std::unique_ptr<httplib::Server> http_;
  std::atomic<bool> stopped_{false};
  int listening_fd_ = -1;  // the socket bind() made (httplib's socket-options callback)
};

}  // namespace kftenant::server
