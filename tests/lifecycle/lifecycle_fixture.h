// Runs the real kftenant binary over HTTPS against an API server seeded like a Kubeflow install:
// the project's test API server ("fake", simulated Deployment and profile controllers) or a real
// kube-apiserver 1.26 ("real": etcd + kube-apiserver + kube-controller-manager from
// KUBEBUILDER_ASSETS, Kubeflow installed from tests/data, stand-ins for Dex's rollout and the
// profile controller; see tests/support/test_cluster.h).
//
// Suites derived from LifecycleTest run on both: KFTENANT_ON_BOTH_SERVERS(Suite) instantiates
// them as FakeApiServer/Suite.Test/fake and RealApiServer_StandInControllers/Suite.Test/real
// (ctest label real-apiserver). Without the binaries the real ones skip with one line saying how
// to get them. FakeLifecycleTest is for tests that need the fake's own interface (faults, the
// request log).
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
#include "support/test_cluster.h"
#include "testserver/apiserver.h"

namespace kftenant::testing {

class ClusterTestBase : public ::testing::Test {
 protected:
  virtual ClusterKind cluster_kind() const { return ClusterKind::kFake; }
  void SetUp() override {
    if (cluster_kind() == ClusterKind::kReal) {
      if (auto why = real_cluster_unavailable(); !why.empty()) GTEST_SKIP() << why;
    }
    testserver::Options options;
    options.seed_kubeflow = true;
    options.simulate_profile_controller = true;
    options.rollout_delay = std::chrono::milliseconds(50);
    customize(options);
    auto cluster = TestCluster::start(cluster_kind(), options);
    ASSERT_TRUE(cluster) << cluster.error().message;
    cluster_ = std::move(*cluster);
    server_ = cluster_.get();
    kubeconfig_ = dir_.file("kubeconfig");
    ASSERT_TRUE(server_->write_kubeconfig(kubeconfig_));
    original_config_ = config_yaml();
  }
  virtual void customize(testserver::Options&) {}

  bool real() const { return cluster_kind() == ClusterKind::kReal; }
  // The fake's own interface; null on the real server.
  testserver::ApiServer* fake() { return server_->fake(); }

  // Remembers the state: changes() then lists what was written since.
  void mark_state() {
    snapshot_ = server_->snapshot();
    if (fake()) fake()->clear_requests();
  }
  // "" when nothing was written since mark_state(): no object's resourceVersion moved (both
  // servers) and, on the fake, no write request arrived at all.
  std::string changes() {
    std::string out = server_->changes_since(snapshot_);
    if (fake()) {
      for (const auto& r : writes()) {
        // Questions, not writes: access reviews and dry runs.
        if (r.path.ends_with("accessreviews") || r.query.find("dryRun=All") != std::string::npos)
          continue;
        out += "request " + r.method + " " + r.path + "\n";
      }
    }
    return out;
  }

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

  // Requests that changed something (not GET/watch). The fake only (empty on the real one).
  std::vector<testserver::RequestRecord> writes() {
    std::vector<testserver::RequestRecord> out;
    if (!fake()) return out;
    for (auto& r : fake()->requests())
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
  std::unique_ptr<TestCluster> cluster_;
  TestCluster* server_ = nullptr;
  std::string kubeconfig_;
  std::string original_config_;
  Snapshot snapshot_;
};

// Parametrised by the server: see KFTENANT_ON_BOTH_SERVERS.
class LifecycleTest : public ClusterTestBase, public ::testing::WithParamInterface<ClusterKind> {
 protected:
  ClusterKind cluster_kind() const override { return GetParam(); }
};

// Only on the fake (fault injection, the request log).
class FakeLifecycleTest : public ClusterTestBase {
 protected:
  testserver::ApiServer& fake_server() { return *server_->fake(); }
};

inline std::string server_param_name(const ::testing::TestParamInfo<ClusterKind>& info) {
  return to_string(info.param);
}

#define KFTENANT_ON_BOTH_SERVERS(Suite)                                                \
  INSTANTIATE_TEST_SUITE_P(FakeApiServer, Suite,                                       \
                           ::testing::Values(::kftenant::testing::ClusterKind::kFake), \
                           ::kftenant::testing::server_param_name);                    \
  INSTANTIATE_TEST_SUITE_P(RealApiServer_StandInControllers, Suite,                    \
                           ::testing::Values(::kftenant::testing::ClusterKind::kReal), \
                           ::kftenant::testing::server_param_name)

}  // namespace kftenant::testing
