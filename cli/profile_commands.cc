#include "profile_commands.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>

#include "apply_command.h"
#include "confirm.h"
#include "kftenant/kubeflow/naming.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/tenancy/profile_lifecycle.h"
#include "kftenant/tenancy/profiles.h"
#include "kftenant/tenancy/removal_preview.h"
#include "kftenant/tenancy/validate.h"
#include "output.h"

namespace kftenant::cli {

void add_contributor_flags(CLI::App* command, kubeflow::ContributorOptions& contributor) {
  command
      ->add_option("--userid-header", contributor.userid_header,
                   "Header carrying the user's identity (profiles-config USERID_HEADER)")
      ->capture_default_str();
  command->add_option("--userid-prefix", contributor.userid_prefix,
                      "Prefix of that header's value (profiles-config USERID_PREFIX)");
}

namespace {

Result<Session> session_for_profile(const GlobalOptions& options, const std::string& profile) {
  if (auto v = kubeflow::validate_profile_name(profile); !v)
    return fail(v.error().with_context("profile " + profile));
  return open_session(options);
}

struct QuotaFlags {
  std::string profile, set, output = "table";
  bool clear = false, dry_run = false;
};

Result<RunOptions> run_options(bool dry_run, const std::string& output) {
  auto format = parse_output_format(output);
  if (!format) return fail(format.error());
  return RunOptions{dry_run, *format, {}, {}};
}

int run_quota(const GlobalOptions& options, const QuotaFlags& flags) {
  tenancy::QuotaRequest request;
  request.profile = flags.profile;
  if (!flags.clear) {
    auto hard = kubeflow::parse_quota(flags.set);
    if (!hard) return report_error(hard.error().with_context("--set"));
    request.hard = std::move(*hard);
  }
  auto run = run_options(flags.dry_run, flags.output);
  if (!run) return report_error(run.error());
  auto session = session_for_profile(options, flags.profile);
  if (!session) return report_error(session.error());
  return run_planner(*session, tenancy::quota_planner(std::move(request)), *run).exit_code;
}

struct ShareFlags {
  std::string profile, with, role, output = "table";
  bool dry_run = false;
  kubeflow::ContributorOptions contributor;
  std::vector<std::string> principals;
};

int run_share(const GlobalOptions& options, const ShareFlags& flags) {
  auto email = tenancy::validate_email(flags.with);
  if (!email) return report_error(email.error().with_context("--with"));
  auto role = kubeflow::parse_role(flags.role);
  if (!role) return report_error(role.error().with_context("--role"));
  auto run = run_options(flags.dry_run, flags.output);
  if (!run) return report_error(run.error());
  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  auto session = session_for_profile(options, flags.profile);
  if (!session) return report_error(session.error());
  tenancy::ShareRequest request{flags.profile, *email, *role, flags.contributor, context->dex};
  if (!flags.principals.empty()) request.options.principals = flags.principals;
  return run_planner(*session, tenancy::share_planner(std::move(request)), *run).exit_code;
}

struct UnshareFlags {
  std::string profile, with, output = "table";
  bool dry_run = false;
  kubeflow::ContributorOptions contributor;
};

int run_unshare(const GlobalOptions& options, const UnshareFlags& flags) {
  auto email = tenancy::validate_email(flags.with);
  if (!email) return report_error(email.error().with_context("--with"));
  auto run = run_options(flags.dry_run, flags.output);
  if (!run) return report_error(run.error());
  auto session = session_for_profile(options, flags.profile);
  if (!session) return report_error(session.error());
  return run_planner(*session, tenancy::unshare_planner(flags.profile, *email, flags.contributor),
                     *run)
      .exit_code;
}

int run_contributors(const GlobalOptions& options, const std::string& profile,
                     const std::string& output, const kubeflow::ContributorOptions& contributor) {
  auto format = parse_output_format(output);
  if (!format) return report_error(format.error());
  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  auto session = session_for_profile(options, profile);
  if (!session) return report_error(session.error());
  auto contributors =
      tenancy::list_contributors(*session->store, profile, context->dex, contributor);
  if (!contributors) return report_error(contributors.error());
  if (*format == OutputFormat::kTable) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : *contributors) {
      std::string problems;
      for (const auto& p : c.problems) problems += (problems.empty() ? "" : "; ") + p;
      rows.push_back({c.email, c.is_owner ? "owner" : std::string(kubeflow::to_string(c.role)),
                      c.binding_name, c.has_policy ? "yes" : "no", problems});
    }
    fmt::print("{}", render_table({"EMAIL", "ROLE", "BINDING", "POLICY", "PROBLEMS"}, rows));
    return kExitOk;
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& c : *contributors)
    items.push_back({{"email", c.email},
                     {"role", c.is_owner ? "owner" : std::string(kubeflow::to_string(c.role))},
                     {"binding", c.binding_name},
                     {"hasRoleBinding", c.has_binding},
                     {"hasAuthorizationPolicy", c.has_policy},
                     {"problems", c.problems}});
  fmt::print("{}",
             render_value(nlohmann::json{{"profile", profile}, {"contributors", items}}, *format));
  return kExitOk;
}

