// The views the REST API keeps between requests: a snapshot answers every lookup as the library
// does (show_user, Kubeflow's byte-for-byte roles) on the state people make by hand (case
// variants, profile owners without a Dex user, a profile without an owner, an owner who is also
// listed as a contributor), and the cache over a CachedStore builds once per change of the
// cluster: not per request, at once after its own write, after another client's write once the
// watch brings it, on every request while the cache cannot answer, and again after a second
// when a build read past the cache.
#include "server/view_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "kftenant/base64.h"
#include "kftenant/dex/password_object.h"
#include "kftenant/kubeflow/contributor.h"
#include "kftenant/plan/plan.h"
#include "kftenant/store/cluster_store.h"
#include "kftenant/tenancy/users.h"
#include "support/fake_clock.h"
#include "support/memory_store.h"
#include "support/test_api_client.h"
#include "testserver/apiserver.h"

namespace kftenant::server {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;

const std::string kHash = "$2y$10$aaaaaaaaaaaaaaaaaaaaaOq7ZCyIZQ0F5l5bxGdB6bSQm/8o7g6rC";

json profile(const std::string& name, const std::string& owner) {
  json p = {{"apiVersion", "kubeflow.org/v1"}, {"kind", "Profile"}, {"metadata", {{"name", name}}}};
  p["spec"] = owner.empty() ? json::object() : json{{"owner", {{"kind", "User"}, {"name", owner}}}};
  return p;
}

void share(testing::MemoryStore& store, const std::string& ns, const std::string& email,
           kubeflow::Role role) {
  store.seed(kubeflow::build_contributor_role_binding(ns, email, role));
  store.seed(kubeflow::build_contributor_policy(ns, email, role));
}

// What administrators leave behind: Alice twice in config.yaml (two cases), a Password-object
// user, a profile owned by a capitalised email nobody has in Dex, one with no owner, an owner
// who is also her own profile's contributor, a contributor in two profiles with two roles.
testing::MemoryStore messy_store() {
  testing::MemoryStore store;
  std::string config = "issuer: http://dex.auth.svc.cluster.local:5556/dex\nstaticPasswords:\n";
  for (const auto& [email, id] : std::vector<std::pair<std::string, std::string>>{
           {"alice@example.com", "1"}, {"Alice@Example.com", "2"}, {"bob@example.com", "3"}})
    config += "- email: " + email + "\n  hash: \"" + kHash + "\"\n  username: u" + id +
              "\n  userID: \"" + id + "\"\n";
  store.seed({{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", "dex"}, {"namespace", "auth"}}},
              {"data", {{"config.yaml", config}}}});
  store.seed({{"apiVersion", "dex.coreos.com/v1"},
              {"kind", "Password"},
              {"metadata",
               {{"name", dex::password_object_name("zed@example.com")}, {"namespace", "auth"}}},
              {"email", "zed@example.com"},
              {"hash", base64::encode(kHash)},
              {"username", "zed"},
              {"userID", "z"}});
  store.seed(profile("alice", "alice@example.com"));
  store.seed(profile("bob", "bob@example.com"));
  store.seed(profile("Dora-caps", "Dora@Example.com"));  // owner without a Dex user
  store.seed(profile("orphan", ""));
  for (const char* ns : {"alice", "bob"})
    store.seed({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  share(store, "alice", "bob@example.com", kubeflow::Role::kEdit);
  share(store, "bob", "bob@example.com", kubeflow::Role::kView);  // the owner, again
  share(store, "bob", "zed@example.com", kubeflow::Role::kView);
  share(store, "alice", "Zed@Example.com", kubeflow::Role::kView);  // another email, to Kubeflow
  return store;
}

TEST(ViewSnapshot, EveryUserIsWhatShowUserSaysInAnyCase) {
  auto store = messy_store();
  tenancy::TenancyContext context;
  auto users = tenancy::list_users(store, context);
  ASSERT_TRUE(users) << users.error().message;
  auto snapshot = make_snapshot(*users);
  ASSERT_EQ(snapshot->users.size(), users->size());
  size_t looked_up = 0;
  for (const auto& row : *users) {
    for (const std::string& asked : {row.email, dex::normalize_email(row.email)}) {
      auto shown = tenancy::show_user(store, context, asked);
      auto it = snapshot->user_by_email.find(dex::normalize_email(asked));
      if (!shown) {
        // Only the "(no owner)" row: no email to look up, in the snapshot either.
        EXPECT_EQ(shown.error().code, ErrorCode::kNotFound) << asked;
        EXPECT_EQ(it, snapshot->user_by_email.end()) << asked;
        continue;
      }
      ASSERT_NE(it, snapshot->user_by_email.end()) << asked;
      EXPECT_EQ(snapshot->users[it->second].json, tenancy::to_json(*shown)) << asked;
      ++looked_up;
    }
  }
  // alice (both cases are one user), bob, zed, Dora's profile row, each asked two ways.
  EXPECT_EQ(looked_up, 8u);
}

TEST(ViewSnapshot, ListingsAreSortedCaseInsensitivelyWithEveryProfileOnce) {
  auto store = messy_store();
  auto users = tenancy::list_users(store, {});
  ASSERT_TRUE(users);
  auto snapshot = make_snapshot(*users);
  std::vector<std::string> emails, names;
  for (const auto& u : snapshot->users) emails.push_back(u.view.email);
  for (const auto& p : snapshot->profiles) names.push_back(p.view.name);
  // Alice's row shows the entry Dex answers for her (the later of the two, as list_users says).
  EXPECT_THAT(emails, ElementsAre("(no owner)", "Alice@Example.com", "bob@example.com",
                                  "Dora@Example.com", "zed@example.com"));
  EXPECT_THAT(names, ElementsAre("alice", "bob", "Dora-caps", "orphan"));
  for (const auto& p : snapshot->profiles) EXPECT_EQ(p.json, tenancy::to_json(p.view));
}

TEST(PageMemo, KeepsAPageOnceAndNothingPastItsBound) {
  PageMemo memo;
  EXPECT_EQ(memo.find("100 0: 0:"), nullptr);
  auto kept = memo.keep("100 0: 0:", "page one");
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(*kept, "page one");
  EXPECT_EQ(memo.find("100 0: 0:"), kept);
  // Another thread joining the same page meanwhile gets the one kept first.
  EXPECT_EQ(memo.keep("100 0: 0:", "page one, joined again"), kept);
  EXPECT_EQ(memo.bytes(), std::string("100 0: 0:").size() + kept->size());
  // Past the bound the page is answered, not kept.
  auto big = memo.keep("1000 0: 0:", std::string(PageMemo::kMaxBytes, 'x'));
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->size(), PageMemo::kMaxBytes);
  EXPECT_EQ(memo.find("1000 0: 0:"), nullptr);
  EXPECT_EQ(memo.bytes(), std::string("100 0: 0:").size() + kept->size());
}

TEST(ViewSnapshot, RolesAreKubeflowsByteForByte) {
  auto store = messy_store();
  auto users = tenancy::list_users(store, {});
  ASSERT_TRUE(users);
  auto snapshot = make_snapshot(*users);
  auto index = [&](const std::string& name) { return snapshot->profile_by_name.at(name); };
  EXPECT_EQ(snapshot->role_of("bob@example.com", index("alice")), "edit");
  // Owning wins over the view binding of the same email.
  EXPECT_EQ(snapshot->role_of("bob@example.com", index("bob")), "owner");
  EXPECT_EQ(snapshot->role_of("zed@example.com", index("bob")), "view");
  // Kubeflow compares the header byte for byte: Zed@ is not zed@, dora@ does not own Dora-caps.
  EXPECT_EQ(snapshot->role_of("zed@example.com", index("alice")), "");
  EXPECT_EQ(snapshot->role_of("Zed@Example.com", index("alice")), "view");
  EXPECT_EQ(snapshot->role_of("dora@example.com", index("Dora-caps")), "");
  EXPECT_EQ(snapshot->role_of("Dora@Example.com", index("Dora-caps")), "owner");
  EXPECT_EQ(snapshot->role_of("nobody@example.com", index("alice")), "");
  EXPECT_EQ(snapshot->profile_by_name.count("dora-caps"), 0u);  // names are exact
}

TEST(ViewCache, WithoutACacheEveryRequestBuilds) {
  auto store = messy_store();
  ViewCache views(store, {});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(views.current());
  EXPECT_EQ(views.builds(), 3u);
  store.seed(profile("new", "bob@example.com"));
  auto now = views.current();
  ASSERT_TRUE(now);
  EXPECT_EQ((*now)->profile_by_name.count("new"), 1u);
}

TEST(ViewCache, AnErrorIsReturnedAndNotKept) {
  testing::MemoryStore store;  // no Dex ConfigMap: the static backend cannot list users
  ViewCache views(store, {});
  auto first = views.current();
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::kNotFound);
}

// Over the test API server, as `kftenant serve` runs it.
class ViewCacheOverCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    testserver::Options options;
    options.seed_kubeflow = true;
    auto started = testserver::ApiServer::start(options);
    ASSERT_TRUE(started) << started.error().message;
    api_server = std::move(*started);
    client = kftenant::testing::test_api_client(*api_server);
    ASSERT_TRUE(client);
    cluster = std::make_unique<store::ClusterStore>(*client);
    cache = std::make_unique<store::CachedStore>(*cluster, *client);
  }
  void cache_everything() {
    for (const auto& [api_version, kind] : std::vector<std::pair<std::string, std::string>>{
             {"kubeflow.org/v1", "Profile"},
             {"v1", "Namespace"},
             {"rbac.authorization.k8s.io/v1", "RoleBinding"},
             {"security.istio.io/v1beta1", "AuthorizationPolicy"},
             {"dex.coreos.com/v1", "Password"}})
      ASSERT_TRUE(cache->cache(api_version, kind));
    ASSERT_TRUE(cache->cache_object({"v1", "ConfigMap", "auth", "dex"}));
    ASSERT_TRUE(cache->wait_for_sync(std::chrono::seconds(10)));
  }
  static tenancy::AddUserRequest add(const std::string& email) {
    tenancy::AddUserRequest request;
    request.email = email;
    request.password = "password of " + email;
    request.bcrypt_cost = 10;
    return request;
  }
  // Polls until `done` (the watch's latency), at most five seconds.
  static bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 500; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::unique_ptr<testserver::ApiServer> api_server;
  std::unique_ptr<kube::Client> client;
  std::unique_ptr<store::ClusterStore> cluster;
  std::unique_ptr<store::CachedStore> cache;
};

