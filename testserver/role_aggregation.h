// The ClusterRole aggregation controller of kube-controller-manager 1.26
// (pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go): a ClusterRole
// with aggregationRule.clusterRoleSelectors gets as rules the union of the rules of the other
// ClusterRoles its selectors match, selector by selector, roles by name, each rule once
// (semantic equality: a missing list equals an empty one). The simulated controller
// (ApiServer::Impl::run_role_aggregation) writes them with a server-side apply by field manager
// "clusterrole-aggregation-controller", force, as the real one does.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

namespace kftenant::testserver {

// metav1.LabelSelectorAsSelector(selector).Matches(labels): matchLabels and matchExpressions
// (In, NotIn, Exists, DoesNotExist), an empty selector matches everything; nullopt for an
// operator it does not know (the controller then gives up on the role).
[[nodiscard]] std::optional<bool> label_selector_matches(const nlohmann::ordered_json& selector,
                                                         const nlohmann::ordered_json& labels);

// syncClusterRole: the rules `role` should have, given every ClusterRole sorted by name;
// nullopt when `role` has no aggregationRule or a selector is invalid.
[[nodiscard]] std::optional<nlohmann::ordered_json> aggregated_rules(
    const nlohmann::ordered_json& role, const std::vector<const nlohmann::ordered_json*>& all);

// Semantic equality of two rule lists (null, missing and empty lists are equal).
[[nodiscard]] bool same_rules(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b);

}  // namespace kftenant::testserver
