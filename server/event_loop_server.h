// An HTTP/1.1 server for `kftenant serve` on an event loop (Boost.Beast over Boost.Asio, from
// Debian's libboost-dev): a few threads run every connection, where cpp-httplib gives each
// connection a thread of its own (on two cores, 200 keep-alive connections spent 18% of the
// server's CPU switching between their threads). Answering is api_dispatcher.h's, as in
// http_server.h; what this adds is the same as there: a body over max_body_bytes is a 413 and an
// unreadable request a 400, before anything runs; read and write timeouts; keep-alive up to
// keep_alive_requests; SO_REUSEADDR and a backlog of SOMAXCONN.
//
// GETs are answered on the loop's threads (they read the cache and do not wait on anything);
// every other method on a pool of `threads` workers, as they wait on the API server.
//
// Streamed answers (ApiResponse::stream) are written by a worker, chunked, and end the
// connection. HTTPS when `tls` is set, with the certificate's rotation as for the httplib server.
#pragma once

#include <memory>

#include "kftenant/error.h"
#include "server/http_server_options.h"
#include "server/route_table.h"

namespace kftenant::server {

class EventLoopServer {
 public:
  EventLoopServer(RouteTable routes, HttpServerOptions options, int loop_threads = 2);
  ~EventLoopServer();
  EventLoopServer(const EventLoopServer&) = delete;
  EventLoopServer& operator=(const EventLoopServer&) = delete;

  // As HttpServer's.
  [[nodiscard]] Result<int> bind();
  void serve();
  void stop();
  [[nodiscard]] const RouteTable& routes() const;
  void flush_logs();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kftenant::server
