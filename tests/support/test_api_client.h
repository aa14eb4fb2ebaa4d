// A kftenant Kubernetes client of the test API server (its CA trusted, a bearer token, no
// client-side rate limit): what every test that talks to testserver::ApiServer in process
// starts with. Null when the client cannot be made (the test then fails on it).
#pragma once

#include <memory>
#include <string>

#include "kftenant/kube/client.h"
#include "testserver/apiserver.h"

namespace kftenant::testing {

[[nodiscard]] inline std::unique_ptr<kube::Client> test_api_client(
    const testserver::ApiServer& server, const std::string& token) {
  kube::RestConfig config;
  config.server = server.url();
  config.ca_pem = server.ca_pem();
  config.token = token;
  config.qps = 0;  // a test's requests are never throttled
  auto made = kube::Client::create(config, {});
  return made ? std::move(*made) : nullptr;
}

// The same with the administrator's token (every permission).
[[nodiscard]] inline std::unique_ptr<kube::Client> test_api_client(
    const testserver::ApiServer& server) {
  return test_api_client(server, server.admin_token());
}

}  // namespace kftenant::testing
