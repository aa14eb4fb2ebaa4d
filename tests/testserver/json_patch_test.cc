#include "testserver/json_patch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kftenant::testserver {
namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;

// ---- merge patch -------------------------------------------------------------------------------

// 05-patch / merge-patch: {"a":"10","b":null,"c":"3"} on {"a":"1","b":"2"}.
TEST(MergePatch, NullDeletesObjectsMergeScalarsReplace) {
  auto r = apply_merge_patch(json::parse(R"({"data":{"a":"1","b":"2"},"keep":true})"),
                             json::parse(R"({"data":{"a":"10","b":null,"c":"3"}})"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, json::parse(R"({"data":{"a":"10","c":"3"},"keep":true})"));
}

// RFC 7386 appendix A examples.
TEST(MergePatch, Rfc7386Examples) {
  struct Case {
    const char* target;
    const char* patch;
    const char* result;
  } cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", R"(null)", R"(null)"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const auto& c : cases) {
    auto r = apply_merge_patch(json::parse(c.target), json::parse(c.patch));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, json::parse(c.result)) << c.target << " + " << c.patch;
  }
}

TEST(MergePatch, OrderedJsonKeepsKeyOrder) {
  auto r =
      apply_merge_patch(ojson::parse(R"({"kind":"ConfigMap","apiVersion":"v1","data":{"z":"1"}})"),
                        ojson::parse(R"({"data":{"a":"2"}})"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->dump(), R"({"kind":"ConfigMap","apiVersion":"v1","data":{"z":"1","a":"2"}})");
}

// ---- JSON patch --------------------------------------------------------------------------------

Result<json> jp(const char* doc, const char* patch) {
  return apply_json_patch(json::parse(doc), json::parse(patch));
}

TEST(JsonPatch, AllOperations) {
  auto r = jp(R"({"data":{"a":"10","c":"3"},"list":[1,2,3]})",
              R"([{"op":"test","path":"/data/a","value":"10"},
                  {"op":"replace","path":"/data/a","value":"11"},
                  {"op":"add","path":"/data/b","value":"x"},
                  {"op":"remove","path":"/data/c"},
                  {"op":"add","path":"/list/-","value":4},
                  {"op":"add","path":"/list/0","value":0},
                  {"op":"remove","path":"/list/1"},
                  {"op":"copy","from":"/data/a","path":"/copied"},
                  {"op":"move","from":"/data/b","path":"/moved"}])");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, json::parse(R"({"data":{"a":"11"},"list":[0,2,3,4],"copied":"11","moved":"x"})"));
}

TEST(JsonPatch, PointerEscapesAndNegativeIndex) {
  auto r = jp(R"({"metadata":{"annotations":{"a/b":"1","m~n":"2"}},"l":[1,2,3]})",
              R"([{"op":"replace","path":"/metadata/annotations/a~1b","value":"x"},
                  {"op":"remove","path":"/metadata/annotations/m~0n"},
                  {"op":"remove","path":"/l/-1"}])");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, json::parse(R"({"metadata":{"annotations":{"a/b":"x"}},"l":[1,2]})"));
}

TEST(JsonPatch, WholeDocumentAdd) {
  auto r = jp(R"({"a":1})", R"([{"op":"add","path":"","value":{"b":2}}])");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, json::parse(R"({"b":2})"));
}

