// apply_plan's progress events (what a CLI prints and a server streams) and its stop token.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stop_token>
#include <string>
#include <vector>

#include "kftenant/plan/plan.h"
#include "kftenant/plan/progress.h"
#include "support/fake_clock.h"
#include "support/memory_store.h"

namespace kftenant::plan {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

json config_map(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "ns"}}},
          {"data", {{"k", "v"}}}};
}

// Creates each of `names` that is absent (convergent), then waits until `ready()` holds.
Planner create_then_wait(std::vector<std::string> names, std::function<bool()> ready) {
  auto check = std::make_shared<ReadyCheck>();
  check->action = "wait-widgets";
  check->waiting_for = "the widget controller";
  check->poll = [ready](store::ObjectStore&) -> Result<Readiness> {
    return Readiness{ready(), {"widget w"}};
  };
  return [names, check](store::ObjectStore& store) -> Result<Plan> {
    Plan plan;
    plan.notes.push_back("a note");
    for (const auto& name : names) {
      if (store.get({"v1", "ConfigMap", "ns", name})) continue;
      Step step;
      step.kind = StepKind::kCreate;
      step.key = {"v1", "ConfigMap", "ns", name};
      step.after = config_map(name);
      step.summary = "create " + name;
      plan.steps.push_back(std::move(step));
    }
    Step wait;
    wait.kind = StepKind::kWaitReady;
    wait.key = {"v1", "ConfigMap", "ns", "w"};
    wait.summary = "wait for widgets";
    wait.ready = check;
    wait.timeout = std::chrono::seconds(60);
    plan.steps.push_back(std::move(wait));
    return plan;
  };
}

// "type index/total applied" per event, e.g. "step-finished 0/2 1".
std::string brief(const ApplyEvent& e) {
  return std::string(event_type_name(e.type)) + " " + std::to_string(e.index) + "/" +
         std::to_string(e.total) + " " + std::to_string(e.applied);
}

TEST(ApplyProgress, EventsFollowTheStepsInOrderWithCounts) {
  testing::MemoryStore store;
  testing::FakeClock clock;
  int polls = 0;
  std::vector<ApplyEvent> events;
  ApplyOptions options;
  options.clock = &clock;
  options.on_event = [&](const ApplyEvent& e) { events.push_back(e); };
  ASSERT_TRUE(apply_plan(store, create_then_wait({"a"}, [&] { return ++polls >= 3; }), options));
  std::vector<std::string> seen;
  for (const auto& e : events) seen.push_back(brief(e));
  // One "waiting" for the two polls that were not ready: it is sent when what is missing changes.
  EXPECT_THAT(
      seen, ElementsAre("note 0/2 0", "planned 0/2 0", "step-started 0/2 0", "step-finished 0/2 0",
                        "step-started 1/2 1", "waiting 1/2 1", "step-finished 1/2 1"));
  EXPECT_EQ(events[2].action, "create");
  EXPECT_TRUE(events[2].write);
  EXPECT_EQ(events[4].action, "wait-widgets");
  EXPECT_FALSE(events[4].write);
  EXPECT_EQ(events[5].message, "widget w");
  // What a terminal shows: the note, the finished write, the wait as it starts and ends.
  std::vector<std::string> lines;
  for (const auto& e : events)
    if (auto line = progress_line(e); !line.empty()) lines.push_back(line);
  EXPECT_THAT(lines,
              ElementsAre("a note", "✓ create a", "… wait for widgets", "✓ wait for widgets"));
  // The stream a server sends: step fields for step events, no object body.
  const json started = event_to_json(events[2]);
  EXPECT_EQ(started["type"], "step-started");
  EXPECT_EQ(started["action"], "create");
  EXPECT_EQ(started["kind"], "ConfigMap");
  EXPECT_EQ(started["namespace"], "ns");
  EXPECT_EQ(started["name"], "a");
  EXPECT_EQ(started["total"], 2);
  EXPECT_FALSE(started.contains("object"));
  EXPECT_EQ(event_to_json(events[1]),
            json({{"type", "planned"}, {"attempt", 0}, {"applied", 0}, {"total", 2}}));
}

