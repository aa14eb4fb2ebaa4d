// The test API server's simulated Kubeflow profile controller (Options::
// simulate_profile_controller), driven through kube::Client like kftenant drives a cluster.
// Expected objects come from ../shared/reference/kubeflow-contract.md §2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "integration/client_fixture.h"
#include "server_test_util.h"

namespace kftenant::kube::integration {
namespace {

using nlohmann::json;
using testserver::testing::eventually;

const ResourceRef kProfilesV1beta1{"kubeflow.org", "v1beta1", "profiles", "Profile", false};

json profile(const std::string& name, const std::string& owner) {
  return {{"apiVersion", "kubeflow.org/v1"},
          {"kind", "Profile"},
          {"metadata", {{"name", name}}},
          {"spec", {{"owner", {{"kind", "User"}, {"name", owner}}}}}};
}

bool has_finalizer(const json& obj, const std::string& f) {
  const json& m = obj["metadata"];
  if (!m.contains("finalizers")) return false;
  for (const auto& x : m["finalizers"]) {
    if (x == f) return true;
  }
  return false;
}

class ProfileController : public ClientIntegration {
 protected:
  void SetUp() override {
    testserver::Options o;
    o.seed_kubeflow = true;
    o.simulate_profile_controller = true;
    o.profile_controller_delay = std::chrono::milliseconds(20);
    o.namespace_deletion_delay = std::chrono::milliseconds(20);
    o.gc_delay = std::chrono::milliseconds(20);
    o.rollout_delay = std::chrono::milliseconds(20);
    customize(o);
    start(o);
  }
  virtual void customize(testserver::Options&) {}

  // Whether the object exists (404 → false; any other error fails the test).
  bool exists(const ResourceRef& ref, const std::string& ns, const std::string& name) {
    auto r = client->get(ref, ns, name);
    if (r) return true;
    EXPECT_EQ(r.error().http_status, 404) << r.error().message;
    return false;
  }
  json get(const ResourceRef& ref, const std::string& ns, const std::string& name) {
    auto r = client->get(ref, ns, name);
    EXPECT_TRUE(r) << ref.resource << " " << ns << "/" << name << ": " << r.error().message;
    return r ? *r : json();
  }
  void create_profile(const json& p, const ResourceRef& ref = resources::kProfiles) {
    auto r = client->create(ref, "", p);
    ASSERT_TRUE(r) << r.error().message;
  }
  // The controller adds its finalizer last: once it is there, one full reconcile is done.
  void wait_reconciled(const std::string& name) {
    ASSERT_TRUE(eventually([&] {
      auto p = client->get(resources::kProfiles, "", name);
      return p && has_finalizer(*p, "profile-finalizer");
    })) << "profile "
        << name << " never got profile-finalizer";
  }
  // Waits until every change made so far has been reconciled.
  void wait_idle() {
    ASSERT_TRUE(eventually([&] { return server->profile_controller_idle(); }))
        << "the profile controller never became idle";
  }
};

TEST_F(ProfileController, NewProfileGetsNamespaceAndEverythingItOwns) {
  create_profile(profile("alice", "alice@example.com"));
  wait_reconciled("alice");
  json p = get(resources::kProfiles, "", "alice");
  std::string uid = p["metadata"]["uid"];
  json owner_ref = {{"apiVersion", "kubeflow.org/v1"},
                    {"kind", "Profile"},
                    {"name", "alice"},
                    {"uid", uid},
                    {"controller", true},
                    {"blockOwnerDeletion", true}};
  EXPECT_FALSE(p.contains("status") && p["status"].contains("conditions"));

  json ns = get(resources::kNamespaces, "", "alice");
  EXPECT_EQ(ns["status"]["phase"], "Active");
  EXPECT_EQ(ns["metadata"]["annotations"], json({{"owner", "alice@example.com"}}));
  EXPECT_EQ(ns["metadata"]["labels"],
            json({{"app.kubernetes.io/part-of", "kubeflow-profile"},
                  {"istio-injection", "enabled"},
                  {"katib.kubeflow.org/metrics-collector-injection", "enabled"},
                  {"kubernetes.io/metadata.name", "alice"},
                  {"pipelines.kubeflow.org/enabled", "true"},
                  {"serving.kubeflow.org/inferenceservice", "enabled"}}));
  EXPECT_EQ(ns["metadata"]["ownerReferences"], json::array({owner_ref}));

  json admin = get(resources::kRoleBindings, "alice", "namespaceAdmin");
  EXPECT_EQ(admin["metadata"]["annotations"],
            json({{"role", "admin"}, {"user", "alice@example.com"}}));
  EXPECT_EQ(admin["roleRef"], json({{"apiGroup", "rbac.authorization.k8s.io"},
                                    {"kind", "ClusterRole"},
                                    {"name", "kubeflow-admin"}}));
  // RBAC defaulting gives the User subject its apiGroup, as on a real cluster.
  EXPECT_EQ(admin["subjects"], json::array({{{"kind", "User"},
                                             {"apiGroup", "rbac.authorization.k8s.io"},
                                             {"name", "alice@example.com"}}}));
  EXPECT_EQ(admin["metadata"]["ownerReferences"], json::array({owner_ref}));

  json policy = get(resources::kAuthorizationPolicies, "alice", "ns-owner-access-istio");
  EXPECT_EQ(policy["apiVersion"], "security.istio.io/v1beta1");
  EXPECT_EQ(policy["metadata"]["annotations"],
            json({{"role", "admin"}, {"user", "alice@example.com"}}));
  EXPECT_EQ(policy["metadata"]["ownerReferences"], json::array({owner_ref}));
  EXPECT_EQ(policy["spec"], json::parse(R"({"rules": [
    {"from": [{"source": {"principals": [
        "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
        "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"]}}],
     "when": [{"key": "request.headers[kubeflow-userid]", "values": ["alice@example.com"]}]},
    {"when": [{"key": "source.namespace", "values": ["alice"]}]},
    {"to": [{"operation": {"paths": ["/healthz", "/metrics", "/wait-for-drain"]}}]},
    {"from": [{"source": {"principals": [
        "cluster.local/ns/kubeflow/sa/notebook-controller-service-account"]}}],
     "to": [{"operation": {"methods": ["GET"], "paths": ["*/api/kernels"]}}]}]})"));

