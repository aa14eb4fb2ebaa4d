// FakeTransport: an HttpTransport for unit tests. Tests script the answers in order (or install
// a handler that computes them) and inspect the recorded requests afterwards.
#pragma once

#include <algorithm>
#include <cctype>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kftenant/kube/transport.h"

namespace kftenant::testing {

struct FakeAnswer {
  Result<kube::HttpResponse> response;  // status/headers/body, or a transport Error
  // stream() only, on a 2xx answer: chunks handed to on_data, then `stream_error` (connection
  // lost mid-stream) if set, else a clean end.
  std::vector<std::string> chunks;
  std::optional<Error> stream_error;
};

inline kube::HttpResponse json_response(int status, const nlohmann::json& body,
                                        kube::Headers headers = {}) {
  kube::HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.headers.emplace_back("content-type", "application/json");
  r.body = body.dump();
  return r;
}

// A Status body as the API server sends it.
inline nlohmann::json status_body(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
          {"status", "Failure"}, {"message", message}, {"reason", reason},
          {"code", code}};
}

inline Error transport_error(ErrorCode code = ErrorCode::kTransport,
                             std::string message = "connection reset by peer") {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

class FakeTransport : public kube::HttpTransport {
 public:
  using Handler = std::function<std::optional<FakeAnswer>(const kube::HttpRequest&)>;

  void push(FakeAnswer answer) {
    std::lock_guard lock(mu_);
    answers_.push_back(std::move(answer));
  }
  void push_json(int status, const nlohmann::json& body, kube::Headers headers = {}) {
    push(FakeAnswer{json_response(status, body, std::move(headers)), {}, std::nullopt});
  }
  void push_status(int code, const std::string& reason, const std::string& message,
                   kube::Headers headers = {}) {
    push_json(code, status_body(code, reason, message), std::move(headers));
  }
  void push_error(Error e) { push(FakeAnswer{tl::unexpected(std::move(e)), {}, std::nullopt}); }
  // A 200 watch stream with these chunks; optionally broken at the end.
  void push_stream(std::vector<std::string> chunks, std::optional<Error> error = std::nullopt) {
    kube::HttpResponse r;
    r.status = 200;
    r.headers.emplace_back("content-type", "application/json");
    push(FakeAnswer{r, std::move(chunks), std::move(error)});
  }
  // Used when no scripted answer is left.
  void set_handler(Handler h) {
    std::lock_guard lock(mu_);
    handler_ = std::move(h);
  }

  Result<kube::HttpResponse> send(const kube::HttpRequest& request) override {
    return next(request).response;
  }

  Result<kube::HttpResponse> stream(const kube::HttpRequest& request,
                                    const std::function<bool(std::string_view)>& on_data) override {
    FakeAnswer a = next(request);
    if (!a.response) return a.response;
    if (a.response->status < 200 || a.response->status >= 300) return a.response;
    kube::HttpResponse head = *a.response;
    head.body.clear();
    for (const auto& chunk : a.chunks) {
      if (!on_data(chunk)) return head;
    }
    if (a.stream_error) return tl::unexpected(*a.stream_error);
    return head;
  }

  void set_client_certificate(std::string cert_pem, std::string key_pem) override {
    std::lock_guard lock(mu_);
    certificates_.emplace_back(std::move(cert_pem), std::move(key_pem));
  }

  std::vector<kube::HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  kube::HttpRequest request(std::size_t i) const {
    std::lock_guard lock(mu_);
    return requests_.at(i);
  }
  std::size_t request_count() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }
  std::size_t pending_answers() const {
    std::lock_guard lock(mu_);
    return answers_.size();
  }
  std::vector<std::pair<std::string, std::string>> certificates() const {
    std::lock_guard lock(mu_);
    return certificates_;
  }

  // The value of a request header (case-insensitive name), or "".
  static std::string header_of(const kube::HttpRequest& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k.size() == name.size() &&
          std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        return v;
      }
    }
    return "";
  }

 private:
  FakeAnswer next(const kube::HttpRequest& request) {
    Handler handler;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
      if (!answers_.empty()) {
        FakeAnswer a = std::move(answers_.front());
        answers_.pop_front();
        return a;
      }
      handler = handler_;
    }
    if (handler) {
      if (auto a = handler(request)) return *a;
    }
    Error e;
    e.code = ErrorCode::kInternal;
    e.message =
        "FakeTransport: no answer scripted for " + request.method + " " + request.path_and_query;
    return FakeAnswer{tl::unexpected(e), {}, std::nullopt};
  }

  mutable std::mutex mu_;
  std::deque<FakeAnswer> answers_;
  Handler handler_;
  std::vector<kube::HttpRequest> requests_;
  std::vector<std::pair<std::string, std::string>> certificates_;
};

}  // namespace kftenant::testing
