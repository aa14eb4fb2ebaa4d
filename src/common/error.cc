#include "kftenant/error.h"

#include <iterator>

namespace kftenant {

namespace {

// One row per ErrorCode, in the enum's order (error_test.cc checks both).
// HTTP: a malformed or invalid input is 422 (the body parsed but a field is wrong; 400 is for a
// request that does not parse, which the server decides), state that refuses the change 409,
// the cluster unreachable 503, a deadline 504, the API server failing 502, stored data that must
// be fixed and kftenant's own faults 500.
constexpr ErrorDisposition kDispositions[] = {
    {ErrorCode::kInvalidArgument, "InvalidArgument", kExitUsage, 422},
    {ErrorCode::kConfig, "Config", kExitFailure, 500},
    {ErrorCode::kIo, "Io", kExitFailure, 500},
    {ErrorCode::kParse, "Parse", kExitFailure, 502},
    {ErrorCode::kTransport, "Transport", kExitFailure, 503},
    {ErrorCode::kTimeout, "Timeout", kExitFailure, 504},
    // No standard status says "the client went away" (nginx's 499 is not one): a stopped call
    // is reported as the service being unavailable, a per-call deadline like a gateway timeout.
    {ErrorCode::kCancelled, "Cancelled", kExitFailure, 503},
    {ErrorCode::kDeadlineExceeded, "DeadlineExceeded", kExitFailure, 504},
    {ErrorCode::kUnauthorized, "Unauthorized", kExitFailure, 401},
    {ErrorCode::kForbidden, "Forbidden", kExitFailure, 403},
    {ErrorCode::kNotFound, "NotFound", kExitFailure, 404},
    {ErrorCode::kMethodNotAllowed, "MethodNotAllowed", kExitFailure, 405},
    {ErrorCode::kNotAcceptable, "NotAcceptable", kExitFailure, 406},
    {ErrorCode::kAlreadyExists, "AlreadyExists", kExitFailure, 409},
    {ErrorCode::kConflict, "Conflict", kExitFailure, 409},
    {ErrorCode::kGone, "Gone", kExitFailure, 410},
    {ErrorCode::kUnsupportedMediaType, "UnsupportedMediaType", kExitFailure, 415},
    {ErrorCode::kInvalid, "Invalid", kExitFailure, 422},
    {ErrorCode::kBadRequest, "BadRequest", kExitFailure, 400},
    {ErrorCode::kTooManyRequests, "TooManyRequests", kExitFailure, 429},
    {ErrorCode::kServerError, "ServerError", kExitFailure, 502},
    {ErrorCode::kStoredData, "StoredData", kExitFailure, 500},
    {ErrorCode::kRefused, "Refused", kExitRefused, 409},
    {ErrorCode::kTooLarge, "TooLarge", kExitRefused, 413},
    {ErrorCode::kInternal, "Internal", kExitFailure, 500},
};

}  // namespace

const ErrorDisposition& disposition(ErrorCode code) {
  const auto index = static_cast<std::size_t>(code);
  if (index < std::size(kDispositions)) return kDispositions[index];
  return kDispositions[std::size(kDispositions) - 1];  // kInternal
}

std::string_view to_string(ErrorCode code) {
  return disposition(code).name;
}

Error Error::with_context(std::string_view context) const {
  Error copy = *this;
  copy.message = std::string(context) + ": " + message;
  return copy;
}

}  // namespace kftenant
