#include "server/api_error.h"

namespace kftenant::server {

ApiError api_error(const Error& error) {
  ApiError out;
  out.status = http_status_for(error.code);
  out.code = std::string(to_string(error.code));
  out.message = error.message;
  for (const auto& cause : error.causes) {
    if (!cause.field.empty()) {
      out.field = cause.field;
      break;
    }
  }
  return out;
}

ApiError api_error(ErrorCode code, std::string message, std::string field) {
  return ApiError{http_status_for(code), std::string(to_string(code)), std::move(message),
                  std::move(field)};
}

nlohmann::json to_json(const ApiError& error) {
  nlohmann::json out = {{"code", error.code}, {"message", error.message}};
  if (!error.field.empty()) out["field"] = error.field;
  return out;
}

}  // namespace kftenant::server
