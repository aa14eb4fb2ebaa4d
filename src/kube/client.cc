// Client construction and the request pipeline every verb goes through:
// rate limit → credentials → transport → (401: refresh credentials once) → retry policy,
// each step honouring the call's stop token and deadline (CallOptions).
#include "kftenant/kube/client.h"

#include <fmt/format.h>

#include "client_impl.h"
#include "kftenant/kube/status_error.h"

namespace kftenant::kube {
namespace {

std::string what_of(const detail::Call& call) {
  return call.method + " " + call.path.substr(0, call.path.find('?'));
}

std::optional<RateLimiter> make_write_limiter(const ClientOptions& o, const RestConfig& c,
                                              const std::shared_ptr<Clock>& clock) {
  if (!o.write_qps) return std::nullopt;
  return std::optional<RateLimiter>(std::in_place, *o.write_qps,
                                    o.write_burst.value_or(o.burst.value_or(c.burst)), clock);
}

}  // namespace

Error cancelled_error(std::string_view what) {
  Error e;
  e.code = ErrorCode::kCancelled;
  e.message = fmt::format("{}: stopped (the caller requested a stop)", what);
  return e;
}

Error deadline_error(std::string_view what, std::string_view detail) {
  Error e;
  e.code = ErrorCode::kDeadlineExceeded;
  e.message =
      fmt::format("{}: the call's deadline passed{}{}", what, detail.empty() ? "" : " ", detail);
  return e;
}

Result<std::unique_ptr<Client>> Client::create(const RestConfig& config, ClientOptions options) {
  std::shared_ptr<HttpTransport> transport = options.transport;
  if (!transport) {
    auto t = make_curl_transport(config);
    if (!t) return tl::unexpected(t.error());
    transport = std::move(*t);
  }
  return std::unique_ptr<Client>(
      new Client(std::make_unique<Impl>(config, std::move(options), std::move(transport))));
}

Client::Impl::Impl(RestConfig config_in, ClientOptions options_in,
                   std::shared_ptr<HttpTransport> transport_in)
    : config(std::move(config_in)),
      options(std::move(options_in)),
      clock(options.clock ? options.clock : system_clock()),
      transport(std::move(transport_in)),
      credentials(config, clock),
      limiter(options.qps.value_or(config.qps), options.burst.value_or(config.burst), clock),
      write_limiter(make_write_limiter(options, config, clock)),
      watch_limiter(options.watch_qps, options.watch_burst, clock),
      retrier(options.retry) {}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() = default;

const std::string& Client::default_namespace() const {
  return impl_->config.namespace_name;
}

const RestConfig& Client::config() const {
  return impl_->config;
}

RateLimiter& Client::Impl::limiter_for(const Call& call) {
  if (call.watch_budget) return watch_limiter;
  const bool read = call.method == "GET" || call.method == "HEAD";
  if (!read && write_limiter) return *write_limiter;
  return limiter;
}

Result<HttpRequest> Client::Impl::build_request(const Call& call, const CallOptions& co,
                                                std::uint64_t& generation) {
  auto creds = credentials.current(co.stop);
  if (!creds) {
    if (creds.error().code == ErrorCode::kCancelled) return fail(cancelled_error(what_of(call)));
    return tl::unexpected(creds.error());
  }
  generation = creds->generation;
  if (!creds->client_cert_pem.empty()) {
    // An exec plugin may hand out a (new) client certificate.
    std::lock_guard lock(mu);
    if (creds->client_cert_pem != presented_cert) {
      transport->set_client_certificate(creds->client_cert_pem, creds->client_key_pem);
      presented_cert = creds->client_cert_pem;
    }
  }
  HttpRequest req;
  req.method = call.method;
  req.path_and_query = call.path;
  req.body = call.body;
  req.timeout = call.timeout.value_or(options.request_timeout);
  req.stop = co.stop;
  req.headers.emplace_back("Accept", "application/json");
  if (!call.content_type.empty()) req.headers.emplace_back("Content-Type", call.content_type);
  if (!creds->authorization.empty()) {
    req.headers.emplace_back("Authorization", std::move(creds->authorization));
  }
  return req;
}

void Client::Impl::log_wait(RequestEvent::Kind kind, const Call& call, int number,
                            std::chrono::nanoseconds wait) const {
  if (!options.request_log || wait.count() <= 0) return;
  RequestEvent event;
  event.kind = kind;
  event.method = call.method;
  event.path_and_query = call.path;
  event.attempt = number;
  event.duration = std::chrono::ceil<std::chrono::milliseconds>(wait);
  options.request_log(event);
}

Result<HttpResponse> Client::Impl::send_logged(const Call& call, const CallOptions& co, int number,
                                               const Send& send, std::uint64_t& generation) {
  if (co.stop.stop_requested()) return fail(cancelled_error(what_of(call)));
  auto waited = limiter_for(call).wait(co.stop, co.deadline);
  if (!waited) {
    if (waited.error().code == ErrorCode::kCancelled) return fail(cancelled_error(what_of(call)));
    return fail(waited.error().with_context(what_of(call)));
  }
  log_wait(RequestEvent::Kind::kRateLimitWait, call, number, *waited);
  auto req = build_request(call, co, generation);
  if (!req) return tl::unexpected(req.error());
  bool cut_by_deadline = false;
  if (co.deadline) {
    // The attempt may not outlast the call: its timeout is what is left, when that is shorter.
    const auto left = std::chrono::floor<std::chrono::milliseconds>(*co.deadline - clock->now());
    if (left.count() <= 0) {
      return fail(deadline_error(what_of(call), fmt::format("before attempt {}", number)));
    }
    if (req->timeout.count() == 0 || left < req->timeout) {
      req->timeout = left;
      cut_by_deadline = true;
    }
  }
  const auto started = clock->now();
  auto resp = send(*req);
  if (options.request_log) {
    RequestEvent event;
    event.method = call.method;
    event.path_and_query = call.path;
    event.attempt = number;
    event.duration = std::chrono::duration_cast<std::chrono::milliseconds>(clock->now() - started);
    if (resp)
      event.status = resp->status;
    else
      event.error = resp.error().message;
    options.request_log(event);
  }
  if (!resp && co.stop.stop_requested()) return fail(cancelled_error(what_of(call)));
  if (!resp && cut_by_deadline && resp.error().code == ErrorCode::kTimeout) {
    return fail(deadline_error(what_of(call), fmt::format("during attempt {}", number)));
  }
  return resp;
}

Result<HttpResponse> Client::Impl::attempt(const Call& call, const CallOptions& co, int number,
                                           const Send& send) {
  bool refreshed = false;
  for (;;) {
    std::uint64_t generation = 0;
    auto resp = send_logged(call, co, number, send, generation);
    // Expired exec-plugin token or rotated token file: fetch afresh and try once more, as
    // client-go's exec authenticator does on 401 (client-go plugin/pkg/client/auth/exec).
    // Concurrent 401s with the same credentials refresh them once: invalidate(generation) is a
    // no-op when another request already replaced that generation.
    if (resp && resp->status == 401 && !refreshed && credentials.refreshable()) {
      credentials.invalidate(generation);
      refreshed = true;
      continue;
    }
    return resp;
  }
}

Result<HttpResponse> Client::Impl::open_stream(const Call& call, std::stop_token stop,
                                               const std::function<bool(std::string_view)>& on) {
  auto stream = [this, &on](const HttpRequest& req) { return transport->stream(req, on); };
  CallOptions co;
  co.stop = std::move(stop);
  return attempt(call, co, 1, stream);
}

Result<void> Client::Impl::wait_before(const Call& call, const CallOptions& co, int number,
                                       std::chrono::nanoseconds wait, std::string_view after) {
  if (co.stop.stop_requested()) return fail(cancelled_error(what_of(call)));
  if (co.deadline && clock->now() + wait > *co.deadline) {
    return fail(deadline_error(
        what_of(call),
        fmt::format("before attempt {} (it was due in {} ms; the last attempt: {})", number,
                    std::chrono::ceil<std::chrono::milliseconds>(wait).count(), after)));
  }
  log_wait(RequestEvent::Kind::kRetryWait, call, number, wait);
  if (!clock->sleep_for(wait, co.stop)) return fail(cancelled_error(what_of(call)));
  return ok();
}

Result<HttpResponse> Client::Impl::execute(const Call& call, const CallOptions& co) {
  auto send = [this](const HttpRequest& req) { return transport->send(req); };
  for (int n = 1;; ++n) {
    auto resp = attempt(call, co, call.first_attempt + n - 1, send);
    if (!resp && (resp.error().code == ErrorCode::kCancelled ||
                  resp.error().code == ErrorCode::kDeadlineExceeded)) {
      return resp;
    }
    auto decision = retrier.decide(n, call.idempotent, resp);
    if (!decision.retry) return resp;
    const std::string after = resp ? fmt::format("HTTP {}", resp->status) : resp.error().message;
    if (auto w = wait_before(call, co, call.first_attempt + n, decision.delay, after); !w) {
      return tl::unexpected(w.error());
    }
  }
}

Error Client::Impl::response_error(const HttpResponse& response, std::string_view request) const {
  Error e = error_from_response(response, request);
  // A bare "Unauthorized" does not say whose credentials or what to do about them.
  if (e.code == ErrorCode::kUnauthorized) e = explain_unauthorized(e, config);
  return e;
}

Result<nlohmann::json> Client::Impl::execute_json(const Call& call, const CallOptions& co) {
  auto resp = execute(call, co);
  if (!resp) return tl::unexpected(resp.error());
  const std::string path = call.path.substr(0, call.path.find('?'));
  if (resp->status < 200 || resp->status >= 300) {
    return fail(response_error(*resp, call.method + " " + path));
  }
  auto body = nlohmann::json::parse(resp->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return make_error(ErrorCode::kParse,
                      fmt::format("{} {}: the API server's answer (HTTP {}) is not JSON",
                                  call.method, path, resp->status));
  }
  return body;
}

Result<nlohmann::json> Client::get_path(std::string_view path_and_query, const CallOptions& co) {
  detail::Call call;
  call.method = "GET";
  call.path = std::string(path_and_query);
  call.idempotent = true;
  return impl_->execute_json(call, co);
}

}  // namespace kftenant::kube
