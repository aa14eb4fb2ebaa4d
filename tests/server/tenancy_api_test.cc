// The REST API in process over real HTTP (cpp-httplib client → HttpServer → TenancyApi →
// CachedStore → the test API server over HTTPS): every endpoint for every kind of caller
// (administrator, owner, contributor, another user, anonymous), the error answers of the HTTP
// layer (404, 405 with Allow, 413, 401), paging, reads served from the cache, and no hash in any
// answer.
#include "server/tenancy_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <sstream>
#include <thread>

#include "kftenant/kubeflow/contributor.h"
#include "kftenant/plan/plan.h"
#include "kftenant/store/cached_store.h"
#include "kftenant/store/cluster_store.h"
#include "kftenant/tenancy/profiles.h"
#include "kftenant/tenancy/users.h"
#include "server/http_server.h"
#include "support/in_process_api.h"
#include "testserver/apiserver.h"

namespace kftenant::server {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr const char* kAdmin = "admin@example.com";
constexpr const char* kAnn = "ann@example.com";      // owns profile ann
constexpr const char* kBob = "bob@example.com";      // owns bob; edit contributor of ann
constexpr const char* kCarol = "carol@example.com";  // a Dex user with no profile, no access

std::vector<std::string> emails_of(const json& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.value("email", i.value("name", "")));
  return out;
}

class TenancyApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testserver::Options options;
    options.seed_kubeflow = true;
    options.rollout_delay = std::chrono::milliseconds(20);
    HttpServerOptions http;
    http.max_body_bytes = 4096;
    http.threads = 4;
    http.identity.admins = {kAdmin};
    env = new InProcessApi();
    ASSERT_NO_FATAL_FAILURE(env->start(
        options, seed,
        [](InProcessApi& e, RouteTable& routes) {
          api = new TenancyApi(e.cache(), {}, &e.cache());
          api->add_routes(routes);
        },
        std::move(http)));
    api_server = &env->api_server();
    cache = &env->cache();
  }
  static void TearDownTestSuite() {
    delete env;  // stops the server before the API it calls goes
    delete api;
  }

  // ann and bob with profiles (bob an edit contributor of ann), carol without; the namespaces
  // made by hand (no profile controller here).
  static void seed(store::ObjectStore& store) {
    for (const char* email : {kAnn, kBob, kCarol}) {
      tenancy::AddUserRequest add;
      add.email = email;
      add.password = std::string("password of ") + email;
      add.bcrypt_cost = 10;
      add.create_profile = std::string(email) != kCarol;
      auto applied = plan::apply_plan(store, tenancy::add_user_planner({}, add), {});
      ASSERT_TRUE(applied) << applied.error().message;
    }
    for (const char* ns : {"ann", "bob"})
      ASSERT_TRUE(env->api_server().put_object(
          "v1", "namespaces",
          {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}));
    tenancy::ShareRequest share;
    share.profile = "ann";
    share.email = kBob;
    share.role = kubeflow::Role::kEdit;
    auto shared = plan::apply_plan(store, tenancy::share_planner(share), {});
    ASSERT_TRUE(shared) << shared.error().message;
  }

  using Answer = InProcessApi::Answer;
  static Answer call(const std::string& method, const std::string& path,
                     const char* caller = nullptr, const std::string& body = "") {
    return env->call(method, path, caller, body);
  }

  static InProcessApi* env;
  static TenancyApi* api;
  static testserver::ApiServer* api_server;
  static store::CachedStore* cache;
};

InProcessApi* TenancyApiTest::env = nullptr;
TenancyApi* TenancyApiTest::api = nullptr;
testserver::ApiServer* TenancyApiTest::api_server = nullptr;
store::CachedStore* TenancyApiTest::cache = nullptr;