  for (const auto& [sa, role] :
       {std::pair<std::string, std::string>{"default-editor", "kubeflow-edit"},
        {"default-viewer", "kubeflow-view"}}) {
    json account = get(resources::kServiceAccounts, "alice", sa);
    EXPECT_EQ(account["metadata"]["ownerReferences"], json::array({owner_ref})) << sa;
    json binding = get(resources::kRoleBindings, "alice", sa);
    EXPECT_EQ(binding["roleRef"]["name"], role);
    EXPECT_EQ(binding["subjects"],
              json::array({{{"kind", "ServiceAccount"}, {"name", sa}, {"namespace", "alice"}}}));
    EXPECT_EQ(binding["metadata"]["ownerReferences"], json::array({owner_ref})) << sa;
    EXPECT_FALSE(binding["metadata"].contains("annotations")) << sa;
  }
  // No quota without resourceQuotaSpec.hard.
  EXPECT_FALSE(exists(resources::kResourceQuotas, "alice", "kf-resource-quota"));
}

TEST_F(ProfileController, SeededProfileGetsItsNamespace) {
  wait_reconciled("kubeflow-user-example-com");
  json ns = get(resources::kNamespaces, "", "kubeflow-user-example-com");
  EXPECT_EQ(ns["metadata"]["annotations"]["owner"], "user@example.com");
  json admin = get(resources::kRoleBindings, "kubeflow-user-example-com", "namespaceAdmin");
  EXPECT_EQ(admin["subjects"][0]["name"], "user@example.com");
}

TEST_F(ProfileController, V1beta1ProfilesAreTheSameObjects) {
  json p = profile("bob", "bob@example.com");
  p["apiVersion"] = "kubeflow.org/v1beta1";
  create_profile(p, kProfilesV1beta1);
  ASSERT_TRUE(eventually([&] {
    auto got = client->get(kProfilesV1beta1, "", "bob");
    return got && has_finalizer(*got, "profile-finalizer");
  }));
  json ns = get(resources::kNamespaces, "", "bob");
  // The controller's scheme knows Profile as kubeflow.org/v1.
  EXPECT_EQ(ns["metadata"]["ownerReferences"][0]["apiVersion"], "kubeflow.org/v1");
}

TEST_F(ProfileController, QuotaFollowsResourceQuotaSpec) {
  json p = profile("carol", "carol@example.com");
  p["spec"]["resourceQuotaSpec"] = {{"hard", {{"cpu", "2"}, {"memory", "2Gi"}}}};
  create_profile(p);
  wait_reconciled("carol");
  json quota = get(resources::kResourceQuotas, "carol", "kf-resource-quota");
  EXPECT_EQ(quota["spec"], json({{"hard", {{"cpu", "2"}, {"memory", "2Gi"}}}}));
  EXPECT_EQ(quota["metadata"]["ownerReferences"][0]["name"], "carol");
  EXPECT_EQ(quota["metadata"]["ownerReferences"][0]["controller"], true);

  auto patched = client->patch(resources::kProfiles, "", "carol",
                               {{"spec", {{"resourceQuotaSpec", {{"hard", {{"cpu", "4"}}}}}}}});
  ASSERT_TRUE(patched) << patched.error().message;
  // A merge patch merges maps: hard is now {cpu: 4, memory: 2Gi}.
  ASSERT_TRUE(eventually([&] {
    auto q = client->get(resources::kResourceQuotas, "carol", "kf-resource-quota");
    return q && (*q)["spec"]["hard"].value("cpu", "") == "4";
  }));
  EXPECT_EQ(get(resources::kResourceQuotas, "carol", "kf-resource-quota")["spec"],
            json({{"hard", {{"cpu", "4"}, {"memory", "2Gi"}}}}));

  patched = client->patch(resources::kProfiles, "", "carol",
                          {{"spec", {{"resourceQuotaSpec", nullptr}}}});
  ASSERT_TRUE(patched) << patched.error().message;
  EXPECT_TRUE(eventually(
      [&] { return !exists(resources::kResourceQuotas, "carol", "kf-resource-quota"); }));
  // The rest stays.
  EXPECT_TRUE(exists(resources::kRoleBindings, "carol", "namespaceAdmin"));
}

TEST_F(ProfileController, NamespaceOwnedBySomeoneElseIsLeftAlone) {
  json ns = {{"apiVersion", "v1"},
             {"kind", "Namespace"},
             {"metadata", {{"name", "dave"}, {"annotations", {{"owner", "mallory@example.com"}}}}}};
  ASSERT_TRUE(client->create(resources::kNamespaces, "", ns));
  create_profile(profile("dave", "dave@example.com"));
  wait_idle();
  EXPECT_GE(server->profile_controller_reconciles("dave"), 1);

  json got = get(resources::kNamespaces, "", "dave");
  EXPECT_EQ(got["metadata"]["annotations"]["owner"], "mallory@example.com");
  EXPECT_FALSE(got["metadata"].contains("ownerReferences"));
  EXPECT_FALSE(got["metadata"]["labels"].contains("istio-injection"));
  EXPECT_FALSE(exists(resources::kRoleBindings, "dave", "namespaceAdmin"));
  EXPECT_FALSE(exists(resources::kAuthorizationPolicies, "dave", "ns-owner-access-istio"));
  EXPECT_FALSE(exists(resources::kServiceAccounts, "dave", "default-editor"));
  json p = get(resources::kProfiles, "", "dave");
  EXPECT_FALSE(has_finalizer(p, "profile-finalizer"));
  // The Failed condition goes through Update(), which drops status: nothing is recorded.
  EXPECT_FALSE(p.contains("status") && p["status"].contains("conditions"));
}

TEST_F(ProfileController, NamespaceAnnotatedForTheOwnerIsAdoptedWithoutOwnerReference) {
  json ns = {{"apiVersion", "v1"},
             {"kind", "Namespace"},
             {"metadata",
              {{"name", "erin"},
               {"annotations", {{"owner", "erin@example.com"}}},
               {"labels", {{"app.kubernetes.io/part-of", "mine"}}}}}};
  ASSERT_TRUE(client->create(resources::kNamespaces, "", ns));
  create_profile(profile("erin", "erin@example.com"));
  wait_reconciled("erin");
  json got = get(resources::kNamespaces, "", "erin");
  const json& labels = got["metadata"]["labels"];
  EXPECT_EQ(labels["app.kubernetes.io/part-of"], "mine");  // existing values are kept
  EXPECT_EQ(labels["pipelines.kubeflow.org/enabled"], "true");
  EXPECT_FALSE(labels.contains("istio-injection"));  // only set on create
  EXPECT_FALSE(got["metadata"].contains("ownerReferences"));
  EXPECT_TRUE(exists(resources::kRoleBindings, "erin", "namespaceAdmin"));
}

TEST_F(ProfileController, DeletingTheProfileRemovesNamespaceAndEverything) {
  create_profile(profile("frank", "frank@example.com"));
  wait_reconciled("frank");
  auto removed = client->remove(resources::kProfiles, "", "frank");
  ASSERT_TRUE(removed) << removed.error().message;
  ASSERT_TRUE(eventually([&] { return !exists(resources::kProfiles, "", "frank"); }));
  ASSERT_TRUE(eventually([&] { return !exists(resources::kNamespaces, "", "frank"); }));
  for (const auto& ref :
       {resources::kRoleBindings, resources::kServiceAccounts, resources::kAuthorizationPolicies}) {
    auto left = client->list(ref, "frank");
    ASSERT_TRUE(left) << left.error().message;
    EXPECT_TRUE((*left)["items"].empty()) << ref.resource;
  }
  // The other Profiles are untouched.
  EXPECT_TRUE(exists(resources::kNamespaces, "", "kubeflow-user-example-com"));
}

TEST_F(ProfileController, DeletedNamespaceIsCreatedAgain) {
  create_profile(profile("grace", "grace@example.com"));
  wait_reconciled("grace");
  std::string old_uid = get(resources::kNamespaces, "", "grace")["metadata"]["uid"];
  ASSERT_TRUE(client->remove(resources::kNamespaces, "", "grace"));
  ASSERT_TRUE(eventually([&] {
    auto ns = client->get(resources::kNamespaces, "", "grace");
    return ns && (*ns)["metadata"]["uid"] != old_uid &&
           exists(resources::kRoleBindings, "grace", "namespaceAdmin");
  }));
  EXPECT_EQ(get(resources::kNamespaces, "", "grace")["status"]["phase"], "Active");
}

TEST_F(ProfileController, EditedRoleBindingIsRestored) {
  create_profile(profile("heidi", "heidi@example.com"));
  wait_reconciled("heidi");
  auto patched =
      client->patch(resources::kRoleBindings, "heidi", "namespaceAdmin",
                    {{"subjects", json::array({{{"kind", "User"}, {"name", "eve@example.com"}}})}});
  ASSERT_TRUE(patched) << patched.error().message;
  EXPECT_TRUE(eventually([&] {
    auto rb = client->get(resources::kRoleBindings, "heidi", "namespaceAdmin");
    return rb && (*rb)["subjects"][0]["name"] == "heidi@example.com";
  }));
}

// kubeflow/dashboard#33: after an owner change the namespace's owner annotation no longer
// matches, so the controller stops before touching the bindings.
TEST_F(ProfileController, OwnerChangeStopsAtTheNamespaceCheck) {
  create_profile(profile("ivan", "ivan@example.com"));
  wait_reconciled("ivan");
  auto patched = client->patch(resources::kProfiles, "", "ivan",
                               {{"spec", {{"owner", {{"name", "judy@example.com"}}}}}});
  ASSERT_TRUE(patched) << patched.error().message;
  wait_idle();
  EXPECT_EQ(get(resources::kRoleBindings, "ivan", "namespaceAdmin")["subjects"][0]["name"],
            "ivan@example.com");
  EXPECT_EQ(get(resources::kNamespaces, "", "ivan")["metadata"]["annotations"]["owner"],
            "ivan@example.com");
}

class PausedProfileController : public ProfileController {
  void customize(testserver::Options& o) override { o.profile_controller_paused = true; }
};

TEST_F(PausedProfileController, NothingHappensUntilResumed) {
  create_profile(profile("kim", "kim@example.com"));
  wait_idle();  // the queued reconciles came due and were dropped
  EXPECT_EQ(server->profile_controller_reconciles(), 0);
  EXPECT_FALSE(exists(resources::kNamespaces, "", "kim"));
  EXPECT_FALSE(exists(resources::kNamespaces, "", "kubeflow-user-example-com"));
  EXPECT_FALSE(has_finalizer(get(resources::kProfiles, "", "kim"), "profile-finalizer"));

  server->set_profile_controller_paused(false);
  wait_reconciled("kim");
  wait_reconciled("kubeflow-user-example-com");
  EXPECT_TRUE(exists(resources::kRoleBindings, "kim", "namespaceAdmin"));

  // Paused again: a deleted Profile keeps its finalizer, so it stays (Terminating).
  server->set_profile_controller_paused(true);
  ASSERT_TRUE(client->remove(resources::kProfiles, "", "kim"));
  wait_idle();
  json p = get(resources::kProfiles, "", "kim");
  EXPECT_TRUE(p["metadata"].contains("deletionTimestamp"));
  EXPECT_TRUE(exists(resources::kNamespaces, "", "kim"));
  server->set_profile_controller_paused(false);
  EXPECT_TRUE(eventually([&] { return !exists(resources::kNamespaces, "", "kim"); }));
}

class NoProfileController : public ProfileController {
  void customize(testserver::Options& o) override { o.simulate_profile_controller = false; }
};

TEST_F(NoProfileController, ProfilesStayAlone) {
  create_profile(profile("leo", "leo@example.com"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(exists(resources::kNamespaces, "", "leo"));
  EXPECT_FALSE(exists(resources::kNamespaces, "", "kubeflow-user-example-com"));
  EXPECT_EQ(server->profile_controller_reconciles(), 0);
}

// The program: --seed-kubeflow implies the controller, --no-profile-controller turns it off.
int seeded_namespace_status(const std::vector<std::string>& extra_args) {
  testserver::testing::TempFile kubeconfig;
  int out[2];
  if (pipe(out) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    std::vector<std::string> args = {KFTENANT_TEST_APISERVER,
                                     "--port",
                                     "0",
                                     "--write-kubeconfig",
                                     kubeconfig.path(),
                                     "--seed-kubeflow",
                                     "--profile-controller-delay-ms",
                                     "10"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(KFTENANT_TEST_APISERVER, argv.data());
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  char line[256] = {0};
  int status = -1;
  if (fgets(line, sizeof line, f) != nullptr) {
    KubeconfigOptions o;
    o.explicit_path = kubeconfig.path();
    o.kubeconfig_env = "";
    o.home = "/nonexistent";
    auto config = load_rest_config(o);
    auto client = config ? Client::create(*config) : fail(config.error());
    if (client) {
      // Answers 200 once the namespace is there; 404 if it never comes.
      eventually(
          [&] {
            auto ns = (*client)->get(resources::kNamespaces, "", "kubeflow-user-example-com");
            status = ns ? 200 : ns.error().http_status;
            return status == 200;
          },
          std::chrono::seconds(2));
    }
  }
  kill(pid, SIGTERM);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  fclose(f);
  return status;
}

TEST(ProfileControllerBinary, SeedKubeflowImpliesTheController) {
  EXPECT_EQ(seeded_namespace_status({}), 200);
  EXPECT_EQ(seeded_namespace_status({"--no-profile-controller"}), 404);
}

}  // namespace
}  // namespace kftenant::kube::integration
