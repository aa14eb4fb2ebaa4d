#include "user_commands.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "apply_command.h"
#include "confirm.h"
#include "kftenant/csv.h"
#include "kftenant/dex/bcrypt.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/tenancy/removal_preview.h"
#include "kftenant/tenancy/user_view.h"
#include "kftenant/tenancy/validate.h"
#include "output.h"
#include "password_input.h"
#include "profile_commands.h"
#include "secret_file.h"
#include "user_output.h"

namespace kftenant::cli {
namespace {

struct PasswordFlags {
  bool from_stdin = false;
  std::string file;
  bool generate = false;
};

void add_password_flags(CLI::App* cmd, PasswordFlags& flags) {
  auto* s = cmd->add_flag("--password-stdin", flags.from_stdin,
                          "Read the password from standard input (one trailing newline removed)");
  auto* f = cmd->add_option("--password-file", flags.file,
                            "Read the password from a file (mode 0600; one trailing newline "
                            "removed)");
  auto* g = cmd->add_flag("--generate-password", flags.generate,
                          "Generate a random password and print it once");
  s->excludes(f)->excludes(g);
  f->excludes(g);
}

Result<std::string> obtain_password(const PasswordFlags& flags, const std::string& email) {
  PasswordSource source = PasswordSource::kPrompt;
  if (flags.from_stdin)
    source = PasswordSource::kStdin;
  else if (!flags.file.empty())
    source = PasswordSource::kFile;
  else if (flags.generate)
    source = PasswordSource::kGenerate;
  return read_password(source, flags.file, email);
}

// A password kftenant made up for a user. It must reach the administrator whenever the Dex user
// was written with it — also when a later step fails, since the hash alone cannot give it back —
// and never when it was not used (the user existed and kept their password).
//  - With --passwords-out FILE it goes to FILE (created new, mode 0600, before anything is
//    written; the line is written and synced right before the step that stores the hash), and
//    only "written to FILE" is printed.
//  - Without, it is printed once on stdout at the end, or, when a step after the Dex write
//    failed, on stderr's last line with the error.
class GeneratedPassword {
 public:
  GeneratedPassword(std::string email, std::string password)
      : email_(std::move(email)), password_(std::move(password)) {}
  ~GeneratedPassword() { OPENSSL_cleanse(password_.data(), password_.size()); }
  GeneratedPassword(const GeneratedPassword&) = delete;
  GeneratedPassword& operator=(const GeneratedPassword&) = delete;

  Result<void> open_file(const std::string& path) { return file_.create(path, "--passwords-out"); }
  bool to_file() const { return file_.is_open(); }

  // ApplyOptions hooks.
  Result<void> before(const plan::Step& step) {
    if (!step.writes_password) return ok();
    attempted_ = true;
    if (!to_file() || recorded_) return ok();
    std::string text = csv::row({"email", "password"}) + csv::row({email_, password_});
    auto written = file_.append(text);
    OPENSSL_cleanse(text.data(), text.size());
    if (!written) {
      Error e = written.error();
      e.message += fmt::format("; nothing of {} was written", email_);
      return fail(std::move(e));
    }
    recorded_ = true;
    return ok();
  }
  void after(const plan::Step& step) {
    if (step.writes_password) used_ = true;
  }

  // After a successful apply (table output: `print` is true).
  void announce_success(bool print) const {
    if (!used_) {
      std::fprintf(stderr,
                   "kftenant: no password was generated: %s already existed in Dex and keeps its "
                   "password\n",
                   email_.c_str());
      return;
    }
    if (to_file())
      std::fprintf(stderr, "kftenant: the generated password for %s is in %s (mode 0600)\n",
                   email_.c_str(), file_.path().c_str());
    else if (print)
      fmt::print("generated password for {}: {}\n", email_, password_);
  }
  // After a failed apply: the error was printed; the password follows when it may be in use.
  void announce_failure() const {
    if (!used_ && !attempted_) return;
    const char* how = used_ ? "was written" : "may have been written";
    if (to_file()) {
      std::fprintf(stderr, "kftenant: the Dex user %s %s with the generated password in %s\n",
                   email_.c_str(), how, file_.path().c_str());
    } else {
      std::fprintf(stderr,
                   "kftenant: the Dex user %s %s with this generated password: %s (keep it; "
                   "running the same command again finishes the job and keeps it)\n",
                   email_.c_str(), how, password_.c_str());
    }
  }

