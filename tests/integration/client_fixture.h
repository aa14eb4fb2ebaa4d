// Shared setup of the client integration tests: an in-process test API server over HTTPS, a
// kubeconfig written by it, and a Client built from that kubeconfig like kftenant does.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "kftenant/kube/client.h"
#include "kftenant/kube/kubeconfig.h"
#include "support/fake_clock.h"
#include "testserver/apiserver.h"

namespace kftenant::kube::integration {

inline std::string temp_path(const std::string& stem) {
  static std::atomic<int> counter{0};
  return (std::filesystem::temp_directory_path() /
          (stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
      .string();
}

class ClientIntegration : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  void TearDown() override {
    client.reset();
    if (server) server->stop();
    for (const auto& f : files) std::filesystem::remove(f);
  }

  void start(testserver::Options server_options) {
    auto s = testserver::ApiServer::start(server_options);
    ASSERT_TRUE(s) << s.error().message;
    server = std::move(*s);
    config = load(testserver::ApiServer::KubeconfigAuth::kToken);
    client = make_client(config);
    ASSERT_TRUE(client);
  }

  RestConfig load(testserver::ApiServer::KubeconfigAuth auth) {
    std::string path = temp_path("kftenant-kubeconfig");
    files.push_back(path);
    auto w = server->write_kubeconfig(path, auth);
    EXPECT_TRUE(w) << w.error().message;
    KubeconfigOptions o;
    o.explicit_path = path;
    o.kubeconfig_env = "";
    o.home = "/nonexistent";
    auto c = load_rest_config(o);
    EXPECT_TRUE(c) << c.error().message;
    return c ? *c : RestConfig{};
  }

  // Fake clock: backoff and Retry-After waits pass instantly (network time is still real).
  std::unique_ptr<Client> make_client(const RestConfig& c, ClientOptions o = {}) {
    if (!o.clock) o.clock = clock;
    if (!o.qps) o.qps = 0;
    auto made = Client::create(c, o);
    EXPECT_TRUE(made) << made.error().message;
    return made ? std::move(*made) : nullptr;
  }

  void make_namespace(const std::string& name) {
    nlohmann::json ns = {
        {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
    auto r = client->create(resources::kNamespaces, "", ns);
    ASSERT_TRUE(r) << r.error().message;
  }

  static nlohmann::json configmap(const std::string& name, nlohmann::json data = {{"k", "v"}}) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}}},
            {"data", std::move(data)}};
  }

  // Requests the server saw with this method whose path contains `needle`.
  int count_requests(const std::string& method, const std::string& needle) {
    int n = 0;
    for (const auto& r : server->requests()) {
      if (r.method == method && r.path.find(needle) != std::string::npos) ++n;
    }
    return n;
  }

  std::shared_ptr<testing::FakeClock> clock = std::make_shared<testing::FakeClock>();
  std::unique_ptr<testserver::ApiServer> server;
  RestConfig config;
  std::unique_ptr<Client> client;
  std::vector<std::string> files;
};

}  // namespace kftenant::kube::integration
