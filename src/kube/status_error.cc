#include "kftenant/kube/status_error.h"

#include <fmt/format.h>

#include <charconv>
#include <string>

#include "kftenant/kube/credentials.h"

namespace kftenant::kube {
namespace {

using nlohmann::json;

std::string string_field(const json& j, const char* key) {
  if (j.is_object()) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

// The first line of a non-Status body, shortened: enough to recognise "404 page not found" or a
// proxy's error page without flooding the message.
std::string body_excerpt(std::string_view body) {
  while (!body.empty() && (body.front() == ' ' || body.front() == '\n' || body.front() == '\r')) {
    body.remove_prefix(1);
  }
  auto nl = body.find_first_of("\r\n");
  if (nl != std::string_view::npos) body = body.substr(0, nl);
  constexpr std::size_t kMax = 200;
  std::string out(body.substr(0, kMax));
  if (body.size() > kMax) out += "...";
  return out;
}

}  // namespace

ErrorCode error_code_for(int http_status, std::string_view reason) {
  // Reasons from k8s.io/apimachinery/pkg/apis/meta/v1/types.go (StatusReason*).
  if (reason == "NotFound") return ErrorCode::kNotFound;
  if (reason == "AlreadyExists") return ErrorCode::kAlreadyExists;
  if (reason == "Conflict") return ErrorCode::kConflict;
  if (reason == "Invalid") return ErrorCode::kInvalid;
  if (reason == "Forbidden") return ErrorCode::kForbidden;
  if (reason == "Unauthorized") return ErrorCode::kUnauthorized;
  if (reason == "TooManyRequests") return ErrorCode::kTooManyRequests;
  if (reason == "Gone" || reason == "Expired") return ErrorCode::kGone;
  if (reason == "BadRequest") return ErrorCode::kBadRequest;
  if (reason == "MethodNotAllowed") return ErrorCode::kMethodNotAllowed;
  if (reason == "NotAcceptable") return ErrorCode::kNotAcceptable;
  if (reason == "UnsupportedMediaType") return ErrorCode::kUnsupportedMediaType;
  if (reason == "InternalError" || reason == "ServiceUnavailable" || reason == "ServerTimeout" ||
      reason == "Timeout") {
    return ErrorCode::kServerError;
  }
  switch (http_status) {
    case 400:
      return ErrorCode::kBadRequest;
    case 401:
      return ErrorCode::kUnauthorized;
    case 403:
      return ErrorCode::kForbidden;
    case 404:
      return ErrorCode::kNotFound;
    case 405:
      return ErrorCode::kMethodNotAllowed;
    case 406:
      return ErrorCode::kNotAcceptable;
    case 409:
      return ErrorCode::kConflict;
    case 410:
      return ErrorCode::kGone;
    case 415:
      return ErrorCode::kUnsupportedMediaType;
    case 422:
      return ErrorCode::kInvalid;
    case 429:
      return ErrorCode::kTooManyRequests;
    default:
      break;
  }
  if (http_status >= 500) return ErrorCode::kServerError;
  if (http_status >= 400) return ErrorCode::kBadRequest;
  return ErrorCode::kServerError;  // a non-error status handed here: the server misbehaved
}

bool is_status(const json& body) {
  return body.is_object() && string_field(body, "kind") == "Status";
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  long long seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || seconds < 0) {
    return std::nullopt;  // the HTTP-date form is never sent by the API server
  }
  return std::chrono::milliseconds(seconds * 1000);
}

Error error_from_status(const json& status, int fallback_http_status) {
  Error e;
  e.http_status = fallback_http_status;
  if (status.is_object()) {
    auto code = status.find("code");
    if (code != status.end() && code->is_number_integer()) e.http_status = code->get<int>();
  }
  e.reason = string_field(status, "reason");
  e.code = error_code_for(e.http_status, e.reason);
  e.message = string_field(status, "message");
  if (e.message.empty()) {
    // As client-go's errors.NewGenericServerResponse: say what little we know.
    e.message = fmt::format(
        "the server responded with the status code {} but did not return "
        "more information",
        e.http_status);
    if (!e.reason.empty()) e.message += fmt::format(" (reason {})", e.reason);
  }
  if (status.is_object()) {
    auto details = status.find("details");
    if (details != status.end() && details->is_object()) {
      auto causes = details->find("causes");
      if (causes != details->end() && causes->is_array()) {
        for (const auto& c : *causes) {
          e.causes.push_back(StatusCause{string_field(c, "reason"), string_field(c, "message"),
                                         string_field(c, "field")});
        }
      }
      auto ra = details->find("retryAfterSeconds");
      if (ra != details->end() && ra->is_number_integer() && ra->get<long long>() > 0) {
        e.retry_after = std::chrono::milliseconds(ra->get<long long>() * 1000);
      }
    }
  }
  return e;
}

Error explain_unauthorized(const Error& unauthorized, const RestConfig& config) {
  Error e = unauthorized;
  const std::string& ctx = config.context_name;
  std::string whose;
  if (config.source == "in-cluster") {
    whose = "of this pod's service account";
  } else if (!config.user_name.empty()) {
    whose = fmt::format("of kubeconfig user \"{}\" (context \"{}\" in {}; {})", config.user_name,
                        ctx, config.source, describe_auth(config));
  } else {
    whose = fmt::format("for context \"{}\" in {}, which names no user", ctx, config.source);
  }
  const std::string check_cluster =
      ctx.empty()
          ? std::string()
          : fmt::format(", and check that context \"{}\" points at the cluster you mean", ctx);
  std::string what_to_do;
  if (config.source == "in-cluster") {
    what_to_do = fmt::format(
        "the token in {} (read again) was refused: check that the pod's service account still "
        "exists and that kftenant runs in the cluster it should manage",
        config.token_file);
  } else if (!config.token_file.empty()) {
    what_to_do = fmt::format(
        "the token in {} (read again) may have expired or be meant for another cluster: renew "
        "the file{}",
        config.token_file, check_cluster);
  } else if (!config.token.empty()) {
    what_to_do = fmt::format(
        "the token may have expired or been revoked, or be meant for another cluster: get a new "
        "token for users[{}].token{}",
        config.user_name, check_cluster);
  } else if (!config.username.empty() || !config.password.empty()) {
    what_to_do =
        "most clusters no longer accept a username and password (Kubernetes 1.19 removed basic "
        "auth): use a token, a client certificate or an exec plugin";
  } else if (config.exec) {
    what_to_do = fmt::format(
        "the plugin was run again and its fresh credentials were refused too: log in again with "
        "the tool behind {} (e.g. gcloud auth login, aws sso login, az login){}",
        config.exec->command, check_cluster);
  } else if (!config.client_cert_pem.empty()) {
    what_to_do = fmt::format(
        "the client certificate may have expired or not be signed by this cluster's CA: check "
        "it with openssl x509 -noout -enddate -issuer{}",
        check_cluster);
  } else if (!config.user_name.empty()) {
    what_to_do = fmt::format(
        "the request was anonymous: give users[{}] a token, a client certificate or an exec "
        "plugin",
        config.user_name);
  } else {
    what_to_do = fmt::format(
        "the request was anonymous: set contexts[{}].user to a user with credentials", ctx);
  }
  std::string said;
  if (!unauthorized.message.empty() && unauthorized.message != "Unauthorized") {
    said = fmt::format(" (the server said: {})", unauthorized.message);
  }
  e.message =
      fmt::format("the API server {} refused the credentials {} with 401 Unauthorized{}; {}",
                  config.server, whose, said, what_to_do);
  return e;
}

Error error_from_response(const HttpResponse& response, std::string_view request) {
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  Error e;
  if (is_status(body)) {
    e = error_from_status(body, response.status);
    // The HTTP status is authoritative; a Status without code gets it from there.
    e.http_status = response.status;
    e.code = error_code_for(response.status, e.reason);
  } else {
    e.http_status = response.status;
    e.code = error_code_for(response.status, "");
    std::string excerpt = body_excerpt(response.body);
    e.message = request.empty()
                    ? fmt::format("the server answered HTTP {}", response.status)
                    : fmt::format("{}: the server answered HTTP {}", request, response.status);
    if (!excerpt.empty()) e.message += ": " + excerpt;
  }
  if (auto ra = parse_retry_after(response.header("retry-after"))) e.retry_after = ra;
  return e;
}

}  // namespace kftenant::kube
