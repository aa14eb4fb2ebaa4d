#include <random>
#include <string>

#include "kftenant/kubeflow/profile.h"
#include "kftenant/tenancy/plan.h"
#include "read_cache.h"

namespace kftenant::tenancy {
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
      auto plan = plan_once(store_, planner);
      if (!plan) return fail(plan.error());
      if (attempt == 0)
        for (const auto& note : plan->notes) say(note);
      bool replan = false;
      for (const Step& step : plan->steps) {
        auto done = execute(step);
        if (done) {
          result.applied.push_back(step);
          continue;
        }
        const Error& e = done.error();
        bool retryable = e.code == ErrorCode::kConflict || e.code == ErrorCode::kAlreadyExists ||
                         (e.code == ErrorCode::kNotFound &&
                          (step.kind == StepKind::kReplace || step.kind == StepKind::kDelete ||
                           step.kind == StepKind::kRestartDeployment));
        if (!retryable || is_wait(step)) return fail(e.with_context(step.summary));
        if (attempt >= options_.max_replans)
          return fail(e.with_context(step.summary + " (gave up after " +
                                     std::to_string(attempt + 1) +
                                     " attempts: the object keeps changing)"));
        // Someone else wrote in between: re-plan from fresh state after a short random pause,
        // so that concurrent writers do not collide in lockstep.
        ++result.replans;
        std::uniform_int_distribution<int> jitter(0, 20 + 30 * std::min(attempt, 6));
        clock_->sleep_for(milliseconds(jitter(rng)));
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

  static bool is_wait(const Step& s) {
    return s.kind == StepKind::kWaitRollout || s.kind == StepKind::kWaitProfileReady;
  }
  void say(const std::string& line) {
    if (options_.report) options_.report(line);
  }
  milliseconds timeout_of(const Step& step) const {
    return step.timeout.count() > 0 ? step.timeout : options_.default_wait_timeout;
  }

  Result<void> execute(const Step& step) {
    switch (step.kind) {
      case StepKind::kCreate: {
        nlohmann::json object = step.after;
        if (object.contains("metadata")) object["metadata"].erase("resourceVersion");
        auto r = store_.create(object);
        if (!r) return fail(r.error());
        break;
      }
      case StepKind::kReplace:
      case StepKind::kRestartDeployment: {
        auto r = store_.replace(step.after);
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
      case StepKind::kWaitProfileReady:
        return wait_profile(step);
    }
    say("✓ " + step.summary);
    return ok();
  }

  Result<void> wait_rollout(const Step& step) {
    if (!store_.capabilities().live) {
      say("- skipped: " + step.summary + " (not a live cluster)");
      return ok();
    }
    say("… " + step.summary);
    auto deadline = clock_->now() + timeout_of(step);
    int attempt = 0;
    std::string last;
    for (;;) {
      auto deployment = store_.get(step.key);
      if (!deployment) return fail(deployment.error());
      auto state = rollout_state(*deployment);
      if (state.done) break;
      if (state.failed)
        return make_error(ErrorCode::kServerError, store::describe(step.key) + ": " +
                                                       state.message + " (check `kubectl -n " +
                                                       step.key.ns + " describe deploy " +
                                                       step.key.name + "`)");
      last = state.message;
      if (clock_->now() >= deadline)
        return make_error(ErrorCode::kTimeout,
                          "timed out after " + seconds_text(timeout_of(step)) + " waiting for " +
                              store::describe(step.key) + " to roll out: " + last +
                              " (check `kubectl -n " + step.key.ns + " get pods`)");
      clock_->sleep_for(next_poll(attempt++));
    }
    say("✓ " + step.summary);
    return ok();
  }

  Result<void> wait_profile(const Step& step) {
    if (!store_.capabilities().live) {
      say("- skipped: " + step.summary + " (not a live cluster)");
      return ok();
    }
    say("… " + step.summary);
    auto deadline = clock_->now() + timeout_of(step);
    int attempt = 0;
    for (;;) {
      auto readiness = kubeflow::check_profile_ready(store_, step.key.name, step.owner);
      if (!readiness) return fail(readiness.error());
      if (readiness->ready) break;
      if (clock_->now() >= deadline) {
        std::string missing;
        for (const auto& m : readiness->missing) missing += (missing.empty() ? "" : "; ") + m;
        return make_error(ErrorCode::kTimeout,
                          "timed out after " + seconds_text(timeout_of(step)) +
                              " waiting for the Kubeflow profile controller; missing: " + missing +
                              " (is the profile controller running? `kubectl -n kubeflow get "
                              "deploy profiles-deployment`)");
      }
      clock_->sleep_for(next_poll(attempt++));
    }
    say("✓ " + step.summary);
    return ok();
  }

  // 50 ms, 100 ms, 200 ms, ... up to poll_interval: quick when the cluster is quick, gentle on
  // the API server when it is not.
  std::chrono::milliseconds next_poll(int attempt) const {
    auto d = std::chrono::milliseconds(50) * (1 << std::min(attempt, 10));
    return std::min(d, options_.poll_interval);
  }
};

}  // namespace

Result<Plan> plan_once(store::ObjectStore& store, const Planner& planner) {
  ReadCache cache(store);
  return planner(cache);
}

Result<ApplyResult> apply_plan(store::ObjectStore& store, const Planner& planner,
                               const ApplyOptions& options) {
  Applier applier(store, options);
  return applier.run(planner);
}

}  // namespace kftenant::tenancy
