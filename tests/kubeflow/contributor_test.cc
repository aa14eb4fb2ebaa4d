// Contributors as KFAM makes and lists them (kfam/bindings.go).
#include "kftenant/kubeflow/contributor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kftenant/kubeflow/naming.h"

namespace {

using kftenant::ErrorCode;
using namespace kftenant::kubeflow;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(Role, ParseAndNames) {
  EXPECT_EQ(parse_role("admin"), Role::kAdmin);
  EXPECT_EQ(parse_role("edit"), Role::kEdit);
  EXPECT_EQ(parse_role("view"), Role::kView);
  for (const char* bad : {"", "Admin", "owner", "contributor", "kubeflow-edit", "edit "}) {
    auto r = parse_role(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr("use admin, edit or view"));
  }
  EXPECT_EQ(cluster_role_name(Role::kEdit), "kubeflow-edit");
  EXPECT_EQ(to_string(Role::kView), "view");
}

TEST(BuildContributor, RoleBindingIsWhatKfamCreates) {
  json rb = build_contributor_role_binding("alice", "bob@example.com", Role::kEdit);
  EXPECT_EQ(rb, json::parse(R"({
    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
    "metadata": {"name": "user-bob-example-com-clusterrole-edit", "namespace": "alice",
                 "annotations": {"user": "bob@example.com", "role": "edit"}},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kubeflow-edit"},
    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob@example.com"}]
  })"));
}

TEST(BuildContributor, PolicyIsWhatKfamCreates) {
  json p = build_contributor_policy("alice", "bob@example.com", Role::kView);
  EXPECT_EQ(p, json::parse(R"({
    "apiVersion": "security.istio.io/v1beta1", "kind": "AuthorizationPolicy",
    "metadata": {"name": "user-bob-example-com-clusterrole-view", "namespace": "alice",
                 "annotations": {"user": "bob@example.com", "role": "view"}},
    "spec": {"rules": [{
      "from": [{"source": {"principals": [
        "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
        "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"]}}],
      "when": [{"key": "request.headers[kubeflow-userid]", "values": ["bob@example.com"]}]}]}
  })"));
  EXPECT_FALSE(p["spec"].contains("action"));  // KFAM leaves it unset: ALLOW
}

TEST(BuildContributor, PolicyHonoursHeaderPrefixAndPrincipals) {
  ContributorOptions options;
  options.userid_header = "x-goog-authenticated-user-email";
  options.userid_prefix = "accounts.google.com:";
  options.principals = {"cluster.local/ns/gw/sa/gw"};
  json p = build_contributor_policy("ns", "u@x.com", Role::kAdmin, options);
  const json& rule = p["spec"]["rules"][0];
  EXPECT_EQ(rule["when"][0]["key"], "request.headers[x-goog-authenticated-user-email]");
  EXPECT_EQ(rule["when"][0]["values"], json::array({"accounts.google.com:u@x.com"}));
  EXPECT_EQ(rule["from"][0]["source"]["principals"], json::array({"cluster.local/ns/gw/sa/gw"}));
}

json owner_binding(const std::string& ns, const std::string& owner) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "RoleBinding"},
          {"metadata",
           {{"name", "namespaceAdmin"},
            {"namespace", ns},
            {"annotations", {{"user", owner}, {"role", "admin"}}}}},
          {"roleRef",
           {{"apiGroup", "rbac.authorization.k8s.io"},
            {"kind", "ClusterRole"},
            {"name", "kubeflow-admin"}}},
          {"subjects", json::array({{{"kind", "User"}, {"name", owner}}})}};
}

json owner_policy(const std::string& ns, const std::string& owner) {
  return {{"apiVersion", "security.istio.io/v1beta1"},
          {"kind", "AuthorizationPolicy"},
          {"metadata",
           {{"name", "ns-owner-access-istio"},
            {"namespace", ns},
            {"annotations", {{"user", owner}, {"role", "admin"}}}}}};
}

json sa_binding(const std::string& ns) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "RoleBinding"},
          {"metadata", {{"name", "default-editor"}, {"namespace", ns}}},
          {"roleRef", {{"kind", "ClusterRole"}, {"name", "kubeflow-edit"}}},
          {"subjects", json::array({{{"kind", "ServiceAccount"}, {"name", "default-editor"}}})}};
}

TEST(Contributors, KfamViewOfAHealthyProfile) {
  std::vector<json> rbs = {
      build_contributor_role_binding("alice", "zed@example.com", Role::kView),
      sa_binding("alice"),  // no annotations: KFAM ignores it
      build_contributor_role_binding("alice", "bob@example.com", Role::kEdit),
      owner_binding("alice", "alice@example.com"),
  };
  std::vector<json> policies = {
      build_contributor_policy("alice", "bob@example.com", Role::kEdit),
      build_contributor_policy("alice", "zed@example.com", Role::kView),
      owner_policy("alice", "alice@example.com"),
  };
  auto cs = contributors_from(rbs, policies);
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[0].email, "alice@example.com");
  EXPECT_TRUE(cs[0].is_owner);
  EXPECT_EQ(cs[0].role, Role::kAdmin);
  EXPECT_EQ(cs[0].binding_name, "namespaceAdmin");
  EXPECT_TRUE(cs[0].has_policy);
  EXPECT_THAT(cs[0].problems, IsEmpty());
  EXPECT_EQ(cs[1].email, "bob@example.com");
  EXPECT_EQ(cs[1].role, Role::kEdit);
  EXPECT_EQ(cs[1].binding_name, binding_name("User", "bob@example.com", "edit"));
  EXPECT_TRUE(cs[1].has_binding);
  EXPECT_TRUE(cs[1].has_policy);
  EXPECT_FALSE(cs[1].is_owner);
  EXPECT_THAT(cs[1].problems, IsEmpty());
  EXPECT_EQ(cs[2].email, "zed@example.com");
  EXPECT_EQ(cs[2].role, Role::kView);
  EXPECT_THAT(cs[2].problems, IsEmpty());
}