// 05-patch / json-patch-failing-test and json-patch-remove-missing-path: the generic message,
// the reason kept in the causes.
TEST(JsonPatch, FailuresAreInvalidWithGenericMessage) {
  const char* doc = R"({"data":{"a":"10"}})";
  for (
      const char* patch : {
          R"([{"op":"test","path":"/data/a","value":"wrong"},{"op":"replace","path":"/data/a","value":"11"}])",
          R"([{"op":"remove","path":"/data/nope"}])",
          R"([{"op":"replace","path":"/data/nope","value":1}])",
          R"([{"op":"add","path":"/missing/x","value":1}])",
          R"([{"op":"move","from":"/data","path":"/data/a/b"}])",
          R"([{"op":"copy","from":"/nope","path":"/x"}])",
          R"([{"op":"frobnicate","path":"/data"}])",
          R"([{"op":"add","path":"data","value":1}])",
          R"([{"op":"add","path":"/data/x"}])",
          R"({"op":"add"})",
      }) {
    auto r = jp(doc, patch);
    ASSERT_FALSE(r.has_value()) << patch;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
    EXPECT_EQ(r.error().message, kJsonPatchRejected);
    ASSERT_EQ(r.error().causes.size(), 1u);
    EXPECT_FALSE(r.error().causes[0].message.empty());
  }
  auto failed_test = jp(doc, R"([{"op":"test","path":"/data/a","value":"wrong"}])");
  EXPECT_THAT(failed_test.error().causes[0].message, testing::HasSubstr("/data/a"));
}

TEST(JsonPatch, AllOrNothing) {
  json doc = json::parse(R"({"a":1})");
  auto r = apply_json_patch(
      doc, json::parse(R"([{"op":"replace","path":"/a","value":2},{"op":"remove","path":"/b"}])"));
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(doc, json::parse(R"({"a":1})"));
}

// ---- strategic merge patch -------------------------------------------------------------------

Result<json> smp(const char* doc, const char* patch) {
  return apply_strategic_merge_patch(json::parse(doc), json::parse(patch));
}

// 05-patch / strategic-merge-restart: kubectl rollout restart's patch.
TEST(StrategicMergePatch, RolloutRestartAnnotation) {
  const char* deployment = R"({"spec":{"replicas":1,"template":{"metadata":{"labels":{"app":"x"}},
      "spec":{"containers":[{"name":"main","image":"app:1.0"}]}}}})";
  const char* patch =
      R"({"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-01-01T00:00:00Z"}}}}})";
  auto once = smp(deployment, patch);
  ASSERT_TRUE(once.has_value()) << once.error().message;
  EXPECT_EQ(
      (*once)["spec"]["template"]["metadata"],
      json::parse(
          R"({"labels":{"app":"x"},"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-01-01T00:00:00Z"}})"));
  EXPECT_EQ((*once)["spec"]["template"]["spec"]["containers"].size(), 1u);
  auto twice = apply_strategic_merge_patch(*once, json::parse(patch));
  ASSERT_TRUE(twice.has_value());
  EXPECT_EQ(*twice, *once);  // idempotent: the server sees no change
}

TEST(StrategicMergePatch, ContainersMergeByName) {
  auto r = smp(R"({"spec":{"template":{"spec":{"containers":[
                   {"name":"main","image":"app:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},
                   {"name":"side","image":"side:1"}]}}}})",
               R"({"spec":{"template":{"spec":{"containers":[
                   {"name":"main","image":"app:2","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]},
                   {"name":"new","image":"new:1"}]}}}})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ((*r)["spec"]["template"]["spec"]["containers"], json::parse(R"([
      {"name":"main","image":"app:2","env":[{"name":"A","value":"1"},{"name":"B","value":"3"},{"name":"C","value":"4"}]},
      {"name":"side","image":"side:1"},
      {"name":"new","image":"new:1"}])"));
}

TEST(StrategicMergePatch, DeleteDirectivesInLists) {
  auto r = smp(R"({"spec":{"containers":[{"name":"a"},{"name":"b"}],
                   "volumes":[{"name":"v1"},{"name":"v2"}]}})",
               R"({"spec":{"containers":[{"name":"a","$patch":"delete"}],
                   "volumes":[{"$patch":"replace"},{"name":"v3"}]}})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, json::parse(R"({"spec":{"containers":[{"name":"b"}],"volumes":[{"name":"v3"}]}})"));
}

