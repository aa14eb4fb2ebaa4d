// `--identity token` end to end, in process over real HTTP, the server running as deploy/serve's
// ServiceAccount with exactly its RBAC (so the TokenReviews and SubjectAccessReviews below also
// prove the ClusterRole grants them): the bearer token's user is the caller and the
// kubeflow-userid header is ignored entirely; a missing, malformed or unknown token is 401 and
// writes nothing; administrators by --admin, by --admin-group (the token's groups) and by RBAC
// (who may update Profiles cluster-wide); a token is reviewed once per minute, not per request;
// the audit line names the token's user; KFAM's clusteradmin question asked by RBAC too.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/http_server.h"
#include "server/identity.h"
#include "server/kfam_api.h"
#include "server/profile_writes.h"
#include "server/tenancy_api.h"
#include "support/in_process_api.h"
#include "testserver/apiserver.h"

namespace kftenant::server {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kServeToken = "kftenant-serve-token";
constexpr const char* kAliceToken = "alice-token-3f9c";    // alice@example.com, no rights
constexpr const char* kListedToken = "listed-token-81aa";  // --admin listed@example.com
constexpr const char* kGroupToken = "group-token-77b0";    // in group kubeflow-admins
constexpr const char* kRbacToken = "rbac-token-0d2e";      // may update Profiles (RBAC)
constexpr const char* kRobotToken = "robot-token-5c1f";    // a ServiceAccount

class TokenIdentityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testserver::Options options;
    options.seed_kubeflow = true;
    options.simulate_profile_controller = true;
    options.profile_controller_delay = std::chrono::milliseconds(20);
    HttpServerOptions http;
    http.threads = 4;
    http.identity.mode = IdentityMode::kToken;
    http.identity.admins = {"listed@example.com"};
    http.identity.admin_groups = {"kubeflow-admins"};
    env = new InProcessApi();
    env->review_callers = true;
    ASSERT_NO_FATAL_FAILURE(env->start(
        options, [](store::ObjectStore&) { seed(env->api_server()); },
        [](InProcessApi& e, RouteTable& routes) {
          reads = new TenancyApi(e.cache(), {}, &e.cache());
          reads->add_routes(routes);
          profile_writes = new ProfileWriteApi(e.cache(), {}, reads->views());
          profile_writes->add_routes(routes);
          IdentityOptions identity;
          identity.mode = IdentityMode::kToken;
          identity.reviews = e.reviews();
          kfam = new KfamApi(reads->views(), *profile_writes,
                             [identity = Identity(identity)](std::string_view user) {
                               return identity.is_admin(user);
                             });
          kfam->add_routes(routes);
        },
        std::move(http), kServeToken));
    api_server = &env->api_server();
  }

  static void TearDownTestSuite() {
    delete env;
    delete kfam;
    delete profile_writes;
    delete reads;
  }

  static void seed(testserver::ApiServer& server) {
    ASSERT_NO_FATAL_FAILURE(grant_deploy_rbac(server, kServeToken));
    server.add_user_token(kAliceToken, "alice@example.com");
    server.add_user_token(kListedToken, "listed@example.com");
    server.add_user_token(kGroupToken, "gus@example.com", {"kubeflow-admins"});
    server.add_user_token(kRbacToken, "rita@example.com");
    server.add_user_token(kRobotToken, "system:serviceaccount:ci:deployer",
                          {"system:serviceaccounts", "system:serviceaccounts:ci"});
    json role = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                 {"kind", "ClusterRole"},
                 {"metadata", {{"name", "profile-editor"}}},
                 {"rules",
                  {{{"apiGroups", {"kubeflow.org"}},
                    {"resources", {"profiles"}},
                    {"verbs", {"get", "list", "update"}}}}}};
    ASSERT_TRUE(server.put_object("rbac.authorization.k8s.io/v1", "clusterroles", role));
    json binding = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                    {"kind", "ClusterRoleBinding"},
                    {"metadata", {{"name", "rita-profile-editor"}}},
                    {"roleRef",
                     {{"apiGroup", "rbac.authorization.k8s.io"},
                      {"kind", "ClusterRole"},
                      {"name", "profile-editor"}}},
                    {"subjects",
                     {{{"apiGroup", "rbac.authorization.k8s.io"},
                       {"kind", "User"},
                       {"name", "rita@example.com"}}}}};
    ASSERT_TRUE(server.put_object("rbac.authorization.k8s.io/v1", "clusterrolebindings", binding));
  }

  using Answer = InProcessApi::Answer;
  // A request with `token` as the bearer token (none when null) and `header_user` as
  // kubeflow-userid (none when null).
  static Answer call(const std::string& method, const std::string& path, const char* token,
                     const char* header_user = nullptr, const std::string& body = "") {
    httplib::Headers headers;
    if (token) headers.emplace("Authorization", std::string("Bearer ") + token);
    return env->call(method, path, header_user, body, "application/json", headers);
  }

  static std::vector<std::string> writes_seen() { return writes_to(*api_server); }

  static int token_reviews() {
    int n = 0;
    for (const auto& r : api_server->requests())
      if (r.path.ends_with("/tokenreviews")) ++n;
    return n;
  }

  static InProcessApi* env;
  static TenancyApi* reads;
  static ProfileWriteApi* profile_writes;
  static KfamApi* kfam;
  static testserver::ApiServer* api_server;
};