 private:
  std::string email_;
  std::string password_;
  NewSecretFile file_;
  bool attempted_ = false;  // a password step started
  bool used_ = false;       // a password step succeeded
  bool recorded_ = false;   // the password is in the file
};

// Wires a GeneratedPassword (may be null) into the run options.
void hook(RunOptions& run, GeneratedPassword* generated) {
  if (!generated) return;
  run.before_step = [generated](const plan::Step& s) { return generated->before(s); };
  run.after_step = [generated](const plan::Step& s) { generated->after(s); };
}

struct AddFlags {
  std::string email, quota, wait, output = "table", passwords_out;
  std::optional<std::string> username, user_id, profile;  // given (even empty) or not
  bool no_profile = false, dry_run = false;
  int bcrypt_cost = dex::kDefaultBcryptCost;
  PasswordFlags password;
};

// --generate-password prints the password only in table output (JSON/YAML tend to end up in
// logs), unless it goes to a --passwords-out file.
Result<void> check_generate_flags(const PasswordFlags& password, const std::string& passwords_out,
                                  OutputFormat format) {
  if (!passwords_out.empty() && !password.generate)
    return fail(usage_error("--passwords-out is for --generate-password"));
  if (password.generate && format != OutputFormat::kTable && passwords_out.empty())
    return fail(
        usage_error("--generate-password prints the password once and only with -o table; with -o "
                    "json/yaml write it to a file with --passwords-out FILE"));
  return ok();
}

int run_add(const GlobalOptions& options, const AddFlags& flags) {
  auto format = parse_output_format(flags.output);
  if (!format) return report_error(format.error());
  if (auto g = check_generate_flags(flags.password, flags.passwords_out, *format); !g)
    return report_error(g.error());
  tenancy::AddUserRequest request;
  request.email = flags.email;
  request.username = flags.username;
  request.user_id = flags.user_id;
  request.profile = flags.profile;
  request.create_profile = !flags.no_profile;
  request.bcrypt_cost = flags.bcrypt_cost;
  request.keep_existing_password = flags.password.generate;
  if (!flags.quota.empty()) {
    auto quota = kubeflow::parse_quota(flags.quota);
    if (!quota) return report_error(quota.error().with_context("--quota"));
    request.quota = std::move(*quota);
  }
  if (!flags.wait.empty()) {
    auto wait = parse_duration(flags.wait);
    if (!wait) return report_error(wait.error().with_context("--wait"));
    request.wait = *wait;
  }
  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  // Validate everything we can before asking for the password.
  auto checked = tenancy::validate_add_user(request, /*check_password=*/false);
  if (!checked) return report_error(checked.error());
  const bool password_given =
      flags.password.from_stdin || !flags.password.file.empty() || flags.password.generate;
  if (!context->dex.managed) {
    // No Dex user is written, so there is no password to ask for.
    if (password_given)
      return report_error(usage_error(
          "--dex-backend none writes no Dex user: drop the password option (people sign in "
          "through the Dex connector)"));
  } else {
    auto password = obtain_password(flags.password, checked->email);
    if (!password) return report_error(password.error());
    request.password = std::move(*password);
  }
  auto validated =
      tenancy::validate_add_user(std::move(request), /*check_password=*/context->dex.managed);
  if (!validated) return report_error(validated.error());
  auto session = open_session(options);
  if (!session) return report_error(session.error());
  const std::string email = validated->email;
  std::unique_ptr<GeneratedPassword> generated;
  if (flags.password.generate && !flags.dry_run) {
    generated = std::make_unique<GeneratedPassword>(email, validated->password);
    if (!flags.passwords_out.empty())
      if (auto f = generated->open_file(flags.passwords_out); !f) return report_error(f.error());
  }
  RunOptions run{flags.dry_run, flags.dry_run ? *format : OutputFormat::kTable, {}, {}};
  hook(run, generated.get());
  auto outcome =
      run_planner(*session, tenancy::add_user_planner(*context, std::move(*validated)), run);
  if (outcome.exit_code != kExitOk) {
    if (generated) generated->announce_failure();
    return outcome.exit_code;
  }
  if (flags.dry_run) return kExitOk;
  if (generated) generated->announce_success(*format == OutputFormat::kTable);
  auto view = tenancy::show_user(*session->store, *context, email);
  if (!view) return report_error(view.error());
  if (*format == OutputFormat::kTable) {
    fmt::print("{}", render_user_table({*view}));
  } else {
    fmt::print("{}", render_value(tenancy::to_json(*view), *format));
  }
  return kExitOk;
}

struct RemoveFlags {
  std::string email, output = "table";
  bool keep_profile = false, keep_access = false, yes = false, dry_run = false;
  kubeflow::ContributorOptions contributor;
};

int run_remove(const GlobalOptions& options, const RemoveFlags& flags) {
  auto format = parse_output_format(flags.output);
  if (!format) return report_error(format.error());
  auto email = tenancy::validate_email(flags.email);
  if (!email) return report_error(email.error());
  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  auto session = open_session(options);
  if (!session) return report_error(session.error());
  tenancy::RemoveUserRequest request;
  request.email = *email;
  request.keep_profile = flags.keep_profile;
  request.keep_access = flags.keep_access;
  request.contributor_options = flags.contributor;
  auto planner = tenancy::remove_user_planner(*context, request);
  if (!flags.yes && !flags.dry_run) {
    // Plan first: nothing to remove needs no confirmation (and a second remove is no error).
    auto preview = tenancy::preview_removal(*session->store, *context, request);
    if (!preview) return report_error(preview.error());
    if (preview->plan.empty())
      return run_planner(*session, planner, {false, *format, {}, {}}).exit_code;
    std::string question = fmt::format("Remove Dex user {}", *email);
    print_removal_preview(*preview, *email);
    if (!preview->deletions.empty())
      question += " and delete the profile(s) above with everything in them";
    else if (!preview->access.empty())
      question += " and remove the access above";
    if (!isatty(STDIN_FILENO))
      return report_error(usage_error("removing " + *email + " needs confirmation: pass --yes"));
    if (!ask_confirmation(question + "?")) {
      std::fprintf(stderr, "kftenant: not confirmed, nothing removed\n");
      return kExitRefused;
    }
  }
  return run_planner(*session, planner, {flags.dry_run, *format, {}, {}}).exit_code;
}

struct PasswdFlags {
  std::string email, output = "table", passwords_out;
  int bcrypt_cost = dex::kDefaultBcryptCost;
  bool dry_run = false;
  PasswordFlags password;
};

int run_passwd(const GlobalOptions& options, const PasswdFlags& flags) {
  auto format = parse_output_format(flags.output);
  if (!format) return report_error(format.error());
  if (auto g = check_generate_flags(flags.password, flags.passwords_out, *format); !g)
    return report_error(g.error());
  auto checked = tenancy::validate_passwd({flags.email, "", flags.bcrypt_cost}, false);
  if (!checked) return report_error(checked.error());
  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  auto password = obtain_password(flags.password, checked->email);
  if (!password) return report_error(password.error());
  auto request =
      tenancy::validate_passwd({checked->email, std::move(*password), flags.bcrypt_cost});
  if (!request) return report_error(request.error());
  auto session = open_session(options);
  if (!session) return report_error(session.error());
  std::unique_ptr<GeneratedPassword> generated;
  if (flags.password.generate && !flags.dry_run) {
    generated = std::make_unique<GeneratedPassword>(request->email, request->password);
    if (!flags.passwords_out.empty())
      if (auto f = generated->open_file(flags.passwords_out); !f) return report_error(f.error());
  }
  RunOptions run{flags.dry_run, *format, {}, {}};
  hook(run, generated.get());
  auto outcome = run_planner(*session, tenancy::passwd_planner(*context, std::move(*request)), run);
  if (!generated) return outcome.exit_code;
  if (outcome.exit_code != kExitOk)
    generated->announce_failure();
  else
    generated->announce_success(*format == OutputFormat::kTable);
  return outcome.exit_code;
}

int run_list(const GlobalOptions& options, const std::string& output) {
  auto format = parse_output_format(output);
  if (!format) return report_error(format.error());
  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  auto session = open_session(options);
  if (!session) return report_error(session.error());
  auto users = tenancy::list_users(*session->store, *context);
  if (!users) return report_error(users.error());
  if (*format == OutputFormat::kTable) {
    fmt::print("{}", render_user_table(*users));
  } else {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& u : *users) items.push_back(tenancy::to_json(u));
    fmt::print("{}", render_value(nlohmann::json{{"users", items}}, *format));
  }
  return kExitOk;
}

int run_show(const GlobalOptions& options, const std::string& email_arg,
             const std::string& output) {
  auto format = parse_output_format(output);
  if (!format) return report_error(format.error());
  auto email = tenancy::validate_email(email_arg);
  if (!email) return report_error(email.error());
  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  auto session = open_session(options);
  if (!session) return report_error(session.error());
  auto view = tenancy::show_user(*session->store, *context, *email);
  if (!view) return report_error(view.error());
  if (*format == OutputFormat::kTable)
    fmt::print("{}", render_user_details(*view));
  else
    fmt::print("{}", render_value(tenancy::to_json(*view), *format));
  return kExitOk;
}

}  // namespace

