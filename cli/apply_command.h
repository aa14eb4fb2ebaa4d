// Shared tail of every mutating command: print the plan (--dry-run) or apply it, reporting each
// step on stderr, then list the files changed in manifests mode.
#pragma once

#include <string>

#include "global_options.h"
#include "kftenant/tenancy/plan.h"

namespace kftenant::cli {

struct ApplyOutcome {
  int exit_code = kExitOk;
  tenancy::ApplyResult result;
};

// With dry_run: plans once and prints render_plan to stdout. Otherwise applies, printing
// progress lines to stderr, and in manifests mode "changed: <file>" lines to stdout.
[[nodiscard]] ApplyOutcome run_planner(Session& session, const tenancy::Planner& planner,
                                       bool dry_run);

// Parses "30s", "5m", "1h30m", "250ms" (Go's time.ParseDuration units ns..h, no sign).
[[nodiscard]] Result<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace kftenant::cli
