// SelfSubjectAccessReview: the same authorizer as requests, with the real status (allowed and
// the RBAC reason naming the binding; denied without reason, or with the resolution errors).
#include "rbac_test_util.h"

namespace kftenant::testserver::testing {
namespace {

using ReviewTest = RbacTest;

TEST_F(ReviewTest, AllowedNamesTheBindingThatAllowed) {
  create_role("rec", role_object("cm-a-editor", "rec",
                                 {rule({""}, {"configmaps"}, {"get", "update"}, {"rec-cm-a"})}));
  create_role_binding("rec",
                      role_binding("alice-cm-a", "rec", "Role", "cm-a-editor", {user("alice")}));
  auto alice = as("alice");
  auto r = alice->post(kSsar, resource_review({{"namespace", "rec"},
                                               {"verb", "update"},
                                               {"resource", "configmaps"},
                                               {"name", "rec-cm-a"}}));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(
      r.body,
      R"({"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"namespace":"rec","verb":"update","resource":"configmaps","name":"rec-cm-a"}},"status":{"allowed":true,"reason":"RBAC: allowed by RoleBinding \"alice-cm-a/rec\" of Role \"cm-a-editor\" to User \"alice\""}})");
  // Other name, namespace or verb: no rule matched, no reason (13-auth).
  for (const json& attrs :
       {json{{"namespace", "rec"}, {"verb", "update"}, {"resource", "configmaps"}, {"name", "b"}},
        json{{"namespace", "x"}, {"verb", "get"}, {"resource", "configmaps"}, {"name", "rec-cm-a"}},
        json{{"namespace", "rec"}, {"verb", "create"}, {"resource", "configmaps"}},
        json{{"namespace", "rec"}, {"verb", "list"}, {"resource", "configmaps"}}}) {
    EXPECT_EQ(review_status(*alice, resource_review(attrs)), (json{{"allowed", false}})) << attrs;
  }
}

TEST_F(ReviewTest, ClusterScopedProfiles) {
  create_profile_crd();
  create_cluster_role(cluster_role_object(
      "profile-creator", {rule({"kubeflow.org"}, {"profiles"}, {"create", "get", "list"})}));
  create_cluster_role_binding(
      cluster_role_binding("creators", "profile-creator", {group("profile-creators")}));
  auto carol = as("carol", {"profile-creators"});
  json create = {{"verb", "create"}, {"group", "kubeflow.org"}, {"resource", "profiles"}};
  EXPECT_EQ(review_status(*carol, resource_review(create)),
            (json{{"allowed", true},
                  {"reason",
                   "RBAC: allowed by ClusterRoleBinding \"creators\" of ClusterRole "
                   "\"profile-creator\" to Group \"profile-creators\""}}));
  // The answer matches what the request then gets.
  EXPECT_EQ(carol->post("/apis/kubeflow.org/v1/profiles", profile("carols")).status, 201);
  json remove = {
      {"verb", "delete"}, {"group", "kubeflow.org"}, {"resource", "profiles"}, {"name", "carols"}};
  EXPECT_EQ(review_status(*carol, resource_review(remove)), (json{{"allowed", false}}));
  EXPECT_EQ(carol->del("/apis/kubeflow.org/v1/profiles/carols").j()["message"],
            "profiles.kubeflow.org \"carols\" is forbidden: User \"carol\" cannot delete "
            "resource \"profiles\" in API group \"kubeflow.org\" at the cluster scope");
  // A RoleBinding to the same ClusterRole grants nothing cluster-scoped.
  create_role_binding(
      "rec", role_binding("dave", "rec", "ClusterRole", "profile-creator", {user("dave")}));
  auto dave = as("dave");
  EXPECT_EQ(review_status(*dave, resource_review(create)), (json{{"allowed", false}}));
  json in_rec = create;
  in_rec["namespace"] = "rec";
  EXPECT_EQ(review_status(*dave, resource_review(in_rec))["allowed"], true);
  EXPECT_EQ(dave->post("/apis/kubeflow.org/v1/profiles", profile("daves")).status, 403);
}

