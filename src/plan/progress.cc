#include "kftenant/plan/progress.h"

namespace kftenant::plan {

std::string progress_line(const ApplyEvent& e) {
  switch (e.type) {
    case ApplyEvent::Type::kNote:
      return e.message;
    case ApplyEvent::Type::kPlanned:
      return "";
    case ApplyEvent::Type::kStepStarted:
      // A write says when it is done; a wait says at once what it waits for, as it may take long.
      return e.write ? "" : "… " + e.summary;
    case ApplyEvent::Type::kStepFinished:
      return "✓ " + e.summary;
    case ApplyEvent::Type::kStepSkipped:
      return "- skipped: " + e.summary + " (not a live cluster)";
    case ApplyEvent::Type::kWaiting:
      return "";
    case ApplyEvent::Type::kReplanning:
      return "↻ " + e.message;
    case ApplyEvent::Type::kStopped:
      return "■ stopped: " + e.message;
  }
  return "";
}

const char* event_type_name(ApplyEvent::Type type) {
  switch (type) {
    case ApplyEvent::Type::kNote:
      return "note";
    case ApplyEvent::Type::kPlanned:
      return "planned";
    case ApplyEvent::Type::kStepStarted:
      return "step-started";
    case ApplyEvent::Type::kStepFinished:
      return "step-finished";
    case ApplyEvent::Type::kStepSkipped:
      return "step-skipped";
    case ApplyEvent::Type::kWaiting:
      return "waiting";
    case ApplyEvent::Type::kReplanning:
      return "replanning";
    case ApplyEvent::Type::kStopped:
      return "stopped";
  }
  return "";
}

nlohmann::json event_to_json(const ApplyEvent& e) {
  nlohmann::json j = {
      {"type", event_type_name(e.type)}, {"attempt", e.attempt}, {"applied", e.applied}};
  switch (e.type) {
    case ApplyEvent::Type::kStepStarted:
    case ApplyEvent::Type::kStepFinished:
    case ApplyEvent::Type::kStepSkipped:
    case ApplyEvent::Type::kWaiting:
      j["index"] = e.index;
      j["total"] = e.total;
      j["action"] = e.action;
      j["apiVersion"] = e.key.api_version;
      j["kind"] = e.key.kind;
      if (!e.key.ns.empty()) j["namespace"] = e.key.ns;
      j["name"] = e.key.name;
      j["summary"] = e.summary;
      break;
    case ApplyEvent::Type::kPlanned:
      j["total"] = e.total;
      break;
    case ApplyEvent::Type::kNote:
    case ApplyEvent::Type::kReplanning:
    case ApplyEvent::Type::kStopped:
      break;
  }
  if (!e.message.empty()) j["message"] = e.message;
  return j;
}

}  // namespace kftenant::plan
