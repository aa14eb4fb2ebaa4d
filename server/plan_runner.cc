#include "server/plan_runner.h"

#include <fmt/format.h>

#include "server/json_body.h"

namespace kftenant::server {

Result<void> run_plan(store::ObjectStore& store, const tenancy::TenancyContext& context,
                      const plan::Planner& planner, PlanOutcome& outcome) {
  plan::ApplyOptions options;
  options.clock = context.clock;
  options.before_step = [&outcome](const plan::Step& step) -> Result<void> {
    if (step.writes_password) outcome.password_attempted = true;
    return ok();
  };
  options.after_step = [&outcome](const plan::Step& step) {
    if (step.writes_password) outcome.password_written = true;
    outcome.applied.push_back(step.summary);
  };
  auto applied = plan::apply_plan(store, planner, options);
  if (!applied) {
    Error e = applied.error();
    // The API server refusing the server's own account is not the caller's doing: a 500 that
    // tells the operator what to grant, not a 403 that tells the caller "you may not".
    if (e.code == ErrorCode::kForbidden || e.code == ErrorCode::kUnauthorized) {
      e.code = ErrorCode::kConfig;
      e.message = fmt::format(
          "the API server refused kftenant serve's own account (grant its ServiceAccount the "
          "rules of deploy/serve): {}",
          e.message);
    }
    return fail(std::move(e));
  }
  outcome.notes = applied->notes;
  return ok();
}

nlohmann::json to_json(const PlanOutcome& outcome) {
  return {{"applied", outcome.applied}, {"notes", outcome.notes}};
}

nlohmann::json to_json(const tenancy::RemovalPreview& preview) {
  using nlohmann::json;
  json profiles = json::array();
  for (const auto& d : preview.deletions) {
    json p = {{"profile", d.profile}, {"namespace", d.ns}};
    if (d.contents_known) p["contents"] = d.contents;
    profiles.push_back(std::move(p));
  }
  json access = json::array();
  for (const auto& a : preview.access) access.push_back({{"profile", a.profile}, {"role", a.role}});
  json steps = json::array();
  for (const auto& s : preview.plan.steps) steps.push_back(s.summary);
  return {{"deletesProfiles", std::move(profiles)},
          {"removesAccess", std::move(access)},
          {"steps", std::move(steps)},
          {"notes", preview.plan.notes}};
}

std::string describe_removal(const tenancy::RemovalPreview& preview,
                             std::string_view nothing_else) {
  std::vector<std::string> parts;
  for (const auto& d : preview.deletions) {
    std::string part = fmt::format("profile {} with namespace {}", d.profile, d.ns);
    if (!d.contents.empty()) part += fmt::format(" ({})", fmt::join(d.contents, ", "));
    parts.push_back(std::move(part));
  }
  if (!preview.access.empty())
    parts.push_back(fmt::format("access to {} other profile(s)", preview.access.size()));
  return parts.empty() ? std::string(nothing_else) : fmt::format("{}", fmt::join(parts, "; "));
}

Result<void> check_confirmation(const std::optional<std::string>& confirm,
                                const std::string& expected, bool same,
                                const std::string& what_it_does) {
  if (confirm && same) return ok();
  return fail(field_error(
      "confirm", fmt::format("{}: send {{\"confirm\": \"{}\"}} to go on", what_it_does, expected)));
}

}  // namespace kftenant::server
