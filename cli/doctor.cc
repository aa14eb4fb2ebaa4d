#include "doctor.h"

#include <fmt/core.h>

#include <memory>

#include "apply_command.h"
#include "kftenant/plan/compose.h"
#include "kftenant/tenancy/doctor.h"
#include "output.h"

namespace kftenant::cli {
namespace {

using State = tenancy::InstallCheck::State;

void print_line(const char* mark, const std::string& subject, const std::string& detail) {
  fmt::print("{:<8} {:<44} {}\n", mark, subject, detail);
}

void print(const tenancy::DoctorReport& report) {
  for (const auto& c : report.checks)
    print_line(std::string(tenancy::to_string(c.state)).c_str(), c.name, c.detail);
  if (report.checks.empty() || report.checks.front().state != State::kOk) return;
  if (report.findings_error) {
    const bool forbidden = report.findings_error->code == ErrorCode::kForbidden;
    print_line(forbidden ? "unknown" : "ERROR", "users and profiles",
               forbidden ? "cannot check: forbidden (" + report.findings_error->message + ")"
                         : report.findings_error->message);
    return;
  }
  if (report.findings.empty())
    print_line("ok", "users and profiles",
               "no problem found in Dex's users, profiles and contributor bindings");
  for (const auto& f : report.findings)
    print_line(f.level == tenancy::Finding::Level::kError ? "ERROR" : "warning", f.subject,
               f.message + (f.fix ? " [--fix: " + f.fix_summary + "]" : std::string()));
}

struct DoctorFlags {
  std::string output = "table";
  bool fix = false, dry_run = false;
};

int run_doctor(const GlobalOptions& options, const DoctorFlags& flags) {
  auto format = parse_output_format(flags.output);
  if (!format) return report_error(format.error());
  if (flags.dry_run && !flags.fix) return report_error(usage_error("--dry-run is for --fix"));
  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  auto session = open_session(options);
  if (!session) return report_error(session.error());
  auto report = tenancy::run_doctor(*session->store, *context);
  if (flags.fix) {
    // The safe repairs, one plan through the usual Plan/apply path; then the state after them.
    std::vector<plan::Planner> fixes;
    for (const auto& f : report.findings)
      if (f.fix) fixes.push_back(f.fix);
    if (fixes.empty()) {
      std::fprintf(stderr, "kftenant: nothing for --fix to repair\n");
    } else {
      auto outcome =
          run_planner(*session, plan::compose(std::move(fixes)),
                      {flags.dry_run, flags.dry_run ? *format : OutputFormat::kTable, {}, {}});
      if (outcome.exit_code != kExitOk || flags.dry_run) return outcome.exit_code;
      report = tenancy::run_doctor(*session->store, *context);
    }
  }
  if (*format == OutputFormat::kTable)
    print(report);
  else
    fmt::print("{}", render_value(tenancy::to_json(report), *format));
  return report.healthy() ? kExitOk : kExitFailure;
}

}  // namespace

void add_doctor_command(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto flags = std::make_shared<DoctorFlags>();
  auto* cmd = app.add_subcommand(
      "doctor",
      "Check that the cluster (or manifests folder) has what Kubeflow multi-user management "
      "needs, and what is wrong with its users, profiles and contributors");
  cmd->add_option("-o,--output", flags->output, "table, json or yaml")->capture_default_str();
  cmd->add_flag("--fix", flags->fix,
                "Repair what is safe to repair (a Dex restart owed, half a contributor pair)");
  cmd->add_flag("--dry-run", flags->dry_run, "With --fix: print the repairs, write nothing");
  cmd->callback([&options, &exit_code, flags] { exit_code = run_doctor(options, *flags); });
}

}  // namespace kftenant::cli
