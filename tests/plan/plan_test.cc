// The write path itself: apply_plan (re-plans, hooks, the up-front access check, refreshed
// steps), access_needed, and what printed plans show and hide.
#include "kftenant/plan/plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kftenant/base64.h"
#include "kftenant/plan/render.h"
#include "support/fake_clock.h"
#include "support/memory_store.h"

namespace kftenant::plan {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

json config_map(const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "ns"}}},
          {"data", {{"k", value}}}};
}

// A planner that makes ConfigMap ns/<name> hold `value`: create when absent, replace otherwise.
Planner set_value(std::string name, std::string value) {
  return [name, value](store::ObjectStore& store) -> Result<Plan> {
    Plan plan;
    auto current = store.get({"v1", "ConfigMap", "ns", name});
    Step step;
    step.key = {"v1", "ConfigMap", "ns", name};
    step.summary = "set " + name;
    if (!current) {
      step.kind = StepKind::kCreate;
      step.after = config_map(name, value);
    } else {
      if ((*current)["data"]["k"] == value) return plan;
      step.kind = StepKind::kReplace;
      step.before = *current;
      step.after = *current;
      step.after["data"]["k"] = value;
    }
    plan.steps.push_back(std::move(step));
    return plan;
  };
}

class DenyingStore : public testing::MemoryStore {
 public:
  std::vector<store::AccessRequest> asked;
  std::string deny_verb = "create";
  Result<std::vector<store::AccessRequest>> denied(
      const std::vector<store::AccessRequest>& requests) override {
    asked = requests;
    std::vector<store::AccessRequest> out;
    for (auto r : requests)
      if (r.verb == deny_verb) {
        r.resource = "configmaps";
        out.push_back(r);
      }
    return out;
  }
};

TEST(ApplyPlan, ReplansAfterAConflictAndConverges) {
  testing::MemoryStore store;
  store.seed(config_map("a", "old"));
  // Someone else writes between planning and the write: the first replace conflicts.
  Error conflict;
  conflict.code = ErrorCode::kConflict;
  conflict.message = "modified";
  store.next_write_errors.push_back(conflict);
  ApplyOptions options;
  auto result = apply_plan(store, set_value("a", "new"), options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->replans, 1);
  EXPECT_EQ((*store.get({"v1", "ConfigMap", "ns", "a"}))["data"]["k"], "new");
  // Planning again finds nothing to do.
  auto again = apply_plan(store, set_value("a", "new"), options);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->applied.empty());
}

TEST(ApplyPlan, AnErrorFromBeforeStepStopsBeforeTheWrite) {
  testing::MemoryStore store;
  std::vector<std::string> seen;
  ApplyOptions options;
  options.before_step = [&](const Step& s) -> Result<void> {
    seen.push_back("before " + s.summary);
    return make_error(ErrorCode::kIo, "disk full");
  };
  options.after_step = [&](const Step& s) { seen.push_back("after " + s.summary); };
  auto result = apply_plan(store, set_value("a", "v"), options);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message, HasSubstr("disk full"));
  EXPECT_TRUE(store.writes.empty());
  EXPECT_THAT(seen, ElementsAre("before set a"));
}

TEST(ApplyPlan, AfterStepSeesEachStepThatSucceeded) {
  testing::MemoryStore store;
  std::vector<std::string> seen;
  ApplyOptions options;
  options.after_step = [&](const Step& s) { seen.push_back(s.summary); };
  ASSERT_TRUE(apply_plan(store, set_value("a", "v"), options));
  EXPECT_THAT(seen, ElementsAre("set a"));
}

