#include <utility>

#include "kftenant/plan/plan.h"

namespace kftenant::plan {

Step Step::create(nlohmann::json object, std::string summary) {
  Step s;
  s.kind = StepKind::kCreate;
  s.key = store::key_of(object);
  s.after = std::move(object);
  s.summary = std::move(summary);
  return s;
}

Step Step::replace(nlohmann::json before, nlohmann::json after, std::string summary) {
  Step s;
  s.kind = StepKind::kReplace;
  s.key = store::key_of(before);
  s.before = std::move(before);
  s.after = std::move(after);
  s.summary = std::move(summary);
  return s;
}

Result<Step> Step::patch_of(nlohmann::json before, nlohmann::json patch, std::string summary) {
  auto after = store::apply_patch(before, store::PatchType::kStrategicMerge, patch);
  if (!after) return fail(after.error());
  Step s;
  s.kind = StepKind::kPatch;
  s.key = store::key_of(before);
  s.before = std::move(before);
  s.after = std::move(*after);
  s.patch = std::move(patch);
  s.summary = std::move(summary);
  return s;
}

Result<Step> Step::restart(nlohmann::json deployment, nlohmann::json patch, std::string summary) {
  auto s = patch_of(std::move(deployment), std::move(patch), std::move(summary));
  if (s) s->kind = StepKind::kRestartDeployment;
  return s;
}

Step Step::remove(nlohmann::json before, std::string summary) {
  Step s;
  s.kind = StepKind::kDelete;
  s.key = store::key_of(before);
  s.before = std::move(before);
  s.summary = std::move(summary);
  return s;
}

Step Step::wait_rollout(store::ObjectKey deployment, std::string summary,
                        std::chrono::milliseconds timeout) {
  Step s;
  s.kind = StepKind::kWaitRollout;
  s.key = std::move(deployment);
  s.summary = std::move(summary);
  s.timeout = timeout;
  return s;
}

Step Step::wait_ready(store::ObjectKey key, std::shared_ptr<const ReadyCheck> check,
                      std::string summary, std::chrono::milliseconds timeout) {
  Step s;
  s.kind = StepKind::kWaitReady;
  s.key = std::move(key);
  s.ready = std::move(check);
  s.summary = std::move(summary);
  s.timeout = timeout;
  return s;
}

}  // namespace kftenant::plan
