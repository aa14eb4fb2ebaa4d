// Patches: apply_patch's three patch types, and ObjectStore::patch's default (read, apply,
// replace with the resourceVersion read, again on a conflict) that a manifests folder uses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kftenant/store/object_store.h"
#include "support/memory_store.h"

namespace kftenant::store {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

json deployment() {
  return json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "dex", "namespace": "auth"},
    "spec": {"replicas": 1, "template": {
      "metadata": {"annotations": {"a": "1", "b": "2"}},
      "spec": {"containers": [{"name": "dex", "image": "dex:1"},
                              {"name": "sidecar", "image": "side:1"}]}}}})");
}

TEST(ApplyPatch, StrategicMergeMergesMapsAndBuiltInListsByKey) {
  json patch = {{"spec",
                 {{"template",
                   {{"metadata", {{"annotations", {{"b", nullptr}, {"c", "3"}}}}},
                    {"spec", {{"containers", {{{"name", "dex"}, {"image", "dex:2"}}}}}}}}}}};
  auto out = apply_patch(deployment(), PatchType::kStrategicMerge, patch);
  ASSERT_TRUE(out) << out.error().message;
  const json& t = (*out)["spec"]["template"];
  EXPECT_EQ(t["metadata"]["annotations"], (json{{"a", "1"}, {"c", "3"}}));
  // containers merge by name: the sidecar stays, dex gets the new image.
  ASSERT_EQ(t["spec"]["containers"].size(), 2u);
  EXPECT_EQ(t["spec"]["containers"][0]["image"], "dex:2");
  EXPECT_EQ(t["spec"]["containers"][1]["name"], "sidecar");
}

TEST(ApplyPatch, MergePatchReplacesListsAndJsonPatchRunsOperations) {
  json merge = {{"spec", {{"template", {{"spec", {{"containers", {{{"name", "only"}}}}}}}}}}};
  auto merged = apply_patch(deployment(), PatchType::kMerge, merge);
  ASSERT_TRUE(merged);
  EXPECT_EQ((*merged)["spec"]["template"]["spec"]["containers"].size(), 1u);

  json ops = json::array({{{"op", "replace"}, {"path", "/spec/replicas"}, {"value", 3}},
                          {{"op", "remove"}, {"path", "/spec/template/metadata/annotations/a"}}});
  auto patched = apply_patch(deployment(), PatchType::kJsonPatch, ops);
  ASSERT_TRUE(patched) << patched.error().message;
  EXPECT_EQ((*patched)["spec"]["replicas"], 3);
  EXPECT_EQ((*patched)["spec"]["template"]["metadata"]["annotations"], (json{{"b", "2"}}));

  json failing = json::array({{{"op", "test"}, {"path", "/spec/replicas"}, {"value", 9}}});
  auto refused = apply_patch(deployment(), PatchType::kJsonPatch, failing);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalid);
  EXPECT_THAT(refused.error().message, HasSubstr("Deployment auth/dex"));
  EXPECT_FALSE(apply_patch(deployment(), PatchType::kMerge, json::array()));
  EXPECT_FALSE(apply_patch(deployment(), PatchType::kStrategicMerge, {{"$patch", "delete"}}));
}

// A store that patches as a manifests folder does: ObjectStore's read-modify-write.
class ReadModifyWriteStore : public testing::MemoryStore {
 public:
  Result<json> patch(const ObjectKey& key, PatchType type, const json& p) override {
    return ObjectStore::patch(key, type, p);  // NOLINT(bugprone-parent-virtual-call)
  }
};

TEST(ObjectStorePatch, TheDefaultReadsAppliesAndReplacesAndRetriesAConflict) {
  ReadModifyWriteStore store;
  store.seed(deployment());
  Error conflict;
  conflict.code = ErrorCode::kConflict;
  conflict.message = "the object has been modified";
  store.next_write_errors.push_back(conflict);  // someone wrote between the read and the write
  json patch = {{"spec", {{"template", {{"metadata", {{"annotations", {{"c", "3"}}}}}}}}}};
  auto out =
      store.patch({"apps/v1", "Deployment", "auth", "dex"}, PatchType::kStrategicMerge, patch);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ((*out)["spec"]["template"]["metadata"]["annotations"]["c"], "3");
  EXPECT_EQ((*out)["spec"]["template"]["metadata"]["annotations"]["a"], "1");
  EXPECT_THAT(store.writes, ElementsAre("replace Deployment auth/dex"));
  // A patch that changes nothing writes nothing.
  store.writes.clear();
  ASSERT_TRUE(
      store.patch({"apps/v1", "Deployment", "auth", "dex"}, PatchType::kStrategicMerge, patch));
  EXPECT_TRUE(store.writes.empty());
  auto missing = store.patch({"apps/v1", "Deployment", "auth", "gone"}, PatchType::kMerge, patch);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace kftenant::store
