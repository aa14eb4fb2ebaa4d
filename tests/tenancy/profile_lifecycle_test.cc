// Profiles on their own (create, delete, transfer): for owners with or without a Dex user, and a
// transfer that leaves the profile controller something it will reconcile (upstream stops at a
// namespace whose owner annotation differs, and never updates the annotations itself).
#include "kftenant/tenancy/profile_lifecycle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kftenant/kubeflow/profile.h"
#include "kftenant/plan/plan.h"
#include "support/kubeflow_memory_store.h"
#include "testserver/profile_objects.h"
#include "testserver/seed_kubeflow.h"

namespace kftenant::tenancy {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

testing::MemoryStore kubeflow_store() {
  return testing::kubeflow_memory_store();
}

json profile(const std::string& name, const std::string& owner) {
  return kubeflow::build_profile({name, owner, {}});
}

// What the profile controller makes for `name` owned by `owner` (the parts transfer touches).
void seed_reconciled(testing::MemoryStore& store, const std::string& name, const std::string& owner,
                     const std::string& prefix = "") {
  store.seed(profile(name, owner));
  store.seed({{"apiVersion", "v1"},
              {"kind", "Namespace"},
              {"metadata", {{"name", name}, {"annotations", {{"owner", owner}}}}}});
  store.seed({{"apiVersion", "rbac.authorization.k8s.io/v1"},
              {"kind", "RoleBinding"},
              {"metadata",
               {{"name", "namespaceAdmin"},
                {"namespace", name},
                {"annotations", {{"user", owner}, {"role", "admin"}}}}},
              {"roleRef",
               {{"apiGroup", "rbac.authorization.k8s.io"},
                {"kind", "ClusterRole"},
                {"name", "kubeflow-admin"}}},
              {"subjects",
               {{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "User"}, {"name", owner}}}}});
  json spec = testserver::profile_objects::authorization_policy_spec(name, owner, "kubeflow-userid",
                                                                     prefix);
  store.seed({{"apiVersion", "security.istio.io/v1beta1"},
              {"kind", "AuthorizationPolicy"},
              {"metadata",
               {{"name", "ns-owner-access-istio"},
                {"namespace", name},
                {"annotations", {{"user", owner}, {"role", "admin"}}}}},
              {"spec", spec}});
}

json get(testing::MemoryStore& store, const char* api_version, const char* kind,
         const std::string& ns, const std::string& name) {
  auto o = store.get({api_version, kind, ns, name});
  return o ? *o : json();
}

std::vector<std::string> header_values(const json& policy) {
  std::vector<std::string> out;
  for (const auto& rule : policy["spec"]["rules"])
    if (rule.contains("when"))
      for (const auto& c : rule["when"])
        if (c["key"] == "request.headers[kubeflow-userid]")
          for (const auto& v : c["values"]) out.push_back(v);
  return out;
}

TEST(ProfileLifecycle, CreateForAnOwnerWithoutADexUserIsANoteAndTwiceIsNothing) {
  auto store = kubeflow_store();
  CreateProfileRequest r;
  r.name = "research";
  r.owner = "Lee@Corp.Example";
  r.quota = {{"cpu", "8"}};
  auto planned = plan::plan_once(store, create_profile_planner(r));
  ASSERT_TRUE(planned) << planned.error().message;
  EXPECT_THAT(planned->notes, Contains(HasSubstr("lee@corp.example has no Dex user")));
  ASSERT_TRUE(plan::apply_plan(store, create_profile_planner(r), {}));
  json p = get(store, "kubeflow.org/v1", "Profile", "", "research");
  EXPECT_EQ(p["spec"]["owner"]["name"], "lee@corp.example");
  EXPECT_EQ(p["spec"]["resourceQuotaSpec"]["hard"]["cpu"], "8");
  store.writes.clear();
  auto again = plan::plan_once(store, create_profile_planner(r));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->steps.empty());
  EXPECT_THAT(again->notes, Contains(HasSubstr("already exists")));
}

TEST(ProfileLifecycle, CreateRefusesAProfileOfSomeoneElseAndBadInput) {
  auto store = kubeflow_store();
  store.seed(profile("research", "kim@corp.example"));
  CreateProfileRequest r;
  r.name = "research";
  r.owner = "lee@corp.example";
  auto planned = plan::plan_once(store, create_profile_planner(r));
  ASSERT_FALSE(planned);
  EXPECT_EQ(planned.error().code, ErrorCode::kRefused);
  r.name = "Research";
  EXPECT_EQ(plan::plan_once(store, create_profile_planner(r)).error().code,
            ErrorCode::kInvalidArgument);
  r.name = "ok";
  r.owner = "not-an-email";
  auto bad = plan::plan_once(store, create_profile_planner(r));
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("--owner"));
  EXPECT_THAT(store.writes, IsEmpty());
}

