// Plans that compose: a PlanView shows planned steps as applied, merge_steps folds the writes to
// one object into one, compose runs planners in turn over one view.
#include "kftenant/plan/compose.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kftenant/plan/plan_view.h"
#include "kftenant/plan/render.h"
#include "support/memory_store.h"

namespace kftenant::plan {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

json config_map(const std::string& name, const std::string& value, json labels = nullptr) {
  json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", name}, {"namespace", "ns"}}},
             {"data", {{"k", value}}}};
  if (!labels.is_null()) cm["metadata"]["labels"] = labels;
  return cm;
}

store::ObjectKey cm_key(const std::string& name) {
  return {"v1", "ConfigMap", "ns", name};
}

Step create_step(json object, std::string summary) {
  return Step::create(std::move(object), std::move(summary));
}

Step replace_step(json before, json after, std::string summary) {
  return Step::replace(std::move(before), std::move(after), std::move(summary));
}

Step delete_step(json before, std::string summary) {
  return Step::remove(std::move(before), std::move(summary));
}

Step restart_step(const std::string& marker) {
  Step s;
  s.kind = StepKind::kRestartDeployment;
  s.key = {"apps/v1", "Deployment", "auth", "dex"};
  s.before = {{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", {{"name", "dex"}, {"namespace", "auth"}, {"resourceVersion", marker}}}};
  s.after = s.before;
  s.after["spec"]["marker"] = marker;
  s.summary = "restart " + marker;
  return s;
}

Step rollout_wait() {
  Step s;
  s.kind = StepKind::kWaitRollout;
  s.key = {"apps/v1", "Deployment", "auth", "dex"};
  s.summary = "wait for the rollout";
  return s;
}

std::vector<std::string> summaries(const std::vector<Step>& steps) {
  std::vector<std::string> out;
  for (const auto& s : steps) out.push_back(s.summary);
  return out;
}

// Appends "+<suffix>" to data.k of ConfigMap ns/<name> as the store it is given shows it
// (creating it with the suffix alone when absent).
Planner append_value(std::string name, std::string suffix) {
  return [name, suffix](store::ObjectStore& store) -> Result<Plan> {
    Plan plan;
    auto current = store.get(cm_key(name));
    if (!current) {
      if (current.error().code != ErrorCode::kNotFound) return fail(current.error());
      plan.steps.push_back(create_step(config_map(name, suffix), "create " + name));
      return plan;
    }
    json after = *current;
    after["data"]["k"] = (*current)["data"]["k"].get<std::string>() + "+" + suffix;
    plan.steps.push_back(replace_step(*current, after, "append " + suffix));
    plan.notes.push_back("appended " + suffix);
    return plan;
  };
}

// A MemoryStore that counts reads.
class CountingStore : public testing::MemoryStore {
 public:
  int gets = 0;
  int lists = 0;
  Result<json> get(const store::ObjectKey& key) override {
    ++gets;
    return MemoryStore::get(key);
  }
  Result<std::vector<json>> list(const std::string& api_version, const std::string& kind,
                                 const std::string& ns, const std::string& selector) override {
    ++lists;
    return MemoryStore::list(api_version, kind, ns, selector);
  }
};

// ---- PlanView ----

TEST(PlanView, ReadsSeePlannedStepsAndStoredSeesTheStore) {
  testing::MemoryStore store;
  store.seed(config_map("a", "old"));
  store.seed(config_map("gone", "x"));
  PlanView view(store);
  const json a = *store.get(cm_key("a"));
  json a2 = a;
  a2["data"]["k"] = "new";
  view.record({replace_step(a, a2, "set a"), create_step(config_map("b", "made"), "create b"),
               delete_step(*store.get(cm_key("gone")), "delete gone")});

  EXPECT_EQ((*view.get(cm_key("a")))["data"]["k"], "new");
  EXPECT_EQ((*view.stored(cm_key("a")))["data"]["k"], "old");
  EXPECT_EQ((*view.get(cm_key("b")))["data"]["k"], "made");
  auto gone = view.get(cm_key("gone"));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(view.stored(cm_key("gone")));
  EXPECT_FALSE(view.stored(cm_key("b")));

  auto all = view.list("v1", "ConfigMap", "ns");
  ASSERT_TRUE(all);
  std::vector<std::string> seen;
  for (const auto& o : *all) seen.push_back(o["data"]["k"]);
  EXPECT_THAT(seen, ElementsAre("new", "made"));
  // Nothing was written.
  EXPECT_THAT(store.writes, IsEmpty());
}

TEST(PlanView, ListFiltersPlannedObjectsByTheirPlannedLabels) {
  testing::MemoryStore store;
  PlanView view(store);
  view.record({create_step(config_map("team", "1", {{"role", "team"}}), "create team"),
               create_step(config_map("other", "2", {{"role", "other"}}), "create other")});
  auto teams = view.list("v1", "ConfigMap", "ns", "role=team");
  ASSERT_TRUE(teams);
  ASSERT_EQ(teams->size(), 1u);
  EXPECT_EQ((*teams)[0]["metadata"]["name"], "team");
  auto not_team = view.list("v1", "ConfigMap", "", "role!=team");
  ASSERT_TRUE(not_team);
  ASSERT_EQ(not_team->size(), 1u);
  EXPECT_EQ((*not_team)[0]["metadata"]["name"], "other");
  auto bad = view.list("v1", "ConfigMap", "ns", "role in (a,b");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST(PlanView, PlannersCannotWrite) {
  testing::MemoryStore store;
  PlanView view(store);
  auto created = view.create(config_map("a", "v"));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kInternal);
  EXPECT_THAT(created.error().message, HasSubstr("ConfigMap ns/a"));
  EXPECT_FALSE(view.replace(config_map("a", "v")));
  EXPECT_FALSE(view.remove(cm_key("a")));
  EXPECT_THAT(store.writes, IsEmpty());
}

TEST(PlanView, EachObjectIsReadOncePerViewAndANestedViewSharesTheReads) {
  CountingStore store;
  store.seed(config_map("a", "v"));
  PlanView view(store);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(view.get(cm_key("a")));
  ASSERT_TRUE(view.list("v1", "ConfigMap", "ns"));
  ASSERT_TRUE(view.list("v1", "ConfigMap", "ns"));
  PlanView nested(static_cast<store::ObjectStore&>(view));
  ASSERT_TRUE(nested.get(cm_key("a")));
  ASSERT_TRUE(nested.stored(cm_key("a")));
  EXPECT_EQ(store.gets, 1);
  EXPECT_EQ(store.lists, 1);
  // A nested view sees its parent's steps; the parent does not see the nested view's.
  json after = *store.get(cm_key("a"));
  after["data"]["k"] = "parent";
  view.record(replace_step(*store.get(cm_key("a")), after, "p"));
  EXPECT_EQ((*nested.get(cm_key("a")))["data"]["k"], "parent");
  nested.record(delete_step(after, "d"));
  EXPECT_FALSE(nested.get(cm_key("a")));
  EXPECT_TRUE(view.get(cm_key("a")));
  EXPECT_EQ((*nested.stored(cm_key("a")))["data"]["k"], "v");
}

// ---- merge_steps ----

TEST(MergeSteps, ACreateThenReplacesIsOneCreateOfTheLastObject) {
  json a1 = config_map("a", "1");
  json a2 = config_map("a", "2");
  json a3 = config_map("a", "3");
  auto merged = merge_steps(
      {create_step(a1, "create a"), replace_step(a1, a2, "second"), replace_step(a2, a3, "third")});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].kind, StepKind::kCreate);
  EXPECT_EQ(merged[0].after, a3);
  EXPECT_EQ(merged[0].summary, "create a; second; third");
}

