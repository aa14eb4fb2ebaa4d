// `kftenant apply`: make a cluster or a manifests folder hold what a Tenants file says
// (tenants_file.h), as one composed plan (plan/compose.h): one write of config.yaml and at most
// one Dex restart, whatever the number of users.
//
// What the file lists is made to be so:
//   users         created with their hash; an existing user gets the file's hash, username and
//                 user ID when the file gives them (one that gives no hash keeps their password);
//   profiles      created for their owner; an existing one gets the file's quota when the file
//                 gives one; a profile owned by someone else is refused (`profile transfer` moves
//                 it, on purpose);
//   contributors  a RoleBinding and AuthorizationPolicy pair each, as KFAM makes them; another
//                 role is changed.
// Nothing the file does not list is touched, except with prune (below). Applying the same file
// again plans nothing.
//
// The set records what it made, in the spirit of kubectl's ApplySet, so that prune deletes only
// that: Profiles, contributor RoleBindings and AuthorizationPolicies and Password objects it
// created carry the label kTenantSetLabel=<set>; static Dex users it created are listed in the
// annotation kTenantSetUsersAnnotation of the Dex ConfigMap ({"<set>": [emails]}). Objects that
// existed before (Kubeflow's stock user@example.com, anything made by hand or by `user add`) are
// never recorded, even when the file lists them, so prune never deletes them.
// Prune deletes what the set recorded and the file no longer lists: a user (their Dex records,
// and their access to every profile unless the file still names them as a contributor), a
// profile (with its namespace), a contributor pair.
//
// A contributor can be added once the profile controller has made the profile's namespace: on a
// cluster, new profiles with contributors are waited for (`profile_wait`) and their contributors
// planned by a second pass; apply_tenants runs the passes. A dry run shows the first pass and
// names the contributors the second one would add.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "kftenant/kubeflow/contributor.h"
#include "kftenant/plan/plan.h"
#include "kftenant/tenancy/tenants_file.h"
#include "kftenant/tenancy/users.h"

namespace kftenant::tenancy {

inline constexpr const char* kTenantSetLabel = "kftenant.io/tenant-set";
inline constexpr const char* kTenantSetUsersAnnotation = "kftenant.io/tenant-set-users";

struct ApplyTenantsOptions {
  bool prune = false;
  // How long to wait for the profile controller to make a new profile's namespace before its
  // contributors are added (live stores only). nullopt: wait only when there are contributors
  // to add, up to 5 minutes.
  std::optional<std::chrono::milliseconds> profile_wait;
  kubeflow::ContributorOptions contributor_options;
};

// Reads the hashes given as hashFrom.secretKeyRef from the store (the Secret's data, base64),
// checking each as a bcrypt hash of cost 10..16. Problems are listed, one per user, naming the
// Secret and what to do; the users' hashes are left empty then.
[[nodiscard]] std::vector<TenantsProblem> resolve_secret_hashes(store::ObjectStore& store,
                                                                Tenants& tenants);

// One pass of apply, as a planner. Refusals concern the whole file and leave everything as it
// is: a new user without a hash (all of them listed), a profile owned by another, a user ID
// another user has, a Dex user in the other backend, a hash for a hashFromEnv user, a set name
// that is not a label value, users with hashes under --dex-backend none.
[[nodiscard]] plan::Planner tenants_planner(TenancyContext context, Tenants tenants,
                                            ApplyTenantsOptions options);

struct ApplyTenantsReport {
  std::vector<plan::Step> applied;  // every step of every pass, in order
  std::vector<std::string> notes;   // the first pass's notes
  int passes = 0;
};

// Applies tenants_planner until it has nothing more to do (at most one pass more than the
// first, for contributors of new profiles). An error stops it, with what was applied so far in
// the context; running it again finishes the job.
[[nodiscard]] Result<ApplyTenantsReport> apply_tenants(store::ObjectStore& store,
                                                       const TenancyContext& context,
                                                       const Tenants& tenants,
                                                       const ApplyTenantsOptions& options,
                                                       const plan::ApplyOptions& apply);

}  // namespace kftenant::tenancy
