// The REST API's write endpoints in process over real HTTP (cpp-httplib client → HttpServer →
// UserWriteApi / ProfileWriteApi → CachedStore → the test API server over HTTPS, its profile
// controller simulated): users — create (password, hash, generated), the removal preview and the
// confirmed delete, the password reset; profiles — create for oneself or (administrators) for
// others, quota, contributors, transfer, the confirmed delete. Refusals (not allowed, malformed
// bodies, a different password for an existing user) that write nothing; the audit line of
// every write; no password in any log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/password_object.h"
#include "kftenant/dex/user_directory.h"
#include "kftenant/store/cached_store.h"
#include "kftenant/store/cluster_store.h"
#include "kftenant/yaml.h"
#include "server/http_server.h"
#include "server/kfam_api.h"
#include "server/profile_writes.h"
#include "server/tenancy_api.h"
#include "server/user_writes.h"
#include "support/fake_clock.h"
#include "support/in_process_api.h"
#include "testserver/apiserver.h"

namespace kftenant::server {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kAdmin = "admin@example.com";
constexpr const char* kUser = "user@example.com";  // Kubeflow's example user (seeded)
constexpr const char* kServeToken = "kftenant-serve-token";

class WriteEndpointsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testserver::Options options;
    options.seed_kubeflow = true;
    options.rollout_delay = std::chrono::milliseconds(20);
    options.simulate_profile_controller = true;
    options.profile_controller_delay = std::chrono::milliseconds(20);
    HttpServerOptions http;
    http.threads = 4;
    http.identity.admins = {kAdmin};
    env = new InProcessApi();
    // The server runs as deploy/serve's ServiceAccount with exactly the RBAC deploy/serve
    // grants it: every write below also proves those rules suffice.
    ASSERT_NO_FATAL_FAILURE(env->start(
        options, [](store::ObjectStore&) { grant_deploy_rbac(env->api_server(), kServeToken); },
        [](InProcessApi& e, RouteTable& routes) {
          reads = new TenancyApi(e.cache(), {}, &e.cache());
          reads->add_routes(routes);
          writes = new UserWriteApi(
              e.cache(), {},
              UserWriteOptions{.bcrypt_cost = 10,
                               .contributor = {},
                               .password_attempts =
                                   std::make_shared<AttemptLimiter>(1.0 / 12, 5, attempts_clock)});
          writes->add_routes(routes);
          profile_writes = new ProfileWriteApi(e.cache(), {}, reads->views());
          profile_writes->add_routes(routes);
          kfam = new KfamApi(reads->views(), *profile_writes, [](std::string_view email) {
            return dex::normalize_email(email) == kAdmin;
          });
          kfam->add_routes(routes);
        },
        std::move(http), kServeToken));
    api_server = &env->api_server();
    cluster = &env->admin_cluster();
  }
  // Every test starts with full attempt buckets.
  void SetUp() override { attempts_clock->sleep_for(std::chrono::hours(1)); }

  static void TearDownTestSuite() {
    delete env;  // stops the server before the APIs it calls go
    delete kfam;
    delete profile_writes;
    delete writes;
    delete reads;
  }

  using Answer = InProcessApi::Answer;
  static Answer call(const std::string& method, const std::string& path, const char* caller,
                     const std::string& body = "",
                     const std::string& content_type = "application/json") {
    return env->call(method, path, caller, body, content_type);
  }
  static Answer post(const std::string& path, const json& body, const char* caller = kAdmin) {
    return call("POST", path, caller, body.dump());
  }

  // The writes the API server was asked for since clear_requests().
  static std::vector<std::string> writes_seen() { return writes_to(*api_server); }

  static Answer put(const std::string& path, const json& body, const char* caller = kAdmin) {
    return call("PUT", path, caller, body.dump());
  }

  // Waits (10 s at most) for the simulated profile controller to make the namespace and for the
  // server's cache to hold it: a contributor is refused (404) until the cache has it (CI: the
  // API server had it, the watch had not delivered it yet).
  static bool namespace_made(const std::string& name) {
    for (int i = 0; i < 1000; ++i) {
      if (api_server->get_object("v1", "namespaces", "", name) &&
          env->cache().get({"v1", "Namespace", "", name}))
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // The profile's contributors as the answers show them: email → role.
  static std::map<std::string, std::string> roles_in(const json& profile) {
    std::map<std::string, std::string> out;
    for (const auto& c : profile.value("contributors", json::array()))
      out[c.value("email", "")] = c.value("role", "");
    return out;
  }

  // The stored Dex record of `email` (static backend), or nullopt.
  static std::optional<dex::DexUser> dex_user(const std::string& email) {
    auto directory = dex::make_user_directory(dex::Backend::kStatic, {});
    auto found = directory->find(*cluster, email);
    if (!found) return std::nullopt;
    return *found;
  }

  // Whether `password` matches the stored hash of `email`.
  static bool stored_password_is(const std::string& email, const std::string& password) {
    auto user = dex_user(email);
    if (!user) return false;
    auto matches = dex::bcrypt_verify(password, user->hash);
    return matches && *matches;
  }

  static std::vector<json> audit_lines() {
    std::vector<json> out;
    std::istringstream in(env->audit_log());
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }

  static InProcessApi* env;
  static std::shared_ptr<kftenant::testing::FakeClock> attempts_clock;
  static testserver::ApiServer* api_server;
  static store::ClusterStore* cluster;
  static TenancyApi* reads;
  static UserWriteApi* writes;
  static ProfileWriteApi* profile_writes;
  static KfamApi* kfam;
};

InProcessApi* WriteEndpointsTest::env = nullptr;
std::shared_ptr<kftenant::testing::FakeClock> WriteEndpointsTest::attempts_clock =
    std::make_shared<kftenant::testing::FakeClock>();
testserver::ApiServer* WriteEndpointsTest::api_server = nullptr;
store::ClusterStore* WriteEndpointsTest::cluster = nullptr;
TenancyApi* WriteEndpointsTest::reads = nullptr;
UserWriteApi* WriteEndpointsTest::writes = nullptr;
ProfileWriteApi* WriteEndpointsTest::profile_writes = nullptr;
KfamApi* WriteEndpointsTest::kfam = nullptr;

TEST_F(WriteEndpointsTest, CreatesTheDexUserAndProfileInOneCallAndIsIdempotent) {
  const std::string password = "first password of erin";
  auto a = post("/api/v1/users", {{"email", "Erin@Example.com"},
                                  {"password", password},
                                  {"profile", "team-erin"},
                                  {"quota", {{"cpu", "4"}, {"memory", "8Gi"}}}});
  ASSERT_EQ(a.status, 201) << a.text;
  EXPECT_EQ(a.body["email"], "erin@example.com");  // Dex lower-cases it
  ASSERT_EQ(a.body["profiles"].size(), 1u) << a.text;
  EXPECT_EQ(a.body["profiles"][0]["name"], "team-erin");
  EXPECT_EQ(a.body["profiles"][0]["owner"], "erin@example.com");
  EXPECT_EQ(a.body["profiles"][0]["quota"], json({{"cpu", "4"}, {"memory", "8Gi"}}));
  EXPECT_THAT(a.text, Not(HasSubstr("$2")));  // no hash in the answer
  EXPECT_FALSE(a.body.contains("generatedPassword"));
  auto stored = dex_user("erin@example.com");
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored_password_is(stored->email, password));
  EXPECT_TRUE(api_server->get_object("kubeflow.org/v1", "profiles", "", "team-erin"));

  // The next read sees it at once (read-your-writes), however the cache's watch is doing.
  auto shown = call("GET", "/api/v1/users/erin@example.com", kAdmin);
  ASSERT_EQ(shown.status, 200) << shown.text;
  EXPECT_EQ(shown.body["profiles"][0]["name"], "team-erin");

  // The same request again changes nothing: 200.
  api_server->clear_requests();
  auto again = post("/api/v1/users", {{"email", "erin@example.com"},
                                      {"password", password},
                                      {"profile", "team-erin"},
                                      {"quota", {{"cpu", "4"}, {"memory", "8Gi"}}}});
  EXPECT_EQ(again.status, 200) << again.text;
  EXPECT_THAT(writes_seen(), ::testing::IsEmpty());

  // A different password for the existing user is refused, and nothing is written.
  api_server->clear_requests();
  auto other = post(
      "/api/v1/users",
      {{"email", "erin@example.com"}, {"password", "another password"}, {"profile", "team-erin"}});
  EXPECT_EQ(other.status, 409) << other.text;
  EXPECT_EQ(other.body["code"], "Refused");
  EXPECT_THAT(other.text, Not(HasSubstr("another password")));
  EXPECT_THAT(writes_seen(), ::testing::IsEmpty());
}

