// The one write path: every mutating command builds a Plan, prints it (--dry-run) or applies it.
//
// A Plan is an ordered list of steps computed from the store's *current* state by a Planner. A
// planner compares what is wanted with what is there, so it is convergent: planning again after
// part of a plan was applied yields only the remaining steps, and planning after full success
// yields an empty plan. apply_plan relies on this: on a 409 (someone else wrote in between) it
// re-plans from fresh state and carries on; after a crash, running the same command again
// finishes the job.
//
// Planners compose (compose.h): each one reads the store through a PlanView (plan_view.h) that
// shows the steps planned before it as if they were applied, and the steps of all of them on one
// object become one write (merge_steps).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "kftenant/clock.h"
#include "kftenant/error.h"
#include "kftenant/plan/progress.h"
#include "kftenant/store/object_store.h"

namespace kftenant::plan {

// What each kind of step carries (Step's fields; the constructors below fill exactly these):
//   kind                key  before           after             patch  ready  timeout
//   kCreate             yes  -                the new object    -      -      -
//   kReplace            yes  as read (its rv) the whole object  -      -      -
//   kPatch              yes  as read          as patched        yes    -      -
//   kDelete             yes  as read (its rv) -                 -      -      -
//   kRestartDeployment  yes  as read          as patched        yes    -      -
//   kWaitRollout        yes  -                -                 -      -      yes
//   kWaitReady          yes  -                -                 -      yes    yes
// `before`/`after` of a patch are for dry-run diffs and for the PlanView; what is sent is the
// patch, applied on top of the object as it is then (no resourceVersion precondition).
enum class StepKind {
  kCreate,             // create `after`
  kReplace,            // replace `before` (its resourceVersion) with `after`
  kPatch,              // strategic-merge `patch` into `key` (a manifests folder: into its files)
  kDelete,             // delete `before` (with its resourceVersion as precondition)
  kRestartDeployment,  // rollout restart `key` (a Deployment): a patch of its pod template
  kWaitRollout,        // wait until the Deployment `key` has rolled out (live stores only)
  kWaitReady,          // poll `ready` until it answers ready (live stores only)
};

// Whether a step of this kind writes (create, replace, patch, delete, restart) rather than
// waits.
[[nodiscard]] constexpr bool is_write(StepKind kind) {
  return kind != StepKind::kWaitRollout && kind != StepKind::kWaitReady;
}

// What a kWaitReady step polls.
struct Readiness {
  bool ready = false;
  // What is not there yet, for people: "namespace alice (not created yet)", ...
  std::vector<std::string> missing;
};

// A wait for something another component makes (the Kubeflow profile controller's namespace,
// RBAC and policy for a Profile), defined by the layer that knows what to look at.
struct ReadyCheck {
  std::string action;  // plan_to_json's "action", e.g. "wait-profile"
  std::function<Result<Readiness>(store::ObjectStore&)> poll;
  std::vector<store::AccessRequest> reads;  // what poll reads ("get"), for the access check
  std::string waiting_for;                  // "the Kubeflow profile controller"
  std::string hint;                         // what to check after a timeout
};

struct Step {
  StepKind kind = StepKind::kCreate;
  store::ObjectKey key;
  nlohmann::json before;  // null for kCreate and waits
  nlohmann::json after;   // null for kDelete and waits
  // kPatch, kRestartDeployment: the strategic-merge patch document that is sent.
  nlohmann::json patch;
  // One line for humans, e.g. "add Dex user alice@example.com (staticPasswords in ConfigMap
  // auth/dex)"; printed as the step runs.
  std::string summary;
  // For a string field edited in place (config.yaml in the Dex ConfigMap): its path, so dry-run
  // shows a unified diff of that text instead of two YAML objects. Empty otherwise.
  std::vector<std::string> text_field;  // e.g. {"data", "config.yaml"}
  // kWaitReady: what to poll. Shared, so that copying a plan copies no closures.
  std::shared_ptr<const ReadyCheck> ready;
  // Waits: how long; zero means the apply options' default.
  std::chrono::milliseconds timeout{0};
  // The step stores a new Dex password hash (a new user, a new password): a caller that made the
  // password up records it before such a step runs (ApplyOptions::before_step).
  bool writes_password = false;
  // Recomputes what the step sends right before it runs (apply only; a dry run shows what was
  // planned): `after` for a create or replace, `patch` for a patch or restart, given the planned
  // one. A Dex restart uses it to record the hash of config.yaml as it is at that moment, which
  // is what the restarted pods read, even when someone wrote in between.
  std::function<Result<nlohmann::json>(store::ObjectStore&, const nlohmann::json& planned)> refresh;