InProcessApi* TokenIdentityTest::env = nullptr;
TenancyApi* TokenIdentityTest::reads = nullptr;
ProfileWriteApi* TokenIdentityTest::profile_writes = nullptr;
KfamApi* TokenIdentityTest::kfam = nullptr;
testserver::ApiServer* TokenIdentityTest::api_server = nullptr;

TEST_F(TokenIdentityTest, TheTokensUserIsTheCallerAndTheHeaderIsIgnored) {
  auto me = call("GET", "/api/v1/me", kAliceToken);
  ASSERT_EQ(me.status, 200) << me.text;
  EXPECT_EQ(me.body["email"], "alice@example.com");
  EXPECT_EQ(me.body["admin"], false);
  // A header naming an administrator changes nothing, with or without a token.
  me = call("GET", "/api/v1/me", kAliceToken, "listed@example.com");
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.body["email"], "alice@example.com");
  EXPECT_EQ(me.body["admin"], false);
  auto header_only = call("GET", "/api/v1/me", nullptr, "listed@example.com");
  EXPECT_EQ(header_only.status, 401);
  EXPECT_THAT(header_only.body.value("message", ""), HasSubstr("Authorization"));
  // A ServiceAccount's token: its username is the caller.
  me = call("GET", "/api/v1/me", kRobotToken);
  ASSERT_EQ(me.status, 200) << me.text;
  EXPECT_EQ(me.body["email"], "system:serviceaccount:ci:deployer");
}

TEST_F(TokenIdentityTest, AdministratorsByListByGroupAndByRbac) {
  for (const char* token : {kListedToken, kGroupToken, kRbacToken}) {
    auto me = call("GET", "/api/v1/me", token);
    ASSERT_EQ(me.status, 200) << token << ": " << me.text;
    EXPECT_EQ(me.body["admin"], true) << token;
    EXPECT_EQ(call("GET", "/api/v1/users", token).status, 200) << token;
  }
  for (const char* token : {kAliceToken, kRobotToken}) {
    EXPECT_EQ(call("GET", "/api/v1/users", token).status, 403) << token;
  }
  // KFAM's question about someone else, asked by an administrator: by RBAC too.
  auto rita = call("GET", "/kfam/v1/role/clusteradmin?user=rita@example.com", kListedToken);
  ASSERT_EQ(rita.status, 200) << rita.text;
  EXPECT_EQ(rita.body, true);
  auto alice = call("GET", "/kfam/v1/role/clusteradmin?user=alice@example.com", kListedToken);
  ASSERT_EQ(alice.status, 200) << alice.text;
  EXPECT_EQ(alice.body, false);
}

TEST_F(TokenIdentityTest, NoMalformedOrUnknownTokenIs401AndWritesNothing) {
  api_server->clear_requests();
  const std::string body = json{{"name", "lab-x"}, {"owner", "alice@example.com"}}.dump();
  for (const char* token : {static_cast<const char*>(nullptr), "", "no-such-token-9d1"}) {
    auto answer = call("POST", "/api/v1/profiles", token, "listed@example.com", body);
    EXPECT_EQ(answer.status, 401) << (token ? token : "(none)") << ": " << answer.text;
    EXPECT_THAT(answer.text, Not(HasSubstr("no-such-token-9d1")));
  }
  httplib::Headers basic = {{"Authorization", "Basic YWxpY2U6cHc="}};
  EXPECT_EQ(env->call("POST", "/api/v1/profiles", nullptr, body, "application/json", basic).status,
            401);
  EXPECT_THAT(writes_seen(), IsEmpty());
  EXPECT_THAT(env->access_log() + env->audit_log(), Not(HasSubstr("no-such-token-9d1")));
  EXPECT_THAT(env->access_log() + env->audit_log(), Not(HasSubstr(kAliceToken)));
}

TEST_F(TokenIdentityTest, ATokenUserCreatesTheirOwnProfileNotSomeoneElses) {
  api_server->clear_requests();
  auto other = call("POST", "/api/v1/profiles", kAliceToken, nullptr,
                    json{{"name", "lab-of-bob"}, {"owner", "bob@example.com"}}.dump());
  EXPECT_EQ(other.status, 403) << other.text;
  EXPECT_THAT(writes_seen(), IsEmpty());
  auto own =
      call("POST", "/api/v1/profiles", kAliceToken, nullptr, json{{"name", "alice-lab"}}.dump());
  ASSERT_EQ(own.status, 201) << own.text;
  EXPECT_EQ(own.body["owner"], "alice@example.com");
  auto profile = api_server->get_object("kubeflow.org/v1", "profiles", "", "alice-lab");
  ASSERT_TRUE(profile);
  EXPECT_EQ((*profile)["spec"]["owner"]["name"], "alice@example.com");
  // The audit line names the token's user.
  const std::string audit = env->audit_log();
  EXPECT_THAT(audit, HasSubstr(R"("caller":"alice@example.com")"));
}

TEST_F(TokenIdentityTest, ATokenIsReviewedOncePerMinuteNotPerRequest) {
  ASSERT_EQ(call("GET", "/api/v1/me", kRobotToken).status, 200);
  api_server->clear_requests();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(call("GET", "/api/v1/me", kRobotToken).status, 200);
  EXPECT_EQ(token_reviews(), 0);
}

}  // namespace
}  // namespace kftenant::server
