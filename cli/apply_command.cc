#include "apply_command.h"

#include <fmt/core.h>

#include <cstdio>

namespace kftenant::cli {

ApplyOutcome run_planner(Session& session, const tenancy::Planner& planner, bool dry_run) {
  ApplyOutcome outcome;
  if (dry_run) {
    auto plan = tenancy::plan_once(*session.store, planner);
    if (!plan) {
      outcome.exit_code = report_error(plan.error());
      return outcome;
    }
    fmt::print("Dry run on {}: nothing is written.\n{}", session.store->description(),
               tenancy::render_plan(*plan));
    return outcome;
  }
  tenancy::ApplyOptions options;
  options.report = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  auto applied = tenancy::apply_plan(*session.store, planner, options);
  for (const auto& file : session.store->changed_files()) fmt::print("changed: {}\n", file);
  std::fflush(stdout);
  if (!applied) {
    outcome.exit_code = report_error(applied.error());
    return outcome;
  }
  outcome.result = std::move(*applied);
  if (outcome.result.applied.empty()) std::fprintf(stderr, "Nothing to change.\n");
  return outcome;
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
