#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "kftenant/base64.h"
#include "kftenant/kube/quantity.h"
#include "kftenant/yaml.h"
#include "testserver/discovery.h"
#include "testserver/seed_kubeflow.h"
#include "testserver/validation.h"

namespace kftenant::testserver {
namespace {

using nlohmann::json;

const json* find(const std::vector<json>& objs, std::string_view kind, std::string_view name) {
  for (const auto& o : objs)
    if (o["kind"] == kind && o["metadata"]["name"] == name) return &o;
  return nullptr;
}

TEST(KubeflowSeed, CreationOrderAndNoServerFields) {
  auto objs = kubeflow_seed_objects();
  std::vector<std::string> names;
  for (const auto& o : objs) {
    names.push_back(o["kind"].get<std::string>() + "/" + o["metadata"]["name"].get<std::string>());
    EXPECT_FALSE(o["metadata"].contains("uid"));
    EXPECT_FALSE(o["metadata"].contains("resourceVersion"));
    EXPECT_FALSE(o["metadata"].contains("creationTimestamp"));
    EXPECT_FALSE(o.contains("status"));
    EXPECT_TRUE(validate_object_name(o["metadata"], NameRule::kDns1123Subdomain).empty());
  }
  EXPECT_THAT(names,
              testing::ElementsAre(
                  "Namespace/auth", "Namespace/kubeflow", "Namespace/istio-system",
                  "CustomResourceDefinition/profiles.kubeflow.org",
                  "CustomResourceDefinition/authcodes.dex.coreos.com",
                  "CustomResourceDefinition/authrequests.dex.coreos.com",
                  "CustomResourceDefinition/oauth2clients.dex.coreos.com",
                  "CustomResourceDefinition/signingkeies.dex.coreos.com",
                  "CustomResourceDefinition/refreshtokens.dex.coreos.com",
                  "CustomResourceDefinition/passwords.dex.coreos.com",
                  "CustomResourceDefinition/offlinesessionses.dex.coreos.com",
                  "CustomResourceDefinition/connectors.dex.coreos.com",
                  "CustomResourceDefinition/devicerequests.dex.coreos.com",
                  "CustomResourceDefinition/devicetokens.dex.coreos.com",
                  "CustomResourceDefinition/authorizationpolicies.security.istio.io",
                  "ClusterRole/kubeflow-admin", "ClusterRole/kubeflow-edit",
                  "ClusterRole/kubeflow-view", "ClusterRole/kubeflow-kubernetes-admin",
                  "ClusterRole/kubeflow-kubernetes-edit", "ClusterRole/kubeflow-kubernetes-view",
                  "ServiceAccount/dex", "ConfigMap/dex", "Secret/dex-passwords",
                  "Secret/dex-oidc-client", "Deployment/dex", "Profile/kubeflow-user-example-com"));
  // Everything namespaced lives in auth, which comes first.
  for (const auto& o : objs) {
    if (o["metadata"].contains("namespace")) {
      EXPECT_EQ(o["metadata"]["namespace"], "auth");
    }
  }
}

TEST(KubeflowSeed, DexConfigIsKubeflows) {
  auto objs = kubeflow_seed_objects();
  const json* cm = find(objs, "ConfigMap", "dex");
  ASSERT_NE(cm, nullptr);
  std::string text = (*cm)["data"]["config.yaml"];
  EXPECT_EQ(text, kubeflow_dex_config_yaml());
  // The same bytes as Kubeflow's own manifest (tests/data holds it unmodified), so the fake's
  // cluster starts from what a Kubeflow install has.
  std::ifstream in(
      std::string(KFTENANT_SOURCE_DIR) +
      "/tests/data/kubeflow-manifests/common/dex/overlays/oauth2-proxy/config-map.yaml");
  ASSERT_TRUE(in) << "tests/data/kubeflow-manifests is missing";
  std::stringstream manifest;
  manifest << in.rdbuf();
  auto shipped = yaml::parse(manifest.str(), "config-map.yaml");
  ASSERT_TRUE(shipped.has_value()) << shipped.error().message;
  EXPECT_EQ((*shipped)["kind"], "ConfigMap");
  EXPECT_EQ((*shipped)["metadata"]["name"], "dex");
  EXPECT_EQ(text, (*shipped)["data"]["config.yaml"].get<std::string>());
  // Quoting that matters to anything editing the file in place.
  EXPECT_THAT(text, testing::HasSubstr("  userID: \"15841185641784\"\n"));
  EXPECT_THAT(text, testing::HasSubstr("  level: \"debug\"\n"));
  EXPECT_THAT(text, testing::HasSubstr("  name: 'Dex Login Application'\n"));
  EXPECT_THAT(text,
              testing::HasSubstr("staticClients:\n# https://github.com/dexidp/dex/pull/1664\n"));

  auto parsed = yaml::parse(text, "config.yaml");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ((*parsed)["issuer"], "http://dex.auth.svc.cluster.local:5556/dex");
  EXPECT_EQ((*parsed)["storage"],
            json::parse(R"({"type":"kubernetes","config":{"inCluster":true}})"));
  EXPECT_EQ((*parsed)["enablePasswordDB"], true);
  EXPECT_EQ((*parsed)["oauth2"]["skipApprovalScreen"], true);
  EXPECT_EQ(
      (*parsed)["staticPasswords"],
      json::parse(
          R"([{"email":"user@example.com","hashFromEnv":"DEX_USER_PASSWORD","username":"user","userID":"15841185641784"}])"));
  EXPECT_EQ(
      (*parsed)["staticClients"],
      json::parse(
          R"([{"idEnv":"OIDC_CLIENT_ID","redirectURIs":["/oauth2/callback"],"name":"Dex Login Application","secretEnv":"OIDC_CLIENT_SECRET"}])"));
}

TEST(KubeflowSeed, SecretsAndDeployment) {
  auto objs = kubeflow_seed_objects();
  const json* pw = find(objs, "Secret", "dex-passwords");
  ASSERT_NE(pw, nullptr);
  EXPECT_EQ(base64::decode((*pw)["data"]["DEX_USER_PASSWORD"].get<std::string>()),
            std::string(kKubeflowDefaultPasswordHash));
  const json* client = find(objs, "Secret", "dex-oidc-client");
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(base64::decode((*client)["data"]["OIDC_CLIENT_ID"].get<std::string>()),
            "kubeflow-oidc-authservice");

  const json* dep = find(objs, "Deployment", "dex");
  ASSERT_NE(dep, nullptr);
  EXPECT_EQ((*dep)["apiVersion"], "apps/v1");
  EXPECT_EQ((*dep)["spec"]["replicas"], 1);
  EXPECT_EQ((*dep)["spec"]["selector"]["matchLabels"], json({{"app", "dex"}}));
  const json& pod = (*dep)["spec"]["template"]["spec"];
  const json& c = pod["containers"][0];
  EXPECT_EQ(c["image"], "ghcr.io/dexidp/dex:v2.45.0");
  EXPECT_EQ(c["command"], json({"dex", "serve", "/etc/dex/cfg/config.yaml"}));
  EXPECT_EQ(
      c["envFrom"],
      json::parse(
          R"([{"secretRef":{"name":"dex-oidc-client"}},{"secretRef":{"name":"dex-passwords"}}])"));
  EXPECT_EQ(c["volumeMounts"][0]["mountPath"], "/etc/dex/cfg");
  EXPECT_EQ(pod["volumes"][0]["configMap"]["name"], "dex");
}

TEST(KubeflowSeed, CrdsAndRoles) {
  auto objs = kubeflow_seed_objects();
  const json* profiles = find(objs, "CustomResourceDefinition", "profiles.kubeflow.org");
  ASSERT_NE(profiles, nullptr);
  EXPECT_EQ((*profiles)["spec"]["scope"], "Cluster");
  const json& v1 = (*profiles)["spec"]["versions"][0];
  EXPECT_EQ(v1["name"], "v1");
  EXPECT_EQ(v1["storage"], true);
  EXPECT_EQ(v1["subresources"], json({{"status", json::object()}}));
  EXPECT_EQ(
      v1["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["owner"]["required"],
      json({"kind", "name"}));
  EXPECT_EQ((*profiles)["spec"]["versions"][1]["name"], "v1beta1");
  EXPECT_EQ((*profiles)["spec"]["versions"][1]["storage"], false);

  // The quota pattern in the schema agrees with the quantity parser on ordinary values.
  for (const char* q : {"2", "2Gi", "500m", "1e3"}) EXPECT_TRUE(kube::is_valid_quantity(q)) << q;

  std::vector<ResourceInfo> served;
  for (const auto& o : objs)
    if (o["kind"] == "CustomResourceDefinition")
      for (auto& r : resources_from_crd(o)) served.push_back(r);
  EXPECT_NE(find_resource("dex.coreos.com", "v1", "passwords", served), nullptr);
  // Dex creates all of its CRDs at startup (dexidp/dex storage/kubernetes/types.go): namespaced,
  // v1, schema free-form.
  std::vector<std::string> dex_plurals;
  for (const auto& r : served) {
    if (r.group != "dex.coreos.com") continue;
    dex_plurals.push_back(r.name);
    EXPECT_TRUE(r.namespaced) << r.name;
    EXPECT_EQ(r.version, "v1") << r.name;
  }
  EXPECT_THAT(dex_plurals, testing::UnorderedElementsAre(
                               "authcodes", "authrequests", "oauth2clients", "signingkeies",
                               "refreshtokens", "passwords", "offlinesessionses", "connectors",
                               "devicerequests", "devicetokens"));
  const json* signing = find(objs, "CustomResourceDefinition", "signingkeies.dex.coreos.com");
  ASSERT_NE(signing, nullptr);
  EXPECT_EQ((*signing)["spec"]["names"], json({{"kind", "SigningKey"},
                                               {"listKind", "SigningKeyList"},
                                               {"plural", "signingkeies"},
                                               {"singular", "signingkey"}}));
  EXPECT_EQ((*signing)["spec"]["versions"][0]["schema"]["openAPIV3Schema"],
            json({{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}));
  EXPECT_NE(find_resource("security.istio.io", "v1beta1", "authorizationpolicies", served),
            nullptr);

  const json* edit = find(objs, "ClusterRole", "kubeflow-edit");
  ASSERT_NE(edit, nullptr);
  EXPECT_EQ((*edit)["metadata"]["labels"],
            json({{"rbac.authorization.kubeflow.org/aggregate-to-kubeflow-admin", "true"}}));
  EXPECT_EQ((*edit)["aggregationRule"]["clusterRoleSelectors"][0]["matchLabels"],
            json({{"rbac.authorization.kubeflow.org/aggregate-to-kubeflow-edit", "true"}}));
  EXPECT_EQ((*edit)["rules"], json::array());
  EXPECT_FALSE(find(objs, "ClusterRole", "kubeflow-admin")->at("metadata").contains("labels"));
  // The roles that aggregate into them, as common/kubeflow-roles ships them.
  const json* k8s_edit = find(objs, "ClusterRole", "kubeflow-kubernetes-edit");
  ASSERT_NE(k8s_edit, nullptr);
  EXPECT_EQ((*k8s_edit)["metadata"]["labels"],
            json({{"rbac.authorization.kubeflow.org/aggregate-to-kubeflow-edit", "true"}}));
  ASSERT_EQ((*k8s_edit)["rules"].size(), 9u);
  EXPECT_EQ((*k8s_edit)["rules"][2],
            json({{"apiGroups", {""}},
                  {"resources",
                   {"configmaps", "endpoints", "persistentvolumeclaims", "replicationcontrollers",
                    "replicationcontrollers/scale", "secrets", "serviceaccounts", "services",
                    "services/proxy"}},
                  {"verbs", {"create", "delete", "deletecollection", "patch", "update"}}}));
  EXPECT_EQ(find(objs, "ClusterRole", "kubeflow-kubernetes-view")->at("rules").size(), 9u);
  EXPECT_EQ(find(objs, "ClusterRole", "kubeflow-kubernetes-admin")->at("rules").size(), 2u);

  const json* profile = find(objs, "Profile", "kubeflow-user-example-com");
  ASSERT_NE(profile, nullptr);
  EXPECT_EQ((*profile)["spec"]["owner"], json({{"kind", "User"}, {"name", "user@example.com"}}));
  EXPECT_TRUE(is_dns1123_label("kubeflow-user-example-com").empty());
}

}  // namespace
}  // namespace kftenant::testserver
