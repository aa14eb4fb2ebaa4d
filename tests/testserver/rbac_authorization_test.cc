// RBAC authorization of HTTP requests by non-admin users: Roles, ClusterRoles, RoleBindings,
// ClusterRoleBindings; User, Group and ServiceAccount subjects; wildcards, subresources,
// resourceNames and nonResourceURLs, with the real 403 messages.
#include "rbac_test_util.h"

namespace kftenant::testserver::testing {
namespace {

const std::string kDeploy = "/apis/apps/v1/namespaces/rec/deployments";

json deployment(const std::string& name) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}, {"namespace", "rec"}}},
          {"spec",
           {{"replicas", 1},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", name}}}}},
              {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}}}}}};
}

std::string message(const Answer& a) {
  return a.j().value("message", "");
}

TEST_F(RbacTest, RoleBindingToRoleAllowsExactlyOneConfigMap) {
  create_namespace("other");
  create(kCm, configmap("rec-cm-a"));
  create(kCm, configmap("rec-cm-b"));
  create("/api/v1/namespaces/other/configmaps",
         {{"metadata", {{"name", "rec-cm-a"}}}, {"data", {{"k", "v"}}}});
  create_role("rec", role_object("cm-a-editor", "rec",
                                 {rule({""}, {"configmaps"}, {"get", "update"}, {"rec-cm-a"})}));
  create_role_binding("rec",
                      role_binding("alice-cm-a", "rec", "Role", "cm-a-editor", {user("alice")}));
  auto alice = as("alice");

  auto got = alice->get(kCm + "/rec-cm-a");
  ASSERT_EQ(got.status, 200) << got.body;
  json cm = got.j();
  cm["data"]["k"] = "changed";
  EXPECT_EQ(alice->put(kCm + "/rec-cm-a", cm).status, 200);
  EXPECT_EQ(admin->get(kCm + "/rec-cm-a").j()["data"]["k"], "changed");

  auto other_name = alice->get(kCm + "/rec-cm-b");
  EXPECT_EQ(other_name.status, 403);
  EXPECT_EQ(
      other_name.body,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"rec-cm-b\" is forbidden: User \"alice\" cannot get resource \"configmaps\" in API group \"\" in the namespace \"rec\"","reason":"Forbidden","details":{"name":"rec-cm-b","kind":"configmaps"},"code":403})");
  EXPECT_EQ(message(alice->get("/api/v1/namespaces/other/configmaps/rec-cm-a")),
            "configmaps \"rec-cm-a\" is forbidden: User \"alice\" cannot get resource "
            "\"configmaps\" in API group \"\" in the namespace \"other\"");
  auto create = alice->post(kCm, configmap("rec-cm-new"));
  EXPECT_EQ(create.status, 403);
  EXPECT_EQ(message(create),
            "configmaps is forbidden: User \"alice\" cannot create resource \"configmaps\" in API "
            "group \"\" in the namespace \"rec\"");
  EXPECT_EQ(message(alice->get(kCm)),
            "configmaps is forbidden: User \"alice\" cannot list resource \"configmaps\" in API "
            "group \"\" in the namespace \"rec\"");
  EXPECT_EQ(message(alice->del(kCm + "/rec-cm-a")),
            "configmaps \"rec-cm-a\" is forbidden: User \"alice\" cannot delete resource "
            "\"configmaps\" in API group \"\" in the namespace \"rec\"");
  EXPECT_EQ(alice->patch(kCm + "/rec-cm-a", {{"data", {{"k", "x"}}}}).status, 403);
  // A denied request does not learn whether the object exists.
  EXPECT_EQ(alice->get(kCm + "/rec-cm-missing").status, 403);
  EXPECT_EQ(admin->get(kCm + "/rec-cm-missing").status, 404);
  // Another user gets nothing from alice's binding.
  EXPECT_EQ(as("bob")->get(kCm + "/rec-cm-a").status, 403);
}

