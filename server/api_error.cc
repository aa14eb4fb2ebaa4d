#include "server/api_error.h"

#include <algorithm>
#include <string>

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

ApiResponse error_response(const ApiError& error) {
  return ApiResponse{error.status, to_json(error), "", ""};
}

ApiResponse error_response(const Error& error) {
  ApiResponse response = error_response(api_error(error));
  if (error.retry_after) {
    const auto seconds = (error.retry_after->count() + 999) / 1000;
    response.headers.emplace("Retry-After", std::to_string(std::max<long long>(1, seconds)));
  }
  return response;
}

}  // namespace kftenant::server
