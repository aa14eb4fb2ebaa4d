// Create/get/update/patch semantics of the test API server, over HTTPS, checked against what the
// recorded kube-apiserver answered (../shared/reference/apiserver-transcripts/01-05, 09, 16, 17).
#include "server_test_util.h"

namespace kftenant::testserver::testing {
namespace {

using CrudTest = ServerTest;

TEST_F(CrudTest, CreateThenGetReturnsStoredObjectInStructOrder) {
  auto created = admin->post(kCm, configmap("rec-cm-a", {{"greeting", "hello"}}));
  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(created.content_type, "application/json");
  auto obj = created.oj();
  std::vector<std::string> keys;
  for (auto& [k, v] : obj.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"kind", "apiVersion", "metadata", "data"}));
  std::vector<std::string> meta_keys;
  for (auto& [k, v] : obj["metadata"].items()) meta_keys.push_back(k);
  EXPECT_EQ(meta_keys, (std::vector<std::string>{"name", "namespace", "uid", "resourceVersion",
                                                 "creationTimestamp"}));
  EXPECT_FALSE(obj["metadata"].contains("generation"));  // ConfigMaps have no generation
  auto got = admin->get(kCm + "/rec-cm-a");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.oj(), obj);
}

TEST_F(CrudTest, CreateTwiceIsAlreadyExists) {
  ASSERT_EQ(admin->post(kCm, configmap("rec-cm-a")).status, 201);
  auto again = admin->post(kCm, configmap("rec-cm-a"));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(
      again.body,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"rec-cm-a\" already exists","reason":"AlreadyExists","details":{"name":"rec-cm-a","kind":"configmaps"},"code":409})");
}

TEST_F(CrudTest, GetMissingAndUnknownResources) {
  auto missing = admin->get(kCm + "/rec-missing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.j()["message"], "configmaps \"rec-missing\" not found");
  auto core = admin->get("/api/v1/namespaces/rec/nosuchresources");
  EXPECT_EQ(core.status, 404);
  EXPECT_EQ(core.j()["message"], "the server could not find the requested resource");
  auto group = admin->get("/apis/no.such.group.example/v1/foos");
  EXPECT_EQ(group.status, 404);
  EXPECT_EQ(group.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(group.body, "404 page not found\n");
}

TEST_F(CrudTest, DryRunGenerateNameAndMissingNamespace) {
  auto dry = admin->post(kCm + "?dryRun=All", configmap("rec-cm-dry"));
  ASSERT_EQ(dry.status, 201);
  EXPECT_TRUE(dry.j()["metadata"].contains("uid"));
  EXPECT_FALSE(dry.j()["metadata"].contains("resourceVersion"));
  EXPECT_EQ(admin->get(kCm + "/rec-cm-dry").status, 404);

  json gen = configmap("");
  gen["metadata"].erase("name");
  gen["metadata"]["generateName"] = "rec-gen-";
  auto g = admin->post(kCm, gen);
  ASSERT_EQ(g.status, 201);
  std::string name = g.j()["metadata"]["name"];
  EXPECT_EQ(name.size(), 13u);
  EXPECT_EQ(name.rfind("rec-gen-", 0), 0u);

  auto nons = admin->post("/api/v1/namespaces/rec-no-such-namespace/configmaps",
                          {{"metadata", {{"name", "x"}}}, {"data", {{"k", "v"}}}});
  EXPECT_EQ(nons.status, 404);
  EXPECT_EQ(nons.j()["message"], "namespaces \"rec-no-such-namespace\" not found");
}

TEST_F(CrudTest, InvalidCreates) {
  auto bad = admin->post(kCm, configmap("Bad_Name"));
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.j()["details"]["causes"][0]["field"], "metadata.name");
  json noname = configmap("x");
  noname["metadata"].erase("name");
  auto nn = admin->post(kCm, noname);
  EXPECT_EQ(nn.status, 422);
  EXPECT_EQ(nn.j()["message"],
            "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is "
            "required");
  json kind = configmap("rec-cm-kind");
  kind["kind"] = "Secret";
  EXPECT_EQ(admin->post(kCm, kind).j()["message"],
            "Secret in version \"v1\" cannot be handled as a ConfigMap: converting (v1.Secret) to "
            "(core.ConfigMap): unknown conversion");
  json ns = configmap("rec-cm-ns");
  ns["metadata"]["namespace"] = "default";
  EXPECT_EQ(admin->post(kCm, ns).status, 400);
  json rv = configmap("rec-cm-rv");
  rv["metadata"]["resourceVersion"] = "1";
  auto rvr = admin->post(kCm, rv);
  EXPECT_EQ(rvr.status, 500);
  EXPECT_EQ(
      rvr.body,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"resourceVersion should not be set on objects to be created","code":500})");
  json number = configmap("rec-cm-type", {{"k", 5}});
  EXPECT_EQ(admin->post(kCm, number).j()["message"],
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal "
            "number into Go struct field ConfigMap.data of type string");
  auto malformed =
      admin->post_raw(kCm, R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": )",
                      "application/json");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.j()["message"],
            "the object provided is unrecognized (must be of type ConfigMap): couldn't get "
            "version/kind; json parse error: unexpected end of JSON input ({\"apiVersion\": "
            "\"v1\", \"kind\": \" ...)");
}

