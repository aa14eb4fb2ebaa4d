// Profiles: the object kftenant writes, quota parsing, readiness and namespace contents.
#include "kftenant/kubeflow/profile.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "support/memory_store.h"

namespace {

using kftenant::ErrorCode;
using kftenant::testing::MemoryStore;
using namespace kftenant::kubeflow;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(BuildProfile, OwnerAndNoQuotaWhenEmpty) {
  json p = build_profile({"alice", "alice@example.com", {}});
  EXPECT_EQ(p, json::parse(R"({"apiVersion":"kubeflow.org/v1","kind":"Profile",
      "metadata":{"name":"alice"},"spec":{"owner":{"kind":"User","name":"alice@example.com"}}})"));
  EXPECT_EQ(profile_owner(p), "alice@example.com");
}

TEST(BuildProfile, QuotaGoesToResourceQuotaSpecHard) {
  json p = build_profile({"alice", "alice@example.com", {{"cpu", "4"}, {"memory", "16Gi"}}});
  EXPECT_EQ(p["spec"]["resourceQuotaSpec"], json::parse(R"({"hard":{"cpu":"4","memory":"16Gi"}})"));
}

TEST(ProfileOwner, OnlyUserOwners) {
  EXPECT_EQ(profile_owner(json::parse(R"({"spec":{"owner":{"kind":"Group","name":"g"}}})")),
            std::nullopt);
  EXPECT_EQ(profile_owner(json::parse(R"({"spec":{}})")), std::nullopt);
  EXPECT_EQ(profile_owner(json::parse(R"({"spec":{"owner":{"kind":"User","name":7}}})")),
            std::nullopt);
  EXPECT_EQ(profile_owner(json::parse(R"([1,2])")), std::nullopt);
  EXPECT_EQ(profile_owner(json::parse(R"({"spec":{"owner":{"kind":"User","name":"u@x"}}})")),
            "u@x");
}

TEST(ParseQuota, AcceptsKubernetesQuotaKeys) {
  auto q = parse_quota(
      "cpu=4, memory=16Gi,requests.nvidia.com/gpu=1,limits.memory=32Gi,count/pods=10,"
      "persistentvolumeclaims=5,requests.storage=100Gi,hugepages-2Mi=1Gi,"
      "gold.storageclass.storage.k8s.io/requests.storage=50Gi,count/deployments.apps=3,"
      "requests.ephemeral-storage=10Gi,services.loadbalancers=0,limits.cpu=500m");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->size(), 13u);
  EXPECT_EQ(q->at("memory"), "16Gi");
  EXPECT_EQ(q->at("requests.nvidia.com/gpu"), "1");
  EXPECT_EQ(q->at("count/pods"), "10");
  EXPECT_EQ(q->at("limits.cpu"), "500m");
}

TEST(ParseQuota, BareExtendedResourceIsWrittenAsTheRequestsFormKubernetesCounts) {
  auto q = parse_quota("cpu=4,memory=16Gi,nvidia.com/gpu=1");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->count("nvidia.com/gpu"), 0u);
  EXPECT_EQ(q->at("requests.nvidia.com/gpu"), "1");
  // Given both ways it is a duplicate.
  EXPECT_FALSE(parse_quota("nvidia.com/gpu=1,requests.nvidia.com/gpu=2"));
}

