#include "kftenant/tenancy/removal_preview.h"

#include "kftenant/kubeflow/profile.h"
#include "kftenant/tenancy/profile_lifecycle.h"

namespace kftenant::tenancy {
namespace {
const nlohmann::json::json_pointer kRoleAnnotation("/metadata/annotations/role");
}  // namespace

namespace {

// Plans once and describes what the plan's steps delete.
Result<RemovalPreview> preview_of(store::ObjectStore& store, const plan::Planner& planner) {
  auto planned = plan::plan_once(store, planner);
  if (!planned) return fail(planned.error());
  return describe_removal(store, std::move(*planned));
}

}  // namespace

RemovalPreview describe_removal(store::ObjectStore& store, plan::Plan plan) {
  RemovalPreview preview;
  preview.plan = std::move(plan);
  const bool live = store.capabilities().live;
  for (const auto& step : preview.plan.steps) {
    if (step.kind == plan::StepKind::kDelete && step.key.kind == "RoleBinding") {
      bool listed = false;
      for (const auto& a : preview.access) listed = listed || a.profile == step.key.ns;
      if (!listed)
        preview.access.push_back(
            {step.key.ns,
             step.before.contains(kRoleAnnotation) && step.before.at(kRoleAnnotation).is_string()
                 ? step.before.at(kRoleAnnotation).get<std::string>()
                 : std::string()});
      continue;
    }
    if (step.kind != plan::StepKind::kDelete || step.key.kind != "Profile") continue;
    ProfileDeletion deletion;
    deletion.profile = step.key.name;
    deletion.ns = step.key.name;
    if (live) {
      auto contents = kubeflow::describe_namespace_contents(store, deletion.ns);
      if (contents) {
        deletion.contents = std::move(*contents);
        deletion.contents_known = true;
      }
    }
    preview.deletions.push_back(std::move(deletion));
  }
  return preview;
}

Result<RemovalPreview> preview_removal(store::ObjectStore& store, const TenancyContext& context,
                                       const RemoveUserRequest& request) {
  return preview_of(store, remove_user_planner(context, request));
}

Result<RemovalPreview> preview_profile_deletion(store::ObjectStore& store,
                                                const std::string& profile) {
  return preview_of(store, delete_profile_planner(profile));
}

}  // namespace kftenant::tenancy
