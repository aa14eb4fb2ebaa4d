// The Client against the test API server over real HTTPS (libcurl): credentials, TLS settings,
// verbs, conflicts, paging and every kind of injected fault.
#include <thread>

#include "client_fixture.h"

namespace kftenant::kube::integration {
namespace {

using nlohmann::json;
using Auth = testserver::ApiServer::KubeconfigAuth;

TEST_F(ClientIntegration, TokenCredentials) {
  make_namespace("tok");
  auto created = client->create(resources::kConfigMaps, "tok", configmap("a"));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_FALSE(created->resolved_by_read);
  auto got = client->get(resources::kConfigMaps, "tok", "a");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ((*got)["data"]["k"], "v");
  EXPECT_FALSE((*got)["metadata"]["uid"].get<std::string>().empty());
}

TEST_F(ClientIntegration, ClientCertificateCredentials) {
  RestConfig cert_config = load(Auth::kClientCert);
  ASSERT_FALSE(cert_config.client_cert_pem.empty());
  ASSERT_TRUE(cert_config.token.empty());
  auto c = make_client(cert_config);
  ASSERT_TRUE(c);
  auto list = c->list(resources::kNamespaces, "");
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_EQ((*list)["kind"], "NamespaceList");
}

TEST_F(ClientIntegration, BadTokenIsUnauthorized) {
  RestConfig bad = config;
  bad.token = "not-a-valid-token";
  auto c = make_client(bad);
  auto r = c->list(resources::kNamespaces, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(r.error().message.find("not-a-valid-token"), std::string::npos);
}

TEST_F(ClientIntegration, TlsVerification) {
  RestConfig no_ca = config;
  no_ca.ca_pem.clear();  // the system trust store does not know the test CA
  auto r = make_client(no_ca)->list(resources::kNamespaces, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTransport);
  EXPECT_NE(r.error().message.find(config.server), std::string::npos);

  RestConfig insecure = no_ca;
  insecure.insecure_skip_tls_verify = true;
  EXPECT_TRUE(make_client(insecure)->list(resources::kNamespaces, ""));
}

TEST_F(ClientIntegration, TlsServerName) {
  // The serving certificate is for localhost and 127.0.0.1; the URL says 127.0.0.1.
  RestConfig named = config;
  named.tls_server_name = "localhost";
  auto ok = make_client(named)->list(resources::kNamespaces, "");
  EXPECT_TRUE(ok) << ok.error().message;
  named.tls_server_name = "wrong.example";
  auto bad = make_client(named)->list(resources::kNamespaces, "");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kTransport);
}

TEST_F(ClientIntegration, ServerMessagesComeThrough) {
  auto missing = client->get(resources::kConfigMaps, "default", "rec-missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, "configmaps \"rec-missing\" not found");
  auto invalid = client->create(resources::kConfigMaps, "default", configmap("Bad_Name"));
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalid);
  ASSERT_FALSE(invalid.error().causes.empty());
  EXPECT_EQ(invalid.error().causes[0].field, "metadata.name");
  ASSERT_TRUE(client->create(resources::kConfigMaps, "default", configmap("dup")));
  auto dup = client->create(resources::kConfigMaps, "default", configmap("dup"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
}

TEST_F(ClientIntegration, ReplaceConflictAndReadModifyWrite) {
  auto created =
      client->create(resources::kConfigMaps, "default", configmap("counter", {{"n", "0"}}));
  ASSERT_TRUE(created);
  json stale = created->object;
  auto first = client->read_modify_write(resources::kConfigMaps, "default", "counter",
                                         [](json& o) -> Result<bool> {
                                           o["data"]["n"] = "1";
                                           return true;
                                         });
  ASSERT_TRUE(first) << first.error().message;
  stale["data"]["n"] = "stale";
  auto conflict = client->replace(resources::kConfigMaps, "default", stale);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);

  // Two writers incrementing concurrently: conflicts are retried, no update is lost.
  auto other = make_client(config);
  auto increment = [](Client& c, int times) {
    for (int i = 0; i < times; ++i) {
      auto r = c.read_modify_write(
          resources::kConfigMaps, "default", "counter",
          [](json& o) -> Result<bool> {
            o["data"]["n"] = std::to_string(std::stoi(o["data"]["n"].get<std::string>()) + 1);
            return true;
          },
          50);
      ASSERT_TRUE(r) << r.error().message;
    }
  };
  std::thread t1([&] { increment(*client, 10); });
  std::thread t2([&] { increment(*other, 10); });
  t1.join();
  t2.join();
  auto final_state = client->get(resources::kConfigMaps, "default", "counter");
  ASSERT_TRUE(final_state);
  EXPECT_EQ((*final_state)["data"]["n"], "21");
}

TEST_F(ClientIntegration, PatchDeleteAndStatus) {
  ASSERT_TRUE(
      client->create(resources::kConfigMaps, "default", configmap("p", {{"a", "1"}, {"b", "2"}})));
  auto merged = client->patch(resources::kConfigMaps, "default", "p", {{"data", {{"a", nullptr}}}});
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_FALSE((*merged)["data"].contains("a"));
  PatchOptions jp;
  jp.type = PatchType::kJsonPatch;
  auto failed_test =
      client->patch(resources::kConfigMaps, "default", "p",
                    json::array({{{"op", "test"}, {"path", "/data/b"}, {"value", "nope"}}}), jp);
  ASSERT_FALSE(failed_test);
  EXPECT_EQ(failed_test.error().code, ErrorCode::kInvalid);

  auto got = client->get(resources::kConfigMaps, "default", "p");
  ASSERT_TRUE(got);
  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "11111111-2222-3333-4444-555555555555";
  auto pre = client->remove(resources::kConfigMaps, "default", "p", wrong_uid);
  ASSERT_FALSE(pre);
  EXPECT_EQ(pre.error().code, ErrorCode::kConflict);
  DeleteOptions right_uid;
  right_uid.precondition_uid = (*got)["metadata"]["uid"];
  auto deleted = client->remove(resources::kConfigMaps, "default", "p", right_uid);
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ((*deleted)["kind"], "Status");
  EXPECT_EQ((*deleted)["status"], "Success");
}

TEST_F(ClientIntegration, Paging) {
  make_namespace("pg");
  for (int i = 1; i <= 5; ++i) {
    json cm = configmap("pg-" + std::to_string(i));
    cm["metadata"]["labels"] = {{"set", "pg"}};
    ASSERT_TRUE(client->create(resources::kConfigMaps, "pg", cm));
  }
  ListOptions o;
  o.label_selector = "set=pg";
  o.limit = 2;
  auto first = client->list(resources::kConfigMaps, "pg", o);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ((*first)["items"].size(), 2u);
  EXPECT_FALSE((*first)["metadata"]["continue"].get<std::string>().empty());
  auto all = client->list_all(resources::kConfigMaps, "pg", o);
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ((*all)["items"].size(), 5u);
  EXPECT_EQ((*all)["items"][4]["metadata"]["name"], "pg-5");
  EXPECT_FALSE((*all)["metadata"].contains("continue"));
  EXPECT_EQ(count_requests("GET", "/namespaces/pg/configmaps"), 4);  // 1 + 3 pages
}

TEST_F(ClientIntegration, ResolveThroughDiscovery) {
  ASSERT_TRUE(server->put_object(
      "apiextensions.k8s.io/v1", "customresourcedefinitions",
      json::parse(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"widgets.example.com"},
    "spec":{"group":"example.com","scope":"Cluster","names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList"},
      "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})")));
  auto ref = client->resolve("example.com/v1", "Widget");
  ASSERT_TRUE(ref) << ref.error().message;
  EXPECT_EQ(ref->resource, "widgets");
  EXPECT_FALSE(ref->namespaced);
  auto missing = client->resolve("nothing.example.com/v1", "Thing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

// ---- injected faults ----------------------------------------------------------------------

TEST_F(ClientIntegration, ServerErrorsOnReadsAreRetried) {
  ASSERT_TRUE(client->create(resources::kConfigMaps, "default", configmap("f")));
  testserver::FaultRule rule;
  rule.method = "GET";
  rule.path_regex = "/configmaps/f$";
  rule.status = 500;
  rule.count = 2;
  server->inject_fault(rule);
  server->clear_requests();
  auto got = client->get(resources::kConfigMaps, "default", "f");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(count_requests("GET", "/configmaps/f"), 3);
}

TEST_F(ClientIntegration, UnavailableOnPutIsRetried) {
  auto created = client->create(resources::kConfigMaps, "default", configmap("u"));
  ASSERT_TRUE(created);
  testserver::FaultRule rule;
  rule.method = "PUT";
  rule.status = 503;
  server->inject_fault(rule);
  json changed = created->object;
  changed["data"]["k"] = "w";
  auto r = client->replace(resources::kConfigMaps, "default", changed);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)["data"]["k"], "w");
}

TEST_F(ClientIntegration, TooManyRequestsOnCreateHonoursRetryAfter) {
  testserver::FaultRule rule;
  rule.method = "POST";
  rule.status = 429;
  rule.retry_after_seconds = 2;
  server->inject_fault(rule);
  server->clear_requests();
  auto r = client->create(resources::kConfigMaps, "default", configmap("tmr"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(count_requests("POST", "/configmaps"), 2);
  auto sleeps = clock->sleeps();
  ASSERT_FALSE(sleeps.empty());
  EXPECT_EQ(sleeps.back(), std::chrono::seconds(2));
}

TEST_F(ClientIntegration, InjectedConflictIsRetriedByReadModifyWrite) {
  ASSERT_TRUE(client->create(resources::kConfigMaps, "default", configmap("c", {{"n", "0"}})));
  testserver::FaultRule rule;
  rule.method = "PUT";
  rule.status = 409;
  server->inject_fault(rule);
  int calls = 0;
  auto r = client->read_modify_write(resources::kConfigMaps, "default", "c",
                                     [&](json& o) -> Result<bool> {
                                       ++calls;
                                       o["data"]["n"] = "1";
                                       return true;
                                     });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(calls, 2);
  EXPECT_EQ((*r)["data"]["n"], "1");
}

TEST_F(ClientIntegration, LatencyBeyondTheTimeoutIsRetriedForReads) {
  ClientOptions o;
  o.request_timeout = std::chrono::milliseconds(300);
  auto fast = make_client(config, o);
  testserver::FaultRule rule;
  rule.method = "GET";
  rule.path_regex = "/namespaces$";
  rule.latency = std::chrono::milliseconds(1500);
  server->inject_fault(rule);
  auto r = fast->list(resources::kNamespaces, "");
  ASSERT_TRUE(r) << r.error().message;
  // With retries off the timeout surfaces as kTimeout.
  o.retry = RetryPolicy::none();
  auto once = make_client(config, o);
  server->inject_fault(rule);
  auto timed_out = once->list(resources::kNamespaces, "");
  ASSERT_FALSE(timed_out);
  EXPECT_EQ(timed_out.error().code, ErrorCode::kTimeout);
}

TEST_F(ClientIntegration, DroppedConnectionOnReadIsRetried) {
  testserver::FaultRule rule;
  rule.method = "GET";
  rule.path_regex = "/namespaces$";
  rule.drop_connection = true;
  server->inject_fault(rule);
  server->clear_requests();
  auto r = client->list(resources::kNamespaces, "");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE((*r)["items"].is_array());
  // The first answer was cut (the fault fired), the retry got the list.
  auto log = server->requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].fault, "drop after processing");
  EXPECT_EQ(log[1].fault, "");
  EXPECT_EQ(log[1].status, 200);
}

TEST_F(ClientIntegration, CreateWhoseAnswerWasLostIsResolvedByReading) {
  testserver::FaultRule rule;
  rule.method = "POST";
  rule.path_regex = "/configmaps$";
  rule.drop_connection = true;  // processed, then the answer is cut
  server->inject_fault(rule);
  server->clear_requests();
  auto r = client->create(resources::kConfigMaps, "default", configmap("lost"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->resolved_by_read);
  EXPECT_EQ(r->object["metadata"]["name"], "lost");
  EXPECT_EQ(count_requests("POST", "/configmaps"), 1);  // never re-POSTed
}

TEST_F(ClientIntegration, CreateDroppedBeforeProcessingIsPostedAgain) {
  testserver::FaultRule rule;
  rule.method = "POST";
  rule.path_regex = "/configmaps$";
  rule.drop_connection = true;
  rule.drop_before_processing = true;
  server->inject_fault(rule);
  server->clear_requests();
  auto r = client->create(resources::kConfigMaps, "default", configmap("again"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->resolved_by_read);
  EXPECT_EQ(count_requests("POST", "/configmaps"), 2);
  EXPECT_EQ(count_requests("GET", "/configmaps/again"), 1);
}

TEST_F(ClientIntegration, ServerErrorOnPatchIsNotRetried) {
  ASSERT_TRUE(client->create(resources::kConfigMaps, "default", configmap("np")));
  testserver::FaultRule rule;
  rule.method = "PATCH";
  rule.status = 500;
  server->inject_fault(rule);
  server->clear_requests();
  auto r = client->patch(resources::kConfigMaps, "default", "np", {{"data", {{"k", "x"}}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kServerError);
  EXPECT_EQ(count_requests("PATCH", "/configmaps/np"), 1);
}

}  // namespace
}  // namespace kftenant::kube::integration
