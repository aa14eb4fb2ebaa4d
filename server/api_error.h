// The REST API's error answers: every failure is {"code", "message", "field"} with the HTTP
// status the library's ErrorDisposition gives its code (kftenant/error.h), so the CLI's exit
// code and the server's status always agree about what kind of failure it is.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "kftenant/error.h"
#include "server/route_table.h"

namespace kftenant::server {

struct ApiError {
  int status = 500;
  std::string code;     // ErrorCode name: "NotFound", "Forbidden", "InvalidArgument", ...
  std::string message;  // one line, for people; never a password or a hash
  std::string field;    // the request field at fault, "" when none
};

// From a library error: status from its code, field from its first cause naming one.
[[nodiscard]] ApiError api_error(const Error& error);
[[nodiscard]] ApiError api_error(ErrorCode code, std::string message, std::string field = "");

// {"code": ..., "message": ..., "field": ...} ("field" only when set).
[[nodiscard]] nlohmann::json to_json(const ApiError& error);

// The answer for an error: its status and {code, message, field}.
[[nodiscard]] ApiResponse error_response(const ApiError& error);
[[nodiscard]] ApiResponse error_response(const Error& error);

}  // namespace kftenant::server
