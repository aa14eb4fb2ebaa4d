// The REST API's profile write endpoints, over the planners of `kftenant profile ...`
// (tenancy/profile_lifecycle.h, tenancy/profiles.h) and the same Plan/apply path. Who may call
// each is stricter than KFAM's, which lets anyone create any profile and change any binding:
//
//   POST   /api/v1/profiles                          create: anyone signed in, for themselves;
//                                                    for another owner, or with a quota,
//                                                    administrators only
//   DELETE /api/v1/profiles/{name}                   delete (body confirms the name): owner or
//                                                    administrator
//   PUT    /api/v1/profiles/{name}/quota             set the quota: administrators only (an
//   DELETE /api/v1/profiles/{name}/quota             owner raising their own would defeat it)
//   POST   /api/v1/profiles/{name}/contributors      add a contributor or change its role
//   PUT    /api/v1/profiles/{name}/contributors/{email}   change a contributor's role
//   DELETE /api/v1/profiles/{name}/contributors/{email}   remove a contributor
//   POST   /api/v1/profiles/{name}/owner             transfer the profile to another owner
//                                                    (the last three: owner or administrator)
//
// The owner is the Profile's spec.owner.name, compared with the caller byte for byte as
// Kubeflow does. Someone who is neither owner nor administrator gets 403 whether or not the
// profile exists (a 404 would tell them it does not). Answers carry the profile as GET
// /api/v1/profiles/{name} shows it, this write included.
#pragma once

#include "kftenant/kubeflow/contributor.h"
#include "kftenant/store/object_store.h"
#include "kftenant/tenancy/profile_lifecycle.h"
#include "kftenant/tenancy/users.h"
#include "server/route_table.h"
#include "server/view_cache.h"

namespace kftenant::server {

class ProfileWriteApi {
 public:
  // `store` and `views` must outlive the API (`views` shows the profiles in answers).
  ProfileWriteApi(store::ObjectStore& store, tenancy::TenancyContext context, ViewCache& views,
                  kubeflow::ContributorOptions contributor = {})
      : store_(store),
        context_(std::move(context)),
        views_(views),
        contributor_(std::move(contributor)) {}

  void add_routes(RouteTable& routes);

  // The parts the routes are made of, for other front ends of the same operations (KFAM):
  // nullopt when the caller may change profile `name` (an administrator, or its owner); else
  // the refusal (403, or 404 for an administrator when there is no such profile).
  [[nodiscard]] std::optional<ApiResponse> refuse_unless_owner(const ApiRequest& request,
                                                               const std::string& name,
                                                               std::string_view what);
  // Checks (name, quota, owner), authorizes (another owner or a quota: administrators) and
  // creates: `created_status` with the profile when made, 200 when it was there.
  [[nodiscard]] ApiResponse create(const ApiRequest& request, tenancy::CreateProfileRequest create,
                                   int created_status);
  // For a caller refuse_unless_owner let through: delete the profile; give `email` `role`
  // (`created_status` when that changed something, else 200); take it away (404 when none).
  [[nodiscard]] ApiResponse apply_delete(const std::string& name);
  [[nodiscard]] ApiResponse apply_share(const std::string& name, const std::string& email,
                                        kubeflow::Role role, int created_status);
  [[nodiscard]] ApiResponse apply_unshare(const std::string& name, const std::string& email);

 private:
  ApiResponse create_profile(const ApiRequest& request);
  ApiResponse delete_profile(const ApiRequest& request);
  ApiResponse set_quota(const ApiRequest& request, bool clear);
  ApiResponse put_contributor(const ApiRequest& request, bool email_in_path);
  ApiResponse remove_contributor(const ApiRequest& request);
  ApiResponse transfer(const ApiRequest& request);

  // The answer after a write: `status` and the profile as the views show it now.
  [[nodiscard]] ApiResponse profile_answer(const std::string& name, int status);

  store::ObjectStore& store_;
  tenancy::TenancyContext context_;
  ViewCache& views_;
  kubeflow::ContributorOptions contributor_;
};

}  // namespace kftenant::server
