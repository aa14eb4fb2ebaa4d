// Shared tail of every mutating command: print the plan (--dry-run) or apply it, reporting each
// step on stderr, then list the files changed in manifests mode.
#pragma once

#include <string>

#include "global_options.h"
#include "kftenant/plan/plan.h"
#include "kftenant/plan/render.h"
#include "output.h"

namespace kftenant::cli {

struct RunOptions {
  bool dry_run = false;
  // kTable: the plan as text (dry run), progress on stderr. kJson/kYaml: the plan (dry run) or
  // the steps applied, as plan_to_json, on stdout.
  OutputFormat format = OutputFormat::kTable;
  // Passed to apply_plan (see plan::ApplyOptions).
  std::function<Result<void>(const plan::Step&)> before_step;
  std::function<void(const plan::Step&)> after_step;
};

struct ApplyOutcome {
  int exit_code = kExitOk;
  plan::ApplyResult result;
};

// With dry_run: plans once and prints render_plan (or plan_to_json) to stdout. Otherwise
// applies, printing progress lines to stderr, and in manifests mode "changed: <file>" lines to
// stdout. A failure prints the error and sets exit_code.
[[nodiscard]] ApplyOutcome run_planner(Session& session, const plan::Planner& planner,
                                       const RunOptions& options);

// Adds --dry-run and -o/--output to a mutating command.
void add_plan_flags(CLI::App* command, bool& dry_run, std::string& output);

// Adds --wait[=DURATION] to a command that can wait for the profile controller: `wait` is the
// duration given, "5m" for --wait alone, empty when absent.
void add_wait_option(CLI::App* command, std::string& wait);

// Parses "30s", "5m", "1h30m", "250ms" (Go's time.ParseDuration units ns..h, no sign).
[[nodiscard]] Result<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace kftenant::cli
