// CachedStore against the test API server over HTTPS: once synced it answers get() and list()
// exactly as the API server does (same objects, order, selector filtering, NotFound) without a
// request; a write is read back at once, before the watch reports it; a stale replace still
// conflicts; and a kind it cannot watch is read through, never answered from an empty cache.
#include "kftenant/store/cached_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "kftenant/store/cluster_store.h"
#include "support/test_api_client.h"
#include "testserver/apiserver.h"

namespace kftenant::store {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

json configmap(const std::string& ns, const std::string& name, const json& labels,
               const std::string& value = "1") {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
          {"data", {{"k", value}}}};
}

class CachedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testserver::Options options;
    options.seed_kubeflow = true;
    auto started = testserver::ApiServer::start(options);
    ASSERT_TRUE(started) << started.error().message;
    server = std::move(*started);
    server->add_user_token("jane-token", "jane", {});
    admin = client_with(server->admin_token());
    ASSERT_TRUE(admin);
    for (const char* ns : {"team-a", "team-b"})
      ASSERT_TRUE(server->put_object(
          "v1", "namespaces",
          {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}));
    ASSERT_TRUE(server->put_object("v1", "configmaps",
                                   configmap("team-a", "one", {{"tier", "gold"}, {"app", "x"}})));
    ASSERT_TRUE(server->put_object("v1", "configmaps", configmap("team-a", "two", {{"app", "y"}})));
    ASSERT_TRUE(server->put_object("v1", "configmaps",
                                   configmap("team-b", "one", {{"tier", "silver"}, {"app", "x"}})));
  }
  std::unique_ptr<kube::Client> client_with(const std::string& token) {
    return kftenant::testing::test_api_client(*server, token);
  }
  static kube::InformerOptions quick_retry() {
    kube::InformerOptions o;
    o.retry_initial = milliseconds(50);
    o.retry_max = milliseconds(200);
    return o;
  }
  // Requests other than watches (what a read from the cache must not cost).
  size_t reads_sent() const {
    size_t n = 0;
    for (const auto& r : server->requests())
      if (r.query.find("watch=") == std::string::npos) ++n;
    return n;
  }
  // Holds back the ConfigMap watch: the open stream ends and its reconnect waits 1.5 s, so
  // whatever a read sees meanwhile did not come from the watch.
  void slow_down_the_watch() {
    testserver::FaultRule slow;
    slow.method = "GET";
    slow.path_regex = "^/api/v1/configmaps$";
    slow.latency = milliseconds(1500);
    server->inject_fault(slow);
    testserver::FaultRule end;
    end.path_regex = slow.path_regex;
    end.end_watch = true;
    server->inject_fault(end);
  }

  std::unique_ptr<testserver::ApiServer> server;
  std::unique_ptr<kube::Client> admin;
};

std::vector<std::string> names_and_versions(const std::vector<json>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects)
    out.push_back(o["metadata"].value("namespace", "") + "/" + o["metadata"].value("name", "") +
                  "@" + o["metadata"].value("resourceVersion", ""));
  return out;
}