TEST_F(CrudTest, UnknownFieldsWarnOrFailWhenStrict) {
  json cm = configmap("rec-cm-unknown");
  cm["spec"] = {{"foo", 1}};
  auto lax = admin->post(kCm, cm);
  ASSERT_EQ(lax.status, 201);
  EXPECT_FALSE(lax.j().contains("spec"));
  EXPECT_EQ(lax.headers.find("Warning")->second, "299 - \"unknown field \\\"spec\\\"\"");
  cm["metadata"]["name"] = "rec-cm-strict";
  auto strict = admin->post(kCm + "?fieldValidation=Strict", cm);
  EXPECT_EQ(strict.status, 400);
  EXPECT_EQ(strict.j()["message"],
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: "
            "unknown field \"spec\"");
}

TEST_F(CrudTest, PutRules) {
  auto created = admin->post(kCm, configmap("rec-cm-put", {{"n", "0"}})).j();
  json v1 = created;
  v1["data"]["n"] = "1";
  auto put1 = admin->put(kCm + "/rec-cm-put", v1);
  ASSERT_EQ(put1.status, 200);
  EXPECT_NE(put1.j()["metadata"]["resourceVersion"], created["metadata"]["resourceVersion"]);
  json stale = created;
  stale["data"]["n"] = "2";
  auto conflict = admin->put(kCm + "/rec-cm-put", stale);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.j()["message"],
            "Operation cannot be fulfilled on configmaps \"rec-cm-put\": the object has been "
            "modified; please apply your changes to the latest version and try again");
  json norv = put1.j();
  norv["metadata"].erase("resourceVersion");
  norv["data"]["n"] = "3";
  auto unconditional = admin->put(kCm + "/rec-cm-put", norv);
  ASSERT_EQ(unconditional.status, 200);
  auto same = admin->put(kCm + "/rec-cm-put", unconditional.j());
  EXPECT_EQ(same.j()["metadata"]["resourceVersion"],
            unconditional.j()["metadata"]["resourceVersion"]);
  json other = unconditional.j();
  other["metadata"]["name"] = "rec-cm-other";
  EXPECT_EQ(
      admin->put(kCm + "/rec-cm-put", other).j()["message"],
      "the name of the object (rec-cm-other) does not match the name on the URL (rec-cm-put)");
  EXPECT_EQ(admin->put(kCm + "/rec-cm-nope", configmap("rec-cm-nope")).status, 404);
  json uid = unconditional.j();
  uid["metadata"]["uid"] = "11111111-2222-3333-4444-555555555555";
  auto uidr = admin->put(kCm + "/rec-cm-put", uid);
  EXPECT_EQ(uidr.status, 409);
  EXPECT_NE(uidr.j()["message"].get<std::string>().find("Precondition failed: UID in precondition"),
            std::string::npos);
}

