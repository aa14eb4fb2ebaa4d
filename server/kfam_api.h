// KFAM-compatible endpoints (Kubeflow's access-management service, `profiles-kfam`: the central
// dashboard's backend calls them), so that the dashboard can be pointed at kftenant unchanged:
// the paths, query parameters and JSON shapes of kubeflow/dashboard
// components/access-management/kfam (routers.go, api_default.go, bindings.go, model_binding.go;
// ../shared/reference/kubeflow-contract.md §3), over the same planners as /api/v1.
//
//   GET    /kfam/v1/bindings?user=&namespace=&role=   {"bindings": [Binding]}
//   POST   /kfam/v1/bindings                          Binding: add a contributor
//   DELETE /kfam/v1/bindings                          Binding: remove it
//   POST   /kfam/v1/profiles                          a v1beta1 Profile: create it
//   DELETE /kfam/v1/profiles/{profile}                delete it
//   GET    /kfam/v1/role/clusteradmin?user=           true / false
//
// A Binding is {"user": {"kind": "User", "name": email}, "referredNamespace": ns, "RoleRef":
// {"kind": "ClusterRole", "name": "admin" | "edit" | "view"}, "status": ""} ("roleRef" is read
// too: Go's JSON decoding matches keys in any case).
//
// Unlike KFAM, which authorizes nothing but deletes and binding changes: creating a profile for
// someone else is for administrators; changing a profile's bindings or deleting it, for its owner
// or an administrator (as KFAM's isOwnerOrAdmin); listing bindings shows an administrator every
// profile's and anyone else those of the profiles they belong to; asking whether someone is an
// administrator is for themselves and administrators. Errors keep the API's statuses and
// {code, message, field} bodies (KFAM answers 401 or 403 with a text for every error; the
// dashboard only tells success from failure).
#pragma once

#include <functional>
#include <string_view>

#include "server/profile_writes.h"
#include "server/route_table.h"
#include "server/view_cache.h"

namespace kftenant::server {

class KfamApi {
 public:
  // Writes go through `profiles` (its checks and planners); `views` lists the bindings;
  // `is_admin` says whether an email is an administrator (?user= of role/clusteradmin). All
  // must outlive the API.
  KfamApi(ViewCache& views, ProfileWriteApi& profiles,
          std::function<Result<bool>(std::string_view email)> is_admin)
      : views_(views), profiles_(profiles), is_admin_(std::move(is_admin)) {}

  void add_routes(RouteTable& routes);

 private:
  ApiResponse list_bindings(const ApiRequest& request);
  ApiResponse change_binding(const ApiRequest& request, bool add);
  ApiResponse create_profile(const ApiRequest& request);
  ApiResponse delete_profile(const ApiRequest& request);
  ApiResponse cluster_admin(const ApiRequest& request);

  ViewCache& views_;
  ProfileWriteApi& profiles_;
  std::function<Result<bool>(std::string_view)> is_admin_;
};

}  // namespace kftenant::server
