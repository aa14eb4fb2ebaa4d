// The server's cache recovers on its own, and its answers with it: after a watch answered 410
// Gone (the resourceVersion it resumes from was compacted) the informer lists again and keeps
// serving; after the API server could not be reached for a while (a restart: every request
// dropped, watches cut) the server keeps answering from what it had, then shows the changes
// made meanwhile once the API server is back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "server/tenancy_api.h"
#include "support/in_process_api.h"
#include "testserver/apiserver.h"

namespace kftenant::server {
namespace {

using nlohmann::json;

constexpr const char* kAdmin = "admin@example.com";

json profile(const std::string& name, const std::string& owner) {
  return {{"apiVersion", "kubeflow.org/v1"},
          {"kind", "Profile"},
          {"metadata", {{"name", name}}},
          {"spec", {{"owner", {{"kind", "User"}, {"name", owner}}}}}};
}

class CacheRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testserver::Options options;
    options.seed_kubeflow = true;
    HttpServerOptions http;
    http.threads = 4;
    http.identity.admins = {kAdmin};
    ASSERT_NO_FATAL_FAILURE(env.start(
        options, nullptr,
        [this](InProcessApi& e, RouteTable& routes) {
          reads = std::make_unique<TenancyApi>(e.cache(), tenancy::TenancyContext{}, &e.cache());
          reads->add_routes(routes);
        },
        http));
  }
  void TearDown() override { env.api_server().clear_faults(); }

  // Whether GET /api/v1/profiles/{name} answers `status` within 10 s.
  bool profile_answers(const std::string& name, int status) {
    for (int i = 0; i < 1000; ++i) {
      if (env.call("GET", "/api/v1/profiles/" + name, kAdmin).status == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  int profile_lists() {
    for (const auto* informer : env.cache().informers())
      if (informer->resource().resource == "profiles") return informer->lists();
    return -1;
  }

  bool wait_for_watch(const std::string& path) {
    for (int i = 0; i < 500; ++i) {
      if (env.api_server().open_watches(path) > 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::unique_ptr<TenancyApi> reads;  // destroyed after env (declared first)
  InProcessApi env;
};

TEST_F(CacheRecoveryTest, AfterA410TheInformerListsAgainAndServesWhatChanged) {
  testserver::ApiServer& api = env.api_server();
  const std::string watch_path = "/apis/kubeflow.org/v1/profiles";
  ASSERT_TRUE(wait_for_watch(watch_path));
  const int lists_before = profile_lists();
  ASSERT_GE(lists_before, 1);
  // The next watch of Profiles is answered 410, as when its resourceVersion was compacted; then
  // the open one ends, so the informer resumes into that 410.
  testserver::FaultRule gone;
  gone.method = "GET";
  gone.path_regex = "^/apis/kubeflow\\.org/v1/profiles$";
  gone.status = 410;
  gone.reason = "Expired";
  api.inject_fault(gone);
  testserver::FaultRule end;
  end.path_regex = gone.path_regex;
  end.end_watch = true;
  api.inject_fault(end);
  ASSERT_TRUE(api.put_object("kubeflow.org/v1", "profiles", profile("after-gone", "g@x.org")));
  EXPECT_TRUE(profile_answers("after-gone", 200));
  EXPECT_GT(profile_lists(), lists_before) << "a 410 is answered by a new list";
  bool met_410 = false;
  for (const auto& r : api.requests()) met_410 = met_410 || (r.status == 410);
  EXPECT_TRUE(met_410) << "the fault was not met: the test did not test a 410";
  EXPECT_TRUE(wait_for_watch(watch_path)) << "watching again";
}

TEST_F(CacheRecoveryTest, WhileTheApiServerIsAwayItAnswersFromTheCacheThenCatchesUp) {
  testserver::ApiServer& api = env.api_server();
  ASSERT_TRUE(api.put_object("kubeflow.org/v1", "profiles", profile("before", "b@x.org")));
  ASSERT_TRUE(profile_answers("before", 200));
  // Away: every request dropped before it is processed, every watch cut.
  testserver::FaultRule away;
  away.path_regex = ".";
  away.count = 1'000'000;
  away.drop_connection = true;
  away.drop_before_processing = true;
  api.inject_fault(away);
  testserver::FaultRule cut;
  cut.path_regex = ".";
  cut.end_watch = true;
  api.inject_fault(cut);
  for (int i = 0; i < 300 && api.open_watches() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(api.open_watches(), 0);
  // Meanwhile the cluster changes (straight into the store, as another client would have).
  ASSERT_TRUE(api.put_object("kubeflow.org/v1", "profiles", profile("during", "d@x.org")));
  ASSERT_TRUE(api.delete_object("kubeflow.org/v1", "profiles", "", "before"));
  // What the cache holds still answers.
  EXPECT_EQ(env.call("GET", "/api/v1/profiles/before", kAdmin).status, 200);
  EXPECT_EQ(env.call("GET", "/readyz").status, 200);

  api.clear_faults();
  EXPECT_TRUE(profile_answers("during", 200));
  EXPECT_TRUE(profile_answers("before", 404));
}

}  // namespace
}  // namespace kftenant::server
