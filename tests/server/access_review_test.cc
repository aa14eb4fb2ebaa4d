// ClusterAccessReviews against the test API server (which reviews as kube-apiserver 1.26 does):
// a token's user and groups from a TokenReview, a rejected token's reason, administrators by
// SubjectAccessReview on `update profiles`; answers cached for their TTL (keyed without the
// token), errors not cached; the server's own account refused is a Config error naming what to
// grant.
#include "server/access_review.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kftenant/kube/client.h"
#include "support/fake_clock.h"
#include "support/test_api_client.h"
#include "testserver/apiserver.h"

namespace kftenant::server {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class AccessReviewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = testserver::ApiServer::start({});
    ASSERT_TRUE(started) << started.error().message;
    server = std::move(*started);
    // The reviewer runs with the review rules only (as deploy/serve's ClusterRole gives them).
    json role = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                 {"kind", "ClusterRole"},
                 {"metadata", {{"name", "reviewer"}}},
                 {"rules",
                  {{{"apiGroups", {"authentication.k8s.io"}},
                    {"resources", {"tokenreviews"}},
                    {"verbs", {"create"}}},
                   {{"apiGroups", {"authorization.k8s.io"}},
                    {"resources", {"subjectaccessreviews"}},
                    {"verbs", {"create"}}}}}};
    ASSERT_TRUE(server->put_object("rbac.authorization.k8s.io/v1", "clusterroles", role));
    ASSERT_TRUE(server->put_object("rbac.authorization.k8s.io/v1", "clusterrolebindings",
                                   binding("reviewer", "reviewer", "User", "reviewer")));
    server->add_user_token("reviewer-token", "reviewer");
    client = kftenant::testing::test_api_client(*server, "reviewer-token");
    ASSERT_TRUE(client);
    reviews = std::make_unique<ClusterAccessReviews>(*client, clock);
  }

  static json binding(const std::string& name, const std::string& role, const std::string& kind,
                      const std::string& subject) {
    json s = {{"kind", kind}, {"name", subject}};
    if (kind != "ServiceAccount") s["apiGroup"] = "rbac.authorization.k8s.io";
    return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
            {"kind", "ClusterRoleBinding"},
            {"metadata", {{"name", name}}},
            {"roleRef",
             {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", role}}},
            {"subjects", {s}}};
  }

  // A ClusterRole that may update Profiles, bound to `kind`/`subject`.
  void grant_profile_update(const std::string& kind, const std::string& subject) {
    json role = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                 {"kind", "ClusterRole"},
                 {"metadata", {{"name", "profile-admin"}}},
                 {"rules",
                  {{{"apiGroups", {"kubeflow.org"}},
                    {"resources", {"profiles"}},
                    {"verbs", {"get", "update"}}}}}};
    ASSERT_TRUE(server->put_object("rbac.authorization.k8s.io/v1", "clusterroles", role));
    ASSERT_TRUE(
        server->put_object("rbac.authorization.k8s.io/v1", "clusterrolebindings",
                           binding("profile-admin-" + subject, "profile-admin", kind, subject)));
  }

  int reviews_asked(const std::string& resource) const {
    int n = 0;
    for (const auto& r : server->requests())
      if (r.path.ends_with("/" + resource)) ++n;
    return n;
  }

  std::unique_ptr<testserver::ApiServer> server;
  std::unique_ptr<kube::Client> client;
  std::shared_ptr<kftenant::testing::FakeClock> clock =
      std::make_shared<kftenant::testing::FakeClock>();
  std::unique_ptr<ClusterAccessReviews> reviews;
};

TEST_F(AccessReviewTest, AnAcceptedTokenGivesItsUserAndGroupsAsTheApiServerHasThem) {
  server->add_user_token("alice-token", "alice@example.com", {"team-a", "ml"});
  auto user = reviews->review_token("alice-token");
  ASSERT_TRUE(user) << user.error().message;
  EXPECT_EQ(user->username, "alice@example.com");
  EXPECT_THAT(user->groups, Contains("team-a"));
  EXPECT_THAT(user->groups, Contains("ml"));
  EXPECT_THAT(user->groups, Contains("system:authenticated"));
}

TEST_F(AccessReviewTest, ARejectedTokenIsUnauthorizedWithTheReasonAndNeverTheToken) {
  auto user = reviews->review_token("not-a-token-of-anyone-1234");
  ASSERT_FALSE(user);
  EXPECT_EQ(user.error().code, ErrorCode::kUnauthorized);
  EXPECT_THAT(user.error().message, HasSubstr("not accepted by the API server"));
  EXPECT_THAT(user.error().message, HasSubstr("invalid bearer token"));
  EXPECT_THAT(user.error().message, Not(HasSubstr("not-a-token-of-anyone-1234")));
}