TEST_F(CrudTest, CustomResourcePutNeedsResourceVersionAndKeysAreSorted) {
  create_profile_crd();
  auto created = admin->post("/apis/kubeflow.org/v1/profiles", profile("rec-put-profile"));
  ASSERT_EQ(created.status, 201);
  std::vector<std::string> keys;
  auto created_obj = created.oj();
  for (auto& [k, v] : created_obj.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"apiVersion", "kind", "metadata", "spec"}));
  EXPECT_EQ(created.j()["metadata"]["generation"], 1);
  json norv = created.j();
  norv["metadata"].erase("resourceVersion");
  auto r = admin->put("/apis/kubeflow.org/v1/profiles/rec-put-profile", norv);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.j()["message"],
            "profiles.kubeflow.org \"rec-put-profile\" is invalid: metadata.resourceVersion: "
            "Invalid value: 0x0: must be specified for an update");
}

TEST_F(CrudTest, PatchFlavours) {
  admin->post(kCm, configmap("rec-cm-patch", {{"a", "1"}, {"b", "2"}}));
  auto merged =
      admin->patch(kCm + "/rec-cm-patch", {{"data", {{"a", "10"}, {"b", nullptr}, {"c", "3"}}}});
  ASSERT_EQ(merged.status, 200);
  EXPECT_EQ(merged.j()["data"], (json{{"a", "10"}, {"c", "3"}}));
  auto failing = admin->patch(kCm + "/rec-cm-patch",
                              json::array({{{"op", "test"}, {"path", "/data/a"}, {"value", "x"}}}),
                              "application/json-patch+json");
  EXPECT_EQ(failing.status, 422);
  EXPECT_EQ(failing.j()["message"],
            "the server rejected our request due to an error in our request");
  auto jp = admin->patch(kCm + "/rec-cm-patch",
                         json::array({{{"op", "replace"}, {"path", "/data/a"}, {"value", "11"}}}),
                         "application/json-patch+json");
  EXPECT_EQ(jp.j()["data"]["a"], "11");
  auto stale = admin->patch(kCm + "/rec-cm-patch", {{"metadata", {{"resourceVersion", "1"}}}});
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(admin->patch(kCm + "/rec-cm-nope", {{"data", {{"a", "1"}}}}).status, 404);
  auto plain = admin->patch(kCm + "/rec-cm-patch", {{"data", {{"a", "1"}}}}, "application/json");
  EXPECT_EQ(plain.status, 415);
  EXPECT_EQ(plain.j()["message"], "415: Unsupported Media Type");

  create_profile_crd();
  admin->post("/apis/kubeflow.org/v1/profiles", profile("rec-patch-profile"));
  auto smp = admin->patch("/apis/kubeflow.org/v1/profiles/rec-patch-profile",
                          {{"spec", {{"owner", {{"name", "x@example.com"}}}}}},
                          "application/strategic-merge-patch+json");
  EXPECT_EQ(smp.status, 415);
  auto mp = admin->patch("/apis/kubeflow.org/v1/profiles/rec-patch-profile",
                         {{"spec", {{"owner", {{"name", "x@example.com"}}}}}});
  EXPECT_EQ(mp.j()["metadata"]["generation"], 2);
  EXPECT_EQ(mp.j()["spec"]["owner"]["kind"], "User");
}

json deployment(const std::string& name) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}, {"namespace", "rec"}}},
          {"spec",
           {{"replicas", 1},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", name}}}}},
              {"spec",
               {{"containers", {{{"name", "main"}, {"image", "registry.example/app:1.0"}}}}}}}}}}};
}

// The second, identical patch must land before the simulated rollout finishes (which writes the
// status and bumps resourceVersion), even on a loaded machine.
class DeploymentRolloutTest : public ServerTest {
  void customize(Options& o) override { o.rollout_delay = std::chrono::seconds(1); }
};

