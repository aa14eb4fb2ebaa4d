// Authentication/authorisation (13-auth), fault injection, the request log, discovery, the
// kubeconfig the server writes, and the Kubeflow seed.
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "kftenant/base64.h"
#include "kftenant/yaml.h"
#include "server_test_util.h"

namespace kftenant::testserver::testing {
namespace {

using AuthTest = ServerTest;

TEST_F(AuthTest, BadTokenIs401) {
  Client bad(*server, std::string("not-a-token"));
  auto r = bad.get("/api/v1/namespaces");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(
      r.body,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})");
}

TEST_F(AuthTest, AnonymousAndUnprivilegedUsersAreForbidden) {
  Client anonymous(*server, std::string());
  auto anon = anonymous.get("/api/v1/namespaces");
  EXPECT_EQ(anon.status, 403);
  EXPECT_EQ(
      anon.j()["message"],
      "namespaces is forbidden: User \"system:anonymous\" cannot list resource \"namespaces\" "
      "in API group \"\" at the cluster scope");
  server->add_user_token("alice-token", "alice");
  Client alice(*server, std::string("alice-token"));
  auto get = alice.get(kCm + "/rec-cm-auth");
  EXPECT_EQ(get.status, 403);
  EXPECT_EQ(get.j()["message"],
            "configmaps \"rec-cm-auth\" is forbidden: User \"alice\" cannot get resource "
            "\"configmaps\" in API group \"\" in the namespace \"rec\"");
  EXPECT_EQ(alice.post(kCm, configmap("rec-cm-alice")).j()["message"],
            "configmaps is forbidden: User \"alice\" cannot create resource \"configmaps\" in API "
            "group \"\" in the namespace \"rec\"");
  EXPECT_EQ(alice.get(kCm + "?watch=1").j()["message"],
            "configmaps is forbidden: User \"alice\" cannot watch resource \"configmaps\" in API "
            "group \"\" in the namespace \"rec\"");
  auto discovery = alice.get("/api");
  EXPECT_EQ(discovery.status, 200);
  EXPECT_EQ(discovery.j()["kind"], "APIVersions");
  auto review =
      alice.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                 {{"apiVersion", "authorization.k8s.io/v1"},
                  {"kind", "SelfSubjectAccessReview"},
                  {"spec",
                   {{"resourceAttributes",
                     {{"namespace", "rec"}, {"verb", "get"}, {"resource", "configmaps"}}}}}});
  EXPECT_EQ(review.status, 201);
  EXPECT_EQ(review.j()["status"], (json{{"allowed", false}}));
  auto admin_review = admin->post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                                  {{"spec", {{"resourceAttributes", {{"verb", "get"}}}}}});
  EXPECT_EQ(admin_review.j()["status"], (json{{"allowed", true}}));
  // A token added in system:masters may act.
  server->add_user_token("bob-token", "bob", {"system:masters"});
  Client bob(*server, std::string("bob-token"));
  EXPECT_EQ(bob.get(kCm).status, 200);
}

TEST_F(AuthTest, ClientCertificates) {
  Client by_cert(*server, server->admin_client_cert());
  EXPECT_EQ(by_cert.get("/api/v1/namespaces").status, 200);
  Client carol(*server, server->client_cert_for("carol", {"team"}));
  auto r = carol.get("/api/v1/namespaces");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.j()["message"].get<std::string>().find("User \"carol\""), std::string::npos);
  server->clear_requests();
  by_cert.get("/api/v1/namespaces/rec");
  auto log = server->requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].user, "admin");
  EXPECT_EQ(log[0].status, 200);
}

TEST_F(AuthTest, Discovery) {
  auto apis = admin->get("/apis").j();
  EXPECT_EQ(apis["kind"], "APIGroupList");
  auto core = admin->get("/api/v1").j();
  EXPECT_EQ(core["groupVersion"], "v1");
  create_profile_crd();
  auto kf = admin->get("/apis/kubeflow.org/v1").j();
  ASSERT_EQ(kf["resources"].size(), 2u);
  EXPECT_EQ(kf["resources"][0]["name"], "profiles");
  EXPECT_EQ(kf["resources"][1]["name"], "profiles/status");
  EXPECT_EQ(admin->get("/apis/kubeflow.org").j()["preferredVersion"]["version"], "v1");
}

using FaultTest = ServerTest;