TEST_F(WriteEndpointsTest, AGeneratedPasswordIsReturnedOnceAndLoggedNowhere) {
  auto a = post("/api/v1/users", {{"email", "gus@example.com"}, {"generatePassword", true}});
  ASSERT_EQ(a.status, 201) << a.text;
  ASSERT_TRUE(a.body["generatedPassword"].is_string()) << a.text;
  const std::string password = a.body["generatedPassword"];
  EXPECT_EQ(password.size(), 20u);
  auto stored = dex_user("gus@example.com");
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored_password_is(stored->email, password));
  EXPECT_EQ(a.body["profiles"][0]["name"], "gus");  // the default name

  // Asked again: the user keeps the password it has, and none is returned.
  auto again = post("/api/v1/users", {{"email", "gus@example.com"}, {"generatePassword", true}});
  EXPECT_EQ(again.status, 200) << again.text;
  EXPECT_FALSE(again.body.contains("generatedPassword")) << again.text;
  EXPECT_EQ(dex_user("gus@example.com")->hash, stored->hash);
  EXPECT_THAT(call("GET", "/api/v1/users/gus@example.com", kAdmin).text, Not(HasSubstr(password)));

  // The reset endpoint: a new generated password, returned once.
  auto reset = post("/api/v1/users/gus@example.com/password", {{"generatePassword", true}});
  ASSERT_EQ(reset.status, 200) << reset.text;
  EXPECT_EQ(reset.body["changed"], true);
  const std::string second = reset.body.value("generatedPassword", "");
  ASSERT_EQ(second.size(), 20u) << reset.text;
  EXPECT_TRUE(stored_password_is("gus@example.com", second));

  for (const std::string& secret : {password, second}) {
    EXPECT_THAT(env->access_log(), Not(HasSubstr(secret)));
    EXPECT_THAT(env->audit_log(), Not(HasSubstr(secret)));
  }
}

