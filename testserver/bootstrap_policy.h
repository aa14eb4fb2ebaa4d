// The default RBAC objects kube-apiserver 1.26 creates at start (the rbac/bootstrap-roles post-
// start hook): plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go, the subset that
// decides what an ordinary user may do. Rules are as RuleOrDie builds them (sorted, de-
// duplicated); every object carries label kubernetes.io/bootstrapping=rbac-defaults and
// annotation rbac.authorization.kubernetes.io/autoupdate=true (addDefaultMetadata).
//   cluster-admin             everything (bound to group system:masters)
//   system:discovery          GET of discovery, version, health, openapi (system:authenticated)
//   system:basic-user         create selfsubjectaccessreviews, selfsubjectrulesreviews
//                             (system:authenticated)
//   system:public-info-viewer GET of /version and health (system:authenticated and
//                             system:unauthenticated)
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

namespace kftenant::testserver {

[[nodiscard]] std::vector<nlohmann::json> bootstrap_cluster_roles();
[[nodiscard]] std::vector<nlohmann::json> bootstrap_cluster_role_bindings();

}  // namespace kftenant::testserver
