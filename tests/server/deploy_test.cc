// deploy/serve builds with `kubectl kustomize`, and what it grants matches what the server does:
// list and watch on every kind it caches, get on Dex's one ConfigMap, the writes of its plans,
// create on the two reviews of its callers; the Deployment runs `serve` with its probes on /readyz
// and /healthz; only the ingress gateway may reach it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "manifests_support/kustomize_oracle.h"
#include "server/tenancy_api.h"

namespace kftenant::server {
namespace {

using nlohmann::json;
using ::testing::Contains;

// apiVersion/kind -> (API group, resource).
const std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>>
    kResources = {
        {{"kubeflow.org/v1", "Profile"}, {"kubeflow.org", "profiles"}},
        {{"v1", "Namespace"}, {"", "namespaces"}},
        {{"rbac.authorization.k8s.io/v1", "RoleBinding"},
         {"rbac.authorization.k8s.io", "rolebindings"}},
        {{"security.istio.io/v1beta1", "AuthorizationPolicy"},
         {"security.istio.io", "authorizationpolicies"}},
        {{"dex.coreos.com/v1", "Password"}, {"dex.coreos.com", "passwords"}},
};

std::set<std::string> verbs_for(const json& role, const std::string& group,
                                const std::string& resource) {
  std::set<std::string> out;
  for (const auto& rule : role.value("rules", json::array())) {
    auto has = [&](const char* field, const std::string& want) {
      for (const auto& v : rule.value(field, json::array()))
        if (v == want || v == "*") return true;
      return false;
    };
    if (has("apiGroups", group) && has("resources", resource))
      for (const auto& v : rule["verbs"]) out.insert(v.get<std::string>());
  }
  return out;
}

const std::string kFolder = std::string(KFTENANT_SOURCE_DIR) + "/deploy/serve";

// The objects of the kustomization's resources, read as they are (its only transformer sets the
// image), so that the checks run whether or not kubectl is there.
testing::Built read_folder() {
  testing::Built out;
  auto kustomization =
      yaml::parse_all(testing::slurp_file(kFolder + "/kustomization.yaml"), "kustomization.yaml");
  if (!kustomization || kustomization->empty()) return out;
  for (const auto& file : kustomization->front().value("resources", json::array())) {
    const std::string name = file.get<std::string>();
    auto objects = yaml::parse_all(testing::slurp_file(kFolder + "/" + name), name);
    EXPECT_TRUE(objects) << name << ": " << objects.error().message;
    if (objects) out.objects.insert(out.objects.end(), objects->begin(), objects->end());
  }
  out.exit_code = 0;
  return out;
}

TEST(DeployServe, KubectlKustomizeBuildsIt) {
  if (auto why = testing::kustomize_unusable()) GTEST_SKIP() << *why;
  auto built = testing::kustomize_build(kFolder);
  ASSERT_EQ(built.exit_code, 0) << built.err;
  EXPECT_EQ(built.objects.size(), read_folder().objects.size());
  // The namespaces stay as written (a `namespace:` in the kustomization would move the Dex Role
  // out of auth).
  EXPECT_TRUE(built.find("Role", "kftenant-serve-dex", "auth").is_object());
  EXPECT_EQ(built.find("Deployment", "kftenant-serve",
                       "kubeflow")["spec"]["template"]["spec"]["containers"][0]["image"],
            "ghcr.io/kftenant/kftenant:0.1.0");
}

// What the rules say; that they suffice is proven by tests/server/write_endpoints_test.cc, whose
// server runs as this ServiceAccount with exactly these rules.
TEST(DeployServe, GrantsTheReadsOfTheCacheAndTheWritesOfThePlans) {
  auto built = read_folder();
  ASSERT_EQ(built.exit_code, 0);

  auto role = built.find("ClusterRole", "kftenant-serve");
  ASSERT_TRUE(role.is_object());
  const std::set<std::string> reads = {"get", "list", "watch"};
  const std::set<std::string> writes = {"create", "update", "delete"};
  for (const auto& kind : kinds_read_by_requests()) {
    auto it = kResources.find(kind);
    ASSERT_NE(it, kResources.end()) << kind.second << ": add it to this test's table";
    std::set<std::string> want = reads;
    // Namespaces are made by the profile controller; kftenant only moves their owner.
    if (kind.second == "Namespace")
      want.insert("update");
    else
      want.insert(writes.begin(), writes.end());
    EXPECT_EQ(verbs_for(role, it->second.first, it->second.second), want) << kind.second;
  }
  // Beyond those kinds only `bind` (and the doctor's `get`) on the three roles KFAM binds (no
  // escalation beyond them), the doctor's `get` of the two CRDs by name, and the two reviews of
  // callers (create is all a review takes).
  ASSERT_EQ(role["rules"].size(), kinds_read_by_requests().size() + 4);
  EXPECT_EQ(verbs_for(role, "rbac.authorization.k8s.io", "clusterroles"),
            (std::set<std::string>{"bind", "get"}));
  EXPECT_EQ(verbs_for(role, "apiextensions.k8s.io", "customresourcedefinitions"),
            (std::set<std::string>{"get"}));
  EXPECT_EQ(verbs_for(role, "authentication.k8s.io", "tokenreviews"),
            (std::set<std::string>{"create"}));
  EXPECT_EQ(verbs_for(role, "authorization.k8s.io", "subjectaccessreviews"),
            (std::set<std::string>{"create"}));
  for (const auto& rule : role["rules"]) {
    if (rule["resources"] == json::array({"clusterroles"})) {
      EXPECT_EQ(rule["resourceNames"],
                json::array({"kubeflow-admin", "kubeflow-edit", "kubeflow-view"}));
    }
    if (rule["resources"] == json::array({"customresourcedefinitions"})) {
      EXPECT_EQ(rule["resourceNames"],
                json::array({"profiles.kubeflow.org", "passwords.dex.coreos.com"}));
    }
  }

  auto dex_role = built.find("Role", "kftenant-serve-dex", "auth");
  ASSERT_TRUE(dex_role.is_object()) << "the Dex Role must stay in namespace auth";
  ASSERT_EQ(dex_role["rules"].size(), 2u);
  for (const auto& rule : dex_role["rules"]) EXPECT_EQ(rule["resourceNames"], json::array({"dex"}));
  EXPECT_EQ(dex_role["rules"][0]["resources"], json::array({"configmaps"}));
  EXPECT_EQ(dex_role["rules"][0]["verbs"], json::array({"get", "list", "watch", "update"}));
  EXPECT_EQ(dex_role["rules"][1]["resources"], json::array({"deployments"}));
  EXPECT_EQ(dex_role["rules"][1]["verbs"], json::array({"get", "patch"}));
  auto dex_binding = built.find("RoleBinding", "kftenant-serve-dex", "auth");
  ASSERT_TRUE(dex_binding.is_object());
  EXPECT_EQ(dex_binding["subjects"][0]["namespace"], "kubeflow");
  auto binding = built.find("ClusterRoleBinding", "kftenant-serve");
  ASSERT_TRUE(binding.is_object());
  EXPECT_EQ(binding["subjects"][0]["name"], "kftenant-serve");
  EXPECT_EQ(binding["subjects"][0]["namespace"], "kubeflow");

  auto deployment = built.find("Deployment", "kftenant-serve", "kubeflow");
  ASSERT_TRUE(deployment.is_object());
  EXPECT_EQ(deployment["spec"]["replicas"], 2);
  const auto& pod = deployment["spec"]["template"]["spec"];
  EXPECT_EQ(pod["serviceAccountName"], "kftenant-serve");
  const auto& container = pod["containers"][0];
  EXPECT_EQ(container["args"][0], "serve");
  EXPECT_THAT(container["args"], Contains(":8080"));
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"], "/readyz");
  EXPECT_EQ(container["livenessProbe"]["httpGet"]["path"], "/healthz");
  const auto& annotations = deployment["spec"]["template"]["metadata"]["annotations"];
  EXPECT_EQ(annotations["prometheus.io/scrape"], "true");
  EXPECT_EQ(annotations["prometheus.io/port"], "8080");
  EXPECT_EQ(annotations["prometheus.io/path"], "/metrics");

  auto policy = built.find("AuthorizationPolicy", "kftenant-serve", "kubeflow");
  ASSERT_TRUE(policy.is_object());
  EXPECT_EQ(policy["spec"]["action"], "ALLOW");
  EXPECT_EQ(policy["spec"]["rules"][0]["from"][0]["source"]["principals"],
            json::array({"cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"}));
  // ... on every path but /metrics (read through the sidecar, not from outside).
  EXPECT_EQ(policy["spec"]["rules"][0]["to"][0]["operation"]["notPaths"],
            json::array({"/metrics"}));
  // The central dashboard for the KFAM paths only; the probes, nothing else, from anyone.
  ASSERT_EQ(policy["spec"]["rules"].size(), 3u);
  EXPECT_EQ(policy["spec"]["rules"][1]["from"][0]["source"]["principals"],
            json::array({"cluster.local/ns/kubeflow/sa/centraldashboard"}));
  EXPECT_EQ(policy["spec"]["rules"][1]["to"][0]["operation"]["paths"], json::array({"/kfam/*"}));
  EXPECT_EQ(policy["spec"]["rules"][2]["to"][0]["operation"]["paths"],
            json::array({"/healthz", "/readyz"}));
  EXPECT_FALSE(policy["spec"]["rules"][2].contains("from"));
}

}  // namespace
}  // namespace kftenant::server