TEST_F(WriteEndpointsTest, AHashIsStoredAsGivenAndAPasswordResetRehashes) {
  auto hash = dex::bcrypt_hash("password of hank", 10);
  ASSERT_TRUE(hash);
  auto a = post("/api/v1/users",
                {{"email", "hank@example.com"}, {"passwordHash", *hash}, {"createProfile", false}});
  ASSERT_EQ(a.status, 201) << a.text;
  EXPECT_TRUE(a.body["profiles"].empty());
  EXPECT_EQ(dex_user("hank@example.com")->hash, *hash);
  EXPECT_FALSE(api_server->get_object("kubeflow.org/v1", "profiles", "", "hank"));

  auto reset =
      post("/api/v1/users/Hank@Example.com/password", {{"password", "new password of hank"}});
  ASSERT_EQ(reset.status, 200) << reset.text;
  EXPECT_EQ(reset.body["email"], "hank@example.com");
  EXPECT_TRUE(stored_password_is("hank@example.com", "new password of hank"));
  EXPECT_FALSE(reset.body.contains("generatedPassword"));

  auto unknown = post("/api/v1/users/nobody@example.com/password", {{"password", "whatever1"}});
  EXPECT_EQ(unknown.status, 404) << unknown.text;
}

TEST_F(WriteEndpointsTest, BadBodiesAreRefusedNamingTheFieldAndWriteNothing) {
  struct Case {
    std::string name;
    std::string body;
    std::string content_type;
    int status;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"form body", "email=x@example.com", "application/x-www-form-urlencoded", 415, ""},
      {"no content type", R"({"email":"x@example.com"})", "text/plain", 415, ""},
      {"not JSON", R"({"email": "x@example.com",)", "application/json", 400, ""},
      {"an array", R"(["x@example.com"])", "application/json", 422, ""},
      {"unknown field", R"({"email":"x@example.com","password":"password1","admin":true})",
       "application/json", 422, "admin"},
      {"wrong type", R"({"email":"x@example.com","password":12345678})", "application/json", 422,
       "password"},
      {"no email", R"({"password":"password1"})", "application/json", 422, "email"},
      {"hostile email", R"({"email":"x\n@example.com","password":"password1"})", "application/json",
       422, "email"},
      {"no password", R"({"email":"x@example.com"})", "application/json", 422, "password"},
      {"two passwords",
       R"({"email":"x@example.com","password":"password1","generatePassword":true})",
       "application/json; charset=utf-8", 422, "password"},
      {"short password", R"({"email":"x@example.com","password":"short"})", "application/json", 422,
       "password"},
      {"bad profile", R"({"email":"x@example.com","password":"password1","profile":"Bad_Name"})",
       "application/json", 422, "profile"},
      {"bad quota", R"({"email":"x@example.com","password":"password1","quota":{"cpu":"lots"}})",
       "application/json", 422, "quota"},
      {"quota of strings", R"({"email":"x@example.com","password":"password1","quota":{"cpu":4}})",
       "application/json", 422, "quota.cpu"},
      {"bad hash", R"({"email":"x@example.com","passwordHash":"$2y$04$tooshort"})",
       "application/json", 422, "passwordHash"},
      {"wait too long", R"({"email":"x@example.com","password":"password1","waitSeconds":301})",
       "application/json", 422, "waitSeconds"},
      {"wait not whole", R"({"email":"x@example.com","password":"password1","waitSeconds":1.5})",
       "application/json", 422, "waitSeconds"},
      {"quota without profile",
       R"({"email":"x@example.com","password":"password1","createProfile":false,"quota":{"cpu":"1"}})",
       "application/json", 422, "quota"},
  };
  api_server->clear_requests();
  for (const auto& c : cases) {
    auto a = call("POST", "/api/v1/users", kAdmin, c.body, c.content_type);
    EXPECT_EQ(a.status, c.status) << c.name << ": " << a.text;
    ASSERT_TRUE(a.body.is_object()) << c.name << ": " << a.text;
    EXPECT_FALSE(a.body.value("message", "").empty()) << c.name;
    EXPECT_EQ(a.body.value("field", ""), c.field) << c.name << ": " << a.text;
    EXPECT_THAT(a.text, Not(HasSubstr("password1"))) << c.name;
  }
  EXPECT_THAT(writes_seen(), ::testing::IsEmpty());
  EXPECT_FALSE(dex_user("x@example.com"));
}