TEST(Contributors, FlagsMissingAndMismatchedHalves) {
  json no_policy = build_contributor_role_binding("alice", "bob@example.com", Role::kEdit);
  json wrong_role = build_contributor_role_binding("alice", "carol@example.com", Role::kEdit);
  wrong_role["roleRef"]["name"] = "kubeflow-view";
  json two_subjects = build_contributor_role_binding("alice", "dave@example.com", Role::kView);
  two_subjects["subjects"].push_back({{"kind", "User"}, {"name", "eve@example.com"}});
  json odd_ref = build_contributor_role_binding("alice", "frank@example.com", Role::kEdit);
  odd_ref["roleRef"]["name"] = "edit";
  json only_role_annotation = build_contributor_role_binding("alice", "x@example.com", Role::kEdit);
  only_role_annotation["metadata"]["annotations"].erase("user");

  std::vector<json> policies = {
      build_contributor_policy("alice", "carol@example.com", Role::kEdit),
      build_contributor_policy("alice", "dave@example.com", Role::kView),
      build_contributor_policy("alice", "frank@example.com", Role::kEdit),
      build_contributor_policy("alice", "gina@example.com", Role::kView),  // orphan
  };
  auto cs = contributors_from({no_policy, wrong_role, two_subjects, odd_ref, only_role_annotation},
                              policies);
  ASSERT_EQ(cs.size(), 5u);

  EXPECT_EQ(cs[0].email, "bob@example.com");
  EXPECT_FALSE(cs[0].has_policy);
  EXPECT_THAT(cs[0].problems,
              ElementsAre(HasSubstr("AuthorizationPolicy alice/user-bob-example-com-"
                                    "clusterrole-edit missing")));

  EXPECT_EQ(cs[1].email, "carol@example.com");
  EXPECT_EQ(cs[1].role, Role::kView);  // KFAM reports the roleRef
  EXPECT_THAT(cs[1].problems, ElementsAre(HasSubstr("role annotation \"edit\" differs from roleRef "
                                                    "kubeflow-view")));

  EXPECT_EQ(cs[2].email, "dave@example.com");
  EXPECT_THAT(cs[2].problems, ElementsAre(HasSubstr("has 2 subjects")));

  EXPECT_EQ(cs[3].email, "frank@example.com");
  EXPECT_EQ(cs[3].role, Role::kEdit);  // from the annotation
  EXPECT_THAT(cs[3].problems, ElementsAre(HasSubstr("ClusterRole \"edit\", not a Kubeflow role")));

  EXPECT_EQ(cs[4].email, "gina@example.com");
  EXPECT_FALSE(cs[4].has_binding);
  EXPECT_TRUE(cs[4].has_policy);
  EXPECT_EQ(cs[4].role, Role::kView);
  EXPECT_THAT(cs[4].problems, ElementsAre(HasSubstr("RoleBinding alice/user-gina-example-com-"
                                                    "clusterrole-view missing")));
}

TEST(Contributors, SubjectDifferentFromAnnotation) {
  json rb = build_contributor_role_binding("alice", "bob@example.com", Role::kEdit);
  rb["subjects"][0]["name"] = "mallory@example.com";
  auto cs =
      contributors_from({rb}, {build_contributor_policy("alice", "bob@example.com", Role::kEdit)});
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_THAT(cs[0].problems, ElementsAre(HasSubstr("binds \"mallory@example.com\"")));
}

TEST(Contributors, OwnerWithoutItsPolicy) {
  auto cs = contributors_from({owner_binding("alice", "alice@example.com")}, {});
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_TRUE(cs[0].is_owner);
  EXPECT_FALSE(cs[0].has_policy);
  EXPECT_THAT(cs[0].problems, ElementsAre(HasSubstr("alice/ns-owner-access-istio missing")));
}

TEST(Contributors, MalformedObjectsDoNotThrow) {
  std::vector<json> junk = {json(), json::array(), json::parse(R"({"metadata":7})"),
                            json::parse(R"({"metadata":{"annotations":{"user":1,"role":"edit"}}})"),
                            json::parse(R"({"metadata":{"annotations":{"user":"u","role":"edit"}},
                                            "subjects":"x","roleRef":5})")};
  auto cs = contributors_from(junk, junk);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].email, "u");
  EXPECT_FALSE(cs[0].problems.empty());
}

}  // namespace
