// HttpTransport: the one seam between the Kubernetes client and the network. The production
// implementation is libcurl (CurlTransport); tests substitute a fake that records requests.
//
// A transport is bound to one API server (RestConfig::server plus its TLS settings); requests carry
// only the path and query. Authentication headers are added by the caller (the Client), not here,
// except the TLS client certificate, which the transport presents.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kftenant/error.h"
#include "kftenant/kube/rest_config.h"

namespace kftenant::kube {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;          // GET, POST, PUT, PATCH, DELETE
  std::string path_and_query;  // "/api/v1/namespaces/auth/configmaps/dex?x=y"
  Headers headers;             // e.g. Content-Type, Accept, Authorization
  std::string body;
  std::chrono::milliseconds timeout{30000};  // whole request (0 = none, used by watch)
  // When requested, the transport ends the request promptly (the curl transport checks it from
  // its progress callback, about every second at most) with ErrorCode::kCancelled.
  std::stop_token stop;
};

struct HttpResponse {
  int status = 0;
  Headers headers;  // names lower-cased
  std::string body;

  // First header with this (case-insensitive) name, or "".
  [[nodiscard]] std::string header(std::string_view name) const;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // Sends one request and returns the whole answer. A transport failure (no answer at all)
  // is an Error with code kTransport or kTimeout; any HTTP status is a successful Result.
  [[nodiscard]] virtual Result<HttpResponse> send(const HttpRequest& request) = 0;

  // Sends one request and hands the body to `on_data` as it arrives (watch). `on_data` returns
  // false to stop reading. The returned response has status and headers, and an empty body
  // when the status was 2xx (otherwise the body, for the Status error). While a 2xx stream is
  // idle, `on_data` may be called with an empty chunk (every ~200 ms) so the caller can stop.
  [[nodiscard]] virtual Result<HttpResponse> stream(
      const HttpRequest& request, const std::function<bool(std::string_view chunk)>& on_data) = 0;

  // Replaces the TLS client certificate (an exec plugin may return a fresh one).
  virtual void set_client_certificate(std::string cert_pem, std::string key_pem) = 0;
};

// libcurl (OpenSSL) transport. Keeps the connection alive between requests, verifies TLS unless
// config.insecure_skip_tls_verify, sends `User-Agent: kftenant/<version>`.
[[nodiscard]] Result<std::unique_ptr<HttpTransport>> make_curl_transport(const RestConfig& config);

}  // namespace kftenant::kube
