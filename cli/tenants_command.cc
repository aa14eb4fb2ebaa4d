#include "tenants_command.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "apply_command.h"
#include "confirm.h"
#include "input_file.h"
#include "interrupt.h"
#include "kftenant/dex/bcrypt.h"
#include "kftenant/plan/progress.h"
#include "kftenant/plan/render.h"
#include "kftenant/quote.h"
#include "kftenant/tenancy/apply_tenants.h"
#include "output.h"
#include "password_input.h"
#include "profile_commands.h"

namespace kftenant::cli {
namespace {

struct ApplyFlags {
  std::vector<std::string> files;
  std::string output = "table", wait;
  bool prune = false, dry_run = false, yes = false;
  kubeflow::ContributorOptions contributor;
};

// The files `-f` names: a file as it is, a folder's *.yaml and *.yml files (not its subfolders,
// as kubectl apply -f DIR), in name order.
Result<std::vector<std::string>> expand_paths(const std::vector<std::string>& given) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const auto& path : given) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      out.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const auto ext = entry.path().extension().string();
      if ((ext == ".yaml" || ext == ".yml") && entry.is_regular_file(ec))
        found.push_back(entry.path().string());
    }
    if (ec)
      return fail(usage_error(fmt::format("-f {}: {}", quote_for_message(path), ec.message())));
    if (found.empty())
      return fail(usage_error(
          fmt::format("-f {}: the folder holds no .yaml or .yml file", quote_for_message(path))));
    std::sort(found.begin(), found.end());
    for (auto& f : found) out.push_back(std::move(f));
  }
  return out;
}

int report_problems(const std::vector<tenancy::TenantsProblem>& problems) {
  for (const auto& p : problems)
    std::fprintf(stderr, "kftenant: %s\n", tenancy::describe(p).c_str());
  std::fprintf(stderr, "kftenant: %zu problem(s); nothing was written\n", problems.size());
  return kExitUsage;
}

// What prune deletes, for the question: the plan's "prune: ..." notes.
size_t pruned_count(const plan::Plan& plan) {
  return static_cast<size_t>(
      std::count_if(plan.notes.begin(), plan.notes.end(), [](const std::string& n) {
        return n.rfind("prune: ", 0) == 0 && n.find("left as it is") == std::string::npos;
      }));
}

int run_apply(const GlobalOptions& options, const ApplyFlags& flags) {
  auto format = parse_output_format(flags.output);
  if (!format) return report_error(format.error());
  tenancy::ApplyTenantsOptions apply_options;
  apply_options.prune = flags.prune;
  apply_options.contributor_options = flags.contributor;
  if (!flags.wait.empty()) {
    auto wait = parse_duration(flags.wait);
    if (!wait) return report_error(wait.error().with_context("--wait"));
    apply_options.profile_wait = *wait;
  }
  auto paths = expand_paths(flags.files);
  if (!paths) return report_error(paths.error());
  tenancy::Tenants tenants;
  bool first = true;
  for (const auto& path : *paths) {
    auto file = read_input_file(path);
    if (!file) return report_error(file.error());
    tenancy::TenantsReadOptions read_options;
    read_options.base_dir = std::filesystem::path(path).parent_path().string();
    auto read = tenancy::read_tenants(file->text, path, read_options);
    if (first)
      tenants = std::move(read);
    else
      tenancy::merge_tenants(tenants, std::move(read));
    first = false;
  }
  if (!tenants.ok()) return report_problems(tenants.problems);

  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  auto session = open_session(options);
  if (!session) return report_error(session.error());
  if (auto problems = tenancy::resolve_secret_hashes(*session->store, tenants); !problems.empty())
    return report_problems(problems);

  auto planner = tenancy::tenants_planner(*context, tenants, apply_options);
  auto plan = plan::plan_once(*session->store, planner);
  if (!plan) return report_error(plan.error());
  if (auto checked = plan::check_plan(*plan, *session->store); !checked)
    return report_error(checked.error());
  const bool table = *format == OutputFormat::kTable;
  if (flags.dry_run || table) {
    if (table) {
      fmt::print("{}{}: {} user(s), {} profile(s) in set {} from {} file(s).\n{}",
                 flags.dry_run ? "Dry run on " : "Applying to ", session->store->description(),
                 tenants.users.size(), tenants.profiles.size(), tenants.set, paths->size(),
                 plan::render_plan(*plan, session->store.get()));
      std::fflush(stdout);
    } else {
      nlohmann::json out = plan::plan_to_json(*plan, session->store.get());
      out["dryRun"] = true;
      out["store"] = session->store->description();
      out["set"] = tenants.set;
      fmt::print("{}", render_value(out, *format));
    }
    if (flags.dry_run) return kExitOk;
  }
  if (plan->empty()) {
    if (!table) {
      nlohmann::json out = plan::plan_to_json(*plan, session->store.get());
      out["dryRun"] = false;
      out["store"] = session->store->description();
      out["set"] = tenants.set;
      fmt::print("{}", render_value(out, *format));
    }
    return kExitOk;
  }
  if (const size_t pruned = pruned_count(*plan); pruned > 0 && !flags.yes) {
    // What the prune destroys with each profile (its namespace's contents), as `user remove` and
    // `profile delete` show it before asking.
    print_removal_preview(tenancy::describe_removal(*session->store, *plan), "");
    const std::string question =
        fmt::format("Prune {} thing(s) set {} made that the file no longer lists (see above)?",
                    pruned, tenants.set);
    if (!ask_confirmation(question))
      return report_error(
          make_error(
              ErrorCode::kRefused,
              fmt::format("--prune would delete {} thing(s) (the plan's prune notes) and was not "
                          "confirmed: nothing was written; pass --yes to prune without asking",
                          pruned))
              .value());
  }
  plan::ApplyOptions apply;
  apply.on_event = [](const plan::ApplyEvent& event) {
    if (event.type == plan::ApplyEvent::Type::kNote) return;  // the plan printed them
    if (auto line = plan::progress_line(event); !line.empty())
      std::fprintf(stderr, "%s\n", line.c_str());
  };
  StopOnInterrupt interrupt;
  apply.stop = interrupt.token();
  auto report = tenancy::apply_tenants(*session->store, *context, tenants, apply_options, apply);
  if (table)
    for (const auto& file : session->store->changed_files()) fmt::print("changed: {}\n", file);
  std::fflush(stdout);
  if (!report) return report_error(report.error());
  if (table) {
    fmt::print("Applied {} step(s) in {} pass(es).\n", report->applied.size(), report->passes);
  } else {
    plan::Plan done;
    done.steps = report->applied;
    done.notes = report->notes;
    nlohmann::json out = plan::plan_to_json(done, session->store.get());
    out["dryRun"] = false;
    out["store"] = session->store->description();
    out["set"] = tenants.set;
    out["changedFiles"] = session->store->changed_files();
    fmt::print("{}", render_value(out, *format));
  }
  return kExitOk;
}

