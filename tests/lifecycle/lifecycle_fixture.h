// Runs the real kftenant binary against the test API server over HTTPS (seeded like a Kubeflow
// install, with the simulated Deployment and profile controllers).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "kftenant/yaml.h"
#include "support/run_process.h"
#include "support/temp_dir.h"
#include "testserver/apiserver.h"

namespace kftenant::testing {

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testserver::Options options;
    options.seed_kubeflow = true;
    options.simulate_profile_controller = true;
    options.rollout_delay = std::chrono::milliseconds(50);
    customize(options);
    auto server = testserver::ApiServer::start(options);
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
    kubeconfig_ = dir_.file("kubeconfig");
    ASSERT_TRUE(server_->write_kubeconfig(kubeconfig_));
    original_config_ = config_yaml();
  }
  virtual void customize(testserver::Options&) {}

  // kftenant --kubeconfig K <args...>, with `input` on stdin.
  ProcessResult kftenant(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> argv = {KFTENANT_BINARY, "--kubeconfig", kubeconfig_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, input);
  }
  // `user add EMAIL --password-stdin --bcrypt-cost 10 <extra>` with `password` on stdin.
  ProcessResult add_user(const std::string& email, const std::string& password,
                         std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"user",          "add", email, "--password-stdin",
                                     "--bcrypt-cost", "10"};
    args.insert(args.end(), extra.begin(), extra.end());
    return kftenant(args, password + "\n");
  }

  nlohmann::json object(const std::string& api_version, const std::string& resource,
                        const std::string& ns, const std::string& name) {
    auto o = server_->get_object(api_version, resource, ns, name);
    return o ? *o : nlohmann::json();
  }
  bool exists(const std::string& api_version, const std::string& resource, const std::string& ns,
              const std::string& name) {
    return server_->get_object(api_version, resource, ns, name).has_value();
  }
  std::string config_yaml() {
    auto cm = object("v1", "configmaps", "auth", "dex");
    return cm.is_null() ? std::string() : cm["data"].value("config.yaml", std::string());
  }
  // staticPasswords of the current config.yaml.
  nlohmann::json static_passwords() {
    auto parsed = yaml::parse(config_yaml());
    if (!parsed) return nlohmann::json();
    return parsed->value("staticPasswords", nlohmann::json::array());
  }
  nlohmann::json entry_for(const std::string& email) {
    for (const auto& e : static_passwords())
      if (e.value("email", "") == email) return e;
    return nlohmann::json();
  }
  nlohmann::json dex_template_annotations() {
    auto d = object("apps/v1", "deployments", "auth", "dex");
    return d.value(nlohmann::json::json_pointer("/spec/template/metadata/annotations"),
                   nlohmann::json::object());
  }
  // Polls until `pred` holds, for up to 10 s (controllers work asynchronously).
  template <typename Pred>
  bool eventually(Pred pred) {
    for (int i = 0; i < 200; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Requests that changed something (not GET/watch).
  std::vector<testserver::RequestRecord> writes() {
    std::vector<testserver::RequestRecord> out;
    for (auto& r : server_->requests())
      if (r.method != "GET") out.push_back(r);
    return out;
  }

  // python3-bcrypt's verdict on (password, hash).
  static bool python_checkpw(const std::string& password, const std::string& hash) {
    auto r = run_process({"/usr/bin/python3", "-c",
                          "import bcrypt,sys; print(bcrypt.checkpw(sys.stdin.buffer.read(), "
                          "sys.argv[1].encode()))",
                          hash},
                         password);
    return r.exit_code == 0 && r.out == "True\n";
  }

  TempDir dir_;
  std::unique_ptr<testserver::ApiServer> server_;
  std::string kubeconfig_;
  std::string original_config_;
};

}  // namespace kftenant::testing
