// The real control plane fixture itself (tests/support/control_plane.h): RBAC with the token
// users, the controller manager's garbage collector, and no stray process or folder after the
// test process is killed.
#include "support/control_plane.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "kftenant/kube/client.h"
#include "kftenant/kube/resource.h"

namespace kftenant::testing {
namespace {

namespace res = kube::resources;
using nlohmann::json;

std::unique_ptr<kube::Client> client_for(const ControlPlane& cp, const std::string& token) {
  kube::RestConfig config;
  config.server = cp.url();
  config.ca_pem = cp.ca_pem();
  config.token = token;
  config.qps = 0;
  kube::ClientOptions options;
  options.retry.max_attempts = 1;
  auto c = kube::Client::create(config, options);
  return c ? std::move(*c) : nullptr;
}

class RealApiServer_ControlPlane : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto a = find_assets(); !a) GTEST_SKIP() << a.error().message;
  }
};

TEST_F(RealApiServer_ControlPlane, TokenUsersAreAuthorizedByRbacAndGarbageIsCollected) {
  auto cp = ControlPlane::start({});
  ASSERT_TRUE(cp) << cp.error().message;
  auto admin = client_for(**cp, (*cp)->admin_token());
  auto jane = client_for(**cp, (*cp)->token_for("jane"));
  ASSERT_TRUE(admin && jane);
  // The API server's bootstrap controller creates namespace "default" shortly after /readyz
  // answers; under load that can be seconds later.
  for (int i = 0; i < 100 && !admin->get(res::kNamespaces, "", "default"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));

  // jane is authenticated but has no role: the real 403 message.
  auto denied = jane->list(res::kConfigMaps, "default");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().http_status, 403);
  EXPECT_THAT(denied.error().message,
              ::testing::HasSubstr("User \"jane\" cannot list resource \"configmaps\""));
  EXPECT_TRUE(admin->list(res::kConfigMaps, "default"));

  // An object whose owner is gone is deleted by the garbage collector.
  auto owner = admin->create(
      res::kConfigMaps, "default",
      {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "owner"}}}});
  ASSERT_TRUE(owner) << owner.error().message;
  const std::string uid = owner->object["metadata"].value("uid", "");
  auto dependent = admin->create(
      res::kConfigMaps, "default",
      {{"apiVersion", "v1"},
       {"kind", "ConfigMap"},
       {"metadata",
        {{"name", "dependent"},
         {"ownerReferences",
          {{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "owner"}, {"uid", uid}}}}}}});
  ASSERT_TRUE(dependent) << dependent.error().message;
  ASSERT_TRUE(admin->remove(res::kConfigMaps, "default", "owner"));
  bool collected = false;
  for (int i = 0; i < 300 && !collected; ++i) {
    auto d = admin->get(res::kConfigMaps, "default", "dependent");
    collected = !d && d.error().code == ErrorCode::kNotFound;
    if (!collected) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(collected) << "the garbage collector did not delete the dependent";
}

// Run as a child by the next test: starts a control plane, prints its folder and the pids of
// its processes, and waits to be killed.
TEST_F(RealApiServer_ControlPlane, ChildThatWaitsToBeKilled) {
  if (!std::getenv("KFTENANT_CONTROL_PLANE_CHILD")) GTEST_SKIP() << "run by the next test";
  auto cp = ControlPlane::start({});
  ASSERT_TRUE(cp) << cp.error().message;
  std::cout << "dir " << (*cp)->dir() << std::endl;
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent && state != "Z") out.push_back(std::stoi(name));
  }
  return out;
}

TEST_F(RealApiServer_ControlPlane, NothingIsLeftWhenTheTestProcessIsKilled) {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    dup2(out[1], 1);
    close(out[0]);
    setenv("KFTENANT_CONTROL_PLANE_CHILD", "1", 1);
    execl("/proc/self/exe", "child",
          "--gtest_filter=RealApiServer_ControlPlane.ChildThatWaitsToBeKilled",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* from_child = fdopen(out[0], "r");
  std::string dir;
  char line[4096];
  while (fgets(line, sizeof line, from_child) != nullptr) {
    std::string l(line);
    if (l.rfind("dir ", 0) == 0) {
      dir = l.substr(4, l.size() - 5);
      break;
    }
  }
  ASSERT_FALSE(dir.empty()) << "the child did not start a control plane";
  const std::vector<pid_t> components = children_of(child);
  EXPECT_GE(components.size(), 3u);  // etcd, kube-apiserver, kube-controller-manager (+ watchdog)

  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  fclose(from_child);
  bool clean = false;
  for (int i = 0; i < 150 && !clean; ++i) {
    clean = !std::filesystem::exists(dir);
    for (pid_t p : components) clean = clean && (kill(p, 0) != 0);
    if (!clean) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(clean) << dir << " or a component outlived the killed test process";
}

}  // namespace
}  // namespace kftenant::testing