TEST(StrategicMergePatch, PortsMergeByContainerPortMountsByPath) {
  auto r = smp(
      R"({"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"name":"http"}],
                   "volumeMounts":[{"name":"config","mountPath":"/etc/x"}]}]}})",
      R"({"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443}],
                   "volumeMounts":[{"name":"config2","mountPath":"/etc/x"}]}]}})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ((*r)["spec"]["containers"][0]["ports"],
            json::parse(
                R"([{"containerPort":80,"name":"http","protocol":"TCP"},{"containerPort":443}])"));
  EXPECT_EQ((*r)["spec"]["containers"][0]["volumeMounts"],
            json::parse(R"([{"name":"config2","mountPath":"/etc/x"}])"));
}

TEST(StrategicMergePatch, AtomicListsReplace) {
  // RoleBinding subjects and Role rules have no merge key: the patch replaces them.
  auto r = smp(R"({"subjects":[{"kind":"User","name":"a"}],"rules":[{"verbs":["get"]}]})",
               R"({"subjects":[{"kind":"User","name":"b"}]})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(
      *r, json::parse(R"({"subjects":[{"kind":"User","name":"b"}],"rules":[{"verbs":["get"]}]})"));
}

TEST(StrategicMergePatch, MapDirectivesAndNull) {
  auto r = smp(
      R"({"metadata":{"labels":{"a":"1","b":"2"},"annotations":{"x":"1"}},"data":{"k":"v"}})",
      R"({"metadata":{"labels":{"$patch":"replace","c":"3"},"annotations":{"$patch":"delete"}},"data":{"k":null}})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, json::parse(R"({"metadata":{"labels":{"c":"3"}},"data":{}})"));
}

TEST(StrategicMergePatch, PrimitiveListDirectives) {
  auto r = smp(
      R"({"metadata":{"finalizers":["a","b","c"]}})",
      R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b"],"$setElementOrder/finalizers":["a","c"]}})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, json::parse(R"({"metadata":{"finalizers":["a","c"]}})"));
  auto merged =
      smp(R"({"metadata":{"finalizers":["a"]}})", R"({"metadata":{"finalizers":["b","a"]}})");
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(*merged, json::parse(R"({"metadata":{"finalizers":["a","b"]}})"));
}

TEST(StrategicMergePatch, RetainKeys) {
  auto r =
      smp(R"({"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%"}}}})",
          R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, json::parse(R"({"spec":{"strategy":{"type":"Recreate"}}})"));
}

TEST(StrategicMergePatch, NewValuesLoseDirectives) {
  auto r = smp(R"({})",
               R"({"spec":{"containers":[{"name":"a","env":[{"name":"X","$patch":"delete"}]}]}})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, json::parse(R"({"spec":{"containers":[{"name":"a","env":[]}]}})"));
}

TEST(StrategicMergePatch, Errors) {
  auto bad = smp(R"({"a":{}})", R"({"a":{"$patch":"explode"}})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadRequest);
  auto no_key = smp(R"({"spec":{"containers":[{"name":"a"}]}})",
                    R"({"spec":{"containers":[{"image":"x"}]}})");
  ASSERT_FALSE(no_key.has_value());
  EXPECT_THAT(no_key.error().message,
              testing::HasSubstr("does not contain declared merge key: name"));
  EXPECT_FALSE(smp(R"({})", R"([1])").has_value());
}

TEST(StrategicSchema, LongestSuffixWins) {
  const auto& s = StrategicSchema::builtin();
  ASSERT_NE(s.find("spec.template.spec.containers"), nullptr);
  EXPECT_EQ(s.find("spec.template.spec.containers")->merge_key, "name");
  EXPECT_EQ(s.find("spec.template.spec.containers.ports")->merge_key, "containerPort");
  EXPECT_EQ(s.find("metadata.ownerReferences")->merge_key, "uid");
  EXPECT_EQ(s.find("status.conditions")->merge_key, "type");
  EXPECT_EQ(s.find("subjects"), nullptr);
  EXPECT_EQ(s.find("spec.mycontainers"), nullptr);  // suffixes match whole segments only
}

}  // namespace
}  // namespace kftenant::testserver
