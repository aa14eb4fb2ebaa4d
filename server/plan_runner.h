// Running a planner for a request: plan::apply_plan with the request's clock, and a record of
// whether a step that writes a password ran (so a generated password is returned exactly when
// it was stored). And how the answers describe what a removal would delete.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/plan/plan.h"
#include "kftenant/tenancy/removal_preview.h"
#include "kftenant/tenancy/users.h"
#include "server/route_table.h"

namespace kftenant::server {

struct PlanOutcome {
  std::vector<std::string> applied;  // the summaries of the steps applied, in order
  std::vector<std::string> notes;
  bool password_attempted = false;  // a step writing a password was sent to the store
  bool password_written = false;    // ... and succeeded
};

// Applies `planner` to `store`. The error is the apply's; `outcome` is filled either way (what
// was applied before a failure).
[[nodiscard]] Result<void> run_plan(store::ObjectStore& store,
                                    const tenancy::TenancyContext& context,
                                    const plan::Planner& planner, PlanOutcome& outcome);

// {"applied": [...], "notes": [...]}.
[[nodiscard]] nlohmann::json to_json(const PlanOutcome& outcome);

// {"deletesProfiles": [{"profile", "namespace", "contents"?}], "removesAccess": [{"profile",
// "role"}], "steps": [...], "notes": [...]}.
[[nodiscard]] nlohmann::json to_json(const tenancy::RemovalPreview& preview);
// One line for a confirmation message: "profile jo with namespace jo (3 Pods); access to 1
// other profile(s)"; `nothing_else` when it deletes no profile and removes no access.
[[nodiscard]] std::string describe_removal(const tenancy::RemovalPreview& preview,
                                           std::string_view nothing_else = "its Dex user");

// The confirmation a destructive request's body must carry: `confirm` equal to `expected`
// (the caller compares: `same`). Otherwise a 422 naming the field "confirm": `what_it_does`
// ("removing jo@x deletes profile jo with namespace jo"), then how to confirm.
[[nodiscard]] Result<void> check_confirmation(const std::optional<std::string>& confirm,
                                              const std::string& expected, bool same,
                                              const std::string& what_it_does);

}  // namespace kftenant::server
