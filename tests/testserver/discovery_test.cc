// Discovery documents compared with 14-discovery (trimmed there to the resources this project
// uses; the test server serves exactly those).
#include "testserver/discovery.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "testserver/seed_kubeflow.h"

namespace kftenant::testserver {
namespace {

using ojson = nlohmann::ordered_json;

std::vector<ResourceInfo> seed_crd_resources() {
  std::vector<ResourceInfo> out;
  for (const auto& obj : kubeflow_seed_objects())
    if (obj["kind"] == "CustomResourceDefinition")
      for (auto& r : resources_from_crd(obj)) out.push_back(std::move(r));
  return out;
}

TEST(Discovery, StorageVersionHashesMatchTheRealServer) {
  EXPECT_EQ(storage_version_hash("", "v1", "ConfigMap"), "qFsyl6wFWjQ=");
  EXPECT_EQ(storage_version_hash("", "v1", "Namespace"), "Q3oi5N2YM8M=");
  EXPECT_EQ(storage_version_hash("apps", "v1", "Deployment"), "8aSe+NMegvE=");
  EXPECT_EQ(storage_version_hash("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"),
            "48tpQ8gZHFc=");
  EXPECT_EQ(storage_version_hash("coordination.k8s.io", "v1", "Lease"), "gqkMMb/YqFM=");
  EXPECT_EQ(storage_version_hash("kubeflow.org", "v1", "Profile"), "J9V9X1yuJWI=");
}

TEST(Discovery, ApiVersions) {
  EXPECT_EQ(
      api_versions_document("127.0.0.1:6443").dump(),
      R"({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:6443"}]})");
}