TEST_F(ReviewTest, SubresourcesAndNonResourceAttributes) {
  create_role("rec",
              role_object("status", "rec", {rule({"apps"}, {"deployments/status"}, {"update"})}));
  create_role_binding("rec", role_binding("alice", "rec", "Role", "status", {user("alice")}));
  auto alice = as("alice");
  json status = {{"namespace", "rec"},
                 {"verb", "update"},
                 {"group", "apps"},
                 {"resource", "deployments"},
                 {"subresource", "status"}};
  EXPECT_EQ(review_status(*alice, resource_review(status))["allowed"], true);
  status.erase("subresource");
  EXPECT_EQ(review_status(*alice, resource_review(status)), (json{{"allowed", false}}));

  json discovery = {{"spec", {{"nonResourceAttributes", {{"path", "/apis"}, {"verb", "get"}}}}}};
  auto r = alice->post(kSsar, discovery);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.oj()["spec"].dump(), R"({"nonResourceAttributes":{"path":"/apis","verb":"get"}})");
  EXPECT_EQ(r.j()["status"],
            (json{{"allowed", true},
                  {"reason",
                   "RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole "
                   "\"system:discovery\" to Group \"system:authenticated\""}}));
  json metrics = {{"spec", {{"nonResourceAttributes", {{"path", "/metrics"}, {"verb", "get"}}}}}};
  EXPECT_EQ(review_status(*alice, metrics), (json{{"allowed", false}}));
}

TEST_F(ReviewTest, DeniedWithResolutionErrors) {
  create_role_binding("rec", role_binding("ghost", "rec", "Role", "ghost", {user("alice")}));
  create_cluster_role_binding(cluster_role_binding("phantom", "phantom", {user("alice")}));
  auto alice = as("alice");
  json get = {{"namespace", "rec"}, {"verb", "get"}, {"resource", "configmaps"}};
  EXPECT_EQ(review_status(*alice, resource_review(get)),
            (json{{"allowed", false},
                  {"reason",
                   "RBAC: [clusterrole.rbac.authorization.k8s.io \"phantom\" not found, "
                   "role.rbac.authorization.k8s.io \"ghost\" not found]"}}));
  // The errors of bindings that do not apply to the user are not reported.
  EXPECT_EQ(review_status(*as("bob"), resource_review(get)), (json{{"allowed", false}}));
}

TEST_F(ReviewTest, MastersAnonymousAndInvalidReviews) {
  json anything = {{"namespace", "rec"}, {"verb", "delete"}, {"resource", "secrets"}};
  // system:masters is allowed before RBAC is asked: no reason.
  EXPECT_EQ(review_status(*admin, resource_review(anything)), (json{{"allowed", true}}));
  Client anonymous(*server, std::string());
  auto anon = anonymous.post(kSsar, resource_review(anything));
  EXPECT_EQ(anon.status, 403);
  EXPECT_EQ(anon.j()["message"],
            "selfsubjectaccessreviews.authorization.k8s.io is forbidden: User "
            "\"system:anonymous\" cannot create resource \"selfsubjectaccessreviews\" in API "
            "group \"authorization.k8s.io\" at the cluster scope");
  auto alice = as("alice");
  auto neither = alice->post(kSsar, {{"spec", json::object()}});
  EXPECT_EQ(neither.status, 422);
  EXPECT_EQ(neither.j()["message"],
            // The kind is empty in the real message (tests/differential k02-access-reviews).
            ".authorization.k8s.io \"\" is invalid: spec.resourceAttributes: "
            "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes "
            "must be specified");
  auto both =
      alice->post(kSsar, {{"spec",
                           {{"resourceAttributes", {{"verb", "get"}}},
                            {"nonResourceAttributes", {{"path", "/api"}, {"verb", "get"}}}}}});
  EXPECT_EQ(both.status, 422);
  EXPECT_EQ(both.j()["message"],
            ".authorization.k8s.io \"\" is invalid: "
            "spec.nonResourceAttributes: Invalid value: "
            "authorization.NonResourceAttributes{Path:\"/api\", Verb:\"get\"}: cannot be "
            "specified in combination with resourceAttributes");
}

}  // namespace
}  // namespace kftenant::testserver::testing
