// Client construction and the request pipeline every verb goes through:
// rate limit → credentials → transport → (401: refresh credentials once) → retry policy.
#include "kftenant/kube/client.h"

#include <fmt/format.h>

#include "client_call.h"
#include "kftenant/kube/status_error.h"

namespace kftenant::kube {

Result<std::unique_ptr<Client>> Client::create(const RestConfig& config, ClientOptions options) {
  std::shared_ptr<HttpTransport> transport = options.transport;
  if (!transport) {
    auto t = make_curl_transport(config);
    if (!t) return tl::unexpected(t.error());
    transport = std::move(*t);
  }
  return std::unique_ptr<Client>(new Client(config, std::move(options), std::move(transport)));
}

Client::Client(RestConfig config, ClientOptions options, std::shared_ptr<HttpTransport> transport)
    : config_(std::move(config)),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : system_clock()),
      transport_(std::move(transport)),
      credentials_(config_, clock_),
      limiter_(options_.qps.value_or(config_.qps), options_.burst.value_or(config_.burst), clock_),
      retrier_(options_.retry) {}

Client::~Client() = default;

Result<HttpRequest> Client::build_request(const Call& call) {
  auto creds = credentials_.current();
  if (!creds) return tl::unexpected(creds.error());
  if (!creds->client_cert_pem.empty()) {
    // An exec plugin may hand out a (new) client certificate.
    std::lock_guard lock(mu_);
    if (creds->client_cert_pem != presented_cert_) {
      transport_->set_client_certificate(creds->client_cert_pem, creds->client_key_pem);
      presented_cert_ = creds->client_cert_pem;
    }
  }
  HttpRequest req;
  req.method = call.method;
  req.path_and_query = call.path;
  req.body = call.body;
  req.timeout = call.timeout.value_or(options_.request_timeout);
  req.headers.emplace_back("Accept", "application/json");
  if (!call.content_type.empty()) req.headers.emplace_back("Content-Type", call.content_type);
  if (!creds->authorization.empty()) {
    req.headers.emplace_back("Authorization", std::move(creds->authorization));
  }
  return req;
}

void Client::log_wait(RequestEvent::Kind kind, const Call& call, int number,
                      std::chrono::nanoseconds wait) const {
  if (!options_.request_log || wait.count() <= 0) return;
  RequestEvent event;
  event.kind = kind;
  event.method = call.method;
  event.path_and_query = call.path;
  event.attempt = number;
  event.duration = std::chrono::ceil<std::chrono::milliseconds>(wait);
  options_.request_log(event);
}

Result<HttpResponse> Client::send_logged(
    const Call& call, int number,
    const std::function<Result<HttpResponse>(const HttpRequest&)>& send) {
  log_wait(RequestEvent::Kind::kRateLimitWait, call, number, limiter_.accept());
  auto req = build_request(call);
  if (!req) return tl::unexpected(req.error());
  const auto started = clock_->now();
  auto resp = send(*req);
  if (options_.request_log) {
    RequestEvent event;
    event.method = call.method;
    event.path_and_query = call.path;
    event.attempt = number;
    event.duration = std::chrono::duration_cast<std::chrono::milliseconds>(clock_->now() - started);
    if (resp)
      event.status = resp->status;
    else
      event.error = resp.error().message;
    options_.request_log(event);
  }
  return resp;
}

Result<HttpResponse> Client::attempt(const Call& call, int number) {
  auto send = [this](const HttpRequest& req) { return transport_->send(req); };
  bool refreshed = false;
  for (;;) {
    auto resp = send_logged(call, number, send);
    // Expired exec-plugin token or rotated token file: fetch afresh and try once more, as
    // client-go's exec authenticator does on 401 (client-go plugin/pkg/client/auth/exec).
    if (resp && resp->status == 401 && !refreshed && credentials_.refreshable()) {
      credentials_.invalidate();
      refreshed = true;
      continue;
    }
    return resp;
  }
}

Result<HttpResponse> Client::open_stream(const Call& call,
                                         const std::function<bool(std::string_view)>& on) {
  auto stream = [this, &on](const HttpRequest& req) { return transport_->stream(req, on); };
  bool refreshed = false;
  for (;;) {
    auto resp = send_logged(call, 1, stream);
    if (resp && resp->status == 401 && !refreshed && credentials_.refreshable()) {
      credentials_.invalidate();
      refreshed = true;
      continue;
    }
    return resp;
  }
}

Result<HttpResponse> Client::execute(const Call& call) {
  for (int n = 1;; ++n) {
    auto resp = attempt(call, call.first_attempt + n - 1);
    auto decision = retrier_.decide(n, call.idempotent, resp);
    if (!decision.retry) return resp;
    log_wait(RequestEvent::Kind::kRetryWait, call, call.first_attempt + n, decision.delay);
    clock_->sleep_for(decision.delay);
  }
}

Error Client::response_error(const HttpResponse& response, std::string_view request) const {
  Error e = error_from_response(response, request);
  // A bare "Unauthorized" does not say whose credentials or what to do about them.
  if (e.code == ErrorCode::kUnauthorized) e = explain_unauthorized(e, config_);
  return e;
}

Result<nlohmann::json> Client::execute_json(const Call& call) {
  auto resp = execute(call);
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

Result<nlohmann::json> Client::get_path(std::string_view path_and_query) {
  Call call;
  call.method = "GET";
  call.path = std::string(path_and_query);
  call.idempotent = true;
  return execute_json(call);
}

}  // namespace kftenant::kube
