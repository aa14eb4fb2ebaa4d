// The /api/v1 endpoints over the tenancy library: the same views `kftenant user list/show`
// prints, read from whatever store the server was given (a CachedStore in `kftenant serve`, so
// a request costs the API server nothing once the cache has synced).
// The write endpoints are user_writes.h's and profile_writes.h's.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "kftenant/store/cached_store.h"
#include "kftenant/store/object_store.h"
#include "kftenant/tenancy/users.h"
#include "server/route_table.h"
#include "server/view_cache.h"

namespace kftenant::server {

// The kinds its requests read, to be cached (CachedStore::cache) in a long-running server:
// Profiles, and the Namespaces, contributor RoleBindings and AuthorizationPolicies of their
// views, and Dex's Password objects (the views list both Dex backends).
[[nodiscard]] std::vector<std::pair<std::string, std::string>> kinds_read_by_requests();

// Starts caching what the requests read: every kind above that the cluster serves (one it does
// not serve, such as AuthorizationPolicy without Istio, would never sync; it is read through,
// and named in `skipped`), and Dex's ConfigMap as one object (a cache of every ConfigMap of the
// cluster would be far bigger than the users). An error when the cluster cannot be asked.
[[nodiscard]] Result<void> cache_what_requests_read(store::CachedStore& cache,
                                                    store::ObjectStore& inner,
                                                    const tenancy::TenancyContext& context,
                                                    std::vector<std::string>* skipped = nullptr);

class TenancyApi {
 public:
  // `store` must outlive the API and be safe to use from several threads (a CachedStore over a
  // ClusterStore is). With `cache` (usually `store` itself) the views are built once per change
  // of the cluster and shared by the requests (view_cache.h); without, each request builds them.
  TenancyApi(store::ObjectStore& store, tenancy::TenancyContext context,
             store::CachedStore* cache = nullptr)
      : store_(store), context_(context), views_(store, std::move(context), cache) {}

  // The views' cache, for tests and benchmarks (builds()).
  [[nodiscard]] const ViewCache& views() const { return views_; }
  [[nodiscard]] ViewCache& views() { return views_; }

  // GET /api/v1/users (admin), /api/v1/users/{email} (admin or self), /api/v1/profiles (what
  // the caller may see), /api/v1/profiles/{name} (admin or member), /api/v1/me (signed in),
  // /api/v1/doctor (admin: `kftenant doctor -o json`'s report, run when asked, never fixing).
  void add_routes(RouteTable& routes);

 private:
  ApiResponse list_users(const ApiRequest& request);
  ApiResponse get_user(const ApiRequest& request);
  ApiResponse list_profiles(const ApiRequest& request);
  ApiResponse get_profile(const ApiRequest& request);
  ApiResponse me(const ApiRequest& request);
  ApiResponse doctor(const ApiRequest& request);

  store::ObjectStore& store_;
  tenancy::TenancyContext context_;
  ViewCache views_;
};

}  // namespace kftenant::server