  // One constructor per kind, filling what the table above says the kind carries.
  [[nodiscard]] static Step create(nlohmann::json object, std::string summary);
  [[nodiscard]] static Step replace(nlohmann::json before, nlohmann::json after,
                                    std::string summary);
  // `after` is `before` with `patch` applied (store::apply_patch); kInvalid when it does not
  // apply.
  [[nodiscard]] static Result<Step> patch_of(nlohmann::json before, nlohmann::json patch,
                                             std::string summary);
  [[nodiscard]] static Result<Step> restart(nlohmann::json deployment, nlohmann::json patch,
                                            std::string summary);
  [[nodiscard]] static Step remove(nlohmann::json before, std::string summary);
  [[nodiscard]] static Step wait_rollout(store::ObjectKey deployment, std::string summary,
                                         std::chrono::milliseconds timeout = {});
  [[nodiscard]] static Step wait_ready(store::ObjectKey key,
                                       std::shared_ptr<const ReadyCheck> check, std::string summary,
                                       std::chrono::milliseconds timeout = {});
};

struct Plan {
  std::vector<Step> steps;
  // Things found that are not changed but worth saying ("user already exists, unchanged").
  std::vector<std::string> notes;
  // Values a printed plan shows as a placeholder instead: the hash of a new password, and values
  // made up while planning that the apply makes up anew (a generated user ID) — a dry run and
  // the later apply are separate runs. (value, what to show), e.g. (hash, "<bcrypt hash of the
  // new password, made at apply>"). render_plan also hides every other bcrypt hash.
  std::vector<std::pair<std::string, std::string>> placeholders;

  [[nodiscard]] bool empty() const { return steps.empty(); }
};

// Computes a plan from the store's current state. Called again after a conflict. The store it is
// given is a PlanView (plan_view.h) when it runs inside plan_once, apply_plan or compose: it never
// writes, it plans.
using Planner = std::function<Result<Plan>(store::ObjectStore&)>;

struct ApplyOptions {
  Clock* clock = nullptr;  // system clock when null
  int max_replans = 16;    // conflicts tolerated before giving up (8 concurrent writers fit)
  std::chrono::milliseconds default_wait_timeout{std::chrono::minutes(5)};
  // Waits poll at 50 ms, doubling up to this.
  std::chrono::milliseconds poll_interval{std::chrono::milliseconds(1000)};
  // Receives every progress event (progress.h) as it happens, on the calling thread; may be empty.
  ApplyEventSink on_event;
  // Requested: the apply stops before the next step, or during a wait or a pause between
  // attempts, and answers kCancelled naming what was applied and what was not. A step already
  // sent to the store finishes. Running the same planner again carries on from there.
  std::stop_token stop;
  // Called before each write step (create/replace/delete/restart) runs; an error stops the
  // apply before that step, so nothing of it is written.
  std::function<Result<void>(const Step&)> before_step;
  // Called after each step that succeeded.
  std::function<void(const Step&)> after_step;
  // Before the first write, ask the store whether every write and read of the plan is allowed
  // (ObjectStore::denied: SelfSubjectAccessReview on a cluster) and refuse up front, naming what
  // is missing, instead of stopping half-way at a 403; and whether each create that follows
  // another write would be accepted (ObjectStore::check_create: dryRun=All on a cluster), so that
  // a refusal there (a CRD being deleted, a terminating namespace, validation, a webhook) leaves
  // nothing half-written either.
  bool check_access = true;
};

struct ApplyResult {
  std::vector<Step> applied;       // steps executed, in order (after re-planning)
  std::vector<std::string> notes;  // the first plan's notes
  int replans = 0;
};

// Runs the planner once over a PlanView of `store` (each object is read at most once per planning
// pass), and merges the steps it returns on the same object (merge_steps). What --dry-run prints.
[[nodiscard]] Result<Plan> plan_once(store::ObjectStore& store, const Planner& planner);

// Executes planner(store) step by step. On kConflict/kAlreadyExists from a write step it
// re-plans from fresh state (already-applied steps disappear from the new plan) up to
// max_replans times. Waits on a store without live capabilities are skipped with a note.
// A failing step stops the apply and returns the error with the step's summary as context.
[[nodiscard]] Result<ApplyResult> apply_plan(store::ObjectStore& store, const Planner& planner,
                                             const ApplyOptions& options);

// Asks the store, for every write of `plan`, whether it would be refused for a reason that does
// not depend on timing (ObjectStore::files_to_change: a manifests tree whose kustomization graph
// cannot decide which file to edit). The first refusal, prefixed "nothing was written", or ok.
// apply_plan calls it before each plan's first write; --dry-run calls it to show the refusal the
// apply would meet.
[[nodiscard]] Result<void> check_plan(const Plan& plan, store::ObjectStore& store);

// The permissions a plan needs: create/update/delete for its writes, get for what its waits
// read. Each once, in step order.
[[nodiscard]] std::vector<store::AccessRequest> access_needed(const Plan& plan);

}  // namespace kftenant::plan
