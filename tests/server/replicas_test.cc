// Two replicas of the server (each its own client, cache and port, as two pods of deploy/serve)
// over one API server, writing at once: users added through both land in Dex's one config.yaml
// (a conflicting write re-plans from fresh state: none lost), contributors added to one profile
// through both are all there, and each replica's reads show the other's writes once its watch
// delivers them.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <set>
#include <thread>

#include "kftenant/dex/bcrypt.h"
#include "server/profile_writes.h"
#include "server/tenancy_api.h"
#include "server/user_writes.h"
#include "support/in_process_api.h"
#include "testserver/apiserver.h"

namespace kftenant::server {
namespace {

using nlohmann::json;

constexpr const char* kAdmin = "admin@example.com";
constexpr const char* kOwner = "user@example.com";  // owns the seeded kubeflow-user-example-com
constexpr const char* kProfile = "kubeflow-user-example-com";
constexpr const char* kServeToken = "kftenant-serve-token";

// One replica's APIs; the InProcessApi is destroyed first (it stops the server using them).
struct Replica {
  std::unique_ptr<TenancyApi> reads;
  std::unique_ptr<UserWriteApi> users;
  std::unique_ptr<ProfileWriteApi> profiles;
  std::unique_ptr<InProcessApi> env = std::make_unique<InProcessApi>();

  static std::function<void(InProcessApi&, RouteTable&)> routes(Replica& r) {
    return [&r](InProcessApi& e, RouteTable& table) {
      r.reads = std::make_unique<TenancyApi>(e.cache(), tenancy::TenancyContext{}, &e.cache());
      r.reads->add_routes(table);
      UserWriteOptions options;
      options.bcrypt_cost = 10;
      r.users = std::make_unique<UserWriteApi>(e.cache(), tenancy::TenancyContext{}, options);
      r.users->add_routes(table);
      r.profiles =
          std::make_unique<ProfileWriteApi>(e.cache(), tenancy::TenancyContext{}, r.reads->views());
      r.profiles->add_routes(table);
    };
  }
  ~Replica() { env.reset(); }
};

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testserver::Options options;
    options.seed_kubeflow = true;
    options.rollout_delay = std::chrono::milliseconds(20);
    options.simulate_profile_controller = true;
    options.profile_controller_delay = std::chrono::milliseconds(20);
    HttpServerOptions http;
    http.threads = 8;
    http.identity.admins = {kAdmin};
    ASSERT_NO_FATAL_FAILURE(a.env->start(
        options, [](store::ObjectStore&) {}, Replica::routes(a), http, ""));
    api_server = &a.env->api_server();
    ASSERT_NO_FATAL_FAILURE(grant_deploy_rbac(*api_server, kServeToken));
    ASSERT_NO_FATAL_FAILURE(b.env->attach(*api_server, Replica::routes(b), http, kServeToken));
    hash = dex::bcrypt_hash("a password for everyone", 10).value();
  }