// Who may call what: each endpoint for each caller, the status it gets.
TEST_F(TenancyApiTest, AuthorizationMatrix) {
  struct Row {
    std::string path;
    int admin, owner, contributor, other, anonymous;
  };
  const std::vector<Row> matrix = {
      {"/api/v1/users", 200, 403, 403, 403, 401},
      {"/api/v1/users/ann@example.com", 200, 200, 403, 403, 401},
      {"/api/v1/users/nobody@example.com", 404, 403, 403, 403, 401},
      {"/api/v1/profiles", 200, 200, 200, 200, 401},
      {"/api/v1/profiles/ann", 200, 200, 200, 403, 401},
      {"/api/v1/profiles/no-such-profile", 404, 403, 403, 403, 401},
      {"/api/v1/me", 200, 200, 200, 200, 401},
      {"/api/v1/openapi.json", 200, 200, 200, 200, 200},
  };
  for (const auto& row : matrix) {
    const std::vector<std::pair<const char*, int>> callers = {{kAdmin, row.admin},
                                                              {kAnn, row.owner},
                                                              {kBob, row.contributor},
                                                              {kCarol, row.other},
                                                              {nullptr, row.anonymous}};
    for (const auto& [caller, want] : callers) {
      auto a = call("GET", row.path, caller);
      EXPECT_EQ(a.status, want) << row.path << " as " << (caller ? caller : "anonymous") << ": "
                                << a.text;
      if (a.status >= 400) {
        // Every refusal is the API's error object, with a message that says what to do.
        ASSERT_TRUE(a.body.is_object()) << a.text;
        EXPECT_FALSE(a.body.value("code", "").empty()) << a.text;
        EXPECT_FALSE(a.body.value("message", "").empty()) << a.text;
      }
    }
  }
}

TEST_F(TenancyApiTest, UsersAreListedWithTheirProfilesAndContributorsButNoHash) {
  auto a = call("GET", "/api/v1/users", kAdmin);
  ASSERT_EQ(a.status, 200) << a.text;
  EXPECT_THAT(emails_of(a.body["items"]),
              UnorderedElementsAre(kAnn, kBob, kCarol, "user@example.com"));
  EXPECT_EQ(a.body["total"], 4);
  EXPECT_FALSE(a.body.contains("continue"));
  for (const auto& u : a.body["items"]) {
    if (u["email"] != kAnn) continue;
    ASSERT_EQ(u["profiles"].size(), 1u);
    EXPECT_EQ(u["profiles"][0]["name"], "ann");
    EXPECT_EQ(u["profiles"][0]["contributors"],
              json::parse(R"([{"email":"bob@example.com","role":"edit"}])"));
  }
  // No bcrypt hash anywhere, in any answer.
  for (const char* path : {"/api/v1/users", "/api/v1/users/ann@example.com", "/api/v1/me"})
    EXPECT_THAT(call("GET", path, kAdmin).text, ::testing::Not(HasSubstr("$2"))) << path;
  // The email in the path in any case finds the user.
  auto one = call("GET", "/api/v1/users/Ann@Example.com", kAnn);
  ASSERT_EQ(one.status, 200) << one.text;
  EXPECT_EQ(one.body["email"], kAnn);
}

TEST_F(TenancyApiTest, PagingVisitsEveryUserOnceAndFilters) {
  std::vector<std::string> seen;
  std::string next;
  for (int page = 0; page < 10; ++page) {
    auto a =
        call("GET", "/api/v1/users?limit=1" + (next.empty() ? "" : "&continue=" + next), kAdmin);
    ASSERT_EQ(a.status, 200) << a.text;
    ASSERT_EQ(a.body["items"].size(), 1u);
    seen.push_back(a.body["items"][0]["email"]);
    if (!a.body.contains("continue")) break;
    next = a.body["continue"];
  }
  EXPECT_EQ(seen, (std::vector<std::string>{kAnn, kBob, kCarol, "user@example.com"}));
  auto filtered = call("GET", "/api/v1/users?q=B@", kAdmin);  // any case: bob only
  ASSERT_EQ(filtered.status, 200);
  EXPECT_THAT(emails_of(filtered.body["items"]), UnorderedElementsAre(kBob));
  EXPECT_EQ(filtered.body["total"], 1);
  filtered = call("GET", "/api/v1/users?q=R&limit=1", kAdmin);  // carol, user: one page of two
  ASSERT_EQ(filtered.status, 200);
  EXPECT_THAT(emails_of(filtered.body["items"]), UnorderedElementsAre(kCarol));
  EXPECT_EQ(filtered.body["total"], 2);
  EXPECT_EQ(filtered.body["continue"], kCarol);
  for (const char* bad : {"limit=0", "limit=1001", "limit=x", "limit=5x", "limit=-1"}) {
    auto a = call("GET", std::string("/api/v1/users?") + bad, kAdmin);
    EXPECT_EQ(a.status, 400) << bad;
    EXPECT_EQ(a.body.value("field", ""), "limit") << bad;
  }
}