TEST_F(ViewCacheOverCluster, BuildsOncePerChangeNotPerRequest) {
  cache_everything();
  ViewCache views(*cache, {}, cache.get());
  auto first = views.current();
  ASSERT_TRUE(first) << first.error().message;
  // Many requests from many threads while nothing changes: the one snapshot.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto again = views.current();
        EXPECT_TRUE(again && *again == *first);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(views.builds(), 1u);
  EXPECT_EQ(cache->read_through(), 0u);  // every read of the build came from memory

  // A write through the cache is in the very next snapshot (read-your-writes).
  ASSERT_TRUE(plan::apply_plan(*cache, tenancy::add_user_planner({}, add("ann@example.com")), {}));
  auto after_own_write = views.current();
  ASSERT_TRUE(after_own_write);
  EXPECT_EQ((*after_own_write)->user_by_email.count("ann@example.com"), 1u);
  EXPECT_EQ((*after_own_write)->profile_by_name.count("ann"), 1u);
  const size_t builds = views.builds();
  ASSERT_TRUE(views.current());
  EXPECT_EQ(views.builds(), builds);

  // Another replica's write (straight to the API server) arrives by the watch.
  ASSERT_TRUE(
      plan::apply_plan(*cluster, tenancy::add_user_planner({}, add("ben@example.com")), {}));
  EXPECT_TRUE(eventually([&] {
    auto now = views.current();
    return now && (*now)->profile_by_name.count("ben") == 1;
  }));
}

