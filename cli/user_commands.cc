#include "user_commands.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>

#include "apply_command.h"
#include "kftenant/dex/bcrypt.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/tenancy/user_view.h"
#include "kftenant/tenancy/validate.h"
#include "output.h"
#include "password_input.h"
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

// The generated password is shown once, on stdout, and only in table output (never in JSON/YAML,
// which tend to end up in logs).
void announce_generated(const PasswordFlags& flags, const std::string& email,
                        const std::string& password) {
  if (flags.generate) fmt::print("generated password for {}: {}\n", email, password);
}

bool ask_confirmation(const std::string& question) {
  FILE* tty = std::fopen("/dev/tty", "r+");
  if (!tty) return false;
  std::fprintf(tty, "%s [y/N] ", question.c_str());
  std::fflush(tty);
  char answer[16] = {0};
  bool yes = std::fgets(answer, sizeof answer, tty) && (answer[0] == 'y' || answer[0] == 'Y');
  std::fclose(tty);
  return yes;
}

struct AddFlags {
  std::string email, quota, wait, output = "table";
  std::optional<std::string> username, user_id, profile;  // given (even empty) or not
  bool no_profile = false, dry_run = false;
  int bcrypt_cost = 12;
  PasswordFlags password;
};

int run_add(const GlobalOptions& options, const AddFlags& flags) {
  auto format = parse_output_format(flags.output);
  if (!format) return report_error(format.error());
  if (flags.password.generate && *format != OutputFormat::kTable)
    return report_error(
        usage_error("--generate-password prints the password once and only with -o "
                    "table; use --password-file with -o json/yaml"));
  tenancy::AddUserRequest request;
  request.email = flags.email;
  request.username = flags.username;
  request.user_id = flags.user_id;
  request.profile = flags.profile;
  request.create_profile = !flags.no_profile;
  request.bcrypt_cost = flags.bcrypt_cost;
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
  // Validate everything we can before asking for the password.
  {
    tenancy::AddUserRequest probe = request;
    probe.password = "probe-password";
    auto checked = tenancy::validate_add_user(probe);
    if (!checked) return report_error(checked.error());
  }
  auto password = obtain_password(flags.password, flags.email);
  if (!password) return report_error(password.error());
  request.password = std::move(*password);
  auto validated = tenancy::validate_add_user(std::move(request));
  if (!validated) return report_error(validated.error());
  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  auto session = open_session(options);
  if (!session) return report_error(session.error());
  std::string email = validated->email;
  std::string generated = flags.password.generate ? validated->password : std::string();
  auto outcome = run_planner(*session, tenancy::add_user_planner(*context, std::move(*validated)),
                             flags.dry_run);
  if (outcome.exit_code != kExitOk || flags.dry_run) return outcome.exit_code;
  auto view = tenancy::show_user(*session->store, *context, email);
  if (!view) return report_error(view.error());
  if (*format == OutputFormat::kTable) {
    announce_generated(flags.password, email, generated);
    fmt::print("{}", render_user_table({*view}));
  } else {
    fmt::print("{}", render_value(tenancy::to_json(*view), *format));
  }
  return kExitOk;
}

struct RemoveFlags {
  std::string email;
  bool keep_profile = false, yes = false, dry_run = false;
};

int run_remove(const GlobalOptions& options, const RemoveFlags& flags) {
  auto email = tenancy::validate_email(flags.email);
  if (!email) return report_error(email.error());
  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  auto session = open_session(options);
  if (!session) return report_error(session.error());
  tenancy::RemoveUserRequest request{*email, flags.keep_profile};
  if (!flags.yes && !flags.dry_run) {
    auto owned = tenancy::profiles_owned_by(*session->store, *email);
    if (!owned) return report_error(owned.error());
    std::string question = fmt::format("Remove Dex user {}", *email);
    if (!flags.keep_profile && !owned->empty()) {
      for (const auto& name : *owned) {
        std::fprintf(stderr, "profile %s will be deleted with namespace %s", name.c_str(),
                     name.c_str());
        if (session->store->capabilities().live) {
          auto contents = kubeflow::describe_namespace_contents(*session->store, name);
          if (contents && !contents->empty()) {
            std::string list;
            for (const auto& c : *contents) list += (list.empty() ? "" : ", ") + c;
            std::fprintf(stderr, ", which holds %s", list.c_str());
          }
        }
        std::fprintf(stderr, "\n");
      }
      question += " and delete the profile(s) above with everything in them";
    }
    if (!isatty(STDIN_FILENO))
      return report_error(usage_error("removing " + *email + " needs confirmation: pass --yes"));
    if (!ask_confirmation(question + "?")) {
      std::fprintf(stderr, "kftenant: not confirmed, nothing removed\n");
      return kExitRefused;
    }
  }
  return run_planner(*session, tenancy::remove_user_planner(*context, request), flags.dry_run)
      .exit_code;
}

