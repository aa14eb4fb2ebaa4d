// preview_removal: what the `user remove` confirmation shows comes from the plan the removal
// would apply, so it names exactly the profiles that will be deleted, with what they hold.
#include "kftenant/tenancy/removal_preview.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/memory_store.h"
#include "testserver/seed_kubeflow.h"

namespace kftenant::tenancy {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
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
  auto preview = preview_removal(store, {}, {"ann@example.com", false});
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

TEST(RemovalPreview, KeepProfileDeletesNoneAndAFolderKnowsNoContents) {
  auto store = store_with_ann();
  auto kept = preview_removal(store, {}, {"ann@example.com", true});
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_THAT(kept->deletions, IsEmpty());

  store.live = false;
  auto folder = preview_removal(store, {}, {"ann@example.com", false});
  ASSERT_TRUE(folder) << folder.error().message;
  ASSERT_EQ(folder->deletions.size(), 2u);
  EXPECT_FALSE(folder->deletions[0].contents_known);
  EXPECT_THAT(folder->deletions[0].contents, IsEmpty());
}

TEST(RemovalPreview, NothingToRemoveIsAnEmptyPlan) {
  auto store = store_with_ann();
  auto preview = preview_removal(store, {}, {"nobody@example.com", false});
  ASSERT_TRUE(preview) << preview.error().message;
  EXPECT_TRUE(preview->plan.empty());
  EXPECT_THAT(preview->deletions, IsEmpty());
}

}  // namespace
}  // namespace kftenant::tenancy
