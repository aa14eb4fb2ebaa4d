// RBAC escalation prevention, as kube-apiserver 1.26's RBAC storage does it: a user may write a
// Role/ClusterRole only with rules it already holds, and bind a role only if it holds the
// role's rules, unless it may "escalate" (roles) or "bind" (bindings) it, or is in
// system:masters.
//   pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/policybased/storage.go
//   pkg/registry/rbac/escalation_check.go     EscalationAllowed, RoleEscalationAuthorized,
//                                             BindingAuthorized
//   pkg/registry/rbac/validation/rule.go      ConfirmNoEscalation (its message)
//   pkg/registry/rbac/validation/policy_compact.go   CompactRules
//   staging/.../component-helpers/auth/rbac/validation/policy_comparator.go   Covers
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kftenant::testserver {

using ojson = nlohmann::ordered_json;

// Covers: whether `owner` rules cover every `servant` rule; the uncovered atomic rules (one
// group, resource, verb and name, or one URL and verb) go to `missing`.
[[nodiscard]] bool rules_cover(const std::vector<ojson>& owner, const ojson& servant,
                               std::vector<ojson>* missing);

// ConfirmNoEscalation's error text: `user "u" (groups=["a" "b"]) is attempting to grant RBAC
// permissions not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["get"]}...`
// (missing rules compacted, described sorted), plus `; resolution errors: [...]`.
[[nodiscard]] std::string escalation_message(const std::string& user,
                                             const std::vector<std::string>& groups,
                                             const std::vector<ojson>& missing,
                                             const std::string& resolution_errors);

}  // namespace kftenant::testserver