TEST_F(FaultTest, StatusFaultsConsumeTheirCount) {
  FaultRule rule;
  rule.method = "GET";
  rule.path_regex = "/configmaps$";
  rule.status = 503;
  rule.count = 2;
  server->inject_fault(rule);
  EXPECT_EQ(admin->get(kCm).status, 503);
  EXPECT_EQ(admin->post(kCm, configmap("rec-cm-x")).status, 201);  // other method: untouched
  auto second = admin->get(kCm);
  EXPECT_EQ(second.status, 503);
  EXPECT_EQ(second.j()["reason"], "ServiceUnavailable");
  EXPECT_EQ(admin->get(kCm).status, 200);
}

TEST_F(FaultTest, TooManyRequestsCarriesRetryAfter) {
  FaultRule rule;
  rule.path_regex = "configmaps";
  rule.status = 429;
  rule.retry_after_seconds = 3;
  server->inject_fault(rule);
  auto r = admin->get(kCm);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers.find("Retry-After")->second, "3");
  EXPECT_EQ(r.j()["details"]["retryAfterSeconds"], 3);
  EXPECT_EQ(r.j()["reason"], "TooManyRequests");
}

TEST_F(FaultTest, ConflictAndInternalError) {
  admin->post(kCm, configmap("rec-cm-f"));
  FaultRule conflict;
  conflict.method = "PUT";
  conflict.status = 409;
  server->inject_fault(conflict);
  auto c = admin->put(kCm + "/rec-cm-f", configmap("rec-cm-f"));
  EXPECT_EQ(c.status, 409);
  EXPECT_EQ(c.j()["reason"], "Conflict");
  EXPECT_EQ(c.j()["details"]["name"], "rec-cm-f");
  FaultRule internal;
  internal.status = 500;
  server->inject_fault(internal);
  auto i = admin->get(kCm);
  EXPECT_EQ(i.status, 500);
  EXPECT_EQ(i.j()["reason"], "InternalError");
  server->inject_fault(internal);
  server->clear_faults();
  EXPECT_EQ(admin->get(kCm).status, 200);
}

TEST_F(FaultTest, LatencyDelaysButAnswers) {
  FaultRule slow;
  slow.latency = std::chrono::milliseconds(200);
  slow.path_regex = "/configmaps$";
  server->inject_fault(slow);
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(admin->get(kCm).status, 200);
  // A lower bound only: the answer cannot come before the injected latency has passed.
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(200));
  // The rule is used up by that request (count 1): the next one does not meet it.
  EXPECT_EQ(admin->get(kCm).status, 200);
  auto log = server->requests();
  ASSERT_GE(log.size(), 2u);
  EXPECT_EQ(log[log.size() - 2].fault, "latency 200ms");
  EXPECT_EQ(log.back().fault, "");
}

TEST_F(FaultTest, DroppedConnectionAfterProcessing) {
  FaultRule drop;
  drop.method = "POST";
  drop.drop_connection = true;
  server->inject_fault(drop);
  auto lost = admin->post(kCm, configmap("rec-cm-lost"));
  EXPECT_NE(lost.status, 201);  // no complete answer
  // ... but the create happened: a client must resolve it by reading.
  EXPECT_EQ(admin->get(kCm + "/rec-cm-lost").status, 200);
}

TEST_F(FaultTest, DroppedConnectionBeforeProcessing) {
  FaultRule drop;
  drop.method = "POST";
  drop.drop_connection = true;
  drop.drop_before_processing = true;
  server->inject_fault(drop);
  auto lost = admin->post(kCm, configmap("rec-cm-never"));
  EXPECT_EQ(lost.status, 0);
  EXPECT_EQ(admin->get(kCm + "/rec-cm-never").status, 404);
}

TEST_F(FaultTest, EndWatchEndsOpenStreams) {
  std::atomic<int> status{-1};
  Client watcher(*server, server->admin_token());
  std::thread t(
      [&] { status = watcher.stream(kCm + "?watch=1", [](const std::string&) { return true; }); });
  ASSERT_TRUE(eventually([&] { return server->open_watches("configmaps") == 1; }));
  FaultRule end;
  end.path_regex = "configmaps";
  end.end_watch = true;
  server->inject_fault(end);
  t.join();
  EXPECT_EQ(status, 200);
  EXPECT_EQ(server->open_watches(), 0);
}

TEST_F(FaultTest, ControlEndpoints) {
  auto injected = admin->post("/testserver/faults", {{"path_regex", "secrets"}, {"status", 500}});
  EXPECT_EQ(injected.status, 201);
  EXPECT_EQ(admin->get("/api/v1/namespaces/rec/secrets").status, 500);
  admin->post("/testserver/faults", {{"path_regex", "secrets"}, {"status", 500}});
  EXPECT_EQ(admin->del("/testserver/faults").status, 200);
  EXPECT_EQ(admin->get("/api/v1/namespaces/rec/secrets").status, 200);
  auto log = admin->get("/testserver/requests").j();
  ASSERT_TRUE(log.is_array());
  EXPECT_EQ(log.back()["path"], "/api/v1/namespaces/rec/secrets");
  Client anonymous(*server, std::string());
  EXPECT_EQ(anonymous.get("/testserver/requests").status, 403);
}