TEST_F(DeploymentRolloutTest, DeploymentDefaultsGenerationAndRollout) {
  const std::string path = "/apis/apps/v1/namespaces/rec/deployments";
  auto created = admin->post(path, deployment("rec-deploy"));
  ASSERT_EQ(created.status, 201);
  auto d = created.j();
  EXPECT_EQ(d["metadata"]["generation"], 1);
  EXPECT_EQ(d["status"], json::object());
  EXPECT_EQ(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], "IfNotPresent");
  EXPECT_TRUE(d["spec"]["template"]["metadata"]["creationTimestamp"].is_null());
  // The simulated controller reports the rollout complete.
  ASSERT_TRUE(eventually([&] {
    auto s = admin->get(path + "/rec-deploy").j()["status"];
    return s.value("observedGeneration", 0) == 1 && s.value("availableReplicas", 0) == 1;
  }));
  json restart = {
      {"spec",
       {{"template",
         {{"metadata",
           {{"annotations", {{"kubectl.kubernetes.io/restartedAt", "2026-01-01T00:00:00Z"}}}}}}}}}};
  auto p1 = admin->patch(path + "/rec-deploy", restart, "application/strategic-merge-patch+json");
  ASSERT_EQ(p1.status, 200);
  EXPECT_EQ(p1.j()["metadata"]["generation"], 2);
  EXPECT_EQ(p1.j()["status"]["observedGeneration"], 1);
  auto p2 = admin->patch(path + "/rec-deploy", restart, "application/strategic-merge-patch+json");
  EXPECT_EQ(p2.j()["metadata"]["resourceVersion"], p1.j()["metadata"]["resourceVersion"]);
  ASSERT_TRUE(eventually([&] {
    auto s = admin->get(path + "/rec-deploy").j()["status"];
    return s.value("observedGeneration", 0) == 2 &&
           s["conditions"][1]["reason"] == "NewReplicaSetAvailable";
  }));
  auto scale = admin->get(path + "/rec-deploy/scale");
  EXPECT_EQ(scale.j()["kind"], "Scale");
  EXPECT_EQ(scale.j()["status"]["selector"], "app=rec-deploy");
}

TEST_F(CrudTest, StatusSubresourceOfCustomResource) {
  create_profile_crd();
  const std::string path = "/apis/kubeflow.org/v1/profiles/rec-status-profile";
  json p = profile("rec-status-profile");
  p["status"] = {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}}};
  auto created = admin->post("/apis/kubeflow.org/v1/profiles", p);
  ASSERT_EQ(created.status, 201);
  EXPECT_FALSE(created.j().contains("status"));  // main resource ignores status
  json via_status = created.j();
  via_status["status"] = {{"conditions", {{{"type", "Ready"}, {"status", "False"}}}}};
  via_status["spec"]["owner"]["name"] = "changed@example.com";
  auto st = admin->put(path + "/status", via_status);
  ASSERT_EQ(st.status, 200);
  EXPECT_EQ(st.j()["status"]["conditions"][0]["status"], "False");
  EXPECT_EQ(st.j()["spec"]["owner"]["name"], "rec@example.com");  // spec ignored on /status
  EXPECT_EQ(st.j()["metadata"]["generation"], 1);
  json main = st.j();
  main["status"]["conditions"][0]["status"] = "Unknown";
  auto m = admin->put(path, main);
  EXPECT_EQ(m.j()["status"]["conditions"][0]["status"], "False");
  EXPECT_EQ(m.j()["metadata"]["resourceVersion"], st.j()["metadata"]["resourceVersion"]);
  auto labels = admin->patch(path, {{"metadata", {{"labels", {{"x", "y"}}}}}});
  EXPECT_EQ(labels.j()["metadata"]["generation"], 1);
  auto spec = admin->patch(path, {{"spec", {{"owner", {{"name", "b@example.com"}}}}}});
  EXPECT_EQ(spec.j()["metadata"]["generation"], 2);
}

TEST_F(CrudTest, CustomResourcePruningRequiredFieldsAndVersions) {
  create_profile_crd();
  json p = profile("rec-prune-profile");
  p["spec"]["unknownField"] = "x";
  auto pruned = admin->post("/apis/kubeflow.org/v1/profiles", p);
  ASSERT_EQ(pruned.status, 201);
  EXPECT_FALSE(pruned.j()["spec"].contains("unknownField"));
  EXPECT_EQ(pruned.headers.find("Warning")->second,
            "299 - \"unknown field \\\"spec.unknownField\\\"\"");
  json bad = profile("rec-bad-owner");
  bad["spec"]["owner"].erase("name");
  auto invalid = admin->post("/apis/kubeflow.org/v1/profiles", bad);
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(invalid.j()["message"],
            "Profile.kubeflow.org \"rec-bad-owner\" is invalid: spec.owner.name: Required value");
  json beta = profile("rec-beta-profile");
  beta["apiVersion"] = "kubeflow.org/v1beta1";
  ASSERT_EQ(admin->post("/apis/kubeflow.org/v1beta1/profiles", beta).status, 201);
  EXPECT_EQ(admin->get("/apis/kubeflow.org/v1/profiles/rec-beta-profile").j()["apiVersion"],
            "kubeflow.org/v1");
}