TEST(ProfileLifecycle, DeleteDeletesOnceAndThenHasNothingToDo) {
  auto store = kubeflow_store();
  store.seed(profile("research", "kim@corp.example"));
  ASSERT_TRUE(plan::apply_plan(store, delete_profile_planner("research"), {}));
  EXPECT_THAT(store.writes, ElementsAre("delete Profile research"));
  auto again = plan::plan_once(store, delete_profile_planner("research"));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->steps.empty());
  EXPECT_THAT(again->notes, Contains(HasSubstr("nothing to delete")));
}

TEST(ProfileLifecycle, TransferRewritesTheOwnerEverywhereTheControllerLooks) {
  auto store = kubeflow_store();
  seed_reconciled(store, "research", "kim@corp.example");
  TransferProfileRequest r{"research", "Lee@Corp.Example", {}, {}};
  auto planned = plan::plan_once(store, transfer_profile_planner(r));
  ASSERT_TRUE(planned) << planned.error().message;
  EXPECT_THAT(planned->notes, Contains(HasSubstr("kim@corp.example no longer has access")));
  ASSERT_TRUE(plan::apply_plan(store, transfer_profile_planner(r), {}));
  EXPECT_EQ(get(store, "kubeflow.org/v1", "Profile", "", "research")["spec"]["owner"],
            (json{{"kind", "User"}, {"name", "lee@corp.example"}}));
  EXPECT_EQ(get(store, "v1", "Namespace", "", "research")["metadata"]["annotations"]["owner"],
            "lee@corp.example");
  json admin =
      get(store, "rbac.authorization.k8s.io/v1", "RoleBinding", "research", "namespaceAdmin");
  EXPECT_EQ(admin["subjects"][0]["name"], "lee@corp.example");
  EXPECT_EQ(admin["subjects"].size(), 1u);
  EXPECT_EQ(admin["metadata"]["annotations"]["user"], "lee@corp.example");
  json policy = get(store, "security.istio.io/v1beta1", "AuthorizationPolicy", "research",
                    "ns-owner-access-istio");
  EXPECT_EQ(policy["metadata"]["annotations"]["user"], "lee@corp.example");
  EXPECT_THAT(header_values(policy), Contains("lee@corp.example"));
  EXPECT_THAT(header_values(policy), ::testing::Not(Contains("kim@corp.example")));
  // The policy is what the controller would make for the new owner: it has nothing to rewrite.
  EXPECT_EQ(testserver::profile_objects::comparable_policy_spec(policy["spec"]),
            testserver::profile_objects::comparable_policy_spec(
                testserver::profile_objects::authorization_policy_spec(
                    "research", "lee@corp.example", "kubeflow-userid", "")));

  store.writes.clear();
  auto again = plan::plan_once(store, transfer_profile_planner(r));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->steps.empty());
  EXPECT_THAT(again->notes, Contains(HasSubstr("owned by lee@corp.example already")));
}

TEST(ProfileLifecycle, TransferKeepsTheUseridPrefix) {
  auto store = kubeflow_store();
  seed_reconciled(store, "research", "kim@corp.example", "accounts.google.com:");
  TransferProfileRequest r{"research", "lee@corp.example", {}, {}};
  r.contributor_options.userid_prefix = "accounts.google.com:";
  ASSERT_TRUE(plan::apply_plan(store, transfer_profile_planner(r), {}));
  json policy = get(store, "security.istio.io/v1beta1", "AuthorizationPolicy", "research",
                    "ns-owner-access-istio");
  EXPECT_THAT(header_values(policy), Contains("accounts.google.com:lee@corp.example"));
}

TEST(ProfileLifecycle, TransferRefusesANamespaceOfAnotherOwnerAndAMissingProfile) {
  auto store = kubeflow_store();
  seed_reconciled(store, "research", "kim@corp.example");
  json ns = get(store, "v1", "Namespace", "", "research");
  ns["metadata"]["annotations"]["owner"] = "someone@else.example";
  store.seed(ns);
  store.writes.clear();
  auto refused = plan::apply_plan(
      store, transfer_profile_planner({"research", "lee@corp.example", {}, {}}), {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kRefused);
  EXPECT_THAT(refused.error().message, HasSubstr("someone@else.example"));
  EXPECT_THAT(store.writes, IsEmpty());
  auto missing =
      plan::plan_once(store, transfer_profile_planner({"nosuch", "lee@x.example", {}, {}}));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace kftenant::tenancy