TEST(MergeSteps, ReplacesAreOneReplaceFromTheFirstBeforeAtTheFirstPlace) {
  json a0 = config_map("a", "0");
  a0["metadata"]["resourceVersion"] = "7";
  json a1 = a0, a2 = a0;
  a1["data"]["k"] = "1";
  a2["data"]["k"] = "2";
  Step first = replace_step(a0, a1, "one");
  Step second = replace_step(a1, a2, "two");
  second.writes_password = true;
  auto merged = merge_steps({first, create_step(config_map("b", "x"), "create b"), second});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].kind, StepKind::kReplace);
  EXPECT_EQ(merged[0].before, a0);
  EXPECT_EQ(merged[0].after, a2);
  EXPECT_TRUE(merged[0].writes_password);
  EXPECT_THAT(summaries(merged), ElementsAre("one; two", "create b"));
}

TEST(MergeSteps, PatchesOfOneObjectAreOnePatchAndAReplaceAbsorbsThem) {
  json a0 = config_map("a", "0");
  a0["metadata"]["resourceVersion"] = "7";
  auto first =
      Step::patch_of(a0, {{"metadata", {{"annotations", {{"x", "1"}, {"y", "1"}}}}}}, "annotate x");
  ASSERT_TRUE(first) << first.error().message;
  auto second = Step::patch_of(
      first->after, {{"metadata", {{"annotations", {{"y", nullptr}, {"z", "2"}}}}}}, "annotate z");
  ASSERT_TRUE(second) << second.error().message;
  auto merged = merge_steps({*first, *second});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].kind, StepKind::kPatch);
  EXPECT_EQ(merged[0].before, a0);
  // One patch that does what the two did in turn, the removal of y included.
  EXPECT_EQ(merged[0].patch,
            (json{{"metadata", {{"annotations", {{"x", "1"}, {"y", nullptr}, {"z", "2"}}}}}}));
  EXPECT_EQ(merged[0].after["metadata"]["annotations"], (json{{"x", "1"}, {"z", "2"}}));
  auto applied = store::apply_patch(a0, store::PatchType::kStrategicMerge, merged[0].patch);
  ASSERT_TRUE(applied);
  EXPECT_EQ(*applied, merged[0].after);

  // A patch, then a replace of the whole object: one replace from the first read.
  json a2 = second->after;
  a2["data"]["k"] = "2";
  auto replaced = merge_steps({*first, replace_step(first->after, a2, "set k")});
  ASSERT_EQ(replaced.size(), 1u);
  EXPECT_EQ(replaced[0].kind, StepKind::kReplace);
  EXPECT_EQ(replaced[0].before, a0);
  EXPECT_EQ(replaced[0].after, a2);
  EXPECT_TRUE(replaced[0].patch.is_null());
  // A replace, then a patch: still one replace, with the patch's result.
  auto absorbed = merge_steps({replace_step(a0, first->after, "set"), *second});
  ASSERT_EQ(absorbed.size(), 1u);
  EXPECT_EQ(absorbed[0].kind, StepKind::kReplace);
  EXPECT_EQ(absorbed[0].after, second->after);
}