TEST_F(WriteEndpointsTest, OnlyAdministratorsWriteAndEveryAttemptIsAudited) {
  const size_t audited_before = audit_lines().size();
  api_server->clear_requests();
  const json body = {{"email", "ivy@example.com"}, {"password", "password of ivy"}};
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {"POST", "/api/v1/users"},
      {"POST", "/api/v1/users/user@example.com/password"},
      {"DELETE", "/api/v1/users/user@example.com"}};
  for (const auto& [method, path] : endpoints) {
    EXPECT_EQ(call(method, path, kUser, body.dump()).status, 403) << method << " " << path;
    EXPECT_EQ(call(method, path, nullptr, body.dump()).status, 401) << method << " " << path;
  }
  EXPECT_EQ(call("GET", "/api/v1/users/user@example.com/removal", kUser).status, 403);
  EXPECT_THAT(writes_seen(), ::testing::IsEmpty());
  EXPECT_FALSE(dex_user("ivy@example.com"));

  auto lines = audit_lines();
  ASSERT_EQ(lines.size(), audited_before + 6);  // the GET is not a write: no audit line
  const json& refused = lines[audited_before];
  EXPECT_EQ(refused["caller"], kUser);
  EXPECT_EQ(refused["action"], "createUser");
  EXPECT_EQ(refused["status"], 403);
  EXPECT_EQ(refused["result"], "Forbidden");
  EXPECT_FALSE(refused.value("requestId", "").empty());
  EXPECT_FALSE(refused.value("time", "").empty());
  EXPECT_EQ(lines[audited_before + 1]["result"], "Unauthorized");
  EXPECT_EQ(lines[audited_before + 2]["target"], json({{"email", kUser}}));
  EXPECT_THAT(env->audit_log(), Not(HasSubstr("password of ivy")));

  auto created = post("/api/v1/users", body);
  ASSERT_EQ(created.status, 201) << created.text;
  const json last = audit_lines().back();
  EXPECT_EQ(last["caller"], kAdmin);
  EXPECT_EQ(last["status"], 201);
  EXPECT_EQ(last["result"], "ok");
  EXPECT_EQ(last["target"], json({{"email", "ivy@example.com"}}));  // from the body
}

TEST_F(WriteEndpointsTest, ADeleteMustBeConfirmedAndSaysWhatItRemoves) {
  ASSERT_EQ(
      post("/api/v1/users", {{"email", "jo@example.com"}, {"password", "password of jo"}}).status,
      201);
  ASSERT_TRUE(api_server->put_object(
      "v1", "namespaces",
      {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "jo"}}}}));

  auto preview = call("GET", "/api/v1/users/jo@example.com/removal", kAdmin);
  ASSERT_EQ(preview.status, 200) << preview.text;
  ASSERT_EQ(preview.body["deletesProfiles"].size(), 1u) << preview.text;
  EXPECT_EQ(preview.body["deletesProfiles"][0]["profile"], "jo");
  EXPECT_FALSE(preview.body["steps"].empty());
  auto kept = call("GET", "/api/v1/users/jo@example.com/removal?keepProfile=true", kAdmin);
  ASSERT_EQ(kept.status, 200) << kept.text;
  EXPECT_TRUE(kept.body["deletesProfiles"].empty()) << kept.text;

  api_server->clear_requests();
  for (const std::string& body :
       {std::string(), std::string(R"({"confirm":"someone@else.com"})")}) {
    auto refused = call("DELETE", "/api/v1/users/jo@example.com", kAdmin, body);
    EXPECT_EQ(refused.status, 422) << refused.text;
    EXPECT_EQ(refused.body.value("field", ""), "confirm");
    EXPECT_THAT(refused.body.value("message", ""), HasSubstr("profile jo"));
  }
  EXPECT_THAT(writes_seen(), ::testing::IsEmpty());

  auto removed =
      call("DELETE", "/api/v1/users/jo@example.com", kAdmin, R"({"confirm":"Jo@Example.com"})");
  ASSERT_EQ(removed.status, 200) << removed.text;
  EXPECT_FALSE(removed.body["applied"].empty());
  EXPECT_FALSE(dex_user("jo@example.com"));
  EXPECT_FALSE(api_server->get_object("kubeflow.org/v1", "profiles", "", "jo"));
  EXPECT_EQ(call("GET", "/api/v1/users/jo@example.com", kAdmin).status, 404);
  // Gone: a second delete and its preview find nothing.
  EXPECT_EQ(
      call("DELETE", "/api/v1/users/jo@example.com", kAdmin, R"({"confirm":"jo@example.com"})")
          .status,
      404);
  EXPECT_EQ(call("GET", "/api/v1/users/jo@example.com/removal", kAdmin).status, 404);
}

TEST_F(WriteEndpointsTest, TheOpenApiDocumentShowsTheBodiesTheEndpointsCheck) {
  auto doc = call("GET", "/api/v1/openapi.json", nullptr);
  ASSERT_EQ(doc.status, 200);
  const json& create = doc.body["paths"]["/api/v1/users"]["post"];
  EXPECT_EQ(create["x-kftenant-access"], "admin");
  EXPECT_TRUE(create["responses"].contains("201"));
  EXPECT_TRUE(create["responses"].contains("415"));
  const json& schema = create["requestBody"]["content"]["application/json"]["schema"];
  EXPECT_EQ(schema["required"], json::array({"email"}));
  for (const char* field : {"email", "password", "passwordHash", "generatePassword", "username",
                            "userID", "profile", "createProfile", "quota"})
    EXPECT_TRUE(schema["properties"].contains(field)) << field;
  EXPECT_TRUE(doc.body["paths"]["/api/v1/users/{email}"].contains("delete"));
  EXPECT_TRUE(doc.body["paths"]["/api/v1/users/{email}/password"].contains("post"));
}

