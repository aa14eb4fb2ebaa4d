// preview_removal: what the `user remove` confirmation shows comes from the plan the removal
// would apply, so it names exactly the profiles that will be deleted, with what they hold.
#include "kftenant/tenancy/removal_preview.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kftenant/kubeflow/contributor.h"
#include "kftenant/kubeflow/naming.h"
#include "kftenant/plan/plan.h"
#include "support/memory_store.h"
#include "testserver/seed_kubeflow.h"

namespace kftenant::tenancy {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

json profile(const std::string& name, const std::string& owner) {
  return {{"apiVersion", "kubeflow.org/v1"},
          {"kind", "Profile"},
          {"metadata", {{"name", name}}},
          {"spec", {{"owner", {{"kind", "User"}, {"name", owner}}}}}};
}

json pod(const std::string& ns, const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", name}, {"namespace", ns}}}};
}

RemoveUserRequest removal(std::string email, bool keep_profile = false, bool keep_access = false) {
  RemoveUserRequest r;
  r.email = std::move(email);
  r.keep_profile = keep_profile;
  r.keep_access = keep_access;
  return r;
}

testing::MemoryStore store_with_ann() {
  testing::MemoryStore s;
  for (auto& o : testserver::kubeflow_seed_objects()) s.seed(std::move(o));
  s.seed(profile("ann", "ann@example.com"));
  s.seed(profile("ann-lab", "Ann@Example.com"));  // the owner as a hand-made profile spells it
  s.seed(profile("ben", "ben@example.com"));
  s.seed(pod("ann", "notebook-0"));
  s.seed(pod("ann", "notebook-1"));
  s.seed(pod("ben", "job-0"));
  return s;
}

TEST(RemovalPreview, NamesEveryProfileTheRemovalDeletesWithWhatItsNamespaceHolds) {
  auto store = store_with_ann();
  auto preview = preview_removal(store, {}, removal("ann@example.com"));
  ASSERT_TRUE(preview) << preview.error().message;
  ASSERT_EQ(preview->deletions.size(), 2u);
  EXPECT_EQ(preview->deletions[0].profile, "ann");
  EXPECT_EQ(preview->deletions[0].ns, "ann");
  EXPECT_TRUE(preview->deletions[0].contents_known);
  EXPECT_THAT(preview->deletions[0].contents, ElementsAre("2 Pods"));
  EXPECT_EQ(preview->deletions[1].profile, "ann-lab");
  EXPECT_THAT(preview->deletions[1].contents, IsEmpty());
  EXPECT_FALSE(preview->plan.empty());
  EXPECT_TRUE(store.writes.empty());  // a preview writes nothing
}

TEST(RemovalPreview, APlanMadeElsewhereIsDescribedByItsDeleteSteps) {
  auto store = store_with_ann();
  plan::Plan made;
  made.steps.push_back(plan::Step::create(profile("new", "cat@example.com"), "create Profile new"));
  plan::Step gone;
  gone.kind = plan::StepKind::kDelete;
  gone.key = {"kubeflow.org/v1", "Profile", "", "ben"};
  gone.before = *store.get(gone.key);
  made.steps.push_back(gone);
  auto preview = describe_removal(store, made);
  ASSERT_EQ(preview.deletions.size(), 1u);
  EXPECT_EQ(preview.deletions[0].profile, "ben");
  EXPECT_TRUE(preview.deletions[0].contents_known);
  EXPECT_THAT(preview.deletions[0].contents, ElementsAre("1 Pod"));
  EXPECT_EQ(preview.plan.steps.size(), 2u);
  store.live = false;  // a folder: no contents to tell
  auto folder = describe_removal(store, made);
  ASSERT_EQ(folder.deletions.size(), 1u);
  EXPECT_FALSE(folder.deletions[0].contents_known);
}

TEST(RemovalPreview, KeepProfileDeletesNoneAndAFolderKnowsNoContents) {
  auto store = store_with_ann();
  auto kept = preview_removal(store, {}, removal("ann@example.com", true));
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_THAT(kept->deletions, IsEmpty());

  store.live = false;
  auto folder = preview_removal(store, {}, removal("ann@example.com"));
  ASSERT_TRUE(folder) << folder.error().message;
  ASSERT_EQ(folder->deletions.size(), 2u);
  EXPECT_FALSE(folder->deletions[0].contents_known);
  EXPECT_THAT(folder->deletions[0].contents, IsEmpty());
}

TEST(RemovalPreview, NothingToRemoveIsAnEmptyPlan) {
  auto store = store_with_ann();
  auto preview = preview_removal(store, {}, removal("nobody@example.com"));
  ASSERT_TRUE(preview) << preview.error().message;
  EXPECT_TRUE(preview->plan.empty());
  EXPECT_THAT(preview->deletions, IsEmpty());
}

// The KFAM pair `profile share ben --with <email> --role <role>` makes.
void seed_contributor(testing::MemoryStore& store, const std::string& ns, const std::string& email,
                      kubeflow::Role role) {
  store.seed(kubeflow::build_contributor_role_binding(ns, email, role));
  store.seed(kubeflow::build_contributor_policy(ns, email, role));
}

bool exists(testing::MemoryStore& store, const char* api_version, const char* kind,
            const std::string& ns, const std::string& name) {
  return store.get({api_version, kind, ns, name}).has_value();
}

// The defect this guards against: bindings name the email, not the Dex user, so access left
// behind passes to whoever signs in with that email next.
TEST(RemovalPreview, TheUsersAccessToOtherProfilesIsRemovedWithThem) {
  auto store = store_with_ann();
  store.seed(profile("cat", "cat@example.com"));
  seed_contributor(store, "ben", "Ann@Example.com", kubeflow::Role::kEdit);  // any case
  seed_contributor(store, "cat", "ann@example.com", kubeflow::Role::kView);
  seed_contributor(store, "cat", "dan@example.com", kubeflow::Role::kEdit);  // someone else's
  auto preview = preview_removal(store, {}, removal("ann@example.com"));
  ASSERT_TRUE(preview) << preview.error().message;
  ASSERT_EQ(preview->access.size(), 2u);
  EXPECT_EQ(preview->access[0].profile, "ben");
  EXPECT_EQ(preview->access[0].role, "edit");
  EXPECT_EQ(preview->access[1].profile, "cat");
  EXPECT_EQ(preview->access[1].role, "view");
  const std::string ben_binding = kubeflow::binding_name("User", "Ann@Example.com", "edit");
  const std::string cat_binding = kubeflow::binding_name("User", "ann@example.com", "view");
  const std::string dan_binding = kubeflow::binding_name("User", "dan@example.com", "edit");
  ASSERT_TRUE(plan::apply_plan(store, remove_user_planner({}, removal("ann@example.com")), {}));
  EXPECT_FALSE(exists(store, "rbac.authorization.k8s.io/v1", "RoleBinding", "ben", ben_binding));
  EXPECT_FALSE(
      exists(store, "security.istio.io/v1beta1", "AuthorizationPolicy", "ben", ben_binding));
  EXPECT_FALSE(exists(store, "rbac.authorization.k8s.io/v1", "RoleBinding", "cat", cat_binding));
  EXPECT_FALSE(
      exists(store, "security.istio.io/v1beta1", "AuthorizationPolicy", "cat", cat_binding));
  EXPECT_TRUE(exists(store, "rbac.authorization.k8s.io/v1", "RoleBinding", "cat", dan_binding));
  EXPECT_TRUE(
      exists(store, "security.istio.io/v1beta1", "AuthorizationPolicy", "cat", dan_binding));
  // Removing again finds nothing left.
  auto again = preview_removal(store, {}, removal("ann@example.com"));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->plan.empty());
}