TEST(MergeSteps, ACreateThenADeleteIsNothingAndAReplaceThenADeleteIsTheDelete) {
  json b = config_map("b", "x");
  json a0 = config_map("a", "0");
  a0["metadata"]["resourceVersion"] = "3";
  json a1 = a0;
  a1["data"]["k"] = "1";
  auto merged = merge_steps({create_step(b, "create b"), replace_step(a0, a1, "edit a"),
                             delete_step(b, "delete b"), delete_step(a1, "delete a")});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].kind, StepKind::kDelete);
  EXPECT_EQ(merged[0].before, a0);  // its resourceVersion is the precondition
  EXPECT_TRUE(merged[0].after.is_null());
}

TEST(MergeSteps, ADeleteThenACreateStaysTwoSteps) {
  json a = config_map("a", "0");
  auto merged = merge_steps({delete_step(a, "delete a"), create_step(a, "create a")});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].kind, StepKind::kDelete);
  EXPECT_EQ(merged[1].kind, StepKind::kCreate);
}

TEST(MergeSteps, OneRestartAndOneWaitAtThePlaceOfTheLast) {
  json a0 = config_map("a", "0");
  json a1 = config_map("a", "1");
  json a2 = config_map("a", "2");
  auto merged = merge_steps({replace_step(a0, a1, "edit 1"), restart_step("r1"), rollout_wait(),
                             create_step(config_map("p", "x"), "create p"),
                             replace_step(a1, a2, "edit 2"), restart_step("r2"), rollout_wait()});
  ASSERT_EQ(merged.size(), 4u);
  EXPECT_EQ(merged[0].kind, StepKind::kReplace);
  EXPECT_EQ(merged[0].after, a2);
  EXPECT_EQ(merged[1].summary, "create p");
  EXPECT_EQ(merged[2].kind, StepKind::kRestartDeployment);
  EXPECT_EQ(merged[2].before, restart_step("r1").before);  // the Deployment as stored
  EXPECT_EQ(merged[2].after, restart_step("r2").after);    // as the last restart leaves it
  EXPECT_EQ(merged[3].kind, StepKind::kWaitRollout);
  EXPECT_EQ(merged[3].summary, "wait for the rollout");
}

TEST(MergeSteps, ManyChangesShowThreeSummariesAndACount) {
  std::vector<Step> steps;
  json before = config_map("a", "0");
  for (int i = 1; i <= 5; ++i) {
    json after = config_map("a", std::to_string(i));
    steps.push_back(replace_step(before, after, "add user " + std::to_string(i)));
    before = after;
  }
  auto merged = merge_steps(steps);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].summary, "add user 1, 2, 3 and 2 more");
}

