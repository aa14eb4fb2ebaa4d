// What `kftenant serve`'s HTTP front is told: where to listen, its limits, who callers are,
// where its lines and metrics go, and its certificate. Shared by the server (http_server.h) and
// the transport-neutral part of answering (api_dispatcher.h).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "server/identity.h"
#include "server/metrics.h"
#include "server/serving_certificate.h"

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

}  // namespace kftenant::server
