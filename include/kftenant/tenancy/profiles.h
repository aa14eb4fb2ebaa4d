// Profile-level commands as planners: quota, and contributors exactly as KFAM makes them (a
// RoleBinding and an Istio AuthorizationPolicy per contributor, kubeflow/contributor.h), so the
// central dashboard shows and removes what kftenant adds. Unlike the dashboard, every role
// (admin, edit, view) can be granted.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kftenant/kubeflow/contributor.h"
#include "kftenant/tenancy/plan.h"

namespace kftenant::tenancy {

struct QuotaRequest {
  std::string profile;
  // The new spec.resourceQuotaSpec.hard, replacing the old one entirely; empty = clear (the
  // profile controller then deletes ResourceQuota kf-resource-quota).
  std::map<std::string, std::string> hard;
};
// kNotFound for an unknown profile; nothing to do when the quota is already so.
[[nodiscard]] Planner quota_planner(QuotaRequest request);

struct ShareRequest {
  std::string profile;
  std::string email;  // lower-cased by the caller (validate_email)
  kubeflow::Role role = kubeflow::Role::kEdit;
  kubeflow::ContributorOptions options;
};
// Creates (or repairs) the RoleBinding and AuthorizationPolicy; a contributor with another role
// has the old pair removed (KFAM names carry the role). kRefused for the profile's owner;
// kNotFound for an unknown profile or, on a cluster, a namespace the profile controller has not
// made yet.
[[nodiscard]] Planner share_planner(ShareRequest request);

// Deletes every KFAM binding pair of `email` in the profile; kNotFound when there is none.
[[nodiscard]] Planner unshare_planner(std::string profile, std::string email);

// The owner (namespaceAdmin) and contributors of a profile, KFAM's view with problems flagged.
[[nodiscard]] Result<std::vector<kubeflow::Contributor>> list_contributors(
    store::ObjectStore& store, const std::string& profile);

}  // namespace kftenant::tenancy