TEST_F(RbacTest, ResourceNamesRestrictListsToAFieldSelectorOnTheName) {
  create(kCm, configmap("rec-cm-a"));
  create(kCm, configmap("rec-cm-b"));
  create_role("rec", role_object("cm-a-lister", "rec",
                                 {rule({""}, {"configmaps"}, {"list", "watch"}, {"rec-cm-a"})}));
  create_role_binding("rec", role_binding("alice", "rec", "Role", "cm-a-lister", {user("alice")}));
  auto alice = as("alice");
  auto one = alice->get(kCm + "?fieldSelector=metadata.name%3Drec-cm-a");
  ASSERT_EQ(one.status, 200) << one.body;
  ASSERT_EQ(one.j()["items"].size(), 1u);
  EXPECT_EQ(one.j()["items"][0]["metadata"]["name"], "rec-cm-a");
  // The name from the field selector is the name the request is authorized (and denied) for.
  EXPECT_EQ(message(alice->get(kCm + "?fieldSelector=metadata.name%3Drec-cm-b")),
            "configmaps \"rec-cm-b\" is forbidden: User \"alice\" cannot list resource "
            "\"configmaps\" in API group \"\" in the namespace \"rec\"");
  EXPECT_EQ(alice->get(kCm).status, 403);
  EXPECT_EQ(alice->get(kCm + "?fieldSelector=metadata.name!%3Drec-cm-b").status, 403);
  // resourceNames never match a create (it has no name).
  EXPECT_EQ(alice->get(kCm + "/rec-cm-a").status, 403);  // get is not among the verbs
}

TEST_F(RbacTest, ClusterRoleBindingGrantsEverywhere) {
  create_namespace("other");
  create_cluster_role(cluster_role_object("namespace-reader",
                                          {rule({""}, {"namespaces"}, {"get", "list", "watch"})}));
  create_cluster_role_binding(
      cluster_role_binding("alice-namespaces", "namespace-reader", {user("alice")}));
  auto alice = as("alice");
  auto list = alice->get("/api/v1/namespaces");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_GE(list.j()["items"].size(), 6u);
  EXPECT_EQ(alice->get("/api/v1/namespaces/other").status, 200);
  auto create = alice->post("/api/v1/namespaces", {{"metadata", {{"name", "alice-ns"}}}});
  EXPECT_EQ(message(create),
            "namespaces is forbidden: User \"alice\" cannot create resource \"namespaces\" in API "
            "group \"\" at the cluster scope");
  // A namespace's own URL is authorized in that namespace (requestinfo.go).
  EXPECT_EQ(message(alice->del("/api/v1/namespaces/other")),
            "namespaces \"other\" is forbidden: User \"alice\" cannot delete resource "
            "\"namespaces\" in API group \"\" in the namespace \"other\"");
  // Deleting the binding takes the grant away at once.
  EXPECT_EQ(admin->del(kRbac + "/clusterrolebindings/alice-namespaces").status, 200);
  EXPECT_EQ(alice->get("/api/v1/namespaces").status, 403);
}

TEST_F(RbacTest, RoleBindingToClusterRoleGrantsOnlyInItsNamespace) {
  create_namespace("other");
  create_cluster_role(
      cluster_role_object("configmap-reader", {rule({""}, {"configmaps"}, {"get", "list"})}));
  create_role_binding("rec", role_binding("alice-reads", "rec", "ClusterRole", "configmap-reader",
                                          {user("alice")}));
  auto alice = as("alice");
  EXPECT_EQ(alice->get(kCm).status, 200);
  EXPECT_EQ(message(alice->get("/api/v1/namespaces/other/configmaps")),
            "configmaps is forbidden: User \"alice\" cannot list resource \"configmaps\" in API "
            "group \"\" in the namespace \"other\"");
  EXPECT_EQ(message(alice->get("/api/v1/configmaps")),
            "configmaps is forbidden: User \"alice\" cannot list resource \"configmaps\" in API "
            "group \"\" at the cluster scope");
  // A binding to a Role that does not exist grants nothing and says why.
  create_role_binding("other",
                      role_binding("alice-ghost", "other", "Role", "ghost", {user("alice")}));
  EXPECT_EQ(message(alice->get("/api/v1/namespaces/other/configmaps")),
            "configmaps is forbidden: User \"alice\" cannot list resource \"configmaps\" in API "
            "group \"\" in the namespace \"other\": RBAC: role.rbac.authorization.k8s.io "
            "\"ghost\" not found");
}

