#include <algorithm>
#include <functional>
#include <optional>
#include <random>
#include <string>

#include "kftenant/plan/compose.h"
#include "kftenant/plan/plan.h"
#include "kftenant/plan/plan_view.h"
#include "kftenant/plan/render.h"

namespace kftenant::plan {
namespace {

using std::chrono::milliseconds;

std::string seconds_text(milliseconds d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return std::to_string(s) + "s";
}

int64_t number_at(const nlohmann::json& j, const char* pointer) {
  auto ptr = nlohmann::json::json_pointer(pointer);
  if (!j.contains(ptr) || !j.at(ptr).is_number_integer()) return 0;
  return j.at(ptr).get<int64_t>();
}

// kubectl rollout status for a Deployment (k8s.io/kubectl pkg/polymorphichelpers/rollout_status.go
// DeploymentStatusViewer.Status): done when the controller has observed the current generation
// and every replica is updated and available, with no old replica left.
struct RolloutState {
  bool done = false;
  bool failed = false;
  std::string message;
};

RolloutState rollout_state(const nlohmann::json& deployment) {
  RolloutState state;
  int64_t generation = number_at(deployment, "/metadata/generation");
  int64_t observed = number_at(deployment, "/status/observedGeneration");
  int64_t wanted = deployment.contains(nlohmann::json::json_pointer("/spec/replicas"))
                       ? number_at(deployment, "/spec/replicas")
                       : 1;
  int64_t replicas = number_at(deployment, "/status/replicas");
  int64_t updated = number_at(deployment, "/status/updatedReplicas");
  int64_t available = number_at(deployment, "/status/availableReplicas");
  if (generation > observed) {
    state.message = "waiting for the deployment spec update to be observed";
    return state;
  }
  if (auto conds = deployment.find("status"); conds != deployment.end() && conds->is_object()) {
    for (const auto& c : conds->value("conditions", nlohmann::json::array())) {
      if (c.value("type", "") == "Progressing" &&
          c.value("reason", "") == "ProgressDeadlineExceeded") {
        state.failed = true;
        state.message = "rollout exceeded its progress deadline";
        return state;
      }
    }
  }
  if (updated < wanted) {
    state.message = std::to_string(updated) + " of " + std::to_string(wanted) + " updated replicas";
  } else if (replicas > updated) {
    state.message = std::to_string(replicas - updated) + " old replicas pending termination";
  } else if (available < updated) {
    state.message = std::to_string(available) + " of " + std::to_string(updated) +
                    " updated replicas available";
  } else {
    state.done = true;
  }
  return state;
}

class Applier {
 public:
  Applier(store::ObjectStore& store, const ApplyOptions& options)
      : store_(store), options_(options) {
    if (options.clock) {
      clock_ = options.clock;
    } else {
      owned_clock_ = system_clock();
      clock_ = owned_clock_.get();
    }
  }

  Result<ApplyResult> run(const Planner& planner) {
    ApplyResult result;
    std::mt19937 rng(std::random_device{}());
    for (int attempt = 0;; ++attempt) {
      attempt_ = attempt;
      if (options_.stop.stop_requested()) return stopped("before planning");
      auto plan = plan_once(store_, planner);
      if (!plan) return fail(plan.error());
      total_ = plan->steps.size();
      if (attempt == 0) {
        result.notes = plan->notes;
        for (const auto& note : plan->notes) {
          ApplyEvent e = event(ApplyEvent::Type::kNote);
          e.message = note;
          emit(e);
        }
        // Re-plans need the same permissions: checking the first plan is enough.
        if (options_.check_access)
          if (auto allowed = check_access(*plan); !allowed) return fail(allowed.error());
        if (options_.check_access)
          if (auto accepted = check_creates(*plan); !accepted) return fail(accepted.error());
      }
      // A write the store would refuse (a manifests tree that cannot tell which file to edit)
      // stops the apply before anything is written.
      if (auto checked = check_plan(*plan, store_); !checked) return fail(checked.error());
      emit(event(ApplyEvent::Type::kPlanned));
      bool replan = false;
      for (index_ = 0; index_ < plan->steps.size(); ++index_) {
        const Step& step = plan->steps[index_];
        if (options_.stop.stop_requested())
          return stopped("before \"" + step.summary + "\" (step " + std::to_string(index_ + 1) +
                         " of " + std::to_string(total_) + ")");
        auto done = execute(step);
        if (done) {
          result.applied.push_back(step);
          ++applied_;
          continue;
        }
        const Error& e = done.error();
        if (e.code == ErrorCode::kCancelled) return fail(e);
        bool retryable = e.code == ErrorCode::kConflict || e.code == ErrorCode::kAlreadyExists ||
                         (e.code == ErrorCode::kNotFound && step.kind != StepKind::kCreate);
        if (!retryable || !is_write(step.kind)) return fail(e.with_context(step.summary));
        if (attempt >= options_.max_replans)
          return fail(e.with_context(step.summary + " (gave up after " +
                                     std::to_string(attempt + 1) +
                                     " attempts: the object keeps changing)"));
        // Someone else wrote in between: re-plan from fresh state after a short random pause,
        // so that concurrent writers do not collide in lockstep.
        ++result.replans;
        ApplyEvent replanning = event(ApplyEvent::Type::kReplanning);
        replanning.message = e.with_context(step.summary).message + ": planning again";
        emit(replanning);
        std::uniform_int_distribution<int> jitter(0, 20 + 30 * std::min(attempt, 6));
        if (!clock_->sleep_for(milliseconds(jitter(rng)), options_.stop))
          return stopped("before planning again");
        replan = true;
        break;
      }
      if (!replan) return result;
    }
  }

