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

Result<HttpResponse> Client::attempt(const Call& call) {
  bool refreshed = false;
  for (;;) {
    limiter_.accept();
    auto req = build_request(call);
    if (!req) return tl::unexpected(req.error());
    auto resp = transport_->send(*req);
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
  bool refreshed = false;
  for (;;) {
    limiter_.accept();
    auto req = build_request(call);
    if (!req) return tl::unexpected(req.error());
    auto resp = transport_->stream(*req, on);
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
    auto resp = attempt(call);
    auto decision = retrier_.decide(n, call.idempotent, resp);
    if (!decision.retry) return resp;
    clock_->sleep_for(decision.delay);
  }
}

Result<nlohmann::json> Client::execute_json(const Call& call) {
  auto resp = execute(call);
  if (!resp) return tl::unexpected(resp.error());
  const std::string path = call.path.substr(0, call.path.find('?'));
  if (resp->status < 200 || resp->status >= 300) {
    return fail(error_from_response(*resp, call.method + " " + path));
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