  // Waits (10 s at most) until both replicas' caches hold the seeded profile's namespace: the
  // simulated profile controller makes it after the profile, and a contributor can only be added
  // once it is there (404 before, as kftenant answers on a cluster whose controller is slow).
  void wait_for_profile_namespace() {
    for (Replica* replica : {&a, &b}) {
      bool there = false;
      for (int i = 0; i < 1000 && !there; ++i) {
        there = replica->env->cache().get({"v1", "Namespace", "", kProfile}).has_value();
        if (!there) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      ASSERT_TRUE(there) << "namespace " << kProfile << " never reached a replica's cache";
    }
  }

  // Polls `replica` until `path` answers as `done` says (5 s at most).
  static bool eventually(Replica& replica, const std::string& path,
                         const std::function<bool(const InProcessApi::Answer&)>& done) {
    for (int i = 0; i < 500; ++i) {
      if (done(replica.env->call("GET", path, kAdmin))) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  Replica a, b;
  testserver::ApiServer* api_server = nullptr;
  std::string hash;
};

TEST_F(ReplicasTest, UsersAddedThroughBothAtOnceAreAllInDexsConfig) {
  constexpr int kEach = 8;
  auto add = [this](Replica& replica, const std::string& who) {
    std::vector<int> statuses;
    for (int i = 0; i < kEach; ++i) {
      json body = {{"email", fmt::format("{}{}@example.com", who, i)},
                   {"passwordHash", hash},
                   {"createProfile", false}};
      statuses.push_back(replica.env->call("POST", "/api/v1/users", kAdmin, body.dump()).status);
    }
    return statuses;
  };
  auto through_a = std::async(std::launch::async, add, std::ref(a), "ann");
  auto through_b = std::async(std::launch::async, add, std::ref(b), "bob");
  for (int status : through_a.get()) EXPECT_EQ(status, 201);
  for (int status : through_b.get()) EXPECT_EQ(status, 201);

  auto config = api_server->get_object("v1", "configmaps", "auth", "dex");
  ASSERT_TRUE(config);
  const std::string yaml = (*config)["data"]["config.yaml"].get<std::string>();
  for (int i = 0; i < kEach; ++i) {
    EXPECT_NE(yaml.find(fmt::format("ann{}@example.com", i)), std::string::npos) << i;
    EXPECT_NE(yaml.find(fmt::format("bob{}@example.com", i)), std::string::npos) << i;
  }
  // Each replica lists all of them, its own writes and (once watched) the other's.
  for (Replica* replica : {&a, &b}) {
    EXPECT_TRUE(eventually(*replica, "/api/v1/users?limit=1000", [](const auto& answer) {
      int ours = 0;
      for (const auto& u : answer.body.value("items", json::array())) {
        const std::string email = u.value("email", "");
        if (email.starts_with("ann") || email.starts_with("bob")) ++ours;
      }
      return ours == 2 * kEach;
    }));
  }
}

TEST_F(ReplicasTest, ContributorsAddedToOneProfileThroughBothAreAllThere) {
  const std::string base = std::string("/api/v1/profiles/") + kProfile + "/contributors";
  ASSERT_NO_FATAL_FAILURE(wait_for_profile_namespace());
  constexpr int kEach = 6;
  auto add = [&](Replica& replica, const std::string& who, const char* role) {
    std::vector<int> statuses;
    for (int i = 0; i < kEach; ++i) {
      json body = {{"email", fmt::format("{}{}@example.com", who, i)}, {"role", role}};
      statuses.push_back(replica.env->call("POST", base, kOwner, body.dump()).status);
    }
    return statuses;
  };
  auto through_a = std::async(std::launch::async, add, std::ref(a), "cat", "edit");
  auto through_b = std::async(std::launch::async, add, std::ref(b), "dan", "view");
  for (int status : through_a.get()) EXPECT_EQ(status, 201);
  for (int status : through_b.get()) EXPECT_EQ(status, 201);

  for (Replica* replica : {&a, &b}) {
    EXPECT_TRUE(
        eventually(*replica, std::string("/api/v1/profiles/") + kProfile, [](const auto& answer) {
          std::set<std::string> seen;
          for (const auto& c : answer.body.value("contributors", json::array()))
            seen.insert(c.value("email", "") + "=" + c.value("role", ""));
          for (int i = 0; i < kEach; ++i)
            if (!seen.count(fmt::format("cat{}@example.com=edit", i)) ||
                !seen.count(fmt::format("dan{}@example.com=view", i)))
              return false;
          return true;
        }));
  }
  // Each as KFAM makes it: a RoleBinding and an AuthorizationPolicy.
  for (int i = 0; i < kEach; ++i) {
    EXPECT_TRUE(api_server->get_object("rbac.authorization.k8s.io/v1", "rolebindings", kProfile,
                                       fmt::format("user-dan{}-example-com-clusterrole-view", i)));
    EXPECT_TRUE(api_server->get_object("security.istio.io/v1beta1", "authorizationpolicies",
                                       kProfile,
                                       fmt::format("user-cat{}-example-com-clusterrole-edit", i)));
  }
}

TEST_F(ReplicasTest, QuotaSetThroughBothAtOnceEndsAsOneOfThemWithTheProfileIntact) {
  const std::string path = std::string("/api/v1/profiles/") + kProfile + "/quota";
  ASSERT_TRUE(eventually(b, std::string("/api/v1/profiles/") + kProfile,
                         [](const auto& answer) { return answer.status == 200; }));
  auto set = [&](Replica& replica, const std::string& cpu) {
    std::vector<int> statuses;
    for (int i = 0; i < 5; ++i)
      statuses.push_back(
          replica.env->call("PUT", path, kAdmin, json{{"hard", {{"cpu", cpu}}}}.dump()).status);
    return statuses;
  };
  auto through_a = std::async(std::launch::async, set, std::ref(a), "4");
  auto through_b = std::async(std::launch::async, set, std::ref(b), "8");
  for (int status : through_a.get()) EXPECT_EQ(status, 200);
  for (int status : through_b.get()) EXPECT_EQ(status, 200);
  auto profile = api_server->get_object("kubeflow.org/v1", "profiles", "", kProfile);
  ASSERT_TRUE(profile);
  const json hard = (*profile)["spec"]["resourceQuotaSpec"]["hard"];
  EXPECT_TRUE(hard == json({{"cpu", "4"}}) || hard == json({{"cpu", "8"}})) << hard.dump();
  EXPECT_EQ((*profile)["spec"]["owner"]["name"], kOwner);
}

}  // namespace
}  // namespace kftenant::server