void add_user_commands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* user = app.add_subcommand("user", "Manage Kubeflow users: Dex account and Profile");
  user->require_subcommand(1);

  auto add_flags = std::make_shared<AddFlags>();
  auto* add = user->add_subcommand(
      "add", "Add a Dex user and create their Profile (restarts Dex once for the static backend)");
  add->add_option("EMAIL", add_flags->email, "The user's email (login name)")->required();
  add->add_option("--username", add_flags->username, "Dex username (default: part before @)");
  add->add_option("--user-id", add_flags->user_id, "Dex userID (default: a random UUID)");
  auto* profile = add->add_option("--profile", add_flags->profile,
                                  "Profile (namespace) name (default: Kubeflow's registration "
                                  "rule: part before @, lower-cased, other characters to -)");
  add->add_flag("--no-profile", add_flags->no_profile, "Only create the Dex user")
      ->excludes(profile);
  add_password_flags(add, add_flags->password);
  add->add_option("--passwords-out", add_flags->passwords_out,
                  "With --generate-password: write the password to this new file (mode 0600) "
                  "instead of printing it; written before the Dex user is, so it is never lost");
  add->add_option("--bcrypt-cost", add_flags->bcrypt_cost,
                  fmt::format("bcrypt cost, {}..{}", dex::kMinBcryptCost, dex::kMaxBcryptCost))
      ->capture_default_str();
  add->add_option("--quota", add_flags->quota,
                  "Profile resource quota, e.g. cpu=4,memory=16Gi,requests.nvidia.com/gpu=1");
  add_wait_option(add, add_flags->wait);
  add_plan_flags(add, add_flags->dry_run, add_flags->output);
  add->callback([&options, &exit_code, add_flags] { exit_code = run_add(options, *add_flags); });

  auto remove_flags = std::make_shared<RemoveFlags>();
  auto* remove = user->add_subcommand(
      "remove", "Remove a Dex user and delete their Profile (and with it the namespace)");
  remove->add_option("EMAIL", remove_flags->email, "The user's email")->required();
  remove->add_flag("--keep-profile", remove_flags->keep_profile, "Keep the user's profile(s)");
  remove->add_flag("--keep-access", remove_flags->keep_access,
                   "Keep the user's contributor access to other people's profiles");
  add_contributor_flags(remove, remove_flags->contributor);
  remove->add_flag("-y,--yes", remove_flags->yes, "Do not ask for confirmation");
  add_plan_flags(remove, remove_flags->dry_run, remove_flags->output);
  remove->callback(
      [&options, &exit_code, remove_flags] { exit_code = run_remove(options, *remove_flags); });

  auto passwd_flags = std::make_shared<PasswdFlags>();
  auto* passwd = user->add_subcommand("passwd", "Set a new password for a Dex user");
  passwd->add_option("EMAIL", passwd_flags->email, "The user's email")->required();
  add_password_flags(passwd, passwd_flags->password);
  passwd->add_option("--passwords-out", passwd_flags->passwords_out,
                     "With --generate-password: write the password to this new file (mode 0600) "
                     "instead of printing it");
  passwd
      ->add_option("--bcrypt-cost", passwd_flags->bcrypt_cost,
                   fmt::format("bcrypt cost, {}..{}", dex::kMinBcryptCost, dex::kMaxBcryptCost))
      ->capture_default_str();
  add_plan_flags(passwd, passwd_flags->dry_run, passwd_flags->output);
  passwd->callback(
      [&options, &exit_code, passwd_flags] { exit_code = run_passwd(options, *passwd_flags); });

  auto list_output = std::make_shared<std::string>("table");
  auto* list = user->add_subcommand("list", "List Dex users with their profiles");
  list->add_option("-o,--output", *list_output, "table, json or yaml")->capture_default_str();
  list->callback(
      [&options, &exit_code, list_output] { exit_code = run_list(options, *list_output); });

  auto show_email = std::make_shared<std::string>();
  auto show_output = std::make_shared<std::string>("table");
  auto* show = user->add_subcommand("show", "Show one user: Dex account, profiles, contributors");
  show->add_option("EMAIL", *show_email, "The user's email")->required();
  show->add_option("-o,--output", *show_output, "table, json or yaml")->capture_default_str();
  show->callback([&options, &exit_code, show_email, show_output] {
    exit_code = run_show(options, *show_email, *show_output);
  });
}

}  // namespace kftenant::cli