TEST_F(FaultTest, RequestLogRecordsQueryAndStatus) {
  server->clear_requests();
  admin->get(kCm + "?limit=1");
  admin->get(kCm + "/nope");
  auto log = server->requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].method, "GET");
  EXPECT_EQ(log[0].query, "limit=1");
  EXPECT_EQ(log[1].status, 404);
}

using KubeconfigTest = ServerTest;

TEST_F(KubeconfigTest, WritesPrivateKubeconfigForTokenAndCert) {
  TempFile file;
  ASSERT_TRUE(server->write_kubeconfig(file.path()).has_value());
  struct stat st {};
  ASSERT_EQ(stat(file.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::ifstream in(file.path());
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = yaml::parse(ss.str());
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  EXPECT_EQ((*doc)["current-context"], "kftenant-test");
  EXPECT_EQ((*doc)["contexts"][0]["context"]["namespace"], "default");
  EXPECT_EQ((*doc)["clusters"][0]["cluster"]["server"], server->url());
  EXPECT_EQ(base64::decode(
                (*doc)["clusters"][0]["cluster"]["certificate-authority-data"].get<std::string>()),
            server->ca_pem());
  EXPECT_EQ((*doc)["users"][0]["user"]["token"], server->admin_token());

  ASSERT_TRUE(
      server->write_kubeconfig(file.path(), ApiServer::KubeconfigAuth::kClientCert).has_value());
  std::ifstream in2(file.path());
  std::stringstream ss2;
  ss2 << in2.rdbuf();
  auto cert_doc = yaml::parse(ss2.str());
  ASSERT_TRUE(cert_doc.has_value());
  EXPECT_EQ(
      base64::decode((*cert_doc)["users"][0]["user"]["client-certificate-data"].get<std::string>()),
      server->admin_client_cert().cert_pem);
  EXPECT_FALSE(server->write_kubeconfig("/nonexistent-dir/kc").has_value());
}

TEST_F(KubeconfigTest, DirectStoreAccess) {
  auto put = server->put_object("v1", "configmaps", configmap("rec-direct"));
  ASSERT_TRUE(put.has_value()) << put.error().message;
  EXPECT_EQ(admin->get(kCm + "/rec-direct").status, 200);
  auto got = server->get_object("v1", "configmaps", "rec", "rec-direct");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ((*got)["data"]["k"], "v");
  ASSERT_TRUE(server->delete_object("v1", "configmaps", "rec", "rec-direct").has_value());
  auto missing = server->get_object("v1", "configmaps", "rec", "rec-direct");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().http_status, 404);
}

class SeedTest : public ServerTest {
  void customize(Options& o) override { o.seed_kubeflow = true; }
};

TEST_F(SeedTest, KubeflowObjectsArePreloaded) {
  auto cm = admin->get("/api/v1/namespaces/auth/configmaps/dex");
  ASSERT_EQ(cm.status, 200);
  EXPECT_NE(cm.j()["data"]["config.yaml"].get<std::string>().find("enablePasswordDB: true"),
            std::string::npos);
  EXPECT_EQ(admin->get("/api/v1/namespaces/auth/secrets/dex-passwords").status, 200);
  auto dex = admin->get("/apis/apps/v1/namespaces/auth/deployments/dex").j();
  EXPECT_EQ(dex["status"]["observedGeneration"], dex["metadata"]["generation"]);
  EXPECT_EQ(dex["status"]["availableReplicas"], dex["spec"]["replicas"]);
  EXPECT_EQ(admin->get("/apis/kubeflow.org/v1/profiles/kubeflow-user-example-com").status, 200);
  for (const char* role : {"kubeflow-admin", "kubeflow-edit", "kubeflow-view"}) {
    EXPECT_EQ(
        admin->get(std::string("/apis/rbac.authorization.k8s.io/v1/clusterroles/") + role).status,
        200);
  }
  EXPECT_EQ(admin->get("/apis/dex.coreos.com/v1/namespaces/auth/passwords").status, 200);
  EXPECT_EQ(
      admin->get("/apis/security.istio.io/v1beta1/namespaces/auth/authorizationpolicies").status,
      200);
}

}  // namespace
}  // namespace kftenant::testserver::testing