struct CreateFlags {
  std::string profile, owner, quota, wait, output = "table";
  bool dry_run = false;
};

int run_create(const GlobalOptions& options, const CreateFlags& flags) {
  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  tenancy::CreateProfileRequest request;
  request.name = flags.profile;
  request.owner = flags.owner;
  request.dex = context->dex;
  if (!flags.quota.empty()) {
    auto hard = kubeflow::parse_quota(flags.quota);
    if (!hard) return report_error(hard.error().with_context("--quota"));
    request.quota = std::move(*hard);
  }
  if (!flags.wait.empty()) {
    auto wait = parse_duration(flags.wait);
    if (!wait) return report_error(wait.error().with_context("--wait"));
    request.wait = *wait;
  }
  if (auto owner = tenancy::validate_email(flags.owner); !owner)
    return report_error(owner.error().with_context("--owner"));
  auto run = run_options(flags.dry_run, flags.output);
  if (!run) return report_error(run.error());
  auto session = session_for_profile(options, flags.profile);
  if (!session) return report_error(session.error());
  return run_planner(*session, tenancy::create_profile_planner(std::move(request)), *run).exit_code;
}

struct DeleteFlags {
  std::string profile, output = "table";
  bool yes = false, dry_run = false;
};

int run_delete(const GlobalOptions& options, const DeleteFlags& flags) {
  auto run = run_options(flags.dry_run, flags.output);
  if (!run) return report_error(run.error());
  auto session = session_for_profile(options, flags.profile);
  if (!session) return report_error(session.error());
  auto planner = tenancy::delete_profile_planner(flags.profile);
  if (!flags.yes && !flags.dry_run) {
    // Plan first: nothing to delete needs no confirmation (and a second delete is no error).
    auto preview = tenancy::preview_profile_deletion(*session->store, flags.profile);
    if (!preview) return report_error(preview.error());
    if (!preview->plan.empty()) {
      print_removal_preview(*preview, "");
      if (!isatty(STDIN_FILENO))
        return report_error(
            usage_error("deleting profile " + flags.profile + " needs confirmation: pass --yes"));
      if (!ask_confirmation(
              fmt::format("Delete profile {} with everything in its namespace?", flags.profile))) {
        std::fprintf(stderr, "kftenant: not confirmed, nothing deleted\n");
        return kExitRefused;
      }
    }
  }
  return run_planner(*session, planner, *run).exit_code;
}

struct TransferFlags {
  std::string profile, to, output = "table";
  bool dry_run = false;
  kubeflow::ContributorOptions contributor;
};

int run_transfer(const GlobalOptions& options, const TransferFlags& flags) {
  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  if (auto to = tenancy::validate_email(flags.to); !to)
    return report_error(to.error().with_context("--to"));
  auto run = run_options(flags.dry_run, flags.output);
  if (!run) return report_error(run.error());
  auto session = session_for_profile(options, flags.profile);
  if (!session) return report_error(session.error());
  tenancy::TransferProfileRequest request{flags.profile, flags.to, context->dex, flags.contributor};
  return run_planner(*session, tenancy::transfer_profile_planner(std::move(request)), *run)
      .exit_code;
}

}  // namespace

