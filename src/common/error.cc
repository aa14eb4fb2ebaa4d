#include "kftenant/error.h"

namespace kftenant {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "InvalidArgument";
    case ErrorCode::kConfig: return "Config";
    case ErrorCode::kIo: return "Io";
    case ErrorCode::kParse: return "Parse";
    case ErrorCode::kTransport: return "Transport";
    case ErrorCode::kTimeout: return "Timeout";
    case ErrorCode::kUnauthorized: return "Unauthorized";
    case ErrorCode::kForbidden: return "Forbidden";
    case ErrorCode::kNotFound: return "NotFound";
    case ErrorCode::kMethodNotAllowed: return "MethodNotAllowed";
    case ErrorCode::kNotAcceptable: return "NotAcceptable";
    case ErrorCode::kAlreadyExists: return "AlreadyExists";
    case ErrorCode::kConflict: return "Conflict";
    case ErrorCode::kGone: return "Gone";
    case ErrorCode::kUnsupportedMediaType: return "UnsupportedMediaType";
    case ErrorCode::kInvalid: return "Invalid";
    case ErrorCode::kBadRequest: return "BadRequest";
    case ErrorCode::kTooManyRequests: return "TooManyRequests";
    case ErrorCode::kServerError: return "ServerError";
    case ErrorCode::kRefused: return "Refused";
    case ErrorCode::kInternal: return "Internal";
  }
  return "Unknown";
}

Error Error::with_context(std::string_view context) const {
  Error copy = *this;
  copy.message = std::string(context) + ": " + message;
  return copy;
}

}  // namespace kftenant
