#include "import_command.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "apply_command.h"
#include "input_file.h"
#include "interrupt.h"
#include "kftenant/csv.h"
#include "kftenant/plan/progress.h"
#include "kftenant/plan/render.h"
#include "kftenant/tenancy/onboard.h"
#include "kftenant/tenancy/user_file.h"
#include "kftenant/tenancy/validate.h"
#include "output.h"
#include "secret_file.h"

namespace kftenant::cli {
namespace {

struct ImportFlags {
  std::string file, format, passwords_out, output = "table", wait;
  int jobs = 0;
  int bcrypt_cost = dex::kDefaultBcryptCost;
  bool dry_run = false;
};

// --passwords-out: created new (O_EXCL, 0600) before anything is written; each generated
// password is written and synced before the write that stores its hash. Removed again when no
// password was needed.
class PasswordsFile {
 public:
  Result<void> open(const std::string& path) { return file_.create(path, "--passwords-out"); }
  Result<void> record(const std::vector<tenancy::GeneratedCredential>& made) {
    std::lock_guard lock(mutex_);
    std::string text = lines_ == 0 ? csv::row({"email", "password"}) : std::string();
    for (const auto& c : made) text += csv::row({c.email, c.password});
    auto written = file_.append(text);
    OPENSSL_cleanse(text.data(), text.size());
    if (!written) {
      Error e = written.error();
      e.message += "; the users of these generated passwords were not written";
      return fail(std::move(e));
    }
    lines_ += made.size();
    return ok();
  }
  size_t lines() const { return lines_; }
  const std::string& path() const { return file_.path(); }