TEST(ApplyPlan, DeniedWritesAreRefusedBeforeAnythingIsWritten) {
  DenyingStore store;
  store.seed(config_map("a", "old"));
  Planner two = [](store::ObjectStore& s) -> Result<Plan> {
    auto first = set_value("a", "new")(s);
    auto second = set_value("b", "new")(s);
    if (!first || !second) return make_error(ErrorCode::kInternal, "planner");
    for (auto& step : second->steps) first->steps.push_back(std::move(step));
    return first;
  };
  auto result = apply_plan(store, two, {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kForbidden);
  EXPECT_THAT(result.error().message, HasSubstr("nothing was written"));
  EXPECT_THAT(result.error().message, HasSubstr("you may not create configmaps in namespace ns"));
  EXPECT_TRUE(store.writes.empty());
  ASSERT_EQ(store.asked.size(), 2u);
  EXPECT_EQ(store.asked[0].verb, "update");
  EXPECT_EQ(store.asked[1].verb, "create");

  // Without the check the allowed write would have happened first.
  ApplyOptions unchecked;
  unchecked.check_access = false;
  ASSERT_TRUE(apply_plan(store, two, unchecked));
  EXPECT_EQ(store.writes.size(), 2u);
}

TEST(ApplyPlan, ARefreshedStepWritesWhatTheRefreshReturns) {
  testing::MemoryStore store;
  store.seed(config_map("a", "old"));
  Planner planner = [](store::ObjectStore& s) -> Result<Plan> {
    auto plan = set_value("a", "planned")(s);
    if (!plan) return plan;
    plan->steps[0].refresh = [](store::ObjectStore& st, const json& after) -> Result<json> {
      auto now = st.get({"v1", "ConfigMap", "ns", "a"});
      if (!now) return fail(now.error());
      json out = after;
      out["data"]["k"] = "refreshed from " + (*now)["data"]["k"].get<std::string>();
      return out;
    };
    return plan;
  };
  ASSERT_TRUE(apply_plan(store, planner, {}));
  EXPECT_EQ((*store.get({"v1", "ConfigMap", "ns", "a"}))["data"]["k"], "refreshed from old");
  // A dry run shows the planned object, not a refreshed one.
  auto plan = plan_once(store, set_value("a", "planned"));
  ASSERT_TRUE(plan);
  EXPECT_THAT(render_plan(*plan), HasSubstr("planned"));
}

TEST(ApplyPlan, AReadyWaitPollsUntilReadyAndATimeoutSaysWhatIsMissing) {
  testing::MemoryStore store;
  testing::FakeClock clock;
  int polls = 0;
  auto check = std::make_shared<ReadyCheck>();
  check->waiting_for = "the widget controller";
  check->hint = "is it running?";
  check->poll = [&](store::ObjectStore&) -> Result<Readiness> {
    ++polls;
    return Readiness{polls >= 3, {"widget w"}};
  };
  Step wait;
  wait.kind = StepKind::kWaitReady;
  wait.key = {"v1", "ConfigMap", "ns", "w"};
  wait.summary = "wait for w";
  wait.ready = check;
  wait.timeout = std::chrono::seconds(10);
  Planner planner = [&wait](store::ObjectStore&) -> Result<Plan> {
    Plan p;
    p.steps = {wait};
    return p;
  };
  ApplyOptions options;
  options.clock = &clock;
  ASSERT_TRUE(apply_plan(store, planner, options));
  EXPECT_EQ(polls, 3);

  check->poll = [&](store::ObjectStore&) -> Result<Readiness> {
    return Readiness{false, {"widget w", "gadget g"}};
  };
  auto timed_out = apply_plan(store, planner, options);
  ASSERT_FALSE(timed_out);
  EXPECT_EQ(timed_out.error().code, ErrorCode::kTimeout);
  EXPECT_THAT(timed_out.error().message,
              HasSubstr("timed out after 10s waiting for the widget controller; missing: widget "
                        "w; gadget g (is it running?)"));
  // Not a live store: the wait is skipped, nothing is polled.
  store.live = false;
  polls = 0;
  check->poll = [&](store::ObjectStore&) -> Result<Readiness> {
    ++polls;
    return Readiness{};
  };
  ASSERT_TRUE(apply_plan(store, planner, options));
  EXPECT_EQ(polls, 0);
}

TEST(ApplyPlan, ARolloutThatNeverCompletesTimesOutWithTheLastState) {
  testing::MemoryStore store;
  store.seed({{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", {{"name", "dex"}, {"namespace", "auth"}, {"generation", 2}}},
              {"spec", {{"replicas", 1}}},
              {"status", {{"observedGeneration", 2}, {"replicas", 1}, {"updatedReplicas", 0}}}});
  testing::FakeClock clock;
  Step wait;
  wait.kind = StepKind::kWaitRollout;
  wait.key = {"apps/v1", "Deployment", "auth", "dex"};
  wait.summary = "wait for dex";
  wait.timeout = std::chrono::seconds(30);
  ApplyOptions options;
  options.clock = &clock;
  auto r = apply_plan(
      store,
      [&wait](store::ObjectStore&) -> Result<Plan> {
        Plan p;
        p.steps = {wait};
        return p;
      },
      options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_THAT(r.error().message,
              HasSubstr("timed out after 30s waiting for Deployment auth/dex to roll out: 0 of 1 "
                        "updated replicas (check `kubectl -n auth get pods`)"));
}

TEST(AccessNeeded, WritesAndWhatWaitsRead) {
  Plan plan;
  Step create;
  create.kind = StepKind::kCreate;
  create.key = {"kubeflow.org/v1", "Profile", "", "p"};
  Step wait;
  wait.kind = StepKind::kWaitReady;
  wait.key = create.key;
  auto check = std::make_shared<ReadyCheck>();
  check->reads = {
      {"get", {"v1", "Namespace", "", "p"}, {}},
      {"get", {"rbac.authorization.k8s.io/v1", "RoleBinding", "p", "namespaceAdmin"}, {}},
      {"get",
       {"security.istio.io/v1beta1", "AuthorizationPolicy", "p", "ns-owner-access-istio"},
       {}}};
  wait.ready = check;
  Step restart;
  restart.kind = StepKind::kRestartDeployment;
  restart.key = {"apps/v1", "Deployment", "auth", "dex"};
  plan.steps = {create, restart, wait, create};
  auto needed = access_needed(plan);
  ASSERT_EQ(needed.size(), 5u);
  EXPECT_EQ(needed[0].verb, "create");
  EXPECT_EQ(needed[1].verb, "patch");  // a restart is a patch, as kubectl rollout restart's
  EXPECT_EQ(needed[1].key.kind, "Deployment");
  EXPECT_EQ(needed[2].key.kind, "Namespace");
  EXPECT_EQ(needed[3].key.name, "namespaceAdmin");
  EXPECT_EQ(needed[4].key.name, "ns-owner-access-istio");
}

TEST(RenderPlan, HidesEveryBcryptHashAndShowsPlaceholders) {
  const std::string hash = "$2y$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234";
  const std::string other = "$2a$12$zyxwvutsrqponmlkjihgfeZYXWVUTSRQPONMLKJIHGFEDCBA98765";
  Plan plan;
  Step step;
  step.kind = StepKind::kReplace;
  step.key = {"v1", "ConfigMap", "auth", "dex"};
  step.text_field = {"data", "config.yaml"};
  step.before = {{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", {{"name", "dex"}, {"namespace", "auth"}}},
                 {"data", {{"config.yaml", "- hash: \"" + other + "\"\n"}}}};
  step.after = step.before;
  step.after["data"]["config.yaml"] =
      "- hash: \"" + other + "\"\n- hash: \"" + hash + "\"\n  userID: \"uuid-1\"\n";
  step.summary = "add";
  Step object;
  object.kind = StepKind::kCreate;
  object.key = {"dex.coreos.com/v1", "Password", "auth", "x"};
  object.after = {{"apiVersion", "dex.coreos.com/v1"},
                  {"kind", "Password"},
                  {"metadata", {{"name", "x"}, {"namespace", "auth"}}},
                  {"hash", base64::encode(other)}};
  object.summary = "create";
  plan.steps = {step, object};
  plan.placeholders = {{hash, "<new hash>"}, {"uuid-1", "<made at apply>"}};
  const std::string text = render_plan(plan);
  EXPECT_THAT(text, HasSubstr("+- hash: \"<new hash>\""));
  EXPECT_THAT(text, HasSubstr("userID: \"<made at apply>\""));
  EXPECT_THAT(text, HasSubstr("- hash: \"<bcrypt hash>\""));
  EXPECT_THAT(text, HasSubstr("hash: <bcrypt hash, base64>"));
  for (const auto& secret : {hash, other, base64::encode(other), std::string("uuid-1")})
    EXPECT_THAT(text, Not(HasSubstr(secret))) << text;
  const std::string as_json = plan_to_json(plan).dump();
  for (const auto& secret : {hash, other, base64::encode(other)})
    EXPECT_THAT(as_json, Not(HasSubstr(secret))) << as_json;
  auto j = plan_to_json(plan);
  EXPECT_EQ(j["steps"][0]["action"], "replace");
  EXPECT_EQ(j["steps"][1]["action"], "create");
  EXPECT_EQ(j["steps"][1]["object"]["hash"], "<bcrypt hash, base64>");
}

TEST(UnifiedDiff, AChangedLineShowsTheOldLineFirst) {
  auto diff = unified_diff("a\nb\nc\n", "a\nB\nc\n", "f");
  EXPECT_EQ(diff, "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
  diff = unified_diff("x\none\ntwo\ny\n", "x\nuno\ndos\ny\n", "f");
  EXPECT_THAT(diff, HasSubstr("-one\n-two\n+uno\n+dos\n"));
  EXPECT_EQ(unified_diff("same\n", "same\n", "f"), "");
}

}  // namespace
}  // namespace kftenant::plan