TEST(RemovalPreview, KeepAccessLeavesTheBindingsAndSaysSo) {
  auto store = store_with_ann();
  seed_contributor(store, "ben", "ann@example.com", kubeflow::Role::kEdit);
  auto preview = preview_removal(store, {}, removal("ann@example.com", false, true));
  ASSERT_TRUE(preview) << preview.error().message;
  EXPECT_THAT(preview->access, IsEmpty());
  EXPECT_THAT(preview->plan.notes, Contains(HasSubstr("access to profile(s) ben is kept")));
  for (const auto& step : preview->plan.steps) EXPECT_NE(step.key.kind, "RoleBinding");
}

TEST(RemovalPreview, ABindingThatAlsoAdmitsSomeoneElseIsLeftWithANote) {
  auto store = store_with_ann();
  json shared =
      kubeflow::build_contributor_role_binding("ben", "ann@example.com", kubeflow::Role::kEdit);
  shared["subjects"].push_back(
      {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "User"}, {"name", "eve@example.com"}});
  store.seed(shared);
  auto preview = preview_removal(store, {}, removal("ann@example.com"));
  ASSERT_TRUE(preview) << preview.error().message;
  EXPECT_THAT(preview->access, IsEmpty());
  EXPECT_THAT(preview->plan.notes, Contains(HasSubstr("access to profile ben is left as it is")));
}

TEST(RemovalPreview, AContributorWithoutProfileOrDexUserIsStillRemoved) {
  testing::MemoryStore store;
  for (auto& o : testserver::kubeflow_seed_objects()) store.seed(std::move(o));
  store.seed(profile("ben", "ben@example.com"));
  seed_contributor(store, "ben", "gone@example.com", kubeflow::Role::kView);
  auto preview = preview_removal(store, {}, removal("gone@example.com"));
  ASSERT_TRUE(preview) << preview.error().message;
  ASSERT_EQ(preview->access.size(), 1u);
  EXPECT_EQ(preview->access[0].profile, "ben");
}

}  // namespace
}  // namespace kftenant::tenancy
