#include <string>

#include "kftenant/tenancy/plan.h"
#include "kftenant/yaml.h"

namespace kftenant::tenancy {
namespace {

// What the server adds and a human did not ask for.
nlohmann::json without_server_fields(nlohmann::json object) {
  if (!object.is_object()) return object;
  if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
    for (const char* field :
         {"resourceVersion", "uid", "creationTimestamp", "managedFields", "generation", "selfLink"})
      meta->erase(field);
  }
  object.erase("status");
  return object;
}

std::string indent(const std::string& text, const std::string& prefix) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string::npos ? text.size() : nl;
    out += prefix;
    out.append(text, start, end - start);
    out += '\n';
    start = end + 1;
  }
  return out;
}

const nlohmann::json* field_at(const nlohmann::json& object, const std::vector<std::string>& path) {
  const nlohmann::json* node = &object;
  for (const auto& part : path) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(part);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

std::string join(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

}  // namespace

std::string render_plan(const Plan& plan) {
  std::string out;
  for (const auto& note : plan.notes) out += "note: " + note + "\n";
  if (plan.steps.empty()) {
    out += "Nothing to change.\n";
    return out;
  }
  int number = 0;
  for (const Step& step : plan.steps) {
    out += std::to_string(++number) + ". " + step.summary + "\n";
    switch (step.kind) {
      case StepKind::kCreate:
        out += indent(yaml::emit(without_server_fields(step.after)), "   ");
        break;
      case StepKind::kReplace:
      case StepKind::kRestartDeployment: {
        nlohmann::json before = without_server_fields(step.before);
        nlohmann::json after = without_server_fields(step.after);
        std::string diff;
        if (!step.text_field.empty()) {
          const auto* old_text = field_at(before, step.text_field);
          const auto* new_text = field_at(after, step.text_field);
          if (old_text && new_text && old_text->is_string() && new_text->is_string()) {
            diff = unified_diff(old_text->get<std::string>(), new_text->get<std::string>(),
                                store::describe(step.key) + " " + join(step.text_field, '.'));
            // The rest of the object (annotations) as a YAML diff.
            nlohmann::json before_rest = before, after_rest = after;
            before_rest[nlohmann::json::json_pointer("/" + join(step.text_field, '/'))] = "…";
            after_rest[nlohmann::json::json_pointer("/" + join(step.text_field, '/'))] = "…";
            diff += unified_diff(yaml::emit(before_rest), yaml::emit(after_rest),
                                 store::describe(step.key));
          }
        }
        if (diff.empty())
          diff = unified_diff(yaml::emit(before), yaml::emit(after), store::describe(step.key));
        out += indent(diff, "   ");
        break;
      }
      case StepKind::kDelete:
      case StepKind::kWaitRollout:
      case StepKind::kWaitProfileReady:
        break;
    }
  }
  return out;
}

}  // namespace kftenant::tenancy