 private:
  store::ObjectStore& store_;
  const ApplyOptions& options_;
  Clock* clock_ = nullptr;
  std::shared_ptr<Clock> owned_clock_;
  // Where the apply is, for events and for the message of a stop.
  int attempt_ = 0;
  size_t index_ = 0;
  size_t total_ = 0;
  size_t applied_ = 0;

  ApplyEvent event(ApplyEvent::Type type) const {
    ApplyEvent e;
    e.type = type;
    e.attempt = attempt_;
    e.index = index_;
    e.total = total_;
    e.applied = applied_;
    return e;
  }
  ApplyEvent step_event(ApplyEvent::Type type, const Step& step) const {
    ApplyEvent e = event(type);
    e.action = action_of(step);
    e.write = is_write(step.kind);
    e.key = step.key;
    e.summary = step.summary;
    return e;
  }
  void emit(const ApplyEvent& e) const {
    if (options_.on_event) options_.on_event(e);
  }
  // The answer when options_.stop was requested: what was applied, that nothing after `where`
  // ran, and that running again finishes (plans converge).
  tl::unexpected<Error> stopped(const std::string& where) const {
    const std::string applied = applied_ == 0   ? "nothing was written"
                                : applied_ == 1 ? "1 step was applied"
                                                : std::to_string(applied_) + " steps were applied";
    ApplyEvent e = event(ApplyEvent::Type::kStopped);
    e.message = "stopped " + where + ": " + applied +
                "; run the same command again to finish (it carries on from there)";
    emit(e);
    return make_error(ErrorCode::kCancelled, e.message);
  }
  milliseconds timeout_of(const Step& step) const {
    return step.timeout.count() > 0 ? step.timeout : options_.default_wait_timeout;
  }

  // Refuses a plan whose writes (or waits) the store says the caller may not make, before
  // anything is written. A store that cannot tell lets the writes answer for themselves.
  Result<void> check_access(const Plan& plan) {
    const auto needed = access_needed(plan);
    bool writes = false;
    for (const auto& r : needed) writes = writes || r.verb != "get";
    if (!writes) return ok();
    auto denied = store_.denied(needed);
    if (!denied || denied->empty()) return ok();
    std::string what;
    for (const auto& d : *denied) {
      what += what.empty() ? "" : "; ";
      what += "you may not " + d.verb + " " + (d.resource.empty() ? d.key.kind : d.resource) +
              (d.key.ns.empty() ? std::string(" (cluster-wide)") : " in namespace " + d.key.ns) +
              (d.key.name.empty() || d.verb == "create" ? "" : " (" + d.key.name + ")");
    }
    return make_error(ErrorCode::kForbidden,
                      "nothing was written: " + what +
                          ". Ask a cluster admin for these permissions (for example a ClusterRole "
                          "granting them, bound to you), or use a kubeconfig that has them, "
                          "such as a cluster admin's (`kubectl auth can-i` shows what you may do)");
  }