TEST_F(WriteEndpointsTest, AnyoneCreatesTheirOwnProfileOnlyAdministratorsOneForOthers) {
  api_server->clear_requests();
  auto other =
      post("/api/v1/profiles", {{"name", "lab-of-ann"}, {"owner", "ann@example.com"}}, kUser);
  EXPECT_EQ(other.status, 403) << other.text;
  auto quota = post("/api/v1/profiles", {{"name", "lab"}, {"quota", {{"cpu", "64"}}}}, kUser);
  EXPECT_EQ(quota.status, 403) << quota.text;
  auto bad = post("/api/v1/profiles", {{"name", "Not_A_Name"}}, kUser);
  EXPECT_EQ(bad.status, 422) << bad.text;
  EXPECT_EQ(bad.body.value("field", ""), "name");
  EXPECT_EQ(call("POST", "/api/v1/profiles", nullptr, R"({"name":"lab"})").status, 401);
  EXPECT_THAT(writes_seen(), ::testing::IsEmpty());

  auto own = post("/api/v1/profiles", {{"name", "user-lab"}}, kUser);
  ASSERT_EQ(own.status, 201) << own.text;
  EXPECT_EQ(own.body["name"], "user-lab");
  EXPECT_EQ(own.body["owner"], kUser);
  EXPECT_EQ(post("/api/v1/profiles", {{"name", "user-lab"}}, kUser).status, 200);
  // Someone else's name is refused, not taken over.
  auto taken = post("/api/v1/profiles", {{"name", "user-lab"}}, "ann@example.com");
  EXPECT_EQ(taken.status, 409) << taken.text;

  auto for_ann =
      post("/api/v1/profiles",
           {{"name", "lab-of-ann"}, {"owner", "ann@example.com"}, {"quota", {{"cpu", "2"}}}});
  ASSERT_EQ(for_ann.status, 201) << for_ann.text;
  EXPECT_EQ(for_ann.body["owner"], "ann@example.com");
  EXPECT_EQ(for_ann.body["quota"], json({{"cpu", "2"}}));
  EXPECT_EQ(audit_lines().back()["target"], json({{"name", "lab-of-ann"}}));
}

TEST_F(WriteEndpointsTest, TheOwnerOrAnAdministratorManagesContributors) {
  const std::string profile = "kubeflow-user-example-com";  // seeded, owned by kUser
  ASSERT_TRUE(namespace_made(profile));
  const std::string base = "/api/v1/profiles/" + profile + "/contributors";

  auto added = post(base, {{"email", "kim@example.com"}, {"role", "edit"}}, kUser);
  ASSERT_EQ(added.status, 201) << added.text;
  EXPECT_EQ(roles_in(added.body)["kim@example.com"], "edit");
  EXPECT_EQ(post(base, {{"email", "kim@example.com"}, {"role", "edit"}}, kUser).status, 200);
  EXPECT_TRUE(api_server->get_object("rbac.authorization.k8s.io/v1", "rolebindings", profile,
                                     "user-kim-example-com-clusterrole-edit"));

  // A contributor, even an admin one, does not manage the others; a stranger learns nothing.
  ASSERT_EQ(put(base + "/kim@example.com", {{"role", "admin"}}).status, 200);
  api_server->clear_requests();
  EXPECT_EQ(post(base, {{"email", "lou@example.com"}, {"role", "view"}}, "kim@example.com").status,
            403);
  EXPECT_EQ(call("DELETE", base + "/kim@example.com", "lou@example.com").status, 403);
  EXPECT_EQ(post("/api/v1/profiles/no-such-profile/contributors",
                 {{"email", "lou@example.com"}, {"role", "view"}}, "lou@example.com")
                .status,
            403);
  EXPECT_EQ(post("/api/v1/profiles/no-such-profile/contributors",
                 {{"email", "lou@example.com"}, {"role", "view"}})
                .status,
            404);
  auto bad_role = post(base, {{"email", "lou@example.com"}, {"role", "owner"}}, kUser);
  EXPECT_EQ(bad_role.status, 422) << bad_role.text;
  EXPECT_EQ(bad_role.body.value("field", ""), "role");
  auto owner_as_contributor = post(base, {{"email", kUser}, {"role", "view"}}, kUser);
  EXPECT_EQ(owner_as_contributor.status, 409) << owner_as_contributor.text;
  EXPECT_THAT(writes_seen(), ::testing::IsEmpty());

  auto changed = put(base + "/kim@example.com", {{"role", "view"}}, kUser);
  ASSERT_EQ(changed.status, 200) << changed.text;
  EXPECT_EQ(roles_in(changed.body)["kim@example.com"], "view");
  auto removed = call("DELETE", base + "/kim@example.com", kUser);
  ASSERT_EQ(removed.status, 200) << removed.text;
  EXPECT_EQ(roles_in(removed.body).count("kim@example.com"), 0u);
  EXPECT_EQ(call("DELETE", base + "/kim@example.com", kUser).status, 404);
}