TEST_F(CachedStoreTest, AnswersAsTheApiServerDoesWithoutARequest) {
  ClusterStore live(*admin);
  CachedStore cached(live, *admin);
  ASSERT_TRUE(cached.cache("v1", "ConfigMap", quick_retry()));
  ASSERT_TRUE(cached.cache("kubeflow.org/v1", "Profile", quick_retry()));
  ASSERT_TRUE(cached.wait_for_sync(milliseconds(10000)));
  EXPECT_TRUE(cached.synced());

  struct Query {
    std::string ns, selector;
  };
  const std::vector<Query> queries = {{"", ""},
                                      {"team-a", ""},
                                      {"", "app=x"},
                                      {"", "tier"},
                                      {"", "!tier"},
                                      {"team-a", "tier in (gold,silver)"},
                                      {"", "tier notin (gold),app"},
                                      {"team-b", "app!=x"},
                                      {"nowhere", ""}};
  std::vector<std::vector<std::string>> from_server;
  for (const auto& q : queries) {
    auto expected = live.list("v1", "ConfigMap", q.ns, q.selector);
    ASSERT_TRUE(expected) << expected.error().message;
    from_server.push_back(names_and_versions(*expected));
  }
  auto missing_live = live.get({"v1", "ConfigMap", "team-a", "three"});
  auto profile_missing_live = live.get({"kubeflow.org/v1", "Profile", "", "nobody"});
  ASSERT_FALSE(missing_live);
  ASSERT_FALSE(profile_missing_live);

  server->clear_requests();
  for (size_t i = 0; i < queries.size(); ++i) {
    auto got = cached.list("v1", "ConfigMap", queries[i].ns, queries[i].selector);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(names_and_versions(*got), from_server[i])
        << "namespace \"" << queries[i].ns << "\" selector \"" << queries[i].selector << "\"";
  }
  auto one = cached.get({"v1", "ConfigMap", "team-b", "one"});
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ((*one)["metadata"]["labels"]["tier"], "silver");
  EXPECT_EQ((*one)["kind"], "ConfigMap");
  for (const auto& [cached_error, live_error] :
       {std::pair{cached.get({"v1", "ConfigMap", "team-a", "three"}), missing_live},
        std::pair{cached.get({"kubeflow.org/v1", "Profile", "", "nobody"}),
                  profile_missing_live}}) {
    ASSERT_FALSE(cached_error);
    EXPECT_EQ(cached_error.error().code, live_error.error().code);
    EXPECT_EQ(cached_error.error().message, live_error.error().message);
    EXPECT_EQ(cached_error.error().reason, live_error.error().reason);
    EXPECT_EQ(cached_error.error().http_status, live_error.error().http_status);
  }
  EXPECT_EQ(reads_sent(), 0u) << "every read above came from memory";
  EXPECT_EQ(cached.answered_from_cache(), queries.size() + 3);

  // A selector the API server refuses is its refusal, word for word.
  auto bad_live = live.list("v1", "ConfigMap", "", "tier in (gold");
  auto bad_cached = cached.list("v1", "ConfigMap", "", "tier in (gold");
  ASSERT_FALSE(bad_live);
  ASSERT_FALSE(bad_cached);
  EXPECT_EQ(bad_cached.error().message, bad_live.error().message);
  EXPECT_EQ(bad_cached.error().code, bad_live.error().code);
}

TEST_F(CachedStoreTest, AWriteIsReadBackAtOnceAndAStaleOneStillConflicts) {
  ClusterStore live(*admin);
  CachedStore cached(live, *admin);
  ASSERT_TRUE(cached.cache("v1", "ConfigMap", quick_retry()));
  ASSERT_TRUE(cached.wait_for_sync(milliseconds(10000)));
  slow_down_the_watch();

  auto created = cached.create(configmap("team-b", "new", {{"app", "z"}}));
  ASSERT_TRUE(created) << created.error().message;
  auto read = cached.get({"v1", "ConfigMap", "team-b", "new"});
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ((*read)["metadata"]["resourceVersion"], (*created)["metadata"]["resourceVersion"]);
  auto listed = cached.list("v1", "ConfigMap", "", "app=z");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 1u);

  json changed = *read;
  changed["data"]["k"] = "2";
  auto replaced = cached.replace(changed);
  ASSERT_TRUE(replaced) << replaced.error().message;
  EXPECT_EQ((*cached.get({"v1", "ConfigMap", "team-b", "new"}))["data"]["k"], "2");

  auto stale = cached.replace(changed);  // still the resourceVersion before the replace
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ((*cached.get({"v1", "ConfigMap", "team-b", "new"}))["data"]["k"], "2");

  auto patched = cached.patch({"v1", "ConfigMap", "team-b", "new"}, PatchType::kMerge,
                              {{"data", {{"k", "3"}}}});
  ASSERT_TRUE(patched) << patched.error().message;
  EXPECT_EQ((*cached.get({"v1", "ConfigMap", "team-b", "new"}))["data"]["k"], "3");

  ASSERT_TRUE(cached.remove({"v1", "ConfigMap", "team-b", "new"}));
  auto gone = cached.get({"v1", "ConfigMap", "team-b", "new"});
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  // All of it before the held-back watch could have said anything; it stays so once it does.
  std::this_thread::sleep_for(milliseconds(2000));
  EXPECT_FALSE(cached.get({"v1", "ConfigMap", "team-b", "new"}));
  EXPECT_EQ(cached.list("v1", "ConfigMap", "", "app=z")->size(), 0u);
}

