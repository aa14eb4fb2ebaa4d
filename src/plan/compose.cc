#include "kftenant/plan/compose.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "kftenant/plan/plan_view.h"

namespace kftenant::plan {
namespace {

using Index = std::tuple<std::string, std::string, std::string, std::string>;

Index index_of(const store::ObjectKey& key) {
  return {key.api_version, key.kind, key.ns, key.name};
}

// Writes merged by object; restarts are merged like waits (the last one stays).
bool is_object_write(StepKind kind) {
  return is_write(kind) && kind != StepKind::kRestartDeployment;
}

// Two strategic-merge patches as one, for maps (what kftenant patches: annotations): the later
// one's keys win, a null (removal) included. A list in both is the later one's.
nlohmann::json merged_patches(nlohmann::json first, const nlohmann::json& second) {
  if (!first.is_object() || !second.is_object()) return second;
  for (const auto& [key, value] : second.items()) {
    auto it = first.find(key);
    if (it != first.end() && it->is_object() && value.is_object())
      *it = merged_patches(std::move(*it), value);
    else
      first[key] = value;
  }
  return first;
}

// A step being merged, with the summaries of every change folded into it.
struct Slot {
  std::optional<Step> step;  // nullopt once folded away (create then delete)
  std::vector<std::string> summaries;
};

// Folds `next` (a create, replace or delete) into `into` (the earlier write of the same object).
// False when the two cannot be one write (a delete, then a create).
bool fold(Step& into, const Step& next) {
  switch (into.kind) {
    case StepKind::kCreate:
      if (next.kind == StepKind::kReplace || next.kind == StepKind::kPatch) {
        into.after = next.after;
        break;
      }
      return false;  // create + delete is handled by the caller; create + create is a bug
    case StepKind::kPatch:
      if (next.kind == StepKind::kPatch) {
        into.patch = merged_patches(std::move(into.patch), next.patch);
        into.after = next.after;
        break;
      }
      if (next.kind == StepKind::kReplace) {  // the whole object, from the first read
        into.kind = StepKind::kReplace;
        into.patch = nullptr;
        into.after = next.after;
        break;
      }
      if (next.kind == StepKind::kDelete) {
        into.kind = StepKind::kDelete;
        into.after = nullptr;
        into.patch = nullptr;
        break;
      }
      return false;
    case StepKind::kReplace:
      if (next.kind == StepKind::kReplace || next.kind == StepKind::kPatch) {
        into.after = next.after;
        break;
      }
      if (next.kind == StepKind::kDelete) {
        into.kind = StepKind::kDelete;
        into.after = nullptr;
        into.text_field.clear();
        break;
      }
      return false;
    default:
      return false;
  }
  if (next.refresh) into.refresh = next.refresh;
  into.writes_password = into.writes_password || next.writes_password;
  if (into.text_field.empty()) into.text_field = next.text_field;
  return true;
}

}  // namespace

std::string joined_summary(const std::vector<std::string>& summaries) {
  std::vector<std::string> distinct;
  std::set<std::string_view> seen;  // a bulk import folds thousands of summaries
  for (const auto& s : summaries)
    if (seen.insert(s).second) distinct.push_back(s);
  const size_t shown = std::min<size_t>(distinct.size(), 3);
  const std::string more =
      distinct.size() > shown ? " and " + std::to_string(distinct.size() - shown) + " more" : "";
  // Summaries alike but for one part ("add Dex user X to staticPasswords in ...") are said once
  // with the parts listed: "add Dex user a, b, c and 37 more to staticPasswords in ...".
  if (distinct.size() > 1) {
    std::string_view first = distinct[0];
    size_t prefix = first.size(), suffix = first.size();
    for (const auto& s : distinct) {
      size_t p = 0;
      while (p < prefix && p < s.size() && s[p] == first[p]) ++p;
      prefix = p;
      size_t q = 0;
      while (q < suffix && q < s.size() && s[s.size() - 1 - q] == first[first.size() - 1 - q]) ++q;
      suffix = q;
    }
    // Whole words only: the prefix ends with a space, the suffix starts with one.
    while (prefix > 0 && first[prefix - 1] != ' ') --prefix;
    while (suffix > 0 && first[first.size() - suffix] != ' ') --suffix;
    bool parts_left = prefix > 0;
    for (const auto& s : distinct)
      if (prefix + suffix >= s.size()) parts_left = false;
    if (parts_left) {
      std::string out(first.substr(0, prefix));
      for (size_t i = 0; i < shown; ++i)
        out += (i ? ", " : "") + distinct[i].substr(prefix, distinct[i].size() - prefix - suffix);
      return out + more + std::string(first.substr(first.size() - suffix));
    }
  }
  std::string out;
  for (size_t i = 0; i < shown; ++i) out += (i ? "; " : "") + distinct[i];
  return out + (more.empty() ? "" : ";" + more);
}

std::vector<Step> merge_steps(std::vector<Step> steps) {
  std::vector<Slot> slots;
  slots.reserve(steps.size());
  std::map<Index, size_t> last_write;  // object → slot of its current (mergeable) write
  // Restarts and waits: the one kept is the last, from the first `before` (restarts).
  std::map<std::tuple<int, std::string, Index>, size_t> last_once;
  for (Step& step : steps) {
    const Index index = index_of(step.key);
    if (is_object_write(step.kind)) {
      auto it = last_write.find(index);
      if (it != last_write.end() && slots[it->second].step) {
        Slot& slot = slots[it->second];
        if (slot.step->kind == StepKind::kCreate && step.kind == StepKind::kDelete) {
          slot.step.reset();  // never written at all
          last_write.erase(it);
          continue;
        }
        if (fold(*slot.step, step)) {
          slot.summaries.push_back(step.summary);
          continue;
        }
      }
      last_write[index] = slots.size();
      slots.push_back({std::move(step), {}});
      slots.back().summaries.push_back(slots.back().step->summary);
      continue;
    }
    // A restart, a rollout wait or a ready wait: keep the last one of its kind for the object.
    const std::string action = step.ready ? step.ready->action : std::string();
    const auto once = std::make_tuple(static_cast<int>(step.kind), action, index);
    auto it = last_once.find(once);
    std::vector<std::string> summaries;
    if (it != last_once.end() && slots[it->second].step) {
      Slot& earlier = slots[it->second];
      if (step.kind == StepKind::kRestartDeployment) {
        step.before = earlier.step->before;
        step.writes_password = step.writes_password || earlier.step->writes_password;
      }
      summaries = std::move(earlier.summaries);
      earlier.step.reset();
    }
    summaries.push_back(step.summary);
    last_once[once] = slots.size();
    slots.push_back({std::move(step), std::move(summaries)});
  }
  std::vector<Step> out;
  out.reserve(slots.size());
  for (Slot& slot : slots) {
    if (!slot.step) continue;
    slot.step->summary = joined_summary(slot.summaries);
    out.push_back(std::move(*slot.step));
  }
  return out;
}

Planner compose(std::vector<Planner> parts) {
  return [parts = std::move(parts)](store::ObjectStore& store) -> Result<Plan> {
    PlanView view(store);
    Plan out;
    for (const Planner& part : parts) {
      auto planned = part(view);
      if (!planned) return planned;
      view.record(planned->steps);
      for (auto& step : planned->steps) out.steps.push_back(std::move(step));
      for (auto& note : planned->notes) out.notes.push_back(std::move(note));
      for (auto& p : planned->placeholders) out.placeholders.push_back(std::move(p));
    }
    out.steps = merge_steps(std::move(out.steps));
    return out;
  };
}

}  // namespace kftenant::plan