TEST(Discovery, CoreResourceList) {
  auto doc = api_resource_list_document("", "v1", {});
  ASSERT_TRUE(doc.has_value());
  // No apiVersion key on /api/v1, as the real server.
  EXPECT_EQ(doc->dump(), ojson::parse(R"({"kind":"APIResourceList","groupVersion":"v1","resources":[
    {"name":"configmaps","singularName":"","namespaced":true,"kind":"ConfigMap","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["cm"],"storageVersionHash":"qFsyl6wFWjQ="},
    {"name":"namespaces","singularName":"","namespaced":false,"kind":"Namespace","verbs":["create","delete","get","list","patch","update","watch"],"shortNames":["ns"],"storageVersionHash":"Q3oi5N2YM8M="},
    {"name":"namespaces/finalize","singularName":"","namespaced":false,"kind":"Namespace","verbs":["update"]},
    {"name":"namespaces/status","singularName":"","namespaced":false,"kind":"Namespace","verbs":["get","patch","update"]},
    {"name":"resourcequotas","singularName":"","namespaced":true,"kind":"ResourceQuota","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["quota"],"storageVersionHash":"8uhSgffRX6w="},
    {"name":"resourcequotas/status","singularName":"","namespaced":true,"kind":"ResourceQuota","verbs":["get","patch","update"]},
    {"name":"secrets","singularName":"","namespaced":true,"kind":"Secret","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"storageVersionHash":"S6u1pOWzb84="},
    {"name":"serviceaccounts","singularName":"","namespaced":true,"kind":"ServiceAccount","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["sa"],"storageVersionHash":"pbx9ZvyFpBE="},
    {"name":"serviceaccounts/token","singularName":"","namespaced":true,"group":"authentication.k8s.io","version":"v1","kind":"TokenRequest","verbs":["create"]}]})")
                             .dump());
}

TEST(Discovery, GroupResourceLists) {
  auto apps = api_resource_list_document("apps", "v1", {});
  ASSERT_TRUE(apps.has_value());
  EXPECT_EQ(
      apps->dump(),
      ojson::parse(
          R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"apps/v1","resources":[
    {"name":"deployments","singularName":"","namespaced":true,"kind":"Deployment","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["deploy"],"categories":["all"],"storageVersionHash":"8aSe+NMegvE="},
    {"name":"deployments/scale","singularName":"","namespaced":true,"group":"autoscaling","version":"v1","kind":"Scale","verbs":["get","patch","update"]},
    {"name":"deployments/status","singularName":"","namespaced":true,"kind":"Deployment","verbs":["get","patch","update"]}]})")
          .dump());

  auto rbac = api_resource_list_document("rbac.authorization.k8s.io", "v1", {});
  ASSERT_TRUE(rbac.has_value());
  EXPECT_EQ(
      rbac->dump(),
      ojson::parse(
          R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"rbac.authorization.k8s.io/v1","resources":[
    {"name":"clusterrolebindings","singularName":"","namespaced":false,"kind":"ClusterRoleBinding","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"storageVersionHash":"48tpQ8gZHFc="},
    {"name":"clusterroles","singularName":"","namespaced":false,"kind":"ClusterRole","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"storageVersionHash":"bYE5ZWDrJ44="},
    {"name":"rolebindings","singularName":"","namespaced":true,"kind":"RoleBinding","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"storageVersionHash":"eGsCzGH6b1g="},
    {"name":"roles","singularName":"","namespaced":true,"kind":"Role","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"storageVersionHash":"7FuwZcIIItM="}]})")
          .dump());

  auto leases = api_resource_list_document("coordination.k8s.io", "v1", {});
  ASSERT_TRUE(leases.has_value());
  EXPECT_EQ(
      leases->dump(),
      R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"coordination.k8s.io/v1","resources":[{"name":"leases","singularName":"","namespaced":true,"kind":"Lease","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"storageVersionHash":"gqkMMb/YqFM="}]})");

  EXPECT_FALSE(api_resource_list_document("apps", "v2", {}).has_value());
  EXPECT_FALSE(api_resource_list_document("example.com", "v1", {}).has_value());
}

TEST(Discovery, CustomResourceLists) {
  auto crds = seed_crd_resources();
  for (const char* version : {"v1", "v1beta1"}) {
    auto doc = api_resource_list_document("kubeflow.org", version, crds);
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ(
        doc->dump(),
        ojson::parse(
            std::string(
                R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"kubeflow.org/)") +
            version + R"(","resources":[
      {"name":"profiles","singularName":"profile","namespaced":false,"kind":"Profile","verbs":["delete","deletecollection","get","list","patch","create","update","watch"],"storageVersionHash":"J9V9X1yuJWI="},
      {"name":"profiles/status","singularName":"","namespaced":false,"kind":"Profile","verbs":["get","patch","update"]}]})")
            .dump());
  }
  auto istio = api_resource_list_document("security.istio.io", "v1beta1", crds);
  ASSERT_TRUE(istio.has_value());
  EXPECT_EQ(
      istio->dump(),
      ojson::parse(
          R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"security.istio.io/v1beta1","resources":[
    {"name":"authorizationpolicies","singularName":"authorizationpolicy","namespaced":true,"kind":"AuthorizationPolicy","verbs":["delete","deletecollection","get","list","patch","create","update","watch"],"shortNames":["ap"],"categories":["istio-io","security-istio-io"],"storageVersionHash":"FOwZN/yQG9M="},
    {"name":"authorizationpolicies/status","singularName":"","namespaced":true,"kind":"AuthorizationPolicy","verbs":["get","patch","update"]}]})")
          .dump());
  auto dex = api_resource_list_document("dex.coreos.com", "v1", crds);
  ASSERT_TRUE(dex.has_value());
  // All ten of Dex's CRDs; these two entries as recorded.
  ASSERT_EQ((*dex)["resources"].size(), 10u);
  std::map<std::string, std::string> by_name;
  for (const auto& r : (*dex)["resources"]) by_name[r["name"]] = r.dump();
  EXPECT_EQ(
      by_name["authcodes"],
      R"({"name":"authcodes","singularName":"authcode","namespaced":true,"kind":"AuthCode","verbs":["delete","deletecollection","get","list","patch","create","update","watch"],"storageVersionHash":"r/OkITXQCG8="})");
  EXPECT_EQ(
      by_name["passwords"],
      R"({"name":"passwords","singularName":"password","namespaced":true,"kind":"Password","verbs":["delete","deletecollection","get","list","patch","create","update","watch"],"storageVersionHash":"dEjBTQ2Ay+c="})");
}

TEST(Discovery, GroupListOrder) {
  auto doc = api_group_list_document(seed_crd_resources());
  EXPECT_EQ(doc["kind"], "APIGroupList");
  std::vector<std::string> names;
  for (const auto& g : doc["groups"]) names.push_back(g["name"]);
  // The review APIs' groups come after apps (kube-aggregator's priorities 17700, 17600).
  EXPECT_THAT(names, testing::ElementsAre("apps", "authentication.k8s.io", "authorization.k8s.io",
                                          "rbac.authorization.k8s.io", "apiextensions.k8s.io",
                                          "coordination.k8s.io", "dex.coreos.com", "kubeflow.org",
                                          "security.istio.io"));
  EXPECT_EQ(
      doc["groups"][7].dump(),
      R"({"name":"kubeflow.org","versions":[{"groupVersion":"kubeflow.org/v1","version":"v1"},{"groupVersion":"kubeflow.org/v1beta1","version":"v1beta1"}],"preferredVersion":{"groupVersion":"kubeflow.org/v1","version":"v1"}})");
}

TEST(Discovery, Group) {
  auto doc = api_group_document("security.istio.io", seed_crd_resources());
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(
      doc->dump(),
      R"({"kind":"APIGroup","apiVersion":"v1","name":"security.istio.io","versions":[{"groupVersion":"security.istio.io/v1","version":"v1"},{"groupVersion":"security.istio.io/v1beta1","version":"v1beta1"}],"preferredVersion":{"groupVersion":"security.istio.io/v1","version":"v1"}})");
  EXPECT_FALSE(api_group_document("nope.example.com", {}).has_value());
}

TEST(Discovery, KubeVersionOrder) {
  std::vector<std::string> v = {"v1beta1", "foo", "v1alpha1",  "v2",       "v1",     "v11alpha2",
                                "v10",     "bar", "v12alpha1", "v10beta3", "v3beta1"};
  std::sort(v.begin(), v.end(),
            [](const auto& a, const auto& b) { return compare_kube_versions(a, b) < 0; });
  // The rules of k8s.io/apimachinery/pkg/version/helpers.go: GA, beta, alpha, then the rest.
  EXPECT_THAT(v, testing::ElementsAre("v10", "v2", "v1", "v10beta3", "v3beta1", "v1beta1",
                                      "v12alpha1", "v11alpha2", "v1alpha1", "bar", "foo"));
}

TEST(Discovery, Lookup) {
  const auto* d = find_resource("apps", "v1", "deployments");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, "Deployment");
  EXPECT_EQ(d->group_resource(), "deployments.apps");
  EXPECT_NE(find_resource("apps", "v1", "deployments/scale"), nullptr);
  EXPECT_EQ(find_resource("", "v1", "pods"), nullptr);
  auto crds = seed_crd_resources();
  const auto* p = find_resource_by_kind("kubeflow.org", "v1beta1", "Profile", crds);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "profiles");
  EXPECT_FALSE(p->namespaced);
  EXPECT_EQ(find_resource_by_kind("", "v1", "Namespace")->name, "namespaces");
  EXPECT_TRUE(resources_from_crd(nlohmann::json::object()).empty());
}

}  // namespace
}  // namespace kftenant::testserver
