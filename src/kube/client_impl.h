// Private to the Client implementation: its state and the request pipeline every verb goes
// through (rate limit → credentials → transport → 401 refresh → retry policy).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/kube/client.h"

namespace kftenant::kube {
namespace detail {

// One request as the verbs describe it.
struct Call {
  std::string method;
  std::string path;  // path and query
  std::string body;
  std::string content_type;  // for the body
  bool idempotent = false;   // may be re-sent after a lost answer (see retry.h)
  std::optional<std::chrono::milliseconds> timeout;  // default: ClientOptions::request_timeout
  int first_attempt = 1;      // for the request log: create() sends again after a lost answer
  bool watch_budget = false;  // a watch connection or a watch's list: the watch rate bucket
};

}  // namespace detail

struct Client::Impl {
  using Call = detail::Call;
  using Send = std::function<Result<HttpResponse>(const HttpRequest&)>;

  Impl(RestConfig config, ClientOptions options, std::shared_ptr<HttpTransport> transport);

  // The bucket a call takes its token from (see client.h, "Rate budgets").
  RateLimiter& limiter_for(const Call& call);

  // Sends with rate limit, credentials (401 → refresh once) and retries. Any HTTP status is a
  // value; a lost answer after the last attempt, a stop (kCancelled) and a deadline
  // (kDeadlineExceeded) are Errors.
  [[nodiscard]] Result<HttpResponse> execute(const Call& call, const CallOptions& co);
  // One attempt (rate limit, credentials, 401 refresh) without retries; `number` is for the log.
  [[nodiscard]] Result<HttpResponse> attempt(const Call& call, const CallOptions& co, int number,
                                             const Send& send);
  // Rate limit, then one request through `send` (the transport's send or stream), logged.
  // `generation` receives the generation of the credentials the request carried.
  [[nodiscard]] Result<HttpResponse> send_logged(const Call& call, const CallOptions& co,
                                                 int number, const Send& send,
                                                 std::uint64_t& generation);
  // The wait before a retry: kDeadlineExceeded at once when it would end after the deadline,
  // kCancelled when stopped during it.
  [[nodiscard]] Result<void> wait_before(const Call& call, const CallOptions& co, int number,
                                         std::chrono::nanoseconds wait, std::string_view after);
  void log_wait(RequestEvent::Kind kind, const Call& call, int number,
                std::chrono::nanoseconds wait) const;
  // error_from_response, with a 401 explained for this client's credentials.
  [[nodiscard]] Error response_error(const HttpResponse& response, std::string_view request) const;
  // Opens a watch stream (credentials and 401 refresh as attempt()).
  [[nodiscard]] Result<HttpResponse> open_stream(const Call& call, std::stop_token stop,
                                                 const std::function<bool(std::string_view)>& on);
  [[nodiscard]] Result<HttpRequest> build_request(const Call& call, const CallOptions& co,
                                                  std::uint64_t& generation);
  // execute() + non-2xx → Error + JSON parse.
  [[nodiscard]] Result<nlohmann::json> execute_json(const Call& call, const CallOptions& co);

  // The verbs' shared bodies (client_verbs.cc).
  [[nodiscard]] Result<nlohmann::json> list(const ResourceRef& ref, std::string_view ns,
                                            const ListOptions& options, const CallOptions& co,
                                            bool watch_budget);
  [[nodiscard]] Result<nlohmann::json> list_all(const ResourceRef& ref, std::string_view ns,
                                                const ListOptions& options, const CallOptions& co,
                                                bool watch_budget);
  [[nodiscard]] Result<nlohmann::json> put_object(const ResourceRef& ref, std::string_view ns,
                                                  const nlohmann::json& object,
                                                  std::string_view subresource,
                                                  const ReplaceOptions& options,
                                                  const CallOptions& co);
  [[nodiscard]] static Result<std::string> namespace_for(const ResourceRef& ref,
                                                         std::string_view ns,
                                                         const nlohmann::json* object);

  const RestConfig config;
  const ClientOptions options;
  const std::shared_ptr<Clock> clock;
  const std::shared_ptr<HttpTransport> transport;
  CredentialSource credentials;
  RateLimiter limiter;                       // reads, and writes unless write_limiter
  std::optional<RateLimiter> write_limiter;  // ClientOptions::write_qps set
  RateLimiter watch_limiter;
  Retrier retrier;

  std::mutex mu;               // guards what follows
  std::string presented_cert;  // client certificate last handed to the transport
  std::map<std::string, std::vector<ResourceRef>> discovery_cache;  // by apiVersion
};

// kCancelled / kDeadlineExceeded for `what` ("GET /api/v1/...").
[[nodiscard]] Error cancelled_error(std::string_view what);
[[nodiscard]] Error deadline_error(std::string_view what, std::string_view detail);

}  // namespace kftenant::kube
