// What `kftenant serve` does with a request once an HTTP server has read it, whatever server
// that is (http_server.h's): in order,
//   - /healthz 200; /readyz 200 once `ready()` says so, else 503; /metrics (when `metrics` is
//     set) the Prometheus text of metrics.h. The three need no identity;
//   - no route for the path: 404; a route for another method: 405 with Allow;
//   - a route other than kAnyone: the caller is identified (401 when it cannot be);
//   - kAdmin routes refuse non-administrators (403) before the handler runs;
//   - the handler; an exception escaping it is a 500 "internal" (a bug), never a crash;
//   - an X-Request-Id on the answer, one JSON access line (time, request id, method, route
//     pattern, status, caller, milliseconds; no body, no query string) and, for a mutating
//     route, one JSON audit line, refusals included; every request counted in `metrics`.
// The lines are written before the answer leaves; a streamed answer's are written when its
// stream starts.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "server/http_server_options.h"
#include "server/identity.h"
#include "server/line_writer.h"
#include "server/route_table.h"

namespace kftenant::server {

// A request as read off the wire.
struct IncomingRequest {
  std::string method;
  std::string path;                               // percent-decoded, without the query
  std::multimap<std::string, std::string> query;  // decoded; a handler sees the first of each
  std::string body;
  HeaderLookup header;       // case-insensitive; must stay valid during dispatch()
  std::string peer_address;  // the connection's remote address
};

class ApiDispatcher {
 public:
  // `routes` and `options` must outlive the dispatcher.
  ApiDispatcher(const RouteTable& routes, const HttpServerOptions& options);
  ~ApiDispatcher();
  ApiDispatcher(const ApiDispatcher&) = delete;
  ApiDispatcher& operator=(const ApiDispatcher&) = delete;

  // The answer to `request`, its headers (X-Request-Id, Allow) in `headers`; its lines logged.
  // Safe from any number of threads at once.
  [[nodiscard]] ApiResponse dispatch(const IncomingRequest& request);

  // Returns once the access and audit lines of the requests answered so far are in their
  // streams.
  void flush_logs();

 private:
  ApiResponse answer(const IncomingRequest& in, const std::string& request_id,
                     std::string& route_name, std::string& caller_name, const Route*& audited,
                     std::map<std::string, std::string>& target);

  const RouteTable& routes_;
  const HttpServerOptions& options_;
  Identity identity_;
  std::unique_ptr<LineWriter> access_writer_;
  std::atomic<unsigned long long> next_request_{1};
  std::string request_prefix_;
  std::mutex log_mu_;
};

}  // namespace kftenant::server