TEST_F(CrudTest, LeaseMicroTime) {
  const std::string path = "/apis/coordination.k8s.io/v1/namespaces/rec/leases";
  json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", "rec-lease"}}},
                {"spec", {{"holderIdentity", "a"}, {"acquireTime", "2026-01-01T00:00:00Z"}}}};
  auto bad = admin->post(path, lease);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.j()["message"],
            "Lease in version \"v1\" cannot be handled as a Lease: parsing time "
            "\"2026-01-01T00:00:00Z\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"Z\" "
            "as \".000000\"");
  lease["spec"]["acquireTime"] = "2026-01-01T00:00:00.000000Z";
  auto ok = admin->post(path, lease);
  EXPECT_EQ(ok.status, 201);
  EXPECT_EQ(ok.j()["spec"]["acquireTime"], "2026-01-01T00:00:00.000000Z");
}

TEST_F(CrudTest, ContentNegotiation) {
  admin->post(kCm, configmap("rec-cm-neg"));
  auto text = admin->get(kCm + "/rec-cm-neg", {{"Accept", "text/plain"}});
  EXPECT_EQ(text.status, 406);
  auto yaml_out = admin->get(kCm + "/rec-cm-neg", {{"Accept", "application/yaml"}});
  EXPECT_EQ(yaml_out.status, 200);
  EXPECT_EQ(yaml_out.content_type, "application/yaml");
  EXPECT_EQ(yaml_out.body.rfind("apiVersion: v1\ndata:\n  k: v\nkind: ConfigMap\n", 0), 0u)
      << yaml_out.body;
  auto yaml_in = admin->post_raw(
      kCm,
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rec-cm-yaml\ndata:\n  port: \"5556\"\n",
      "application/yaml");
  EXPECT_EQ(yaml_in.status, 201);
  EXPECT_EQ(yaml_in.j()["data"]["port"], "5556");
  auto plain = admin->post_raw(kCm, configmap("rec-cm-text").dump(), "text/plain");
  EXPECT_EQ(plain.status, 415);
}

TEST_F(CrudTest, ServerSideApply) {
  const std::string path = kCm + "/rec-ssa";
  const std::string body =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rec-ssa\n  namespace: rec\ndata:\n  "
      "owner: kftenant\n  shared: one\n";
  auto created =
      admin->patch_raw(path + "?fieldManager=kftenant", body, "application/apply-patch+yaml");
  ASSERT_EQ(created.status, 201);
  auto again =
      admin->patch_raw(path + "?fieldManager=kftenant", body, "application/apply-patch+yaml");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.j()["metadata"]["resourceVersion"], created.j()["metadata"]["resourceVersion"]);
  const std::string other =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rec-ssa\n  namespace: rec\ndata:\n  "
      "shared: two\n";
  auto conflict =
      admin->patch_raw(path + "?fieldManager=other", other, "application/apply-patch+yaml");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.j()["message"],
            "Apply failed with 1 conflict: conflict with \"kftenant\": .data.shared");
  auto forced = admin->patch_raw(path + "?fieldManager=other&force=true", other,
                                 "application/apply-patch+yaml");
  EXPECT_EQ(forced.j()["data"]["shared"], "two");
  const std::string drop =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rec-ssa\n  namespace: rec\ndata:\n  "
      "extra: added\n";
  auto dropped =
      admin->patch_raw(path + "?fieldManager=kftenant", drop, "application/apply-patch+yaml");
  EXPECT_EQ(dropped.j()["data"], (json{{"extra", "added"}, {"shared", "two"}}));
  auto nomanager = admin->patch_raw(path, drop, "application/apply-patch+yaml");
  EXPECT_EQ(nomanager.status, 422);
}

}  // namespace
}  // namespace kftenant::testserver::testing