// Users pages and users are sent as pre-serialized text joined per request (view_cache.h): the
// bytes are those the JSON would dump to, keys in the same order, as application/json.
TEST_F(TenancyApiTest, UserAnswersAreTheBytesTheirJsonDumpsTo) {
  for (const char* path : {"/api/v1/users", "/api/v1/users?limit=2", "/api/v1/users?q=zzz",
                           "/api/v1/users?limit=1&continue=ann@example.com",
                           "/api/v1/users/ann@example.com", "/api/v1/users/BOB@example.com"}) {
    auto a = call("GET", path, kAdmin);
    ASSERT_EQ(a.status, 200) << path << ": " << a.text;
    EXPECT_EQ(a.text, a.body.dump()) << path;
    auto type = a.headers.find("Content-Type");
    ASSERT_NE(type, a.headers.end()) << path;
    EXPECT_EQ(type->second, "application/json") << path;
  }
  auto page = call("GET", "/api/v1/users?limit=2", kAdmin);
  EXPECT_EQ(page.body["continue"], kBob);
  EXPECT_EQ(page.body["total"], 4);
  EXPECT_EQ(call("GET", "/api/v1/users?q=zzz", kAdmin).text, R"({"items":[],"total":0})");
}

// A users page is joined once per snapshot (PageMemo) and then sent as kept: the same page by
// the same query, another query its own page, and a change of the cluster a new page.
TEST_F(TenancyApiTest, AUsersPageIsKeptUntilTheClusterChanges) {
  const std::string first = call("GET", "/api/v1/users?limit=2", kAdmin).text;
  auto views = api->views().current();
  ASSERT_TRUE(views);
  const size_t kept = (*views)->user_pages.bytes();
  EXPECT_GE(kept, first.size());
  EXPECT_EQ(call("GET", "/api/v1/users?limit=2", kAdmin).text, first);
  EXPECT_EQ((*views)->user_pages.bytes(), kept) << "the same page is kept once";
  const std::string filtered = call("GET", "/api/v1/users?limit=2&q=carol", kAdmin).text;
  EXPECT_THAT(emails_of(json::parse(filtered)["items"]), UnorderedElementsAre(kCarol));
  EXPECT_NE(call("GET", "/api/v1/users?limit=2&continue=bob@example.com", kAdmin).text, first);

  json late = {{"apiVersion", "kubeflow.org/v1"},
               {"kind", "Profile"},
               {"metadata", {{"name", "carols"}}},
               {"spec", {{"owner", {{"kind", "User"}, {"name", kCarol}}}}}};
  ASSERT_TRUE(api_server->put_object("kubeflow.org/v1", "profiles", late));
  auto carols_profiles = [] {
    auto page = json::parse(call("GET", "/api/v1/users?limit=2&q=carol", kAdmin).text);
    return page["items"].empty() ? json() : page["items"][0]["profiles"];
  };
  json profiles;
  for (int i = 0; i < 500 && profiles.empty(); ++i) {
    profiles = carols_profiles();
    if (profiles.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(profiles.size(), 1u) << "the kept page of the old snapshot was sent after a change";
  EXPECT_EQ(profiles[0]["name"], "carols");
  ASSERT_TRUE(api_server->delete_object("kubeflow.org/v1", "profiles", "", "carols"));
  for (int i = 0; i < 500 && !profiles.empty(); ++i) {
    profiles = carols_profiles();
    if (!profiles.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(profiles.empty());
}

TEST_F(TenancyApiTest, ProfilesShowWhatTheCallerMaySeeWithTheirRole) {
  auto roles = [](const json& items) {
    std::map<std::string, std::string> out;
    for (const auto& p : items) out[p["name"]] = p["callerRole"];
    return out;
  };
  EXPECT_EQ(roles(call("GET", "/api/v1/profiles", kAdmin).body["items"]),
            (std::map<std::string, std::string>{
                {"ann", "admin"}, {"bob", "admin"}, {"kubeflow-user-example-com", "admin"}}));
  EXPECT_EQ(roles(call("GET", "/api/v1/profiles", kAnn).body["items"]),
            (std::map<std::string, std::string>{{"ann", "owner"}}));
  EXPECT_EQ(roles(call("GET", "/api/v1/profiles", kBob).body["items"]),
            (std::map<std::string, std::string>{{"ann", "edit"}, {"bob", "owner"}}));
  EXPECT_TRUE(call("GET", "/api/v1/profiles", kCarol).body["items"].empty());

  auto me = call("GET", "/api/v1/me", kBob);
  ASSERT_EQ(me.status, 200) << me.text;
  EXPECT_EQ(me.body["email"], kBob);
  EXPECT_EQ(me.body["admin"], false);
  EXPECT_EQ(me.body["user"]["email"], kBob);
  EXPECT_EQ(me.body["profiles"],
            json::parse(R"([{"name":"ann","role":"edit"},{"name":"bob","role":"owner"}])"));
  auto stranger = call("GET", "/api/v1/me", "dave@example.com");
  ASSERT_EQ(stranger.status, 200);
  EXPECT_TRUE(stranger.body["user"].is_null());
  EXPECT_TRUE(stranger.body["profiles"].empty());
}

TEST_F(TenancyApiTest, ReadsComeFromTheCacheNotTheApiServer) {
  ASSERT_EQ(call("GET", "/api/v1/profiles", kAnn).status, 200);  // warm
  api_server->clear_requests();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(call("GET", "/api/v1/profiles/ann", kBob).status, 200);
  std::vector<std::string> reads;
  for (const auto& r : api_server->requests())
    if (r.query.find("watch=") == std::string::npos) reads.push_back(r.method + " " + r.path);
  // Nothing: Dex's ConfigMap is cached as one object, the kinds whole.
  EXPECT_THAT(reads, ::testing::IsEmpty());
}

// The views are built once and shared by the requests until the cluster changes; a change
// made by another client shows once its watch event arrives.
TEST_F(TenancyApiTest, RequestsShareOneBuildOfTheViewsUntilTheClusterChanges) {
  ASSERT_EQ(call("GET", "/api/v1/users", kAdmin).status, 200);  // warm
  const size_t builds = api->views().builds();
  for (const char* path : {"/api/v1/users", "/api/v1/users/ann@example.com", "/api/v1/profiles",
                           "/api/v1/profiles/ann", "/api/v1/me"})
    ASSERT_EQ(call("GET", path, kAdmin).status, 200) << path;
  ASSERT_EQ(call("GET", "/api/v1/profiles", kBob).status, 200);
  EXPECT_EQ(api->views().builds(), builds);

  json late = {{"apiVersion", "kubeflow.org/v1"},
               {"kind", "Profile"},
               {"metadata", {{"name", "late"}}},
               {"spec", {{"owner", {{"kind", "User"}, {"name", kCarol}}}}}};
  ASSERT_TRUE(api_server->put_object("kubeflow.org/v1", "profiles", late));
  int status = 0;
  for (int i = 0; i < 500 && status != 200; ++i) {
    status = call("GET", "/api/v1/profiles/late", kCarol).status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(status, 200);
  EXPECT_GT(api->views().builds(), builds);

  ASSERT_TRUE(api_server->delete_object("kubeflow.org/v1", "profiles", "", "late"));
  for (int i = 0; i < 500 && status != 404; ++i) {
    status = call("GET", "/api/v1/profiles/late", kAdmin).status;
    if (status != 404) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(status, 404);
}

TEST_F(TenancyApiTest, TheHttpLayerAnswersErrorsAsTheApiDoes) {
  auto unknown = call("GET", "/api/v1/nothing", kAdmin);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["code"], "NotFound");
  EXPECT_THAT(unknown.body.value("message", ""), HasSubstr("openapi.json"));

  auto wrong_method = call("DELETE", "/api/v1/me", kAdmin);
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.body["code"], "MethodNotAllowed");
  auto allow = wrong_method.headers.find("Allow");
  ASSERT_NE(allow, wrong_method.headers.end());
  EXPECT_EQ(allow->second, "GET");

  // Over the body limit (4096 here): 413 before any route is looked at.
  auto big = call("POST", "/api/v1/users", kAdmin, std::string(8192, 'x'));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.body["code"], "TooLarge");

  auto forged = call("GET", "/api/v1/me", "not-an-email");
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(forged.body["code"], "Unauthorized");

  auto healthz = call("GET", "/healthz");
  EXPECT_EQ(healthz.status, 200);
  EXPECT_EQ(healthz.text, "ok\n");
  EXPECT_EQ(call("GET", "/readyz").status, 200);

  // Every answer carries a request id, and the access log a line for it (no query string).
  auto me = call("GET", "/api/v1/me?secret=xyz", kAnn);
  auto id = me.headers.find("X-Request-Id");
  ASSERT_NE(id, me.headers.end());
  const std::string log = env->access_log();
  auto at = log.find(id->second);
  ASSERT_NE(at, std::string::npos) << log;
  const std::string line =
      log.substr(log.rfind('\n', at) + 1, log.find('\n', at) - log.rfind('\n', at) - 1);
  auto entry = json::parse(line);
  EXPECT_EQ(entry["route"], "/api/v1/me");
  EXPECT_EQ(entry["status"], 200);
  EXPECT_EQ(entry["caller"], kAnn);
  EXPECT_THAT(log, ::testing::Not(HasSubstr("xyz")));
}

}  // namespace
}  // namespace kftenant::server