TEST(ParseQuota, RejectsTyposWithTheItemAndTheSyntax) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "empty quota"},
      {"   ", "empty quota"},
      {"cpu4", "quota item \"cpu4\": it has no '='"},
      {"=4", "resource name before '=' is empty"},
      {"cpu=", "quantity after '=' is empty"},
      {"cpu=4,", "quota item 2 is empty"},
      {",cpu=4", "quota item 1 is empty"},
      {"cpu=4,,memory=1Gi", "quota item 2 is empty"},
      {"cpu4=1", "invalid resource name \"cpu4\""},
      {"cpus=1", "not a resource a quota can limit"},
      {"storage=1Gi", "not a resource a quota can limit"},  // standard, but not for quotas
      {"CPU=1", "not a resource a quota can limit"},
      {"memory=16GB", "\"16GB\" is not a Kubernetes quantity"},
      {"cpu=four", "is not a Kubernetes quantity"},
      {"cpu=-1", "must not be negative"},
      {"pods=1.5", "must be a whole number"},
      {"count/pods=500m", "must be a whole number"},
      {"cpu=1,cpu=2", "\"cpu\" is given more than once"},
      {"limits.nvidia.com/gpu=1", "only as requests.nvidia.com/gpu"},
      {"a/b/c=1", "more than one '/'"},
      {"Example.com/gpu=1", "must be a DNS subdomain"},
      {"requests.nvidia.com/=1", "name after '/' is empty"},
      {"requests.nvidia.com/-gpu=1", "start and end with a letter or digit"},
      {"requests.nvidia.com/g pu=1", "use only letters, digits"},
      {"cpu=4=5", "is not a Kubernetes quantity"},
      {"cpu=1\nmemory=2", "\\n"},
  };
  for (const auto& [input, fragment] : bad) {
    auto q = parse_quota(input);
    ASSERT_FALSE(q) << input;
    EXPECT_EQ(q.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(q.error().message, HasSubstr(fragment)) << input;
    EXPECT_EQ(q.error().message.find('\n'), std::string::npos) << q.error().message;
  }
  // Syntax errors also show the expected syntax.
  EXPECT_THAT(parse_quota("cpu4").error().message, HasSubstr("KEY=VALUE"));
}

RC_GTEST_PROP(ParseQuotaProperty, RoundTripsWellFormedLists, ()) {
  const std::vector<std::string> keys = {
      "cpu", "memory", "pods", "requests.nvidia.com/gpu", "count/pods", "limits.memory"};
  const auto n = *rc::gen::inRange<std::size_t>(1, keys.size() + 1);
  std::map<std::string, std::string> want;
  std::string text;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string value = std::to_string(*rc::gen::inRange(0, 100000));
    want[keys[i]] = value;
    text += (i ? "," : "") + keys[i] + "=" + value;
  }
  auto q = parse_quota(text);
  RC_ASSERT(q.has_value());
  RC_ASSERT(*q == want);
}

json ns_object(const std::string& name, const std::string& owner, const std::string& phase) {
  json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
  if (!owner.empty()) ns["metadata"]["annotations"] = {{"owner", owner}};
  if (!phase.empty()) ns["status"] = {{"phase", phase}};
  return ns;
}

json owner_binding(const std::string& ns, const std::string& owner) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "RoleBinding"},
          {"metadata", {{"name", "namespaceAdmin"}, {"namespace", ns}}},
          {"subjects", json::array({{{"kind", "User"}, {"name", owner}}})}};
}

json owner_policy(const std::string& ns) {
  return {{"apiVersion", "security.istio.io/v1beta1"},
          {"kind", "AuthorizationPolicy"},
          {"metadata", {{"name", "ns-owner-access-istio"}, {"namespace", ns}}}};
}

TEST(ProfileReady, NotCreatedYet) {
  MemoryStore store;
  auto r = check_profile_ready(store, "alice", "alice@example.com");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->ready);
  EXPECT_THAT(r->missing, ElementsAre("namespace alice (not created yet)"));
}

TEST(ProfileReady, ReadyWhenControllerDidEverything) {
  MemoryStore store;
  store.seed(ns_object("alice", "alice@example.com", "Active"));
  store.seed(owner_binding("alice", "alice@example.com"));
  store.seed(owner_policy("alice"));
  auto r = check_profile_ready(store, "alice", "alice@example.com");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->ready);
  EXPECT_TRUE(r->missing.empty());
}