TEST(MergeSteps, SummariesAlikeButForOnePartListThePart) {
  json a = config_map("a", "0"), b = config_map("a", "1"), c = config_map("a", "2");
  auto merged = merge_steps({replace_step(a, b, "add Dex user x@e to ConfigMap auth/dex"),
                             replace_step(b, c, "add Dex user y@e to ConfigMap auth/dex")});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].summary, "add Dex user x@e, y@e to ConfigMap auth/dex");
  // No common words: each summary in full.
  auto unlike =
      merge_steps({replace_step(a, b, "add Dex user x@e"), replace_step(b, c, "set quota of x")});
  EXPECT_EQ(unlike[0].summary, "add Dex user x@e; set quota of x");
  // A summary that is all prefix and suffix keeps the full form.
  auto contained = merge_steps({replace_step(a, b, "add a user"), replace_step(b, c, "add user")});
  EXPECT_EQ(contained[0].summary, "add a user; add user");
}

TEST(MergeSteps, WaitsOfDifferentKindsOrObjectsAreAllKept) {
  Step wait_p;
  wait_p.kind = StepKind::kWaitReady;
  wait_p.key = {"kubeflow.org/v1", "Profile", "", "p"};
  wait_p.summary = "wait p";
  auto check = std::make_shared<ReadyCheck>();
  check->action = "wait-profile";
  wait_p.ready = check;
  Step wait_q = wait_p;
  wait_q.key.name = "q";
  wait_q.summary = "wait q";
  auto merged = merge_steps({wait_p, rollout_wait(), wait_q, wait_p});
  EXPECT_THAT(summaries(merged), ElementsAre("wait for the rollout", "wait q", "wait p"));
}

// ---- compose ----

TEST(Compose, LaterPlannersSeeEarlierStepsAndOneObjectIsWrittenOnce) {
  testing::MemoryStore store;
  store.seed(config_map("a", "start"));
  Planner both = compose({append_value("a", "x"), append_value("a", "y"), append_value("b", "z"),
                          append_value("b", "w")});
  auto plan = plan_once(store, both);
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->steps.size(), 2u);
  EXPECT_EQ(plan->steps[0].kind, StepKind::kReplace);
  EXPECT_EQ(plan->steps[0].after["data"]["k"], "start+x+y");
  EXPECT_EQ(plan->steps[1].kind, StepKind::kCreate);
  EXPECT_EQ(plan->steps[1].after["data"]["k"], "z+w");
  EXPECT_THAT(plan->notes, ElementsAre("appended x", "appended y", "appended w"));

  auto applied = apply_plan(store, both, {});
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_THAT(store.writes, ElementsAre("replace ConfigMap ns/a", "create ConfigMap ns/b"));
  EXPECT_EQ((*store.get(cm_key("a")))["data"]["k"], "start+x+y");
  EXPECT_EQ((*store.get(cm_key("b")))["data"]["k"], "z+w");
}

TEST(Compose, AConflictReplansTheWholeComposition) {
  testing::MemoryStore store;
  store.seed(config_map("a", "start"));
  Error conflict;
  conflict.code = ErrorCode::kConflict;
  conflict.message = "modified";
  store.next_write_errors.push_back(conflict);
  auto applied = apply_plan(store, compose({append_value("a", "x"), append_value("a", "y")}), {});
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(applied->replans, 1);
  EXPECT_EQ((*store.get(cm_key("a")))["data"]["k"], "start+x+y");
  EXPECT_THAT(store.writes, ElementsAre("replace ConfigMap ns/a"));
}

TEST(Compose, TheFirstErrorStopsItAndNothingIsWritten) {
  testing::MemoryStore store;
  Planner refusing = [](store::ObjectStore&) -> Result<Plan> {
    return make_error(ErrorCode::kRefused, "not this one");
  };
  auto applied = apply_plan(store, compose({append_value("a", "x"), refusing}), {});
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, ErrorCode::kRefused);
  EXPECT_THAT(store.writes, IsEmpty());
}

TEST(Compose, AComposedPlanRendersTheMergedStep) {
  testing::MemoryStore store;
  store.seed(config_map("a", "start"));
  auto plan = plan_once(store, compose({append_value("a", "x"), append_value("a", "y")}));
  ASSERT_TRUE(plan);
  const std::string text = render_plan(*plan);
  EXPECT_THAT(text, HasSubstr("1. append x, y\n"));
  EXPECT_THAT(text, HasSubstr("+  k: start+x+y"));
}

}  // namespace
}  // namespace kftenant::plan