TEST_F(RbacTest, GroupSubjects) {
  create_role("rec", role_object("cm-reader", "rec", {rule({""}, {"configmaps"}, {"list"})}));
  create_role_binding("rec", role_binding("team", "rec", "Role", "cm-reader", {group("team")}));
  EXPECT_EQ(as("carol", {"team"})->get(kCm).status, 200);
  EXPECT_EQ(as("dave", {"other-team"})->get(kCm).status, 403);
  Client by_cert(*server, server->client_cert_for("erin", {"team"}));
  EXPECT_EQ(by_cert.get(kCm).status, 200);
  // system:authenticated is every authenticated user's group, but not the anonymous one's.
  create_role_binding(
      "rec", role_binding("everyone", "rec", "Role", "cm-reader", {group("system:authenticated")}));
  EXPECT_EQ(as("dave", {"other-team"})->get(kCm).status, 200);
  Client anonymous(*server, std::string());
  EXPECT_EQ(message(anonymous.get(kCm)),
            "configmaps is forbidden: User \"system:anonymous\" cannot list resource "
            "\"configmaps\" in API group \"\" in the namespace \"rec\"");
}

std::string token_for(Client& admin, const std::string& ns, const std::string& name) {
  const std::string sa = "/api/v1/namespaces/" + ns + "/serviceaccounts";
  admin.post(sa, {{"metadata", {{"name", name}}}});
  auto r = admin.post(sa + "/" + name + "/token", {{"spec", {{"expirationSeconds", 600}}}});
  EXPECT_EQ(r.status, 201) << r.body;
  return r.j()["status"].value("token", "");
}

TEST_F(RbacTest, ServiceAccountSubjects) {
  create_namespace("other");
  create_role("rec", role_object("cm-reader", "rec", {rule({""}, {"configmaps"}, {"list"})}));
  // Without a namespace the subject means the binding's own namespace.
  create_role_binding(
      "rec", role_binding("robot", "rec", "Role", "cm-reader", {service_account("robot")}));
  create_role_binding("rec", role_binding("visitor", "rec", "Role", "cm-reader",
                                          {service_account("visitor", "other")}));
  Client robot(*server, token_for(*admin, "rec", "robot"));
  Client visitor(*server, token_for(*admin, "other", "visitor"));
  Client stranger(*server, token_for(*admin, "other", "robot"));
  EXPECT_EQ(robot.get(kCm).status, 200);
  EXPECT_EQ(visitor.get(kCm).status, 200);
  EXPECT_EQ(message(stranger.get(kCm)),
            "configmaps is forbidden: User \"system:serviceaccount:other:robot\" cannot list "
            "resource \"configmaps\" in API group \"\" in the namespace \"rec\"");
  // Service accounts are in groups system:serviceaccounts and system:serviceaccounts:<ns>.
  create_role_binding("rec", role_binding("all-of-other", "rec", "Role", "cm-reader",
                                          {group("system:serviceaccounts:other")}));
  EXPECT_EQ(stranger.get(kCm).status, 200);
}

TEST_F(RbacTest, SubresourcesAreSeparateResources) {
  create(kDeploy, deployment("web"));
  create_role("rec", role_object("status-writer", "rec",
                                 {rule({"apps"}, {"deployments/status"}, {"get", "update"}),
                                  rule({"apps"}, {"*/scale"}, {"get"})}));
  create_role_binding("rec",
                      role_binding("alice", "rec", "Role", "status-writer", {user("alice")}));
  auto alice = as("alice");
  auto status = alice->get(kDeploy + "/web/status");
  ASSERT_EQ(status.status, 200) << status.body;
  auto put = alice->put(kDeploy + "/web/status", status.j());
  if (put.status == 409) {
    // The simulated deployment controller wrote the status in between (once, after the
    // create): read it again.
    status = alice->get(kDeploy + "/web/status");
    put = alice->put(kDeploy + "/web/status", status.j());
  }
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(alice->get(kDeploy + "/web/scale").status, 200);  // "*/scale"
  EXPECT_EQ(message(alice->get(kDeploy + "/web")),
            "deployments.apps \"web\" is forbidden: User \"alice\" cannot get resource "
            "\"deployments\" in API group \"apps\" in the namespace \"rec\"");
  auto scale = alice->put(kDeploy + "/web/scale", {{"spec", {{"replicas", 2}}}});
  EXPECT_EQ(scale.status, 403);
  EXPECT_EQ(message(scale),
            "deployments.apps \"web\" is forbidden: User \"alice\" cannot update resource "
            "\"deployments/scale\" in API group \"apps\" in the namespace \"rec\"");
  EXPECT_EQ(scale.j()["details"],
            (json{{"name", "web"}, {"group", "apps"}, {"kind", "deployments"}}));
}

