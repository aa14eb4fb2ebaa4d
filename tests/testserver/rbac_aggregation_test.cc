// The simulated ClusterRole aggregation controller, and the Kubeflow roles of --seed-kubeflow:
// a user bound to kubeflow-edit in a namespace gets edit rights there.
#include "rbac_test_util.h"

namespace kftenant::testserver::testing {
namespace {

const std::string kClusterRoles = kRbac + "/clusterroles/";

class AggregationTest : public RbacTest {
  void customize(Options& o) override { o.seed_kubeflow = true; }

 protected:
  json rules_of(const std::string& role) {
    return admin->get(kClusterRoles + role).j().value("rules", json::array());
  }
  static bool has_rule(const json& rules, const json& want) {
    for (const auto& r : rules) {
      if (r == want) return true;
    }
    return false;
  }
};

TEST_F(AggregationTest, SeededKubeflowRolesAreAggregated) {
  // kubeflow-view = kubeflow-kubernetes-view; edit adds kubeflow-kubernetes-edit and view's
  // rules; admin adds kubeflow-kubernetes-admin and edit's. The seed is aggregated at start.
  json k8s_view = rules_of("kubeflow-kubernetes-view");
  json k8s_edit = rules_of("kubeflow-kubernetes-edit");
  json k8s_admin = rules_of("kubeflow-kubernetes-admin");
  ASSERT_EQ(k8s_view.size(), 9u);
  ASSERT_EQ(k8s_edit.size(), 9u);
  ASSERT_EQ(k8s_admin.size(), 2u);
  EXPECT_EQ(rules_of("kubeflow-view"), k8s_view);
  // Selector order, then roles by name: kubeflow-kubernetes-edit < kubeflow-view.
  json edit = k8s_edit;
  for (const auto& r : k8s_view) edit.push_back(r);
  EXPECT_EQ(rules_of("kubeflow-edit"), edit);
  // kubeflow-edit's rules come first (by name), each rule once.
  json expected = json::array();
  for (const auto& r : edit) expected.push_back(r);
  for (const auto& r : k8s_admin) expected.push_back(r);
  EXPECT_EQ(rules_of("kubeflow-admin"), expected);
  // Written by the controller's server-side apply.
  auto managed = admin->get(kClusterRoles + "kubeflow-edit").j()["metadata"]["managedFields"];
  ASSERT_EQ(managed.size(), 1u);
  EXPECT_EQ(managed[0]["manager"], "clusterrole-aggregation-controller");
  EXPECT_EQ(managed[0]["operation"], "Apply");
  EXPECT_EQ(managed[0]["fieldsV1"], (json{{"f:rules", json::object()}}));
}

TEST_F(AggregationTest, KubeflowEditGrantsEditInTheBoundNamespace) {
  create_namespace("other");
  create_role_binding("rec", role_binding("user-edit", "rec", "ClusterRole", "kubeflow-edit",
                                          {user("user@example.com")}));
  auto u = as("user@example.com");
  EXPECT_EQ(u->post(kCm, configmap("notes")).status, 201);  // kubeflow-kubernetes-edit
  EXPECT_EQ(u->get(kCm + "/notes").status, 200);            // via kubeflow-view
  EXPECT_EQ(u->get("/api/v1/namespaces/rec").status, 200);  // namespaces get, in-namespace
  EXPECT_EQ(u->get("/apis/apps/v1/namespaces/rec/deployments").status, 200);
  EXPECT_EQ(u->get("/api/v1/namespaces/rec/secrets").status, 200);  // edit reads secrets
  EXPECT_EQ(u->get("/api/v1/namespaces/other/configmaps").status, 403);
  // Role management is kubeflow-admin's (kubeflow-kubernetes-admin), not edit's.
  auto role = u->post(kRbac + "/namespaces/rec/roles", role_object("r", "rec", json::array()));
  EXPECT_EQ(role.j()["message"],
            "roles.rbac.authorization.k8s.io is forbidden: User \"user@example.com\" cannot "
            "create resource \"roles\" in API group \"rbac.authorization.k8s.io\" in the "
            "namespace \"rec\"");
  auto view = as("viewer@example.com");
  create_role_binding("rec", role_binding("viewer", "rec", "ClusterRole", "kubeflow-view",
                                          {user("viewer@example.com")}));
  EXPECT_EQ(view->get(kCm + "/notes").status, 200);
  EXPECT_EQ(view->get("/api/v1/namespaces/rec/secrets").status, 403);
  EXPECT_EQ(view->post(kCm, configmap("more")).status, 403);
}

TEST_F(AggregationTest, NewLabelledRoleAddsItsRulesAndRemovingItTakesThemAway) {
  json notebooks = rule({"kubeflow.org"}, {"notebooks"}, {"get", "list", "create"});
  create_cluster_role(cluster_role_object(
      "kubeflow-notebooks-edit", json::array({notebooks}),
      {{"rbac.authorization.kubeflow.org/aggregate-to-kubeflow-edit", "true"}}));
  ASSERT_TRUE(eventually([&] { return has_rule(rules_of("kubeflow-edit"), notebooks); }))
      << rules_of("kubeflow-edit").dump();
  // ...and through kubeflow-edit into kubeflow-admin, but not into kubeflow-view.
  ASSERT_TRUE(eventually([&] { return has_rule(rules_of("kubeflow-admin"), notebooks); }));
  EXPECT_FALSE(has_rule(rules_of("kubeflow-view"), notebooks));

  create_role_binding("rec", role_binding("user-edit", "rec", "ClusterRole", "kubeflow-edit",
                                          {user("user@example.com")}));
  auto u = as("user@example.com");
  json review = resource_review({{"namespace", "rec"},
                                 {"verb", "create"},
                                 {"group", "kubeflow.org"},
                                 {"resource", "notebooks"}});
  EXPECT_EQ(review_status(*u, review),
            (json{{"allowed", true},
                  {"reason",
                   "RBAC: allowed by RoleBinding \"user-edit/rec\" of ClusterRole "
                   "\"kubeflow-edit\" to User \"user@example.com\""}}));

  // Relabelling (or deleting) the role takes its rules out again.
  ASSERT_EQ(
      admin
          ->patch(kClusterRoles + "kubeflow-notebooks-edit",
                  {{"metadata",
                    {{"labels",
                      {{"rbac.authorization.kubeflow.org/aggregate-to-kubeflow-edit", nullptr}}}}}})
          .status,
      200);
  ASSERT_TRUE(eventually([&] { return !has_rule(rules_of("kubeflow-admin"), notebooks); }));
  EXPECT_FALSE(has_rule(rules_of("kubeflow-edit"), notebooks));
  EXPECT_EQ(review_status(*u, review), (json{{"allowed", false}}));
}

TEST_F(AggregationTest, AnyAggregatedRoleAndMatchExpressions) {
  create_cluster_role(
      cluster_role_object("part-a", json::array({rule({""}, {"pods"}, {"get"})}), {{"tier", "a"}}));
  create_cluster_role(cluster_role_object(
      "part-b", json::array({rule({""}, {"pods"}, {"get"}), rule({""}, {"pods"}, {"list"})}),
      {{"tier", "b"}}));
  json combined = cluster_role_object("combined", nullptr);
  combined.erase("rules");
  combined["aggregationRule"] = json::parse(R"({"clusterRoleSelectors": [
      {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]}]})");
  create_cluster_role(combined);
  // The duplicate rule of part-b is kept once.
  json want = json::array({rule({""}, {"pods"}, {"get"}), rule({""}, {"pods"}, {"list"})});
  EXPECT_TRUE(eventually([&] { return rules_of("combined") == want; }))
      << rules_of("combined").dump();
  // The controller owns .rules: a user's edit is put back.
  ASSERT_EQ(admin->patch(kClusterRoles + "combined", {{"rules", json::array()}}).status, 200);
  EXPECT_TRUE(eventually([&] { return rules_of("combined") == want; }));
}

}  // namespace
}  // namespace kftenant::testserver::testing