  // A create that comes after another write would leave that write behind if the server
  // refused it (a CRD being deleted, a terminating namespace, validation, an admission webhook):
  // ask the store first (dryRun=All), so such a plan writes nothing. A create that is the first
  // write needs no check: its refusal leaves nothing behind. NotFound and AlreadyExists are left
  // to the write itself (an earlier step may make the namespace; a re-plan handles a race).
  Result<void> check_creates(const Plan& plan) {
    bool wrote_before = false;
    for (const Step& step : plan.steps) {
      if (step.kind == StepKind::kCreate && wrote_before) {
        nlohmann::json object = step.after;
        if (object.contains("metadata")) object["metadata"].erase("resourceVersion");
        auto accepted = store_.check_create(object);
        if (!accepted && accepted.error().code != ErrorCode::kNotFound &&
            accepted.error().code != ErrorCode::kAlreadyExists) {
          return fail(accepted.error().with_context(
              "nothing was written: the API server would refuse \"" + step.summary + "\""));
        }
      }
      wrote_before = wrote_before || is_write(step.kind);
    }
    return ok();
  }

  Result<void> execute(const Step& step) {
    if (is_write(step.kind) && options_.before_step)
      if (auto r = options_.before_step(step); !r) return fail(r.error());
    // A wait starts in poll_until: on a store that is not live it is skipped instead.
    if (is_write(step.kind)) emit(step_event(ApplyEvent::Type::kStepStarted, step));
    auto done = execute_step(step);
    if (!done) return done;
    if (options_.after_step) options_.after_step(step);
    return done;
  }

  Result<void> execute_step(const Step& step) {
    switch (step.kind) {
      case StepKind::kCreate: {
        nlohmann::json object = step.after;
        if (object.contains("metadata")) object["metadata"].erase("resourceVersion");
        auto r = store_.create(object);
        if (!r) return fail(r.error());
        break;
      }
      case StepKind::kReplace: {
        nlohmann::json after = step.after;
        if (step.refresh) {
          auto refreshed = step.refresh(store_, after);
          if (!refreshed) return fail(refreshed.error());
          after = std::move(*refreshed);
        }
        auto r = store_.replace(after);
        if (!r) return fail(r.error());
        break;
      }
      case StepKind::kPatch:
      case StepKind::kRestartDeployment: {
        nlohmann::json patch = step.patch;
        if (step.refresh) {
          auto refreshed = step.refresh(store_, patch);
          if (!refreshed) return fail(refreshed.error());
          patch = std::move(*refreshed);
        }
        auto r = store_.patch(step.key, store::PatchType::kStrategicMerge, patch);
        if (!r) return fail(r.error());
        break;
      }
      case StepKind::kDelete: {
        std::optional<std::string> rv;
        if (step.before.is_object())
          if (auto v = step.before.value(nlohmann::json::json_pointer("/metadata/resourceVersion"),
                                         std::string());
              !v.empty())
            rv = v;
        auto r = store_.remove(step.key, rv);
        if (!r && r.error().code != ErrorCode::kNotFound) return fail(r.error());
        break;
      }
      case StepKind::kWaitRollout:
        return wait_rollout(step);
      case StepKind::kWaitReady:
        return wait_ready(step);
    }
    emit(step_event(ApplyEvent::Type::kStepFinished, step));
    return ok();
  }

  // Polls `poll` until it answers done (nullopt), fails, or the step's timeout passes; the
  // timeout is kTimeout with the message `timed_out(what poll said last)`. Skipped on a store
  // that is not live.
  using Poll = std::function<Result<std::optional<std::string>>()>;
  Result<void> poll_until(const Step& step, const Poll& poll,
                          const std::function<std::string(const std::string&)>& timed_out) {
    if (!store_.capabilities().live) {
      emit(step_event(ApplyEvent::Type::kStepSkipped, step));
      return ok();
    }
    emit(step_event(ApplyEvent::Type::kStepStarted, step));
    auto deadline = clock_->now() + timeout_of(step);
    std::string last;
    for (int attempt = 0;; ++attempt) {
      auto pending = poll();
      if (!pending) return fail(pending.error());
      if (!*pending) break;
      if (**pending != last) {
        last = **pending;
        ApplyEvent waiting = step_event(ApplyEvent::Type::kWaiting, step);
        waiting.message = last;
        emit(waiting);
      }
      if (clock_->now() >= deadline) return make_error(ErrorCode::kTimeout, timed_out(**pending));
      if (!clock_->sleep_for(next_poll(attempt), options_.stop))
        return stopped("while waiting: \"" + step.summary + "\" (step " +
                       std::to_string(index_ + 1) + " of " + std::to_string(total_) +
                       "; last seen: " + last + ")");
    }
    emit(step_event(ApplyEvent::Type::kStepFinished, step));
    return ok();
  }

