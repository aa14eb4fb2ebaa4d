// What apply_plan reports while it runs: structured events, so that a CLI prints them as lines
// (progress_line) and a server streams them as they come, from the same apply.
//
// Events never carry a secret: plans hold hashes, never passwords, and events carry no object
// bodies, only the step's kind, key and summary.
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "kftenant/store/object_store.h"

namespace kftenant::plan {

struct ApplyEvent {
  enum class Type {
    kNote,          // a note of the first plan ("alice@example.com already exists, unchanged")
    kPlanned,       // a plan was computed: `total` steps (again after every re-plan)
    kStepStarted,   // step `index` of the current plan begins
    kStepFinished,  // step `index` is done
    kStepSkipped,   // a wait skipped: the store is not live (a manifests folder)
    kWaiting,       // a wait polled and is not done yet; `message` says what it still waits for
    kReplanning,    // a write met a conflict (someone else wrote): planning again; `message`
                    // is the conflict
    kStopped,       // the stop token was requested: nothing after step `index` runs
  };
  Type type = Type::kNote;
  int attempt = 0;     // which plan: 0 the first, 1 after the first re-plan, ...
  size_t index = 0;    // step events: 0-based index in the current plan
  size_t total = 0;    // steps in the current plan
  size_t applied = 0;  // steps finished since the apply began, over every plan
  // Step events: the step's action as plan_to_json names it ("create", "restart",
  // "wait-profile", ...), whether it writes, its object and summary.
  std::string action;
  bool write = false;
  store::ObjectKey key;
  std::string summary;
  std::string message;  // kNote, kWaiting, kReplanning, kStopped
};

using ApplyEventSink = std::function<void(const ApplyEvent&)>;

// The line a terminal shows for an event, or "" for events it does not show (kPlanned,
// kStepStarted of a write): "✓ <summary>" when a step finished, "… <summary>" when a wait
// starts, "- skipped: <summary> (not a live cluster)", the note itself, "↻ <message>" on a
// re-plan, "■ stopped: <message>".
[[nodiscard]] std::string progress_line(const ApplyEvent& event);

// "note", "planned", "step-started", "step-finished", "step-skipped", "waiting", "replanning",
// "stopped".
[[nodiscard]] const char* event_type_name(ApplyEvent::Type type);

// The event as JSON for a server's stream: {"type", "attempt", "applied", and for step events
// "index", "total", "action", "apiVersion", "kind", "namespace", "name", "summary"; "message"
// when there is one}.
[[nodiscard]] nlohmann::json event_to_json(const ApplyEvent& event);

}  // namespace kftenant::plan
