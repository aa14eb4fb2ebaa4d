// Escalation prevention of the RBAC storage: non-masters write Roles and bindings only with
// permissions they hold, or with the escalate / bind verbs.
#include <gmock/gmock.h>

#include "rbac_test_util.h"

namespace kftenant::testserver::testing {
namespace {

const std::string kRoles = kRbac + "/namespaces/rec/roles";
const std::string kBindings = kRbac + "/namespaces/rec/rolebindings";

class EscalationTest : public RbacTest {
 protected:
  // alice may create and update Roles and RoleBindings in rec, and read ConfigMaps there.
  void grant_role_admin() {
    create_role("rec", role_object("role-admin", "rec",
                                   {rule({"rbac.authorization.k8s.io"}, {"roles", "rolebindings"},
                                         {"create", "update"}),
                                    rule({""}, {"configmaps"}, {"get", "list"})}));
    create_role_binding(
        "rec", role_binding("alice-role-admin", "rec", "Role", "role-admin", {user("alice")}));
  }
};

TEST_F(EscalationTest, RolesOnlyWithRulesTheUserHolds) {
  grant_role_admin();
  auto alice = as("alice");
  EXPECT_EQ(alice->post(kRoles, role_object("cm-get", "rec", {rule({""}, {"configmaps"}, {"get"})}))
                .status,
            201);
  auto r = alice->post(
      kRoles, role_object("secret-reader", "rec",
                          {rule({""}, {"secrets", "configmaps"}, {"get", "list", "watch"})}));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.j()["message"],
            "roles.rbac.authorization.k8s.io \"secret-reader\" is forbidden: user \"alice\" "
            "(groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not "
            "currently held:\n"
            "{APIGroups:[\"\"], Resources:[\"configmaps\"], Verbs:[\"watch\"]}\n"
            "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\" \"watch\"]}");
  EXPECT_EQ(
      r.j()["details"],
      (json{{"name", "secret-reader"}, {"group", "rbac.authorization.k8s.io"}, {"kind", "roles"}}));
  // An update is checked the same way.
  json widened = admin->get(kRoles + "/cm-get").j();
  widened["rules"][0]["verbs"] = {"get", "delete"};
  EXPECT_EQ(alice->put(kRoles + "/cm-get", widened).status, 403);
  // The escalate verb lifts the check.
  create_role("rec", role_object("escalator", "rec",
                                 {rule({"rbac.authorization.k8s.io"}, {"roles"}, {"escalate"})}));
  create_role_binding("rec",
                      role_binding("alice-escalate", "rec", "Role", "escalator", {user("alice")}));
  EXPECT_EQ(alice->put(kRoles + "/cm-get", widened).status, 200);
}

TEST_F(EscalationTest, BindingsOnlyToRolesTheUserHoldsOrMayBind) {
  grant_role_admin();
  create_role("rec", role_object("cm-reader", "rec", {rule({""}, {"configmaps"}, {"list"})}));
  create_role("rec", role_object("secret-reader", "rec", {rule({""}, {"secrets"}, {"get"})}));
  auto alice = as("alice");
  EXPECT_EQ(
      alice->post(kBindings, role_binding("bob-cm", "rec", "Role", "cm-reader", {user("bob")}))
          .status,
      201);
  auto denied = alice->post(
      kBindings, role_binding("bob-secrets", "rec", "Role", "secret-reader", {user("bob")}));
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.j()["message"],
            "rolebindings.rbac.authorization.k8s.io \"bob-secrets\" is forbidden: user "
            "\"alice\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC "
            "permissions not currently held:\n"
            "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}");
  auto ghost = alice->post(kBindings,
                           role_binding("bob-ghost", "rec", "ClusterRole", "ghost", {user("bob")}));
  EXPECT_EQ(ghost.j()["message"],
            "rolebindings.rbac.authorization.k8s.io \"bob-ghost\" is forbidden: "
            "clusterroles.rbac.authorization.k8s.io \"ghost\" not found");
  // The bind verb on that one role lifts the check.
  create_role(
      "rec",
      role_object("binder", "rec",
                  {rule({"rbac.authorization.k8s.io"}, {"roles"}, {"bind"}, {"secret-reader"})}));
  create_role_binding("rec", role_binding("alice-bind", "rec", "Role", "binder", {user("alice")}));
  EXPECT_EQ(alice
                ->post(kBindings,
                       role_binding("bob-secrets", "rec", "Role", "secret-reader", {user("bob")}))
                .status,
            201);
  EXPECT_EQ(as("bob")->get("/api/v1/namespaces/rec/secrets/x").status, 404);  // allowed: no such
}

TEST_F(EscalationTest, AggregationRulesNeedClusterAdmin) {
  create_cluster_role(cluster_role_object(
      "role-writer", {rule({"rbac.authorization.k8s.io"}, {"clusterroles"}, {"create"})}));
  create_cluster_role_binding(cluster_role_binding("alice", "role-writer", {user("alice")}));
  json aggregated = cluster_role_object("gatherer", json::array());
  aggregated["aggregationRule"] =
      json::parse(R"({"clusterRoleSelectors": [{"matchLabels": {"x": "y"}}]})");
  auto r = as("alice")->post(kRbac + "/clusterroles", aggregated);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.j()["message"],
            "clusterroles.rbac.authorization.k8s.io \"gatherer\" is forbidden: must have "
            "cluster-admin privileges to use the aggregationRule");
  EXPECT_EQ(admin->post(kRbac + "/clusterroles", aggregated).status, 201);
}

class KubeflowShareTest : public RbacTest {
  void customize(Options& o) override { o.seed_kubeflow = true; }
};

TEST_F(KubeflowShareTest, ProfileOwnerMayShareEditButNotMore) {
  // What the profile controller gives a profile's owner: kubeflow-admin in the namespace.
  create_role_binding("rec", role_binding("namespaceAdmin", "rec", "ClusterRole", "kubeflow-admin",
                                          {user("owner@example.com")}));
  auto owner = as("owner@example.com");
  EXPECT_EQ(owner
                ->post(kBindings,
                       role_binding("user-friend-example-com-clusterrole-edit", "rec",
                                    "ClusterRole", "kubeflow-edit", {user("friend@example.com")}))
                .status,
            201);
  EXPECT_EQ(as("friend@example.com")->post(kCm, configmap("from-friend")).status, 201);
  auto too_much =
      owner->post(kBindings, role_binding("friend-admin", "rec", "ClusterRole", "cluster-admin",
                                          {user("friend@example.com")}));
  EXPECT_EQ(too_much.status, 403);
  EXPECT_THAT(too_much.j()["message"].get<std::string>(),
              ::testing::StartsWith(
                  "rolebindings.rbac.authorization.k8s.io \"friend-admin\" is forbidden: user "
                  "\"owner@example.com\" (groups=[\"system:authenticated\"]) is attempting to "
                  "grant RBAC permissions not currently held:\n{APIGroups:[\"*\"], "
                  "Resources:[\"*\"], Verbs:[\"*\"]}"));
}

}  // namespace
}  // namespace kftenant::testserver::testing
