// What `user remove` is about to destroy, for the confirmation a person is asked for (and a
// server's "are you sure" answer): the profiles the removal deletes, each with its namespace and,
// on a live cluster, what that namespace holds; and the other profiles the user loses access to.
#pragma once

#include <string>
#include <vector>

#include "kftenant/plan/plan.h"
#include "kftenant/tenancy/users.h"

namespace kftenant::tenancy {

struct ProfileDeletion {
  std::string profile;
  std::string ns;  // the namespace deleted with it (Kubeflow names it after the profile)
  // "3 Pods", "1 Notebook", ... (kubeflow::describe_namespace_contents); empty when it holds
  // none of the counted kinds or when not known.
  std::vector<std::string> contents;
  // False on a store that is not live (a manifests folder has no namespaces' contents), or
  // when listing them failed (e.g. forbidden): the prompt then says nothing about them.
  bool contents_known = false;
};

// Access to someone else's profile that the removal takes away (its KFAM binding pair).
struct AccessRemoval {
  std::string profile;
  std::string role;  // "edit", from the binding's role annotation ("" when it has none)
};

struct RemovalPreview {
  plan::Plan plan;  // remove_user_planner's plan now; empty when there is nothing to remove
  std::vector<ProfileDeletion> deletions;  // the plan's Profile deletions, in plan order
  std::vector<AccessRemoval> access;       // one per profile, in plan order
};

// Plans the removal once (plan::plan_once) and describes the profiles its steps delete. Nothing
// is written. Errors are the planner's (a bad stored config, an unreachable cluster).
[[nodiscard]] Result<RemovalPreview> preview_removal(store::ObjectStore& store,
                                                     const TenancyContext& context,
                                                     const RemoveUserRequest& request);

// What an already made plan deletes, described as preview_removal does (`plan` is moved into
// the result): for a plan that deletes profiles among other things, e.g. `apply --prune`.
[[nodiscard]] RemovalPreview describe_removal(store::ObjectStore& store, plan::Plan plan);

// The same for `profile delete NAME` (delete_profile_planner): the one profile and what its
// namespace holds.
[[nodiscard]] Result<RemovalPreview> preview_profile_deletion(store::ObjectStore& store,
                                                              const std::string& profile);

}  // namespace kftenant::tenancy
