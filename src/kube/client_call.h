// Private to the Client implementation: one request as the verbs describe it.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "kftenant/kube/client.h"

namespace kftenant::kube {

struct Client::Call {
  std::string method;
  std::string path;  // path and query
  std::string body;
  std::string content_type;  // for the body
  bool idempotent = false;   // may be re-sent after a lost answer (see retry.h)
  std::optional<std::chrono::milliseconds> timeout;  // default: ClientOptions::request_timeout
  int first_attempt = 1;  // for the request log: create() sends again after a lost answer
};

}  // namespace kftenant::kube