TEST_F(WriteEndpointsTest, QuotasAreForAdministratorsOnly) {
  const std::string path = "/api/v1/profiles/kubeflow-user-example-com/quota";
  EXPECT_EQ(put(path, {{"hard", {{"cpu", "100"}}}}, kUser).status, 403);
  auto bad = put(path, {{"hard", {{"cpu", "a lot"}}}});
  EXPECT_EQ(bad.status, 422) << bad.text;
  EXPECT_EQ(bad.body.value("field", ""), "hard");
  auto set = put(path, {{"hard", {{"cpu", "8"}, {"memory", "16Gi"}}}});
  ASSERT_EQ(set.status, 200) << set.text;
  EXPECT_EQ(set.body["quota"], json({{"cpu", "8"}, {"memory", "16Gi"}}));
  auto cleared = call("DELETE", path, kAdmin);
  ASSERT_EQ(cleared.status, 200) << cleared.text;
  EXPECT_TRUE(cleared.body.value("quota", json::object()).empty()) << cleared.text;
  EXPECT_EQ(put("/api/v1/profiles/no-such-profile/quota", {{"hard", {{"cpu", "1"}}}}).status, 404);
}

TEST_F(WriteEndpointsTest, TheOwnerTransfersAndTheNewOwnerDeletesWithConfirmation) {
  // waitSeconds: answered once the profile controller has made the namespace.
  auto made = post("/api/v1/profiles", {{"name", "handover"}, {"waitSeconds", 30}}, kUser);
  ASSERT_EQ(made.status, 201) << made.text;
  EXPECT_EQ(made.body["namespace"], "Active") << made.text;
  EXPECT_TRUE(api_server->get_object("v1", "namespaces", "", "handover"));
  EXPECT_EQ(
      post("/api/v1/profiles/handover/owner", {{"owner", "lee@example.com"}}, "lee@example.com")
          .status,
      403);  // not theirs yet
  auto moved = post("/api/v1/profiles/handover/owner", {{"owner", "lee@example.com"}}, kUser);
  ASSERT_EQ(moved.status, 200) << moved.text;
  EXPECT_EQ(moved.body["owner"], "lee@example.com");

  // The old owner has no say any more.
  EXPECT_EQ(call("DELETE", "/api/v1/profiles/handover", kUser, R"({"confirm":"handover"})").status,
            403);
  api_server->clear_requests();
  auto unconfirmed = call("DELETE", "/api/v1/profiles/handover", "lee@example.com");
  EXPECT_EQ(unconfirmed.status, 422) << unconfirmed.text;
  EXPECT_EQ(unconfirmed.body.value("field", ""), "confirm");
  EXPECT_THAT(unconfirmed.body.value("message", ""), HasSubstr("profile handover"));
  EXPECT_THAT(writes_seen(), ::testing::IsEmpty());
  auto deleted =
      call("DELETE", "/api/v1/profiles/handover", "lee@example.com", R"({"confirm":"handover"})");
  ASSERT_EQ(deleted.status, 200) << deleted.text;
  EXPECT_FALSE(deleted.body["applied"].empty());
  auto gone = api_server->get_object("kubeflow.org/v1", "profiles", "", "handover");
  // Deleted, or going (the profile controller's finalizer is being removed).
  EXPECT_TRUE(!gone || gone->contains("/metadata/deletionTimestamp"_json_pointer)) << gone->dump();
}

TEST_F(WriteEndpointsTest, AUserChangesTheirOwnPasswordKnowingTheCurrentOne) {
  ASSERT_EQ(post("/api/v1/users", {{"email", "pat@example.com"},
                                   {"password", "old password of pat"},
                                   {"createProfile", false}})
                .status,
            201);
  const char* pat = "pat@example.com";
  api_server->clear_requests();
  auto wrong =
      post("/api/v1/me/password",
           {{"currentPassword", "not the password"}, {"newPassword", "new password of pat"}}, pat);
  EXPECT_EQ(wrong.status, 403) << wrong.text;
  EXPECT_EQ(wrong.body.value("field", ""), "currentPassword");
  auto short_one =
      post("/api/v1/me/password",
           {{"currentPassword", "old password of pat"}, {"newPassword", "short"}}, pat);
  EXPECT_EQ(short_one.status, 422) << short_one.text;
  EXPECT_EQ(short_one.body.value("field", ""), "newPassword");
  auto stranger = post("/api/v1/me/password",
                       {{"currentPassword", "whatever12"}, {"newPassword", "new password 12"}},
                       "nobody@example.com");
  EXPECT_EQ(stranger.status, 404) << stranger.text;
  EXPECT_THAT(writes_seen(), ::testing::IsEmpty());
  EXPECT_TRUE(stored_password_is(pat, "old password of pat"));

  auto changed = post(
      "/api/v1/me/password",
      {{"currentPassword", "old password of pat"}, {"newPassword", "new password of pat"}}, pat);
  ASSERT_EQ(changed.status, 200) << changed.text;
  EXPECT_EQ(changed.body["changed"], true);
  EXPECT_TRUE(stored_password_is(pat, "new password of pat"));
  EXPECT_FALSE(stored_password_is(pat, "old password of pat"));
  for (const char* secret : {"old password of pat", "new password of pat", "not the password"}) {
    EXPECT_THAT(env->access_log(), Not(HasSubstr(secret)));
    EXPECT_THAT(env->audit_log(), Not(HasSubstr(secret)));
  }
}