TEST(ApplyProgress, AConflictSaysItPlansAgainAndTheNewPlanIsAnnounced) {
  testing::MemoryStore store;
  Error conflict;
  conflict.code = ErrorCode::kConflict;
  conflict.message = "the object has been modified";
  store.next_write_errors.push_back(conflict);
  store.live = false;  // the wait is skipped
  std::vector<ApplyEvent> events;
  ApplyOptions options;
  options.on_event = [&](const ApplyEvent& e) { events.push_back(e); };
  auto result = apply_plan(store, create_then_wait({"a"}, [] { return true; }), options);
  ASSERT_TRUE(result) << result.error().message;
  std::vector<std::string> seen;
  for (const auto& e : events) seen.push_back(std::string(event_type_name(e.type)));
  EXPECT_THAT(seen, ElementsAre("note", "planned", "step-started", "replanning", "planned",
                                "step-started", "step-finished", "step-skipped"));
  EXPECT_THAT(events[3].message, HasSubstr("the object has been modified"));
  EXPECT_EQ(events[4].attempt, 1);
  EXPECT_EQ(progress_line(events[7]), "- skipped: wait for widgets (not a live cluster)");
}

TEST(ApplyProgress, AStopBeforeTheApplyWritesNothing) {
  testing::MemoryStore store;
  std::stop_source stop;
  stop.request_stop();
  ApplyOptions options;
  options.stop = stop.get_token();
  auto result = apply_plan(store, create_then_wait({"a"}, [] { return true; }), options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kCancelled);
  EXPECT_THAT(result.error().message, HasSubstr("nothing was written"));
  EXPECT_TRUE(store.writes.empty());
}

TEST(ApplyProgress, AStopBetweenStepsKeepsWhatWasDoneAndRunningAgainFinishes) {
  testing::MemoryStore store;
  std::stop_source stop;
  ApplyOptions options;
  options.stop = stop.get_token();
  // Stop as soon as the first write is done: the second create never runs.
  options.after_step = [&](const Step&) { stop.request_stop(); };
  std::vector<ApplyEvent> events;
  options.on_event = [&](const ApplyEvent& e) { events.push_back(e); };
  auto planner = create_then_wait({"a", "b"}, [] { return true; });
  auto result = apply_plan(store, planner, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kCancelled);
  EXPECT_THAT(result.error().message,
              HasSubstr("stopped before \"create b\" (step 2 of 3): 1 step was applied; run the "
                        "same command again to finish"));
  EXPECT_TRUE(store.get({"v1", "ConfigMap", "ns", "a"}));
  EXPECT_FALSE(store.get({"v1", "ConfigMap", "ns", "b"}));
  EXPECT_EQ(events.back().type, ApplyEvent::Type::kStopped);
  // The same command again carries on: only b is left to create.
  ApplyOptions again;
  auto finished = apply_plan(store, planner, again);
  ASSERT_TRUE(finished) << finished.error().message;
  ASSERT_EQ(finished->applied.size(), 2u);
  EXPECT_EQ(finished->applied[0].summary, "create b");
  EXPECT_TRUE(store.get({"v1", "ConfigMap", "ns", "b"}));
}

TEST(ApplyProgress, AStopDuringAWaitEndsItAtOnceNamingWhatItWaitedFor) {
  testing::MemoryStore store;
  testing::FakeClock clock;
  std::stop_source stop;
  int sleeps = 0;
  // The third poll interval is where the user presses Ctrl-C.
  clock.set_on_sleep([&](std::chrono::nanoseconds) {
    if (++sleeps == 3) stop.request_stop();
  });
  ApplyOptions options;
  options.clock = &clock;
  options.stop = stop.get_token();
  auto result = apply_plan(store, create_then_wait({"a"}, [] { return false; }), options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kCancelled);
  EXPECT_THAT(result.error().message,
              HasSubstr("stopped while waiting: \"wait for widgets\" (step 2 of 2; last seen: "
                        "widget w): 1 step was applied"));
  EXPECT_EQ(sleeps, 3);
}

}  // namespace
}  // namespace kftenant::plan