struct PasswdFlags {
  std::string email;
  int bcrypt_cost = 12;
  bool dry_run = false;
  PasswordFlags password;
};

int run_passwd(const GlobalOptions& options, const PasswdFlags& flags) {
  auto email = tenancy::validate_email(flags.email);
  if (!email) return report_error(email.error());
  if (flags.bcrypt_cost < 10 || flags.bcrypt_cost > 16)
    return report_error(
        usage_error(fmt::format("--bcrypt-cost {}: Dex accepts logins only for costs "
                                "10..16 (default 12)",
                                flags.bcrypt_cost)));
  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  auto password = obtain_password(flags.password, *email);
  if (!password) return report_error(password.error());
  if (auto v = dex::validate_password(*password); !v) return report_error(v.error());
  auto session = open_session(options);
  if (!session) return report_error(session.error());
  tenancy::PasswdRequest request{*email, std::move(*password), flags.bcrypt_cost};
  std::string generated = flags.password.generate ? request.password : std::string();
  auto outcome =
      run_planner(*session, tenancy::passwd_planner(*context, std::move(request)), flags.dry_run);
  if (outcome.exit_code == kExitOk && !flags.dry_run)
    announce_generated(flags.password, *email, generated);
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
  add->add_option("--bcrypt-cost", add_flags->bcrypt_cost, "bcrypt cost, 10..16")
      ->capture_default_str();
  add->add_option("--quota", add_flags->quota,
                  "Profile resource quota, e.g. cpu=4,memory=16Gi,requests.nvidia.com/gpu=1");
  add->add_option("--wait", add_flags->wait,
                  "Wait for the profile controller (namespace, RBAC, Istio policy), e.g. "
                  "--wait=2m; --wait alone waits 5m")
      ->expected(0, 1)
      ->default_str("5m");
  add->add_flag("--dry-run", add_flags->dry_run, "Print the planned changes, write nothing");
  add->add_option("-o,--output", add_flags->output, "table, json or yaml")->capture_default_str();
  add->callback([&options, &exit_code, add_flags] { exit_code = run_add(options, *add_flags); });

  auto remove_flags = std::make_shared<RemoveFlags>();
  auto* remove = user->add_subcommand(
      "remove", "Remove a Dex user and delete their Profile (and with it the namespace)");
  remove->add_option("EMAIL", remove_flags->email, "The user's email")->required();
  remove->add_flag("--keep-profile", remove_flags->keep_profile, "Keep the user's profile(s)");
  remove->add_flag("-y,--yes", remove_flags->yes, "Do not ask for confirmation");
  remove->add_flag("--dry-run", remove_flags->dry_run, "Print the planned changes, write nothing");
  remove->callback(
      [&options, &exit_code, remove_flags] { exit_code = run_remove(options, *remove_flags); });

  auto passwd_flags = std::make_shared<PasswdFlags>();
  auto* passwd = user->add_subcommand("passwd", "Set a new password for a Dex user");
  passwd->add_option("EMAIL", passwd_flags->email, "The user's email")->required();
  add_password_flags(passwd, passwd_flags->password);
  passwd->add_option("--bcrypt-cost", passwd_flags->bcrypt_cost, "bcrypt cost, 10..16")
      ->capture_default_str();
  passwd->add_flag("--dry-run", passwd_flags->dry_run, "Print the planned changes, write nothing");
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