TEST_F(WriteEndpointsTest, PasswordAttemptsAreLimitedPerCallerAndPerAddress) {
  ASSERT_EQ(post("/api/v1/users", {{"email", "quinn@example.com"},
                                   {"password", "password of quinn"},
                                   {"createProfile", false}})
                .status,
            201);
  const json guess = {{"currentPassword", "a guess 123"}, {"newPassword", "new password 123"}};
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(post("/api/v1/me/password", guess, "quinn@example.com").status, 403) << i;
  auto limited = post("/api/v1/me/password", guess, "quinn@example.com");
  EXPECT_EQ(limited.status, 429) << limited.text;
  EXPECT_EQ(limited.body["code"], "TooManyRequests");
  auto retry = limited.headers.find("Retry-After");
  ASSERT_NE(retry, limited.headers.end());
  EXPECT_EQ(retry->second, "12");
  // From the same address another caller is limited too (the address's bucket is empty), and
  // so is the administrators' reset endpoint.
  EXPECT_EQ(post("/api/v1/me/password", guess, "pat@example.com").status, 429);
  EXPECT_EQ(
      post("/api/v1/users/quinn@example.com/password", {{"password", "password 4567"}}).status,
      429);
  // From another address (X-Forwarded-For, as the ingress sets it) the caller is still limited.
  auto elsewhere = env->call("POST", "/api/v1/me/password", "quinn@example.com", guess.dump(),
                             "application/json", {{"X-Forwarded-For", "10.1.2.3, 10.0.0.1"}});
  EXPECT_EQ(elsewhere.status, 429) << elsewhere.text;
  // A token back after 12 s: one more attempt.
  attempts_clock->sleep_for(std::chrono::seconds(12));
  EXPECT_EQ(post("/api/v1/me/password", guess, "quinn@example.com").status, 403);
  EXPECT_EQ(post("/api/v1/me/password", guess, "quinn@example.com").status, 429);
  EXPECT_TRUE(stored_password_is("quinn@example.com", "password of quinn"));
}

// KFAM's shapes (kubeflow-contract.md §3, model_binding.go): what the central dashboard sends
// and reads, with kftenant's authorization on top.
TEST_F(WriteEndpointsTest, KfamBindingsKeepKfamsShapesButOnlyTheOwnerChangesThem) {
  const std::string ns = "kubeflow-user-example-com";  // seeded, owned by kUser
  ASSERT_TRUE(namespace_made(ns));
  auto binding = [&](const std::string& email, const std::string& role, const char* ref_key) {
    return json{{"user", {{"kind", "User"}, {"name", email}}},
                {"referredNamespace", ns},
                {ref_key, {{"kind", "ClusterRole"}, {"name", role}}},
                {"status", ""}};
  };
  auto added = post("/kfam/v1/bindings", binding("mo@example.com", "view", "RoleRef"), kUser);
  ASSERT_EQ(added.status, 200) << added.text;
  auto rb = api_server->get_object("rbac.authorization.k8s.io/v1", "rolebindings", ns,
                                   "user-mo-example-com-clusterrole-view");
  ASSERT_TRUE(rb);
  EXPECT_EQ((*rb)["metadata"]["annotations"], json({{"role", "view"}, {"user", "mo@example.com"}}));
  EXPECT_EQ((*rb)["roleRef"]["name"], "kubeflow-view");
  EXPECT_TRUE(api_server->get_object("security.istio.io/v1beta1", "authorizationpolicies", ns,
                                     "user-mo-example-com-clusterrole-view"));

  auto listed = call("GET", "/kfam/v1/bindings?namespace=" + ns, kUser);
  ASSERT_EQ(listed.status, 200) << listed.text;
  ASSERT_TRUE(listed.body["bindings"].is_array()) << listed.text;
  EXPECT_THAT(listed.body["bindings"],
              ::testing::Contains(json{{"user", {{"kind", "User"}, {"name", kUser}}},
                                       {"referredNamespace", ns},
                                       {"RoleRef", {{"kind", "ClusterRole"}, {"name", "admin"}}},
                                       {"status", ""}}));
  EXPECT_THAT(listed.body["bindings"],
              ::testing::Contains(binding("mo@example.com", "view", "RoleRef")));
  // Filters; and a caller sees only the profiles they belong to.
  auto mine = call("GET", "/kfam/v1/bindings?user=mo@example.com", kAdmin);
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(mine.body["bindings"], json::array({binding("mo@example.com", "view", "RoleRef")}));
  EXPECT_EQ(call("GET", "/kfam/v1/bindings?role=edit&namespace=" + ns, kAdmin).body["bindings"],
            json::array());
  EXPECT_EQ(call("GET", "/kfam/v1/bindings", "stranger@example.com").body["bindings"],
            json::array());
  EXPECT_FALSE(call("GET", "/kfam/v1/bindings", "mo@example.com").body["bindings"].empty());

  // A contributor or a stranger changes nothing; a bad binding names its field.
  api_server->clear_requests();
  EXPECT_EQ(
      post("/kfam/v1/bindings", binding("nia@example.com", "edit", "RoleRef"), "mo@example.com")
          .status,
      403);
  EXPECT_EQ(call("DELETE", "/kfam/v1/bindings", "stranger@example.com",
                 binding("mo@example.com", "view", "RoleRef").dump())
                .status,
            403);
  json group = binding("team@example.com", "edit", "RoleRef");
  group["user"]["kind"] = "Group";
  auto bad = post("/kfam/v1/bindings", group, kUser);
  EXPECT_EQ(bad.status, 422) << bad.text;
  EXPECT_EQ(bad.body.value("field", ""), "user.kind");
  EXPECT_THAT(writes_seen(), ::testing::IsEmpty());

  // "roleRef" as Go decodes it too: mo's role becomes edit.
  ASSERT_EQ(post("/kfam/v1/bindings", binding("mo@example.com", "edit", "roleRef"), kUser).status,
            200);
  EXPECT_EQ(call("GET", "/kfam/v1/bindings?user=mo@example.com", kAdmin).body["bindings"],
            json::array({binding("mo@example.com", "edit", "RoleRef")}));
  auto removed = call("DELETE", "/kfam/v1/bindings", kUser,
                      binding("mo@example.com", "edit", "RoleRef").dump());
  ASSERT_EQ(removed.status, 200) << removed.text;
  EXPECT_FALSE(api_server->get_object("rbac.authorization.k8s.io/v1", "rolebindings", ns,
                                      "user-mo-example-com-clusterrole-edit"));
}

