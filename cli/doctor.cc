#include "doctor.h"

#include <fmt/core.h>

#include "kftenant/tenancy/doctor.h"

namespace kftenant::cli {
namespace {

using State = tenancy::InstallCheck::State;

const char* mark_of(State state) {
  switch (state) {
    case State::kOk:
      return "ok";
    case State::kMissing:
      return "MISSING";
    case State::kAbsent:
      return "absent";
    case State::kCannotCheck:
      return "unknown";
    case State::kError:
      return "ERROR";
  }
  return "?";
}

void print_line(const char* mark, const std::string& subject, const std::string& detail) {
  fmt::print("{:<8} {:<44} {}\n", mark, subject, detail);
}

void print(const tenancy::DoctorReport& report) {
  for (const auto& c : report.checks) print_line(mark_of(c.state), c.name, c.detail);
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
               f.message);
}

}  // namespace

void add_doctor_command(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "doctor",
      "Check that the cluster (or manifests folder) has what Kubeflow multi-user management "
      "needs, and what is wrong with its users, profiles and contributors");
  cmd->callback([&options, &exit_code] {
    auto context = tenancy_context(options);
    if (!context) {
      exit_code = report_error(context.error());
      return;
    }
    auto session = open_session(options);
    if (!session) {
      exit_code = report_error(session.error());
      return;
    }
    const auto report = tenancy::run_doctor(*session->store, *context);
    print(report);
    exit_code = report.healthy() ? kExitOk : kExitFailure;
  });
}

}  // namespace kftenant::cli
