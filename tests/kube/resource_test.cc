#include "kftenant/kube/resource.h"

#include <gtest/gtest.h>

namespace kftenant::kube {
namespace {

namespace r = resources;

TEST(Resource, ApiVersion) {
  EXPECT_EQ(r::kConfigMaps.api_version(), "v1");
  EXPECT_EQ(r::kDeployments.api_version(), "apps/v1");
  EXPECT_EQ(r::kProfiles.group_resource(), "profiles.kubeflow.org");
  EXPECT_EQ(r::kConfigMaps.group_resource(), "configmaps");
}

TEST(Resource, Paths) {
  EXPECT_EQ(collection_path(r::kConfigMaps, "auth"), "/api/v1/namespaces/auth/configmaps");
  EXPECT_EQ(collection_path(r::kConfigMaps, ""), "/api/v1/configmaps");
  EXPECT_EQ(object_path(r::kConfigMaps, "auth", "dex"), "/api/v1/namespaces/auth/configmaps/dex");
  EXPECT_EQ(object_path(r::kNamespaces, "ignored", "auth"), "/api/v1/namespaces/auth");
  EXPECT_EQ(object_path(r::kProfiles, "x", "alice"), "/apis/kubeflow.org/v1/profiles/alice");
  EXPECT_EQ(subresource_path(r::kProfiles, "", "alice", "status"),
            "/apis/kubeflow.org/v1/profiles/alice/status");
  EXPECT_EQ(object_path(r::kDeployments, "auth", "dex"),
            "/apis/apps/v1/namespaces/auth/deployments/dex");
  EXPECT_EQ(collection_path(r::kAuthorizationPolicies, "kubeflow-user"),
            "/apis/security.istio.io/v1beta1/namespaces/kubeflow-user/authorizationpolicies");
  EXPECT_EQ(collection_path(r::kDexPasswords, "auth"),
            "/apis/dex.coreos.com/v1/namespaces/auth/passwords");
  EXPECT_EQ(object_path(r::kClusterRoles, "", "kubeflow-admin"),
            "/apis/rbac.authorization.k8s.io/v1/clusterroles/kubeflow-admin");
}

TEST(Resource, TableLookup) {
  auto lease = find_builtin("coordination.k8s.io/v1", "Lease");
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->resource, "leases");
  EXPECT_TRUE(lease->namespaced);
  auto crd = find_builtin("apiextensions.k8s.io/v1", "CustomResourceDefinition");
  ASSERT_TRUE(crd);
  EXPECT_FALSE(crd->namespaced);
  EXPECT_FALSE(find_builtin("v1", "Lease"));
  EXPECT_FALSE(find_builtin("kubeflow.org/v1beta1", "Profile"));
  EXPECT_EQ(builtin_resources().size(), 15u);
}

TEST(Resource, QueryEncodingMatchesGo) {
  // As recorded in 07-list-paging.json.
  Query q;
  q.add("labelSelector", "rec-set in (page,other),rec-set!=page");
  EXPECT_EQ(q.str(), "?labelSelector=rec-set+in+%28page%2Cother%29%2Crec-set%21%3Dpage");
  Query q2;
  q2.add("labelSelector", "rec-set=page").add("limit", "2").add_if("continue", "");
  EXPECT_EQ(q2.str(), "?labelSelector=rec-set%3Dpage&limit=2");
  EXPECT_EQ(Query().str(), "");
  EXPECT_EQ(query_escape("a/b~c_d.e-f"), "a%2Fb~c_d.e-f");
}

TEST(Resource, PathSegmentValidation) {
  EXPECT_TRUE(validate_path_segment("dex", "name"));
  EXPECT_FALSE(validate_path_segment("", "name"));
  EXPECT_FALSE(validate_path_segment("..", "name"));
  auto bad = validate_path_segment("a/b", "name");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("a/b"), std::string::npos);
  EXPECT_FALSE(validate_path_segment("a%2F", "name"));
}

TEST(Resource, ParseApiResourceList) {  // 14-discovery.json (trimmed)
  auto doc = nlohmann::json::parse(
      R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"kubeflow.org/v1","resources":[
    {"name":"profiles","singularName":"profile","namespaced":false,"kind":"Profile","verbs":["get"]},
    {"name":"profiles/status","singularName":"","namespaced":false,"kind":"Profile","verbs":["get"]}]})");
  auto list = parse_api_resource_list(doc);
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0], r::kProfiles);
  EXPECT_FALSE(parse_api_resource_list(nlohmann::json::parse(R"({"kind":"APIVersions"})")));
  auto core = parse_api_resource_list(nlohmann::json::parse(
      R"({"groupVersion":"v1","resources":[{"name":"configmaps","namespaced":true,"kind":"ConfigMap"},{"name":7}]})"));
  ASSERT_TRUE(core);
  ASSERT_EQ(core->size(), 1u);
  EXPECT_EQ((*core)[0], r::kConfigMaps);
}

}  // namespace
}  // namespace kftenant::kube
