// Errors are values: every fallible library function returns Result<T>.
//
// An Error carries a machine-readable code, a one-line human message that names the input and
// what to do, and, when it came from the Kubernetes API server, the fields of the `Status` body
// (HTTP code, reason, causes, Retry-After). Exceptions never cross a public kftenant API.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>
#include <vector>

namespace kftenant {

enum class ErrorCode {
  kInvalidArgument,       // the caller passed something malformed (flag, name, quantity...)
  kConfig,                // kubeconfig / in-cluster config problem
  kIo,                    // local file system
  kParse,                 // a document (YAML, JSON, watch frame) does not parse
  kTransport,             // connection refused/reset, TLS failure, timeout before an answer
  kTimeout,               // an operation's deadline passed
  kCancelled,             // the caller asked to stop (a std::stop_token was requested)
  kDeadlineExceeded,      // a per-call deadline (kube::CallOptions::deadline) would pass
  kUnauthorized,          // 401
  kForbidden,             // 403
  kNotFound,              // 404
  kMethodNotAllowed,      // 405
  kNotAcceptable,         // 406
  kAlreadyExists,         // 409 reason AlreadyExists
  kConflict,              // 409 reason Conflict (stale resourceVersion, precondition)
  kGone,                  // 410 (reason Expired or Gone)
  kUnsupportedMediaType,  // 415
  kInvalid,               // 422 reason Invalid
  kBadRequest,            // 400
  kTooManyRequests,       // 429
  kServerError,           // 5xx
  kStoredData,            // stored data kftenant cannot read or edit safely (a config.yaml or
                          // kustomization of a shape it cannot edit in place): fix the data
  kRefused,               // refused because of existing state (CLI exit code 3)
  kTooLarge,              // the change would pass a size limit of the API server (a ConfigMap
                          // over 1 MiB): refused before anything is written (exit 3, HTTP 413)
  kInternal,              // a bug in kftenant
};

// The name of a code ("InvalidArgument"), as in JSON output and API error bodies.
std::string_view to_string(ErrorCode code);

// Process exit codes of the kftenant commands (documented in the README).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the operation failed; nothing or a resumable part done
inline constexpr int kExitUsage = 2;    // the input is wrong (flag, name, quantity, file)
inline constexpr int kExitRefused = 3;  // refused because of existing state (e.g. owned by another)

// What every front end does with a code: one row per code in src/common/error.cc, so the CLI's
// exit code and the REST server's HTTP status cannot disagree about what kind of failure it is.
// Errors from the Kubernetes API keep their own status (Error::http_status) where a front end
// passes them through; http_status here is for answering a caller.
struct ErrorDisposition {
  ErrorCode code;
  std::string_view name;  // to_string(code)
  int exit_code;          // kExitFailure, kExitUsage or kExitRefused
  int http_status;        // 4xx: the caller can fix it; 5xx: the server or cluster cannot
};
[[nodiscard]] const ErrorDisposition& disposition(ErrorCode code);
[[nodiscard]] inline int exit_code_for(ErrorCode code) {
  return disposition(code).exit_code;
}
[[nodiscard]] inline int http_status_for(ErrorCode code) {
  return disposition(code).http_status;
}

// One entry of a Kubernetes Status `details.causes`.
struct StatusCause {
  std::string reason;
  std::string message;
  std::string field;
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  int http_status = 0;  // 0 when the error did not come from an HTTP answer
  std::string reason;   // Kubernetes Status.reason, e.g. "NotFound"
  std::vector<StatusCause> causes;
  std::optional<std::chrono::milliseconds> retry_after;

  // Returns a copy whose message is prefixed with `context: `.
  [[nodiscard]] Error with_context(std::string_view context) const;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Result<void> success value: `return ok();`.
inline Result<void> ok() {
  return {};
}

[[nodiscard]] inline tl::unexpected<Error> make_error(ErrorCode code, std::string message) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return tl::unexpected<Error>(std::move(e));
}

[[nodiscard]] inline tl::unexpected<Error> fail(Error e) {
  return tl::unexpected<Error>(std::move(e));
}

}  // namespace kftenant