TEST_F(RbacTest, Wildcards) {
  create(kDeploy, deployment("web"));
  create_role("rec", role_object("apps-all", "rec", {rule({"apps"}, {"*"}, {"*"})}));
  create_role_binding("rec", role_binding("alice", "rec", "Role", "apps-all", {user("alice")}));
  create_cluster_role(cluster_role_object("get-anything", {rule({"*"}, {"*"}, {"get"})}));
  create_cluster_role_binding(cluster_role_binding("bob", "get-anything", {user("bob")}));
  auto alice = as("alice");
  EXPECT_EQ(alice->get(kDeploy + "/web").status, 200);
  EXPECT_EQ(alice->get(kDeploy + "/web/scale").status, 200);  // "*" covers subresources
  EXPECT_EQ(alice->del(kDeploy + "/web").status, 200);
  EXPECT_EQ(alice->get(kCm).status, 403);  // other group
  auto bob = as("bob");
  EXPECT_EQ(bob->get(kCm + "/kube-root-ca.crt").status, 200);
  EXPECT_EQ(bob->get("/api/v1/namespaces/default").status, 200);
  EXPECT_EQ(bob->get(kCm).status, 403);  // list is not get
}

TEST_F(RbacTest, NonResourceUrls) {
  Client anonymous(*server, std::string());
  // The default public-info-viewer and discovery roles.
  EXPECT_EQ(anonymous.get("/version").status, 200);
  EXPECT_EQ(anonymous.get("/healthz").status, 200);
  EXPECT_EQ(message(anonymous.get("/api")),
            "forbidden: User \"system:anonymous\" cannot get path \"/api\"");
  auto alice = as("alice");
  EXPECT_EQ(alice->get("/apis/apps/v1").status, 200);
  auto unknown = alice->get("/metrics");
  EXPECT_EQ(unknown.status, 403);
  EXPECT_EQ(
      unknown.body,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \"alice\" cannot get path \"/metrics\"","reason":"Forbidden","details":{},"code":403})");
  // A trailing "*" grants a prefix; verbs are the lower-case HTTP methods.
  create_cluster_role(cluster_role_object("testserver-reader",
                                          json::array({url_rule({"/testserver/*"}, {"get"})})));
  create_cluster_role_binding(
      cluster_role_binding("alice-testserver", "testserver-reader", {user("alice")}));
  EXPECT_EQ(alice->get("/testserver/requests").status, 200);
  EXPECT_EQ(message(alice->post("/testserver/faults", {{"status", 500}})),
            "forbidden: User \"alice\" cannot post path \"/testserver/faults\"");
  EXPECT_EQ(admin->get("/testserver/faults").j(), json::array());
  // The HTML-looking characters of a path are escaped in the message.
  EXPECT_EQ(message(alice->get("/a%3Cb%3E")),
            "forbidden: User \"alice\" cannot get path \"/a&lt;b&gt;\"");
}

TEST_F(RbacTest, BootstrapRolesAreStored) {
  auto crb = admin->get(kRbac + "/clusterrolebindings/system:basic-user").j();
  EXPECT_EQ(crb["roleRef"]["name"], "system:basic-user");
  EXPECT_EQ(crb["subjects"], (json::array({{{"kind", "Group"},
                                            {"apiGroup", "rbac.authorization.k8s.io"},
                                            {"name", "system:authenticated"}}})));
  EXPECT_EQ(crb["metadata"]["labels"]["kubernetes.io/bootstrapping"], "rbac-defaults");
  auto basic = admin->get(kRbac + "/clusterroles/system:basic-user").j();
  EXPECT_EQ(
      basic["rules"],
      (json::array({{{"verbs", {"create"}},
                     {"apiGroups", {"authorization.k8s.io"}},
                     {"resources", {"selfsubjectaccessreviews", "selfsubjectrulesreviews"}}}})));
  auto admin_binding = admin->get(kRbac + "/clusterrolebindings/cluster-admin").j();
  EXPECT_EQ(admin_binding["subjects"][0]["name"], "system:masters");
  // Binding cluster-admin makes anyone an administrator.
  create_cluster_role_binding(
      cluster_role_binding("frank-admin", "cluster-admin", {user("frank")}));
  auto frank = as("frank");
  EXPECT_EQ(frank->post("/api/v1/namespaces", {{"metadata", {{"name", "franks"}}}}).status, 201);
  EXPECT_EQ(frank->get("/testserver/requests").status, 200);
}

}  // namespace
}  // namespace kftenant::testserver::testing
