#include <cctype>
#include <optional>
#include <string>

#include "kftenant/plan/render.h"
#include "kftenant/yaml.h"

namespace kftenant::plan {
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

// The diff a replace (or restart) shows: of the text field when the step edits one (config.yaml
// in the Dex ConfigMap) plus a YAML diff of the rest, else a YAML diff of the objects.
std::string step_diff(const Step& step) {
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
      diff +=
          unified_diff(yaml::emit(before_rest), yaml::emit(after_rest), store::describe(step.key));
    }
  }
  if (diff.empty())
    diff = unified_diff(yaml::emit(before), yaml::emit(after), store::describe(step.key));
  return diff;
}

std::string_view action_of(StepKind kind) {
  switch (kind) {
    case StepKind::kCreate:
      return "create";
    case StepKind::kReplace:
      return "replace";
    case StepKind::kPatch:
      return "patch";
    case StepKind::kDelete:
      return "delete";
    case StepKind::kRestartDeployment:
      return "restart";
    case StepKind::kWaitRollout:
      return "wait-rollout";
    case StepKind::kWaitReady:
      return "wait";
  }
  return "";
}

bool is_bcrypt_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '/';
}
bool is_base64_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// Replaces every bcrypt hash in `text`: "$2" [a-z]? "$" NN "$" + 53 characters of bcrypt's
// alphabet, and the standard base64 of such a string (Password objects store it so: it starts
// "JDJ" and runs for 80 characters).
std::string hide_hashes(std::string text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "$2") == 0) {
      size_t j = i + 2;
      if (j < text.size() && text[j] >= 'a' && text[j] <= 'z') ++j;
      if (j + 4 < text.size() && text[j] == '$' &&
          std::isdigit(static_cast<unsigned char>(text[j + 1])) &&
          std::isdigit(static_cast<unsigned char>(text[j + 2])) && text[j + 3] == '$') {
        size_t k = j + 4;
        while (k < text.size() && is_bcrypt_char(text[k])) ++k;
        if (k - (j + 4) >= 53) {
          out += "<bcrypt hash>";
          i = k;
          continue;
        }
      }
    }
    if (text.compare(i, 3, "JDJ") == 0 && (i == 0 || !is_base64_char(text[i - 1]))) {
      size_t k = i;
      while (k < text.size() && is_base64_char(text[k])) ++k;
      while (k < text.size() && text[k] == '=') ++k;
      if (k - i >= 76) {
        out += "<bcrypt hash, base64>";
        i = k;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

// The file(s) a write step edits ("a.yaml, b.yaml" when it edits several), as the store says:
// for a replace the documents the change goes to (a manifests tree may route it to an overlay's
// patch), for a create the new object's file, else the object's file.
std::optional<std::string> file_line(store::ObjectStore& store, const Step& step) {
  auto files = store.files_to_change(
      step.key, step.before, step.kind == StepKind::kDelete ? nlohmann::json() : step.after);
  if (files && !files->empty()) {
    std::string out;
    for (const auto& f : *files) out += (out.empty() ? "" : ", ") + f;
    return out;
  }
  return store.file_of(step.key);
}

}  // namespace

std::string hide_secrets(const Plan& plan, std::string text) {
  for (const auto& [value, shown] : plan.placeholders) {
    if (value.empty()) continue;
    for (size_t at = text.find(value); at != std::string::npos;
         at = text.find(value, at + shown.size()))
      text.replace(at, value.size(), shown);
  }
  return hide_hashes(std::move(text));
}

std::string render_plan(const Plan& plan, store::ObjectStore* store) {
  std::string out;
  for (const auto& note : plan.notes) out += "note: " + note + "\n";
  if (plan.steps.empty()) {
    out += "Nothing to change.\n";
    return hide_secrets(plan, std::move(out));
  }
  int number = 0;
  for (const Step& step : plan.steps) {
    out += std::to_string(++number) + ". " + step.summary + "\n";
    if (store && is_write(step.kind))
      if (auto file = file_line(*store, step)) out += "   file: " + *file + "\n";
    switch (step.kind) {
      case StepKind::kCreate:
        out += indent(yaml::emit(without_server_fields(step.after)), "   ");
        break;
      case StepKind::kReplace:
      case StepKind::kPatch:
      case StepKind::kRestartDeployment:
        out += indent(step_diff(step), "   ");
        break;
      case StepKind::kDelete:
      case StepKind::kWaitRollout:
      case StepKind::kWaitReady:
        break;
    }
  }
  return hide_secrets(plan, std::move(out));
}

nlohmann::json plan_to_json(const Plan& plan, store::ObjectStore* store) {
  nlohmann::json steps = nlohmann::json::array();
  for (const Step& step : plan.steps) {
    nlohmann::json s = {{"action", action_of(step)}, {"apiVersion", step.key.api_version},
                        {"kind", step.key.kind},     {"namespace", step.key.ns},
                        {"name", step.key.name},     {"summary", step.summary}};
    if (store && is_write(step.kind))
      if (auto file = file_line(*store, step)) s["file"] = *file;
    if (step.kind == StepKind::kCreate) s["object"] = without_server_fields(step.after);
    if (step.kind == StepKind::kReplace || step.kind == StepKind::kPatch ||
        step.kind == StepKind::kRestartDeployment)
      s["diff"] = step_diff(step);
    steps.push_back(std::move(s));
  }
  nlohmann::json out = {{"notes", plan.notes}, {"steps", std::move(steps)}};
  // Hidden in the serialised form, so that no string anywhere in the document keeps a hash.
  auto hidden = nlohmann::json::parse(
      hide_secrets(plan, out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)),
      nullptr, false);
  return hidden.is_discarded() ? nlohmann::json{{"notes", plan.notes}, {"steps", "<unprintable>"}}
                               : hidden;
}

std::string action_of(const Step& step) {
  if (step.kind == StepKind::kWaitReady && step.ready && !step.ready->action.empty())
    return step.ready->action;
  return std::string(action_of(step.kind));
}

}  // namespace kftenant::plan
