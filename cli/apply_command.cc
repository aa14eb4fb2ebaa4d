#include "apply_command.h"

#include <fmt/core.h>

#include <cstdio>

#include "interrupt.h"
#include "kftenant/plan/progress.h"

namespace kftenant::cli {

ApplyOutcome run_planner(Session& session, const plan::Planner& planner, const RunOptions& run) {
  ApplyOutcome outcome;
  if (run.dry_run) {
    auto plan = plan::plan_once(*session.store, planner);
    if (!plan) {
      outcome.exit_code = report_error(plan.error());
      return outcome;
    }
    // The refusal the apply would meet (manifests: which file to edit is not clear).
    if (auto checked = plan::check_plan(*plan, *session.store); !checked) {
      outcome.exit_code = report_error(checked.error());
      return outcome;
    }
    if (run.format == OutputFormat::kTable) {
      fmt::print("Dry run on {}: nothing is written.\n{}", session.store->description(),
                 plan::render_plan(*plan, session.store.get()));
    } else {
      nlohmann::json out = plan::plan_to_json(*plan, session.store.get());
      out["dryRun"] = true;
      out["store"] = session.store->description();
      fmt::print("{}", render_value(out, run.format));
    }
    return outcome;
  }
  plan::ApplyOptions options;
  options.on_event = [](const plan::ApplyEvent& event) {
    if (auto line = plan::progress_line(event); !line.empty())
      std::fprintf(stderr, "%s\n", line.c_str());
  };
  options.before_step = run.before_step;
  options.after_step = run.after_step;
  // Ctrl-C stops between steps or in a wait, never half-way through a write.
  StopOnInterrupt interrupt;
  options.stop = interrupt.token();
  auto applied = plan::apply_plan(*session.store, planner, options);
  const bool table = run.format == OutputFormat::kTable;
  if (table)
    for (const auto& file : session.store->changed_files()) fmt::print("changed: {}\n", file);
  std::fflush(stdout);
  if (!applied) {
    outcome.exit_code = report_error(applied.error());
    return outcome;
  }
  outcome.result = std::move(*applied);
  if (outcome.result.applied.empty()) std::fprintf(stderr, "Nothing to change.\n");
  if (!table) {
    plan::Plan done;
    done.steps = outcome.result.applied;
    done.notes = outcome.result.notes;
    nlohmann::json out = plan::plan_to_json(done, session.store.get());
    out["dryRun"] = false;
    out["store"] = session.store->description();
    out["changedFiles"] = session.store->changed_files();
    fmt::print("{}", render_value(out, run.format));
  }
  return outcome;
}

void add_plan_flags(CLI::App* command, bool& dry_run, std::string& output) {
  command->add_flag("--dry-run", dry_run, "Print the planned changes, write nothing");
  command
      ->add_option("-o,--output", output,
                   "table, json or yaml (with --dry-run: the plan; else what was done)")
      ->capture_default_str();
}

void add_wait_option(CLI::App* command, std::string& wait) {
  auto* option = command
                     ->add_option("--wait", wait,
                                  "Wait for the profile controller (namespace, RBAC, Istio "
                                  "policy), e.g. --wait=2m; --wait alone waits 5m")
                     ->expected(0, 1)
                     ->type_name("DURATION");
  // CLI11 runs no transform for an option given without a value: fill in the default once the
  // command line is parsed.
  command->parse_complete_callback([option, &wait] {
    if (option->count() > 0 && wait.empty()) wait = "5m";
  });
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto bad = [&] {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("duration \"{}\": use a number with a unit, e.g. 90s, 5m, 1h30m", text));
  };
  if (text.empty()) return bad();
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    if (i == start) return bad();
    double value = 0;
    try {
      value = std::stod(std::string(text.substr(start, i - start)));
    } catch (...) {
      return bad();
    }
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double factor;
    if (unit == "h")
      factor = 3600e3;
    else if (unit == "m")
      factor = 60e3;
    else if (unit == "s")
      factor = 1e3;
    else if (unit == "ms")
      factor = 1;
    else if (unit == "us" || unit == "µs")
      factor = 1e-3;
    else if (unit == "ns")
      factor = 1e-6;
    else
      return bad();
    total_ms += value * factor;
  }
  if (total_ms > 1e12) return bad();
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

}  // namespace kftenant::cli