TEST_F(ViewCacheOverCluster, WhileTheCacheCannotAnswerEveryRequestBuilds) {
  // A cache whose watches are all refused (a user RBAC grants nothing): it never syncs and says
  // no version, so views read (here straight from the API server) are not kept.
  api_server->add_user_token("no-rights-token", "nobody", {});
  auto refused_client = kftenant::testing::test_api_client(*api_server, "no-rights-token");
  ASSERT_TRUE(refused_client);
  store::ClusterStore refused_store(*refused_client);
  store::CachedStore refused(refused_store, *refused_client);
  ASSERT_TRUE(refused.cache("kubeflow.org/v1", "Profile"));
  ViewCache views(*cluster, {}, &refused);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(refused.version());
    ASSERT_TRUE(views.current());
  }
  EXPECT_EQ(views.builds(), 3u);
}

TEST_F(ViewCacheOverCluster, ABuildThatReadPastTheCacheIsKeptForASecond) {
  // Only Dex's ConfigMap and Profiles cached: the other kinds are read from the API server.
  ASSERT_TRUE(cache->cache("kubeflow.org/v1", "Profile"));
  ASSERT_TRUE(cache->cache_object({"v1", "ConfigMap", "auth", "dex"}));
  ASSERT_TRUE(cache->wait_for_sync(std::chrono::seconds(10)));
  testing::FakeClock clock;
  tenancy::TenancyContext context;
  context.clock = &clock;
  ViewCache views(*cache, context, cache.get());
  ASSERT_TRUE(views.current());
  EXPECT_GT(cache->read_through(), 0u);
  clock.sleep_for(ViewCache::kReadThroughLifetime - std::chrono::milliseconds(1));
  ASSERT_TRUE(views.current());
  EXPECT_EQ(views.builds(), 1u);
  clock.sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(views.current());
  EXPECT_EQ(views.builds(), 2u);
}

}  // namespace
}  // namespace kftenant::server
