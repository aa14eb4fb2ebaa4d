// Profiles on their own, for users who have no local password: installs where Dex federates to
// OIDC, LDAP or GitHub give people a Profile and access, not a staticPasswords entry.
//   create    a Profile for an owner (Dex user or not), with a quota, optionally waiting for the
//             profile controller; nothing when it exists with that owner
//   delete    the Profile (Kubernetes then deletes its namespace and everything in it)
//   transfer  a new owner for the Profile and for what the profile controller made from the old
//             one: the namespace's `owner` annotation (upstream stops reconciling a namespace
//             whose annotation differs: kubeflow-contract.md §2 step 5), RoleBinding
//             namespaceAdmin (subjects and the `user` annotation, which upstream never updates:
//             kubeflow/dashboard#33) and AuthorizationPolicy ns-owner-access-istio (annotation and
//             the userid header value)
// Owners are written as Dex puts the email in the claim (the stored case of an existing user),
// as `user add` and `profile share` do.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "kftenant/dex/user_directory.h"
#include "kftenant/kubeflow/contributor.h"
#include "kftenant/plan/plan.h"

namespace kftenant::tenancy {

struct CreateProfileRequest {
  std::string name;                               // checked with kubeflow::validate_profile_name
  std::string owner;                              // an email; any case
  std::map<std::string, std::string> quota;       // checked with kubeflow::validate_quota
  std::optional<std::chrono::milliseconds> wait;  // wait for the profile controller
  dex::DexLocation dex;                           // where to look the owner up
};
// Creates the Profile; nothing (a note) when it exists with this owner. kRefused for a profile or
// namespace that belongs to someone else or a quota that differs (`profile quota` changes it). An
// owner with no Dex user is a note (expected with a Dex connector), not an error.
[[nodiscard]] plan::Planner create_profile_planner(CreateProfileRequest request);

// Deletes the Profile; nothing (a note) when there is none or it is being deleted already.
[[nodiscard]] plan::Planner delete_profile_planner(std::string name);

struct TransferProfileRequest {
  std::string profile;
  std::string to;  // the new owner's email; any case
  dex::DexLocation dex;
  kubeflow::ContributorOptions contributor_options;  // the userid header and prefix
};
// Makes `to` the owner (see above); nothing when it is already. The old owner keeps no access
// (a note says how to give some back). kRefused while the profile is being deleted, or when its
// namespace carries another owner than the profile's (it is not this profile's to change).
[[nodiscard]] plan::Planner transfer_profile_planner(TransferProfileRequest request);

}  // namespace kftenant::tenancy