 private:
  NewSecretFile file_;
  size_t lines_ = 0;
  std::mutex mutex_;
};

// The progress of the phases on stderr: a line redrawn in place on a terminal (each running
// phase with done/total, rate and time left: profiles run alongside hashing and the Dex write),
// one line per finished phase otherwise. Called from several threads.
class ProgressDisplay {
 public:
  ProgressDisplay() : tty_(isatty(STDERR_FILENO) != 0) {}
  void update(const tenancy::OnboardProgress& p) {
    if (p.phase == tenancy::OnboardPhase::kReading) return;
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    Running& r = running_[static_cast<size_t>(p.phase)];
    if (!r.active) r = {true, now, p};
    r.last = p;
    if (p.finished) {
      r.active = false;
      if (p.total == 0) return;  // nothing to do in this phase: say nothing
      clear_locked();
      std::fprintf(stderr, "kftenant: %s: %zu/%zu in %.1f s\n", tenancy::phase_name(p.phase),
                   p.done, p.total, seconds_since(r.start, now));
      draw_locked(now);
      return;
    }
    if (!tty_ || now - last_draw_ < std::chrono::milliseconds(100)) return;
    draw_locked(now);
  }
  // A line of its own (a step of the Dex phase), above the redrawn one.
  void line(const std::string& text) {
    std::lock_guard lock(mutex_);
    clear_locked();
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  void clear() {
    std::lock_guard lock(mutex_);
    clear_locked();
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Running {
    bool active = false;
    Clock::time_point start;
    tenancy::OnboardProgress last;
  };
  static double seconds_since(Clock::time_point start, Clock::time_point now) {
    return std::chrono::duration<double>(now - start).count();
  }
  void draw_locked(Clock::time_point now) {
    if (!tty_) return;
    last_draw_ = now;
    std::string line;
    for (const Running& r : running_) {
      if (!r.active || r.last.total == 0) continue;
      const tenancy::OnboardProgress& p = r.last;
      if (!line.empty()) line += " | ";
      line += fmt::format("{}: {}/{}", tenancy::phase_name(p.phase), p.done, p.total);
      const double seconds = seconds_since(r.start, now);
      if (p.done > 0 && seconds > 0.5 && p.total > 1) {
        const double rate = static_cast<double>(p.done) / seconds;
        line += fmt::format(", {:.1f}/s, {:.0f} s left", rate,
                            static_cast<double>(p.total - p.done) / rate);
      }
    }
    if (line.empty() && !drawn_) return;
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    drawn_ = !line.empty();
  }
  void clear_locked() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
  }

  bool tty_;
  bool drawn_ = false;
  std::mutex mutex_;
  std::array<Running, static_cast<size_t>(tenancy::OnboardPhase::kContributors) + 1> running_{};
  Clock::time_point last_draw_{};
};

std::string result_cell(tenancy::RowResult r) {
  return tenancy::row_result_name(r);
}

void print_summary(const tenancy::OnboardReport& report, const std::string& source) {
  size_t created = 0, unchanged = 0, failed = 0;
  for (const auto& r : report.rows) {
    const bool row_failed = r.error.has_value();
    const bool wrote = r.dex == tenancy::RowResult::kCreated ||
                       r.profile == tenancy::RowResult::kCreated ||
                       r.contributors == tenancy::RowResult::kCreated;
    if (row_failed)
      ++failed;
    else if (wrote)
      ++created;
    else
      ++unchanged;
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& r : report.rows)
    table.push_back({std::to_string(r.line), r.email, result_cell(r.dex), result_cell(r.profile),
                     result_cell(r.contributors)});
  fmt::print("{}", render_table({"LINE", "EMAIL", "DEX USER", "PROFILE", "CONTRIBUTORS"}, table));
  fmt::print(
      "{} rows: {} changed, {} already in place, {} failed; {} Dex write(s), {} Dex "
      "restart(s), {} Profile and access write(s)\n",
      report.rows.size(), created, unchanged, failed, report.dex_writes, report.restarts,
      report.profile_writes);
  for (const auto& r : report.rows)
    if (r.error)
      std::fprintf(stderr, "kftenant: %s:%d: %s: %s\n", source.c_str(), r.line, r.email.c_str(),
                   r.error->message.c_str());
  if (failed)
    std::fprintf(stderr,
                 "kftenant: %zu row(s) failed; the others are done. Fix what is said above and "
                 "run the same command again: rows in place are skipped\n",
                 failed);
}

int run_import(const GlobalOptions& options, const ImportFlags& flags) {
  auto format = parse_output_format(flags.output);
  if (!format) return report_error(format.error());
  tenancy::UserFileFormat file_format = tenancy::user_file_format(flags.file);
  if (flags.format == "csv")
    file_format = tenancy::UserFileFormat::kCsv;
  else if (flags.format == "yaml")
    file_format = tenancy::UserFileFormat::kYaml;
  else if (!flags.format.empty())
    return report_error(usage_error(fmt::format("--format {}: use csv or yaml", flags.format)));
  if (flags.bcrypt_cost < dex::kMinBcryptCost || flags.bcrypt_cost > dex::kMaxBcryptCost)
    return report_error(usage_error(fmt::format(
        "--bcrypt-cost {}: Dex accepts logins only for costs {}..{} (default {})",
        flags.bcrypt_cost, dex::kMinBcryptCost, dex::kMaxBcryptCost, dex::kDefaultBcryptCost)));
  if (flags.jobs < 0) return report_error(usage_error("--jobs must be 1 or more (0: every core)"));
  tenancy::OnboardOptions onboard_options;
  onboard_options.jobs = flags.jobs;
  onboard_options.bcrypt_cost = flags.bcrypt_cost;
  if (!flags.wait.empty()) {
    auto wait = parse_duration(flags.wait);
    if (!wait) return report_error(wait.error().with_context("--wait"));
    onboard_options.profile_wait = *wait;
  }

  auto file = read_input_file(flags.file);
  if (!file) return report_error(file.error());
  auto users = tenancy::read_user_file(file->text, flags.file, file_format);
  OPENSSL_cleanse(file->text.data(), file->text.size());
  if (users.has_passwords && (file->mode & (S_IRWXG | S_IRWXO)) != 0)
    return report_error(usage_error(fmt::format(
        "{} has passwords in it and can be read or written by group or other users (mode "
        "{:04o}): restrict it with chmod 600 {}",
        tenancy::quote_for_message(flags.file), file->mode & 07777, flags.file)));
  if (!users.problems.empty()) {
    for (const auto& p : users.problems)
      std::fprintf(stderr, "%s\n", tenancy::describe(users, p).c_str());
    return report_error(
        usage_error(fmt::format("{} has {} problem(s), listed above; nothing was written",
                                tenancy::quote_for_message(flags.file), users.problems.size())));
  }
  const bool generates =
      std::any_of(users.rows.begin(), users.rows.end(), [](const tenancy::UserRow& r) {
        return r.password_spec == tenancy::PasswordSpec::kGenerate;
      });
  if (!flags.passwords_out.empty() && !generates)
    return report_error(usage_error("--passwords-out is for rows that generate a password"));
  if (generates && !flags.dry_run && flags.passwords_out.empty())
    return report_error(usage_error(
        "rows generate passwords: give --passwords-out FILE (created new, mode 0600); generated "
        "passwords are never printed"));

  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  auto session = open_session(options);
  if (!session) return report_error(session.error());

  ProgressDisplay display;
  onboard_options.on_progress = [&](const tenancy::OnboardProgress& p) { display.update(p); };
  if (flags.dry_run) {
    auto plan = tenancy::plan_onboard(*session->store, *context, users.rows, onboard_options);
    if (!plan) return report_error(plan.error());
    display.clear();
    if (auto checked = plan::check_plan(*plan, *session->store); !checked)
      return report_error(checked.error());
    if (*format == OutputFormat::kTable) {
      fmt::print("Dry run on {}: nothing is written. {} rows from {}.\n{}",
                 session->store->description(), users.rows.size(), flags.file,
                 plan::render_plan(*plan, session->store.get()));
    } else {
      nlohmann::json out = plan::plan_to_json(*plan, session->store.get());
      out["dryRun"] = true;
      out["store"] = session->store->description();
      fmt::print("{}", render_value(out, *format));
    }
    return kExitOk;
  }

  PasswordsFile passwords;
  if (!flags.passwords_out.empty())
    if (auto opened = passwords.open(flags.passwords_out); !opened)
      return report_error(opened.error());
  onboard_options.record_passwords = [&](const std::vector<tenancy::GeneratedCredential>& made) {
    return passwords.record(made);
  };
  StopOnInterrupt interrupt;
  onboard_options.apply.stop = interrupt.token();
  // The steps of the Dex phase, not its notes: a re-run would print one per row, and the table
  // says which rows were in place.
  onboard_options.apply.on_event = [&](const plan::ApplyEvent& event) {
    if (event.type == plan::ApplyEvent::Type::kNote) return;
    if (auto line = plan::progress_line(event); !line.empty()) display.line(line);
  };
  auto report = tenancy::onboard(*session->store, *context, users.rows, onboard_options);
  display.clear();
  if (*format == OutputFormat::kTable)
    for (const auto& f : session->store->changed_files()) fmt::print("changed: {}\n", f);
  if (!report) return report_error(report.error());
  if (passwords.lines() > 0)
    std::fprintf(stderr, "kftenant: %zu generated password(s) are in %s (mode 0600)\n",
                 passwords.lines(), passwords.path().c_str());
  if (*format == OutputFormat::kTable) {
    print_summary(*report, flags.file);
  } else {
    nlohmann::json out = tenancy::to_json(*report);
    out["store"] = session->store->description();
    out["changedFiles"] = session->store->changed_files();
    fmt::print("{}", render_value(out, *format));
  }
  return report->any_failed() ? kExitFailure : kExitOk;
}

}  // namespace

void add_import_command(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto flags = std::make_shared<ImportFlags>();
  auto* cmd = app.add_subcommand(
      "import",
      "Add many users at once from a CSV or YAML file: one Dex write and at most one restart");
  cmd->add_option("FILE", flags->file,
                  "CSV with a header row (email, username, user_id, profile, password | hash | "
                  "generate, quota, contributors) or YAML with a users: list")
      ->required();
  cmd->add_option("--format", flags->format, "csv or yaml (default: by the file name)");
  cmd->add_option("--passwords-out", flags->passwords_out,
                  "Write generated passwords to this new file (mode 0600); required when rows "
                  "generate passwords");
  cmd->add_option("-j,--jobs", flags->jobs,
                  "Threads for bcrypt and concurrent writes (default: every core)");
  cmd->add_option("--bcrypt-cost", flags->bcrypt_cost, "bcrypt cost of new passwords, 10..16")
      ->capture_default_str();
  cmd->add_option("--wait", flags->wait,
                  "Wait up to this long for the profile controller to make each namespace "
                  "(default: only for rows with contributors, 5m)");
  add_plan_flags(cmd, flags->dry_run, flags->output);
  cmd->callback([&options, &exit_code, flags] { exit_code = run_import(options, *flags); });
}

}  // namespace kftenant::cli