  Result<void> wait_rollout(const Step& step) {
    return poll_until(
        step,
        [&]() -> Result<std::optional<std::string>> {
          auto deployment = store_.get(step.key);
          if (!deployment) return fail(deployment.error());
          auto state = rollout_state(*deployment);
          if (state.done) return std::optional<std::string>();
          if (state.failed)
            return make_error(ErrorCode::kServerError, store::describe(step.key) + ": " +
                                                           state.message + " (check `kubectl -n " +
                                                           step.key.ns + " describe deploy " +
                                                           step.key.name + "`)");
          return std::optional<std::string>(state.message);
        },
        [&](const std::string& last) {
          return "timed out after " + seconds_text(timeout_of(step)) + " waiting for " +
                 store::describe(step.key) + " to roll out: " + last + " (check `kubectl -n " +
                 step.key.ns + " get pods`)";
        });
  }

  Result<void> wait_ready(const Step& step) {
    if (!step.ready || !step.ready->poll)
      return make_error(ErrorCode::kInternal, step.summary + ": a wait with nothing to poll");
    return poll_until(
        step,
        [&]() -> Result<std::optional<std::string>> {
          auto readiness = step.ready->poll(store_);
          if (!readiness) return fail(readiness.error());
          if (readiness->ready) return std::optional<std::string>();
          std::string missing;
          for (const auto& m : readiness->missing) missing += (missing.empty() ? "" : "; ") + m;
          return std::optional<std::string>(missing);
        },
        [&](const std::string& missing) {
          return "timed out after " + seconds_text(timeout_of(step)) + " waiting for " +
                 step.ready->waiting_for + "; missing: " + missing +
                 (step.ready->hint.empty() ? "" : " (" + step.ready->hint + ")");
        });
  }

  // 50 ms, 100 ms, 200 ms, ... up to poll_interval: quick when the cluster is quick, gentle on
  // the API server when it is not.
  std::chrono::milliseconds next_poll(int attempt) const {
    auto d = std::chrono::milliseconds(50) * (1 << std::min(attempt, 10));
    return std::min(d, options_.poll_interval);
  }
};

}  // namespace

Result<void> check_plan(const Plan& plan, store::ObjectStore& store) {
  for (const Step& s : plan.steps) {
    if (!is_write(s.kind)) continue;
    const nlohmann::json after = s.kind == StepKind::kDelete ? nlohmann::json() : s.after;
    auto files = store.files_to_change(s.key, s.before, after);
    // A delete of something already gone is done (execute_step treats kNotFound so).
    if (!files && !(s.kind == StepKind::kDelete && files.error().code == ErrorCode::kNotFound)) {
      Error e = files.error();
      const std::string nothing = "nothing was written";
      if (e.message.find(nothing) == std::string::npos) e.message += "; " + nothing;
      return fail(e.with_context(s.summary));
    }
  }
  return ok();
}

std::vector<store::AccessRequest> access_needed(const Plan& plan) {
  std::vector<store::AccessRequest> out;
  auto add = [&](std::string verb, store::ObjectKey key) {
    store::AccessRequest r{std::move(verb), std::move(key), {}};
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(std::move(r));
  };
  for (const Step& s : plan.steps) {
    switch (s.kind) {
      case StepKind::kCreate:
        add("create", s.key);
        break;
      case StepKind::kReplace:
        add("update", s.key);
        break;
      case StepKind::kPatch:
      case StepKind::kRestartDeployment:
        add("patch", s.key);
        break;
      case StepKind::kDelete:
        add("delete", s.key);
        break;
      case StepKind::kWaitRollout:
        add("get", s.key);
        break;
      case StepKind::kWaitReady:
        if (s.ready)
          for (const auto& r : s.ready->reads) add(r.verb, r.key);
        break;
    }
  }
  return out;
}

Result<Plan> plan_once(store::ObjectStore& store, const Planner& planner) {
  PlanView view(store);
  auto plan = planner(view);
  if (!plan) return plan;
  plan->steps = merge_steps(std::move(plan->steps));
  return plan;
}

Result<ApplyResult> apply_plan(store::ObjectStore& store, const Planner& planner,
                               const ApplyOptions& options) {
  Applier applier(store, options);
  return applier.run(planner);
}

}  // namespace kftenant::plan
