// A minimal HTTPS client for the replay (cpp-httplib, TLS verified against the test server's CA)
// that keeps what the comparison needs: status, the raw Content-Type, the Warning / Retry-After /
// Location headers, and the body as the chunks it arrived in (watch framing).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kftenant::transcripts {

struct HttpRequest {
  std::string method;
  std::string path_and_query;
  std::optional<std::string> bearer_token;  // nullopt: no Authorization header
  std::string accept;
  std::optional<std::string> content_type;  // nullopt: no body
  std::string body;
};

struct HttpResponse {
  bool ok = false;    // false: transport failure (see error)
  std::string error;  // transport error text
  int status = 0;
  std::string content_type;
  std::string transfer_encoding;
  std::map<std::string, std::vector<std::string>> headers;  // Warning, Retry-After, Location
  std::vector<std::string> pieces;  // the body as handed over by the reader, in order
  [[nodiscard]] std::string body() const;
};

class HttpClient {
 public:
  HttpClient(std::string host, int port, std::string ca_pem);

  // Sends one request. `on_headers` runs when the status line and headers arrived (before the
  // body: watches stream). The body is read until the server ends it or `max_duration` passes.
  [[nodiscard]] HttpResponse send(const HttpRequest& request,
                                  std::chrono::seconds max_duration = std::chrono::seconds(20),
                                  const std::function<void()>& on_headers = nullptr) const;

 private:
  std::string host_;
  int port_;
  std::string ca_pem_;
};

}  // namespace kftenant::transcripts
