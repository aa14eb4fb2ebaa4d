// RBAC authorization as kube-apiserver 1.26 runs it with --authorization-mode=RBAC:
//   plugin/pkg/auth/authorizer/rbac/rbac.go            RBACAuthorizer.Authorize, RuleAllows
//   pkg/registry/rbac/validation/rule.go               VisitRulesFor, appliesToUser, describers
//   pkg/apis/rbac/v1/evaluation_helpers.go             Verb/APIGroup/Resource/... Matches
//   staging/.../endpoints/handlers/responsewriters/errors.go   Forbidden, forbiddenMessage
// The system:masters short cut (the privileged-group authorizer in front of RBAC) is the
// caller's business. Pure functions over stored JSON objects; the store is reached through
// RbacPolicy so that this file knows nothing of locking.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "testserver/request_info.h"

namespace kftenant::testserver {

using ojson = nlohmann::ordered_json;

// The RBAC objects the authorizer reads (the real one reads informer caches).
class RbacPolicy {
 public:
  virtual ~RbacPolicy() = default;
  [[nodiscard]] virtual std::vector<const ojson*> cluster_role_bindings() const = 0;
  [[nodiscard]] virtual std::vector<const ojson*> role_bindings(const std::string& ns) const = 0;
  [[nodiscard]] virtual const ojson* cluster_role(const std::string& name) const = 0;
  [[nodiscard]] virtual const ojson* role(const std::string& ns, const std::string& name) const = 0;
};

struct UserInfo {
  std::string name;
  std::vector<std::string> groups;
};

struct AuthzDecision {
  bool allowed = false;
  // Allowed: `RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "r" to Group "g"`.
  // Denied: "" or `RBAC: <errors resolving the bindings that apply>` (a missing role).
  std::string reason;
};

// RuleAllows: one PolicyRule (JSON) against the request.
[[nodiscard]] bool rule_allows(const RequestInfo& request, const ojson& rule);

// appliesToUser: one subject of a binding in `ns` ("" for a ClusterRoleBinding).
[[nodiscard]] bool subject_applies(const UserInfo& user, const ojson& subject,
                                   const std::string& ns);

// RBACAuthorizer.Authorize: ClusterRoleBindings first, then the RoleBindings of the request's
// namespace, first allowing rule wins.
[[nodiscard]] AuthzDecision rbac_authorize(const RbacPolicy& policy, const UserInfo& user,
                                           const RequestInfo& request);

// How a missing role reads. The authorizer reads informer listers: `role.rbac.authorization.
// k8s.io "x" not found`; the RBAC storage's escalation checks read the registry:
// `roles.rbac.authorization.k8s.io "x" not found`.
enum class RoleLookup { kLister, kRegistry };

// GetRoleReferenceRules: the rules of a roleRef (Role in `binding_ns`, or ClusterRole); null
// with *error set when the role is missing or the kind unknown.
[[nodiscard]] const ojson* role_ref_rules(const RbacPolicy& policy, const ojson& role_ref,
                                          const std::string& binding_ns, RoleLookup lookup,
                                          std::string* error);

// RulesFor: every rule granted to `user` in `ns` ("" = cluster-wide only), in visiting order,
// plus the errors met on the way (missing roles), as Go's aggregate message ("" when none).
struct RulesForResult {
  std::vector<ojson> rules;
  std::string errors;
};
[[nodiscard]] RulesForResult rbac_rules_for(const RbacPolicy& policy, const UserInfo& user,
                                            const std::string& ns,
                                            RoleLookup lookup = RoleLookup::kLister);

// The 403 Status the real server answers a request the authorizers did not allow:
// `<resource>[.group] ["name" ]is forbidden: User "u" cannot <verb> resource "r[/sub]" in API
// group "g" (in the namespace "ns" | at the cluster scope)[: <reason>]`, or for a path
// `forbidden: User "u" cannot <verb> path "/p"[: <reason>]`.
[[nodiscard]] ojson forbidden_request(const RequestInfo& request, const std::string& user,
                                      const std::string& reason);

}  // namespace kftenant::testserver