TEST_F(AccessReviewTest, AnswersAreCachedForTheirTtlAndRejectionsForLess) {
  server->add_user_token("alice-token", "alice@example.com");
  server->clear_requests();
  ASSERT_TRUE(reviews->review_token("alice-token"));
  ASSERT_TRUE(reviews->review_token("alice-token"));
  EXPECT_EQ(reviews_asked("tokenreviews"), 1);
  clock->advance(std::chrono::seconds(59));
  ASSERT_TRUE(reviews->review_token("alice-token"));
  EXPECT_EQ(reviews_asked("tokenreviews"), 1);
  clock->advance(std::chrono::seconds(2));
  ASSERT_TRUE(reviews->review_token("alice-token"));
  EXPECT_EQ(reviews_asked("tokenreviews"), 2) << "asked again after the minute";

  // A rejected token: 10 s, so a token made just after a failed try works soon.
  server->clear_requests();
  EXPECT_FALSE(reviews->review_token("bob-token"));
  EXPECT_FALSE(reviews->review_token("bob-token"));
  EXPECT_EQ(reviews_asked("tokenreviews"), 1);
  server->add_user_token("bob-token", "bob@example.com");
  clock->advance(std::chrono::seconds(11));
  auto bob = reviews->review_token("bob-token");
  ASSERT_TRUE(bob) << bob.error().message;
  EXPECT_EQ(bob->username, "bob@example.com");
}

TEST_F(AccessReviewTest, AdministratorsAreWhoeverMayUpdateProfilesClusterWide) {
  auto no = reviews->may_administer("carol@example.com", {});
  ASSERT_TRUE(no) << no.error().message;
  EXPECT_FALSE(*no);
  ASSERT_NO_FATAL_FAILURE(grant_profile_update("User", "dave@example.com"));
  auto yes = reviews->may_administer("dave@example.com", {});
  ASSERT_TRUE(yes) << yes.error().message;
  EXPECT_TRUE(*yes);
  // By group: the groups given are the ones asked about.
  ASSERT_NO_FATAL_FAILURE(grant_profile_update("Group", "kubeflow-admins"));
  EXPECT_TRUE(reviews->may_administer("erin@example.com", {"kubeflow-admins"}).value());
  EXPECT_FALSE(reviews->may_administer("erin@example.com", {"others"}).value());
  // What was asked: update on profiles.kubeflow.org, no namespace, for the user and groups.
  server->clear_requests();
  ASSERT_TRUE(reviews->may_administer("frank@example.com", {"b", "a", "b"}));
  EXPECT_EQ(reviews_asked("subjectaccessreviews"), 1);
  // The same question in another order of groups is the cached one.
  ASSERT_TRUE(reviews->may_administer("frank@example.com", {"a", "b"}));
  EXPECT_EQ(reviews_asked("subjectaccessreviews"), 1);
}

TEST_F(AccessReviewTest, ADeniedAdministratorIsAskedAgainAfterTenSeconds) {
  EXPECT_FALSE(reviews->may_administer("gina@example.com", {}).value());
  ASSERT_NO_FATAL_FAILURE(grant_profile_update("User", "gina@example.com"));
  EXPECT_FALSE(reviews->may_administer("gina@example.com", {}).value()) << "cached";
  clock->advance(std::chrono::seconds(11));
  EXPECT_TRUE(reviews->may_administer("gina@example.com", {}).value());
}

TEST_F(AccessReviewTest, TheServersOwnAccountRefusedIsAConfigErrorNamingWhatToGrantNotCached) {
  server->add_user_token("nobody-token", "nobody");
  auto nobody = kftenant::testing::test_api_client(*server, "nobody-token");
  ASSERT_TRUE(nobody);
  ClusterAccessReviews refused(*nobody, clock);
  server->add_user_token("alice-token", "alice@example.com");
  auto user = refused.review_token("alice-token");
  ASSERT_FALSE(user);
  EXPECT_EQ(user.error().code, ErrorCode::kConfig);
  EXPECT_THAT(user.error().message, HasSubstr("`create` on tokenreviews"));
  EXPECT_THAT(user.error().message, Not(HasSubstr("alice-token")));
  auto admin = refused.may_administer("alice@example.com", {});
  ASSERT_FALSE(admin);
  EXPECT_EQ(admin.error().code, ErrorCode::kConfig);
  EXPECT_THAT(admin.error().message, HasSubstr("`create` on subjectaccessreviews"));
  // Not cached: once granted, the next request works.
  server->clear_requests();
  EXPECT_FALSE(refused.review_token("alice-token"));
  EXPECT_EQ(reviews_asked("tokenreviews"), 1);
  ASSERT_TRUE(server->put_object("rbac.authorization.k8s.io/v1", "clusterrolebindings",
                                 binding("nobody-reviews", "reviewer", "User", "nobody")));
  EXPECT_TRUE(refused.review_token("alice-token"));
}

TEST_F(AccessReviewTest, AFullCacheDropsTheExpiredFirst) {
  ClusterAccessReviews small(*client, clock,
                             {std::chrono::seconds(60), std::chrono::seconds(10), 2});
  server->add_user_token("t1", "one@example.com");
  server->add_user_token("t2", "two@example.com");
  server->add_user_token("t3", "three@example.com");
  ASSERT_TRUE(small.review_token("t1"));
  EXPECT_FALSE(small.review_token("missing"));  // expires in 10 s
  clock->advance(std::chrono::seconds(11));
  ASSERT_TRUE(small.review_token("t2"));  // full: the expired rejection goes, t1 stays
  server->clear_requests();
  ASSERT_TRUE(small.review_token("t1"));
  EXPECT_EQ(reviews_asked("tokenreviews"), 0);
  ASSERT_TRUE(small.review_token("t3"));  // full, nothing expired: everything goes
  ASSERT_TRUE(small.review_token("t1"));
  EXPECT_EQ(reviews_asked("tokenreviews"), 2);
}

}  // namespace
}  // namespace kftenant::server