TEST_F(CachedStoreTest, AnotherWritersChangeArrivesByTheWatch) {
  ClusterStore live(*admin);
  CachedStore cached(live, *admin);
  ASSERT_TRUE(cached.cache("v1", "ConfigMap", quick_retry()));
  ASSERT_TRUE(cached.wait_for_sync(milliseconds(10000)));
  ASSERT_TRUE(server->put_object("v1", "configmaps", configmap("team-a", "two", {}, "9")));
  const auto end = std::chrono::steady_clock::now() + milliseconds(10000);
  std::string value;
  while (std::chrono::steady_clock::now() < end) {
    value = (*cached.get({"v1", "ConfigMap", "team-a", "two"}))["data"]["k"];
    if (value == "9") break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(value, "9");
}

// One object cached (as `kftenant serve` caches Dex's ConfigMap): its reads come from memory,
// its writes are read back at once and other writers' changes arrive; every other object of the
// kind, and every list, is read from the API server.
TEST_F(CachedStoreTest, OneCachedObjectIsAnsweredAndTheRestOfItsKindReadThrough) {
  ClusterStore live(*admin);
  CachedStore cached(live, *admin);
  const ObjectKey one{"v1", "ConfigMap", "team-a", "one"};
  ASSERT_TRUE(cached.cache_object(one, quick_retry()));
  ASSERT_TRUE(cached.wait_for_sync(milliseconds(10000)));
  server->clear_requests();
  auto read = cached.get(one);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ((*read)["metadata"]["labels"]["tier"], "gold");
  EXPECT_EQ(reads_sent(), 0u);
  EXPECT_EQ(cached.answered_from_cache(), 1u);

  auto other = cached.get({"v1", "ConfigMap", "team-a", "two"});  // same kind, same namespace
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_EQ(reads_sent(), 1u);
  auto listed = cached.list("v1", "ConfigMap", "team-a");
  ASSERT_TRUE(listed);
  EXPECT_EQ(reads_sent(), 2u);
  EXPECT_EQ(*listed, *live.list("v1", "ConfigMap", "team-a", ""));
  EXPECT_EQ(cached.answered_from_cache(), 1u);

  json changed = *read;
  changed["data"]["k"] = "ours";
  ASSERT_TRUE(cached.replace(changed));
  EXPECT_EQ((*cached.get(one))["data"]["k"], "ours");  // before the watch could say it

  ASSERT_TRUE(server->put_object("v1", "configmaps",
                                 configmap("team-a", "one", {{"tier", "gold"}}, "theirs")));
  const auto end = std::chrono::steady_clock::now() + milliseconds(10000);
  std::string value;
  while (std::chrono::steady_clock::now() < end) {
    value = (*cached.get(one))["data"]["k"];
    if (value == "theirs") break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(value, "theirs");

  ASSERT_TRUE(server->delete_object("v1", "configmaps", "team-a", "one"));
  server->clear_requests();
  Result<json> gone = json();
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(10000);
  while (std::chrono::steady_clock::now() < deadline && (gone = cached.get(one)))
    std::this_thread::sleep_for(milliseconds(20));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(gone.error().message, "configmaps \"one\" not found");
  EXPECT_EQ(reads_sent(), 0u) << "the miss came from the cache";
}

TEST_F(CachedStoreTest, AKindItCannotWatchIsReadThrough) {
  auto jane = client_with("jane-token");  // no role: the watch is refused
  ASSERT_TRUE(jane);
  ClusterStore live(*jane);
  CachedStore cached(live, *jane);
  ASSERT_TRUE(cached.cache("v1", "ConfigMap", quick_retry()));
  EXPECT_FALSE(cached.wait_for_sync(milliseconds(500)));
  EXPECT_FALSE(cached.synced());
  auto read = cached.get({"v1", "ConfigMap", "team-a", "one"});
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, ErrorCode::kForbidden) << "the API server's answer, not a miss";
  auto listed = cached.list("v1", "ConfigMap", "team-a");
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, ErrorCode::kForbidden);
  EXPECT_EQ(cached.answered_from_cache(), 0u);
}