TEST(ProfileReady, ListsWhatIsMissing) {
  MemoryStore store;
  store.seed(ns_object("alice", "bob@x.com", "Terminating"));
  auto r = check_profile_ready(store, "alice", "alice@example.com");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ready);
  EXPECT_THAT(r->missing, ElementsAre("namespace alice is not Active (phase Terminating)",
                                      "namespace alice is owned by bob@x.com (annotation owner)",
                                      "RoleBinding alice/namespaceAdmin",
                                      "AuthorizationPolicy alice/ns-owner-access-istio"));
}

TEST(ProfileReady, NoOwnerAnnotationAndWrongSubject) {
  MemoryStore store;
  store.seed(ns_object("alice", "", "Active"));
  store.seed(owner_binding("alice", "bob@x.com"));
  store.seed(owner_policy("alice"));
  auto r = check_profile_ready(store, "alice", "alice@example.com");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ready);
  EXPECT_THAT(r->missing, ElementsAre("namespace alice has no owner annotation",
                                      "RoleBinding alice/namespaceAdmin does not bind "
                                      "alice@example.com yet"));
}

TEST(ProfileReady, MissingIstioCrdCountsAsMissing) {
  MemoryStore store;
  store.unknown_kinds.insert({"security.istio.io/v1beta1", "AuthorizationPolicy"});
  store.seed(ns_object("alice", "alice@example.com", "Active"));
  store.seed(owner_binding("alice", "alice@example.com"));
  auto r = check_profile_ready(store, "alice", "alice@example.com");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->ready);
  EXPECT_THAT(r->missing, ElementsAre("AuthorizationPolicy alice/ns-owner-access-istio"));
}

// A store whose get() fails with a transport error: readiness must report it, not guess.
class BrokenStore : public MemoryStore {
 public:
  kftenant::Result<json> get(const kftenant::store::ObjectKey&) override {
    return kftenant::make_error(ErrorCode::kTransport, "connection refused");
  }
  kftenant::Result<std::vector<json>> list(const std::string&, const std::string&,
                                           const std::string&, const std::string&) override {
    return kftenant::make_error(ErrorCode::kForbidden, "pods is forbidden");
  }
};

TEST(ProfileReady, StoreErrorsAreErrors) {
  BrokenStore store;
  auto r = check_profile_ready(store, "alice", "alice@example.com");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTransport);
}

json object(const std::string& api_version, const std::string& kind, const std::string& ns,
            const std::string& name) {
  return {{"apiVersion", api_version},
          {"kind", kind},
          {"metadata", {{"name", name}, {"namespace", ns}}}};
}

TEST(DescribeNamespace, CountsKnownKindsSkipsUnknownOnes) {
  MemoryStore store;
  store.unknown_kinds.insert({"serving.kserve.io/v1beta1", "InferenceService"});
  store.seed(object("v1", "Pod", "alice", "p1"));
  store.seed(object("v1", "Pod", "alice", "p2"));
  store.seed(object("v1", "Pod", "bob", "p3"));
  store.seed(object("v1", "PersistentVolumeClaim", "alice", "data"));
  store.seed(object("kubeflow.org/v1", "Notebook", "alice", "nb"));
  store.seed(object("argoproj.io/v1alpha1", "Workflow", "alice", "w1"));
  store.seed(object("argoproj.io/v1alpha1", "Workflow", "alice", "w2"));
  auto r = describe_namespace_contents(store, "alice");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_THAT(*r, ElementsAre("2 Pods", "1 PersistentVolumeClaim", "1 Notebook",
                              "2 pipeline runs (Argo Workflows)"));
  auto empty = describe_namespace_contents(store, "carol");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(DescribeNamespace, OtherErrorsAreReported) {
  BrokenStore store;
  auto r = describe_namespace_contents(store, "alice");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kForbidden);
  EXPECT_THAT(r.error().message, HasSubstr("counting Pods in namespace alice"));
}

}  // namespace