struct HashFlags {
  bool from_stdin = false;
  std::string file;
  int bcrypt_cost = dex::kDefaultBcryptCost;
};

int run_hash(const HashFlags& flags) {
  if (flags.bcrypt_cost < dex::kMinBcryptCost || flags.bcrypt_cost > dex::kMaxBcryptCost)
    return report_error(
        usage_error(fmt::format("--bcrypt-cost {}: Dex accepts {}..{}", flags.bcrypt_cost,
                                dex::kMinBcryptCost, dex::kMaxBcryptCost)));
  const PasswordSource source = flags.from_stdin      ? PasswordSource::kStdin
                                : !flags.file.empty() ? PasswordSource::kFile
                                                      : PasswordSource::kPrompt;
  auto password = read_password(source, flags.file, "the hash");
  if (!password) return report_error(password.error());
  auto hash = dex::bcrypt_hash(*password, flags.bcrypt_cost);
  OPENSSL_cleanse(password->data(), password->size());
  if (!hash) return report_error(hash.error());
  fmt::print("{}\n", *hash);
  return kExitOk;
}

}  // namespace

void add_tenants_commands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto flags = std::make_shared<ApplyFlags>();
  auto* cmd = app.add_subcommand(
      "apply",
      "Make the cluster (or --manifests folder) hold the users and profiles of Tenants files");
  cmd->add_option("-f,--filename", flags->files,
                  "A Tenants file, or a folder of them (*.yaml, *.yml); repeat to merge several")
      ->required();
  cmd->add_flag("--prune", flags->prune,
                "Also delete the users, profiles and contributors this set made earlier that "
                "the files no longer list");
  cmd->add_flag("-y,--yes", flags->yes, "Prune without asking");
  cmd->add_option("--wait", flags->wait,
                  "Wait up to this long for the profile controller to make each new namespace "
                  "(default: only for profiles with contributors, 5m)");
  add_contributor_flags(cmd, flags->contributor);
  add_plan_flags(cmd, flags->dry_run, flags->output);
  cmd->callback([&options, &exit_code, flags] { exit_code = run_apply(options, *flags); });

  auto hash_flags = std::make_shared<HashFlags>();
  auto* hash = app.add_subcommand(
      "hash", "Print the bcrypt hash of a password, for a Tenants file (asked on the terminal)");
  auto* s = hash->add_flag("--password-stdin", hash_flags->from_stdin,
                           "Read the password from standard input (one trailing newline removed)");
  auto* f = hash->add_option("--password-file", hash_flags->file,
                             "Read the password from a file (mode 0600)");
  s->excludes(f);
  hash->add_option("--bcrypt-cost", hash_flags->bcrypt_cost, "bcrypt cost, 10..16")
      ->capture_default_str();
  hash->callback([&exit_code, hash_flags] { exit_code = run_hash(*hash_flags); });
}

}  // namespace kftenant::cli
