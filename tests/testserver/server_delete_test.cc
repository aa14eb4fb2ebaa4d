// DELETE semantics: Status answers, preconditions, finalizers, namespace deletion, garbage
// collection, propagation policies, collections (transcripts 06, 10, 11, 12).
#include "server_test_util.h"

namespace kftenant::testserver::testing {
namespace {

using DeleteTest = ServerTest;

TEST_F(DeleteTest, DeleteAnswersStatusThenNotFound) {
  auto created = admin->post(kCm, configmap("rec-cm-del")).j();
  auto del = admin->del(kCm + "/rec-cm-del");
  ASSERT_EQ(del.status, 200);
  EXPECT_EQ(
      del.body,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"rec-cm-del","kind":"configmaps","uid":")" +
          created["metadata"]["uid"].get<std::string>() + "\"}}");
  EXPECT_EQ(admin->del(kCm + "/rec-cm-del").status, 404);
}

TEST_F(DeleteTest, Preconditions) {
  auto created = admin->post(kCm, configmap("rec-cm-pre")).j();
  auto wrong_uid = admin->del(
      kCm + "/rec-cm-pre", {{"preconditions", {{"uid", "11111111-2222-3333-4444-555555555555"}}}});
  EXPECT_EQ(wrong_uid.status, 409);
  EXPECT_EQ(
      wrong_uid.j()["message"],
      "Operation cannot be fulfilled on ConfigMap \"rec-cm-pre\": the UID in the precondition "
      "(11111111-2222-3333-4444-555555555555) does not match the UID in record (" +
          created["metadata"]["uid"].get<std::string>() +
          "). The object might have been deleted and then recreated");
  auto stale = admin->del(kCm + "/rec-cm-pre", {{"preconditions", {{"resourceVersion", "1"}}}});
  EXPECT_EQ(stale.status, 409);
  auto right =
      admin->del(kCm + "/rec-cm-pre", {{"preconditions", {{"uid", created["metadata"]["uid"]}}}});
  EXPECT_EQ(right.status, 200);
}

TEST_F(DeleteTest, FinalizersKeepTheObjectUntilRemoved) {
  json cm = configmap("rec-cm-fin");
  cm["metadata"]["finalizers"] = {"example.com/block"};
  admin->post(kCm, cm);
  auto del = admin->del(kCm + "/rec-cm-fin");
  ASSERT_EQ(del.status, 200);
  auto d = del.j();
  EXPECT_EQ(d["kind"], "ConfigMap");
  EXPECT_TRUE(d["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(d["metadata"]["deletionGracePeriodSeconds"], 0);
  auto again = admin->del(kCm + "/rec-cm-fin");
  EXPECT_EQ(again.j()["metadata"]["resourceVersion"], d["metadata"]["resourceVersion"]);
  EXPECT_EQ(admin->patch(kCm + "/rec-cm-fin", {{"data", {{"k", "changed"}}}}).status, 200);
  auto add =
      admin->patch(kCm + "/rec-cm-fin",
                   {{"metadata", {{"finalizers", {"example.com/block", "example.com/another"}}}}});
  EXPECT_EQ(add.status, 422);
  EXPECT_EQ(
      add.j()["message"],
      "ConfigMap \"rec-cm-fin\" is invalid: metadata.finalizers: Forbidden: no new finalizers "
      "can be added if the object is being deleted, found new finalizers "
      "[]string{\"example.com/another\"}");
  auto removed = admin->patch(kCm + "/rec-cm-fin", {{"metadata", {{"finalizers", json::array()}}}});
  EXPECT_EQ(removed.status, 200);
  EXPECT_FALSE(removed.j()["metadata"].contains("finalizers"));
  EXPECT_EQ(admin->get(kCm + "/rec-cm-fin").status, 404);
}

// The namespace stays Terminating long enough for the late create to reach it even on a loaded
// machine (the fixture's default delay is 50 ms).
class NamespaceDeletionTest : public ServerTest {
  void customize(Options& o) override { o.namespace_deletion_delay = std::chrono::seconds(2); }
};

TEST_F(NamespaceDeletionTest, NamespaceDeletionRemovesContent) {
  ASSERT_EQ(admin->post("/api/v1/namespaces", {{"metadata", {{"name", "rec-ns-del"}}}}).status,
            201);
  ASSERT_EQ(admin
                ->post("/api/v1/namespaces/rec-ns-del/configmaps",
                       {{"metadata", {{"name", "rec-cm-inside"}}}, {"data", {{"k", "v"}}}})
                .status,
            201);
  auto del = admin->del("/api/v1/namespaces/rec-ns-del");
  ASSERT_EQ(del.status, 200);
  EXPECT_EQ(del.j()["status"]["phase"], "Terminating");
  EXPECT_EQ(del.j()["spec"]["finalizers"], json::array({"kubernetes"}));
  auto late = admin->post("/api/v1/namespaces/rec-ns-del/configmaps",
                          {{"metadata", {{"name", "rec-cm-late"}}}, {"data", {{"k", "v"}}}});
  EXPECT_EQ(late.status, 403);
  EXPECT_EQ(late.j()["message"],
            "configmaps \"rec-cm-late\" is forbidden: unable to create new content in namespace "
            "rec-ns-del because it is being terminated");
  EXPECT_TRUE(
      eventually([&] { return admin->get("/api/v1/namespaces/rec-ns-del").status == 404; }));
  EXPECT_EQ(admin->get("/api/v1/namespaces/rec-ns-del/configmaps/rec-cm-inside").status, 404);
}

TEST_F(DeleteTest, GarbageCollectionDeletesDependents) {
  create_profile_crd();
  auto owner = admin->post("/apis/kubeflow.org/v1/profiles", profile("rec-gc-owner")).j();
  json ns = {{"metadata",
              {{"name", "rec-gc-ns"},
               {"ownerReferences",
                {{{"apiVersion", "kubeflow.org/v1"},
                  {"kind", "Profile"},
                  {"name", "rec-gc-owner"},
                  {"uid", owner["metadata"]["uid"]},
                  {"controller", true},
                  {"blockOwnerDeletion", true}}}}}}};
  ASSERT_EQ(admin->post("/api/v1/namespaces", ns).status, 201);
  json cm = configmap("rec-gc-cm");
  cm["metadata"]["ownerReferences"] = ns["metadata"]["ownerReferences"];
  ASSERT_EQ(admin->post(kCm, cm).status, 201);
  EXPECT_EQ(admin->del("/apis/kubeflow.org/v1/profiles/rec-gc-owner").j()["status"], "Success");
  EXPECT_EQ(admin->get("/apis/kubeflow.org/v1/profiles/rec-gc-owner").status, 404);
  EXPECT_TRUE(eventually([&] { return admin->get("/api/v1/namespaces/rec-gc-ns").status == 404; }));
  EXPECT_TRUE(eventually([&] { return admin->get(kCm + "/rec-gc-cm").status == 404; }));
}

TEST_F(DeleteTest, ForegroundDeletionWaitsForDependents) {
  create_profile_crd();
  auto owner = admin->post("/apis/kubeflow.org/v1/profiles", profile("rec-fg")).j();
  json cm = configmap("rec-fg-cm");
  cm["metadata"]["ownerReferences"] = {{{"apiVersion", "kubeflow.org/v1"},
                                        {"kind", "Profile"},
                                        {"name", "rec-fg"},
                                        {"uid", owner["metadata"]["uid"]},
                                        {"blockOwnerDeletion", true}}};
  ASSERT_EQ(admin->post(kCm, cm).status, 201);
  auto del = admin->del("/apis/kubeflow.org/v1/profiles/rec-fg?propagationPolicy=Foreground");
  ASSERT_EQ(del.status, 200);
  EXPECT_EQ(del.j()["metadata"]["finalizers"], json::array({"foregroundDeletion"}));
  EXPECT_EQ(del.j()["metadata"]["generation"], 2);
  EXPECT_TRUE(eventually(
      [&] { return admin->get("/apis/kubeflow.org/v1/profiles/rec-fg").status == 404; }));
  EXPECT_EQ(admin->get(kCm + "/rec-fg-cm").status, 404);
}

TEST_F(DeleteTest, OrphanKeepsDependents) {
  auto owner = admin->post(kCm, configmap("rec-owner")).j();
  json cm = configmap("rec-orphan");
  cm["metadata"]["ownerReferences"] = {{{"apiVersion", "v1"},
                                        {"kind", "ConfigMap"},
                                        {"name", "rec-owner"},
                                        {"uid", owner["metadata"]["uid"]}}};
  admin->post(kCm, cm);
  EXPECT_EQ(admin->del(kCm + "/rec-owner?propagationPolicy=Orphan").status, 200);
  EXPECT_TRUE(eventually([&] { return admin->get(kCm + "/rec-owner").status == 404; }));
  auto orphan = admin->get(kCm + "/rec-orphan");
  ASSERT_EQ(orphan.status, 200);
  EXPECT_FALSE(orphan.j()["metadata"].contains("ownerReferences"));
}

TEST_F(DeleteTest, DeleteCollectionWithLabelSelector) {
  admin->post(kCm, configmap("rec-cm-col-1", {{"k", "v"}}, {{"rec-col", "1"}}));
  admin->post(kCm, configmap("rec-cm-col-2", {{"k", "v"}}, {{"rec-col", "1"}}));
  admin->post(kCm, configmap("rec-cm-keep", {{"k", "v"}}, {{"rec-col", "2"}}));
  auto del = admin->del(kCm + "?labelSelector=rec-col%3D1");
  ASSERT_EQ(del.status, 200);
  EXPECT_EQ(del.j()["kind"], "ConfigMapList");
  ASSERT_EQ(del.j()["items"].size(), 2u);
  EXPECT_EQ(admin->get(kCm + "/rec-cm-col-1").status, 404);
  EXPECT_EQ(admin->get(kCm + "/rec-cm-keep").status, 200);
}

// As on a real server (apiextensions-apiserver's finalizer controller; tests/differential
// k07-crd-lifecycle): a deleted CRD is terminating while objects of it remain, refuses new ones,
// deletes the others, and goes with its kind once the last one is gone.
TEST_F(DeleteTest, DeletingACrdRemovesItsResources) {
  const std::string crd =
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/profiles.kubeflow.org";
  create_profile_crd();
  ASSERT_EQ(admin->post("/apis/kubeflow.org/v1/profiles", profile("rec-p")).status, 201);
  json held = profile("rec-held");
  held["metadata"]["finalizers"] = {"example.com/hold"};
  ASSERT_EQ(admin->post("/apis/kubeflow.org/v1/profiles", held).status, 201);
  auto del = admin->del(crd);
  ASSERT_EQ(del.status, 200);
  EXPECT_EQ(del.j()["kind"], "CustomResourceDefinition");
  EXPECT_EQ(del.j()["metadata"]["finalizers"],
            json::array({"customresourcecleanup.apiextensions.k8s.io"}));
  EXPECT_TRUE(del.j()["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(del.j()["status"]["conditions"].back()["reason"], "InstanceDeletionPending");
  auto refused = admin->post("/apis/kubeflow.org/v1/profiles", profile("rec-late"));
  EXPECT_EQ(refused.status, 405);
  EXPECT_EQ(refused.j()["message"],
            "create not allowed while custom resource definition is terminating");
  EXPECT_EQ(refused.j()["details"], (json{{"group", "kubeflow.org"}, {"kind", "profiles"}}));
  auto eventually = [](auto pred) {
    for (int i = 0; i < 200 && !pred(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return pred();
  };
  EXPECT_TRUE(
      eventually([&] { return admin->get("/apis/kubeflow.org/v1/profiles/rec-p").status == 404; }));
  auto terminating = admin->get("/apis/kubeflow.org/v1/profiles/rec-held");
  ASSERT_EQ(terminating.status, 200);
  EXPECT_TRUE(terminating.j()["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(admin->get(crd).j()["status"]["conditions"].back()["reason"],
            "InstanceDeletionInProgress");
  ASSERT_EQ(admin
                ->patch("/apis/kubeflow.org/v1/profiles/rec-held",
                        {{"metadata", {{"finalizers", nullptr}}}})
                .status,
            200);
  EXPECT_TRUE(eventually([&] { return admin->get(crd).status == 404; }));
  auto gone = admin->get("/apis/kubeflow.org/v1/profiles/rec-held");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.body, "404 page not found\n");
}

}  // namespace
}  // namespace kftenant::testserver::testing
