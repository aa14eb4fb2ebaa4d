#include "kftenant/tenancy/removal_preview.h"

#include "kftenant/kubeflow/profile.h"

namespace kftenant::tenancy {

Result<RemovalPreview> preview_removal(store::ObjectStore& store, const TenancyContext& context,
                                       const RemoveUserRequest& request) {
  RemovalPreview preview;
  auto planned = plan::plan_once(store, remove_user_planner(context, request));
  if (!planned) return fail(planned.error());
  preview.plan = std::move(*planned);
  const bool live = store.capabilities().live;
  for (const auto& step : preview.plan.steps) {
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

}  // namespace kftenant::tenancy
