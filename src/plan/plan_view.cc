#include "kftenant/plan/plan_view.h"

#include <algorithm>

#include "kftenant/store/label_selector.h"

namespace kftenant::plan {

using nlohmann::json;

PlanView::PlanView(store::ObjectStore& inner)
    : inner_(inner), parent_(dynamic_cast<PlanView*>(&inner)) {}

void PlanView::record(const std::vector<Step>& steps) {
  for (const Step& s : steps) record(s);
}

void PlanView::record(const Step& step) {
  std::optional<json> state;
  switch (step.kind) {
    case StepKind::kCreate:
    case StepKind::kReplace:
    case StepKind::kPatch:
    case StepKind::kRestartDeployment:
      state = step.after;
      break;
    case StepKind::kDelete:
      break;
    case StepKind::kWaitRollout:
    case StepKind::kWaitReady:
      return;
  }
  const Index index = index_of(step.key);
  if (planned_.find(index) == planned_.end()) planned_order_.push_back(index);
  planned_[index] = std::move(state);
}

Result<json> PlanView::read_inner(const store::ObjectKey& key) {
  if (parent_) return parent_->get(key);
  const Index index = index_of(key);
  auto it = gets_.find(index);
  if (it == gets_.end()) it = gets_.emplace(index, inner_.get(key)).first;
  return it->second;
}

Result<std::vector<json>> PlanView::list_inner(const std::string& api_version,
                                               const std::string& kind, const std::string& ns,
                                               const std::string& label_selector) {
  if (parent_) return parent_->list(api_version, kind, ns, label_selector);
  const Index index{api_version, kind, ns, label_selector};
  auto it = lists_.find(index);
  if (it == lists_.end())
    it = lists_.emplace(index, inner_.list(api_version, kind, ns, label_selector)).first;
  return it->second;
}

Result<json> PlanView::stored(const store::ObjectKey& key) {
  if (parent_) return parent_->stored(key);
  return read_inner(key);
}

Result<json> PlanView::get(const store::ObjectKey& key) {
  if (auto it = planned_.find(index_of(key)); it != planned_.end()) {
    if (it->second) return *it->second;
    return make_error(ErrorCode::kNotFound,
                      store::describe(key) + " not found (deleted by an earlier step of the plan)");
  }
  return read_inner(key);
}

Result<std::vector<json>> PlanView::list(const std::string& api_version, const std::string& kind,
                                         const std::string& ns, const std::string& label_selector) {
  auto base = list_inner(api_version, kind, ns, label_selector);
  if (!base) return base;
  auto selector = store::parse_label_selector(label_selector);  // once, not per planned object
  if (!selector) return fail(selector.error());
  std::vector<json> out;
  out.reserve(base->size());
  auto planned_here = [&](const Index& index) {
    return std::get<0>(index) == api_version && std::get<1>(index) == kind &&
           (ns.empty() || std::get<2>(index) == ns);
  };
  // Stored objects, each replaced by its planned state (or dropped) where there is one.
  std::vector<Index> shown;
  for (const json& object : *base) {
    const Index index = index_of(store::key_of(object));
    auto it = planned_.find(index);
    if (it == planned_.end()) {
      out.push_back(object);
      continue;
    }
    shown.push_back(index);
    if (!it->second) continue;
    if (selector->matches_object(*it->second)) out.push_back(*it->second);
  }
  // Planned objects the list did not hold (new ones, or ones whose planned labels now match).
  for (const Index& index : planned_order_) {
    if (!planned_here(index) || std::find(shown.begin(), shown.end(), index) != shown.end())
      continue;
    const auto& state = planned_.at(index);
    if (!state) continue;
    if (selector->matches_object(*state)) out.push_back(*state);
  }
  return out;
}

Result<json> PlanView::create(const json& object) {
  return make_error(ErrorCode::kInternal, "a planner tried to create " +
                                              store::describe(store::key_of(object)) +
                                              ": planners return steps and do not write");
}

Result<json> PlanView::replace(const json& object) {
  return make_error(ErrorCode::kInternal, "a planner tried to replace " +
                                              store::describe(store::key_of(object)) +
                                              ": planners return steps and do not write");
}

Result<json> PlanView::patch(const store::ObjectKey& key, store::PatchType, const json&) {
  return make_error(ErrorCode::kInternal, "a planner tried to patch " + store::describe(key) +
                                              ": planners return steps and do not write");
}

Result<void> PlanView::remove(const store::ObjectKey& key, std::optional<std::string>) {
  return make_error(ErrorCode::kInternal, "a planner tried to delete " + store::describe(key) +
                                              ": planners return steps and do not write");
}

}  // namespace kftenant::plan
