// What --dry-run prints: a plan as text or JSON, with every secret hidden.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "kftenant/plan/plan.h"
#include "kftenant/store/object_store.h"

namespace kftenant::plan {

// Renders a plan for --dry-run: each step's summary, the file it changes when the store has
// files (`store` may be null), then a unified diff of `text_field` for text edits, the YAML of
// created objects, a YAML diff for replaced objects. Placeholders replace their values, and every
// bcrypt hash (raw or base64, as in Password objects) shows as <bcrypt hash>.
[[nodiscard]] std::string render_plan(const Plan& plan, store::ObjectStore* store = nullptr);

// The plan as JSON for `--dry-run -o json`: {"notes": [...], "steps": [{"action": "create" |
// "replace" | "delete" | "restart" | "wait-rollout" | "wait-profile", "apiVersion", "kind",
// "namespace", "name", "summary", "file"?, "object"? (create), "diff"? (replace/restart)}]},
// hidden values as in render_plan.
[[nodiscard]] nlohmann::json plan_to_json(const Plan& plan, store::ObjectStore* store = nullptr);

// The step's "action" in plan_to_json and in progress events: "create", "replace", "delete",
// "restart", "wait-rollout", or its ReadyCheck's action ("wait-profile").
[[nodiscard]] std::string action_of(const Step& step);

// `text` with the plan's placeholders and every bcrypt hash hidden (see render_plan).
[[nodiscard]] std::string hide_secrets(const Plan& plan, std::string text);

// A unified diff (3 lines of context, "--- a/<name>" / "+++ b/<name>") of two texts; empty when
// equal.
[[nodiscard]] std::string unified_diff(const std::string& before, const std::string& after,
                                       const std::string& name);

}  // namespace kftenant::plan