TEST_F(WriteEndpointsTest, KfamProfilesAndTheClusterAdminQuestion) {
  auto profile = [](const std::string& name, const std::string& owner) {
    return json{{"apiVersion", "kubeflow.org/v1beta1"},
                {"kind", "Profile"},
                {"metadata", {{"name", name}}},
                {"spec", {{"owner", {{"kind", "User"}, {"name", owner}}}}}};
  };
  api_server->clear_requests();
  EXPECT_EQ(post("/kfam/v1/profiles", profile("kfam-ann", "ann@example.com"), kUser).status, 403);
  json plugins = profile("kfam-lab", kUser);
  plugins["spec"]["plugins"] = json::array();
  auto refused = post("/kfam/v1/profiles", plugins, kUser);
  EXPECT_EQ(refused.status, 422) << refused.text;
  EXPECT_EQ(refused.body.value("field", ""), "spec.plugins");
  EXPECT_THAT(writes_seen(), ::testing::IsEmpty());

  auto made = post("/kfam/v1/profiles", profile("kfam-lab", kUser), kUser);
  ASSERT_EQ(made.status, 200) << made.text;
  auto stored = api_server->get_object("kubeflow.org/v1", "profiles", "", "kfam-lab");
  ASSERT_TRUE(stored);
  EXPECT_EQ((*stored)["spec"]["owner"], json({{"kind", "User"}, {"name", kUser}}));
  EXPECT_EQ(call("DELETE", "/kfam/v1/profiles/kfam-lab", "stranger@example.com").status, 403);
  EXPECT_EQ(call("DELETE", "/kfam/v1/profiles/kfam-lab", kUser).status, 200);
  auto gone = api_server->get_object("kubeflow.org/v1", "profiles", "", "kfam-lab");
  EXPECT_TRUE(!gone || gone->contains("/metadata/deletionTimestamp"_json_pointer));

  auto ask = [](const std::string& user, const char* caller) {
    return call("GET", "/kfam/v1/role/clusteradmin?user=" + user, caller);
  };
  EXPECT_EQ(ask(kAdmin, kAdmin).body, json(true));
  EXPECT_EQ(ask(kUser, kUser).body, json(false));
  EXPECT_EQ(ask(kUser, kAdmin).body, json(false));
  EXPECT_EQ(ask("Admin@Example.com", kAdmin).body, json(true));
  EXPECT_EQ(ask(kAdmin, kUser).status, 403);
}

// The doctor over the server's own account: deploy/serve's rules let it see every check (none
// "unknown"); administrators only; nothing written, nothing fixed.
TEST_F(WriteEndpointsTest, TheDoctorReportsWhatTheCliReportsToAdministratorsOnly) {
  api_server->clear_requests();
  EXPECT_EQ(call("GET", "/api/v1/doctor", kUser).status, 403);
  auto report = call("GET", "/api/v1/doctor", kAdmin);
  ASSERT_EQ(report.status, 200) << report.text;
  ASSERT_TRUE(report.body["checks"].is_array());
  std::set<std::string> names;
  for (const auto& check : report.body["checks"]) {
    names.insert(check["name"].get<std::string>());
    EXPECT_NE(check["state"], "unknown") << check.dump() << ": deploy/serve must let it read this";
    EXPECT_NE(check["state"], "ERROR") << check.dump();
  }
  EXPECT_TRUE(names.count("CRD profiles.kubeflow.org")) << report.text;
  EXPECT_TRUE(names.count("ClusterRole kubeflow-edit")) << report.text;
  EXPECT_TRUE(report.body["findings"].is_array());
  EXPECT_FALSE(report.body.contains("findingsError")) << report.text;
  EXPECT_TRUE(report.body["healthy"].is_boolean());
  EXPECT_THAT(writes_seen(), ::testing::IsEmpty());
  EXPECT_THAT(report.text, Not(HasSubstr("$2y$")));
}

}  // namespace
}  // namespace kftenant::server
