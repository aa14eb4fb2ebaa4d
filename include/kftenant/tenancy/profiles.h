// Profile-level commands as planners: quota, and contributors exactly as KFAM makes them (a
// RoleBinding and an Istio AuthorizationPolicy per contributor, kubeflow/contributor.h), so the
// central dashboard shows and removes what kftenant adds. Unlike the dashboard, every role
// (admin, edit, view) can be granted.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kftenant/dex/user_directory.h"
#include "kftenant/kubeflow/contributor.h"
#include "kftenant/plan/plan.h"

namespace kftenant::tenancy {

struct QuotaRequest {
  std::string profile;
  // The new spec.resourceQuotaSpec.hard, replacing the old one entirely; empty = clear (the
  // profile controller then deletes ResourceQuota kf-resource-quota).
  std::map<std::string, std::string> hard;
};
// kInvalidArgument for an invalid profile name or quota (kubeflow::validate_quota), kNotFound for
// an unknown profile; nothing to do when the quota is already so.
[[nodiscard]] plan::Planner quota_planner(QuotaRequest request);

struct ShareRequest {
  std::string profile;
  std::string email;  // any case; validated by the planner
  kubeflow::Role role = kubeflow::Role::kEdit;
  kubeflow::ContributorOptions options;
  // Where Dex keeps its users: when the contributor is a Dex user stored with capitals, the
  // bindings carry the email exactly as Dex puts it in the claim. Not found / not readable: the
  // email as given, lower-cased.
  dex::DexLocation dex;
};
// Creates (or repairs) the RoleBinding and AuthorizationPolicy; a contributor with another role
// has the old pair removed (KFAM names carry the role). kRefused for the profile's owner, and
// for an object of that name that belongs to another email (KFAM names ex.jo@x and ex-jo@x
// alike: "repairing" it would take the other user's access away); kNotFound for an unknown
// profile or, on a cluster, a namespace the profile controller has not made yet.
[[nodiscard]] plan::Planner share_planner(ShareRequest request);

// Deletes every KFAM binding pair of `email` in the profile (objects that also admit another
// email are refused, as in share). An empty plan with a note when `email` is no contributor.
[[nodiscard]] plan::Planner unshare_planner(std::string profile, std::string email,
                                            kubeflow::ContributorOptions options = {});

// The profiles (by name, sorted) where `email` (any case) is a contributor: a KFAM RoleBinding
// or AuthorizationPolicy in the profile's namespace names it (holders_of), other than the
// owner's namespaceAdmin and ns-owner-access-istio. One LIST of each kind over all namespaces.
[[nodiscard]] Result<std::vector<std::string>> profiles_shared_with(
    store::ObjectStore& store, const std::string& email,
    const kubeflow::ContributorOptions& options = {});

// The owner (namespaceAdmin) and contributors of a profile, KFAM's view with problems flagged,
// including contributors whose binding names collide with another Dex user's and contributors
// with no Dex user at all (`dex`: where to read Dex's users from; not readable means neither
// check).
[[nodiscard]] Result<std::vector<kubeflow::Contributor>> list_contributors(
    store::ObjectStore& store, const std::string& profile, const dex::DexLocation& dex = {},
    const kubeflow::ContributorOptions& options = {});

// Emails among `emails` that KFAM gives the same binding names, grouped: {{"ex.jo@x",
// "ex-jo@x"}, ...}; case variants of one email are one user, not a collision.
[[nodiscard]] std::vector<std::vector<std::string>> binding_name_collisions(
    const std::vector<std::string>& emails);

}  // namespace kftenant::tenancy