// version() says when something derived from the cache's reads is out of date: nothing while
// it cannot answer, the same number while nothing changes, a new one after a write through it
// (at once) and after another writer's change (when the watch brings it); read_through() counts
// what went past it.
TEST_F(CachedStoreTest, TheVersionMovesWithEveryChangeAndOnlyThen) {
  ClusterStore live(*admin);
  CachedStore cached(live, *admin);
  ASSERT_TRUE(cached.cache("v1", "ConfigMap", quick_retry()));
  ASSERT_TRUE(cached.wait_for_sync(milliseconds(10000)));
  const auto synced = cached.version();
  ASSERT_TRUE(synced);
  ASSERT_TRUE(cached.list("v1", "ConfigMap", ""));
  ASSERT_TRUE(cached.get({"v1", "ConfigMap", "team-a", "one"}));
  EXPECT_EQ(cached.version(), synced) << "reads change nothing";
  EXPECT_EQ(cached.read_through(), 0u);
  auto secret = cached.get({"v1", "Secret", "team-a", "none"});  // a kind not cached
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(cached.read_through(), 1u);

  auto one = *cached.get({"v1", "ConfigMap", "team-a", "one"});
  one["data"]["k"] = "ours";
  ASSERT_TRUE(cached.replace(one));
  const auto after_write = cached.version();
  ASSERT_TRUE(after_write);
  EXPECT_GT(*after_write, *synced);

  ASSERT_TRUE(server->put_object("v1", "configmaps", configmap("team-b", "one", {}, "theirs")));
  const auto end = std::chrono::steady_clock::now() + milliseconds(10000);
  while (std::chrono::steady_clock::now() < end && cached.version() == after_write)
    std::this_thread::sleep_for(milliseconds(20));
  EXPECT_NE(cached.version(), after_write);
  EXPECT_EQ((*cached.get({"v1", "ConfigMap", "team-b", "one"}))["data"]["k"], "theirs")
      << "the version moved once the copy had the change";

  auto jane = client_with("jane-token");  // no role: the watch is refused, no version
  ClusterStore refused_live(*jane);
  CachedStore refused(refused_live, *jane);
  ASSERT_TRUE(refused.cache("v1", "ConfigMap", quick_retry()));
  EXPECT_FALSE(refused.wait_for_sync(milliseconds(300)));
  EXPECT_FALSE(refused.version());
}

TEST_F(CachedStoreTest, ASelectiveCacheIsRefused) {
  ClusterStore live(*admin);
  CachedStore cached(live, *admin);
  kube::InformerOptions narrowed;
  narrowed.label_selector = "app=x";
  auto refused = cached.cache("v1", "ConfigMap", narrowed);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(cached.informers().empty());
  auto unknown = cached.cache("no.such.group/v1", "Thing");
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(cached.informers().empty());
}

}  // namespace
}  // namespace kftenant::store