void add_profile_commands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto* profile = app.add_subcommand(
      "profile", "Manage Kubeflow profiles: create, delete, transfer, quota and contributors");
  profile->require_subcommand(1);

  auto create = std::make_shared<CreateFlags>();
  auto* cr = profile->add_subcommand(
      "create", "Create a profile for an owner, with or without a Dex user (e.g. a connector)");
  cr->add_option("NAME", create->profile, "Profile (namespace) name")->required();
  cr->add_option("--owner", create->owner, "The owner's email")->required();
  cr->add_option("--quota", create->quota,
                 "Resource quota, e.g. cpu=4,memory=16Gi,requests.nvidia.com/gpu=1");
  add_wait_option(cr, create->wait);
  add_plan_flags(cr, create->dry_run, create->output);
  cr->callback([&options, &exit_code, create] { exit_code = run_create(options, *create); });

  auto del = std::make_shared<DeleteFlags>();
  auto* d = profile->add_subcommand(
      "delete", "Delete a profile and with it its namespace (asks first, or --yes)");
  d->add_option("NAME", del->profile, "Profile name")->required();
  d->add_flag("-y,--yes", del->yes, "Do not ask for confirmation");
  add_plan_flags(d, del->dry_run, del->output);
  d->callback([&options, &exit_code, del] { exit_code = run_delete(options, *del); });

  auto transfer = std::make_shared<TransferFlags>();
  auto* t = profile->add_subcommand(
      "transfer",
      "Give a profile a new owner (the namespace, namespaceAdmin and owner policy too)");
  t->add_option("NAME", transfer->profile, "Profile name")->required();
  t->add_option("--to", transfer->to, "The new owner's email")->required();
  add_contributor_flags(t, transfer->contributor);
  add_plan_flags(t, transfer->dry_run, transfer->output);
  t->callback([&options, &exit_code, transfer] { exit_code = run_transfer(options, *transfer); });

  auto quota = std::make_shared<QuotaFlags>();
  auto* q = profile->add_subcommand("quota", "Set or clear a profile's resource quota");
  q->add_option("NAME", quota->profile, "Profile name")->required();
  auto* set = q->add_option("--set", quota->set,
                            "The new quota, replacing the old one: e.g. cpu=4,memory=16Gi,"
                            "requests.nvidia.com/gpu=1");
  auto* clear = q->add_flag("--clear", quota->clear, "Remove the quota");
  set->excludes(clear);
  add_plan_flags(q, quota->dry_run, quota->output);
  q->callback([&options, &exit_code, quota, set, clear] {
    if (set->count() == 0 && clear->count() == 0) {
      exit_code = report_error(usage_error("profile quota needs --set K=V,... or --clear"));
      return;
    }
    exit_code = run_quota(options, *quota);
  });

  auto share = std::make_shared<ShareFlags>();
  auto* s = profile->add_subcommand(
      "share", "Give a user access to a profile, as the dashboard's Manage Contributors does");
  s->add_option("NAME", share->profile, "Profile name")->required();
  s->add_option("--with", share->with, "The contributor's email")->required();
  s->add_option("--role", share->role, "admin, edit or view")->required();
  add_contributor_flags(s, share->contributor);
  s->add_option("--principal", share->principals,
                "Istio principal allowed to forward the user's requests (repeatable; default: "
                "the ingress gateway and ml-pipeline-ui service accounts)");
  add_plan_flags(s, share->dry_run, share->output);
  s->callback([&options, &exit_code, share] { exit_code = run_share(options, *share); });

  auto unshare = std::make_shared<UnshareFlags>();
  auto* u = profile->add_subcommand("unshare", "Remove a contributor's access to a profile");
  u->add_option("NAME", unshare->profile, "Profile name")->required();
  u->add_option("--with", unshare->with, "The contributor's email")->required();
  add_contributor_flags(u, unshare->contributor);
  add_plan_flags(u, unshare->dry_run, unshare->output);
  u->callback([&options, &exit_code, unshare] { exit_code = run_unshare(options, *unshare); });

  auto list_profile = std::make_shared<std::string>();
  auto list_output = std::make_shared<std::string>("table");
  auto list_contributor = std::make_shared<kubeflow::ContributorOptions>();
  auto* c = profile->add_subcommand("contributors", "List a profile's owner and contributors");
  c->add_option("NAME", *list_profile, "Profile name")->required();
  c->add_option("-o,--output", *list_output, "table, json or yaml")->capture_default_str();
  add_contributor_flags(c, *list_contributor);
  c->callback([&options, &exit_code, list_profile, list_output, list_contributor] {
    exit_code = run_contributors(options, *list_profile, *list_output, *list_contributor);
  });
}

}  // namespace kftenant::cli
