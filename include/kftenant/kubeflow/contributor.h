// Contributors of a Kubeflow profile, represented exactly as KFAM (Kubeflow Access Management)
// represents them, so the central dashboard lists and removes what kftenant adds and vice versa.
//
// KFAM (kubeflow/dashboard components/access-management/kfam/bindings.go, BindingClient.Create)
// makes two objects per contributor in the profile namespace, with the same name
// (binding_name("User", email, role), naming.h) and the same annotations {user, role}:
//  - a RoleBinding to ClusterRole kubeflow-<role> with the user as its only subject;
//  - an Istio AuthorizationPolicy (security.istio.io/v1beta1) from getAuthorizationPolicy: one
//    rule admitting requests whose userid header equals <prefix><email> and that come through
//    the ingress gateway or the pipelines UI. No `action` is set: Istio's default is ALLOW.
// KFAM lists (BindingClient.List) only RoleBindings carrying both annotations; the owner shows
// up through the profile controller's `namespaceAdmin` (role admin).
// See ../shared/reference/kubeflow-contract.md §3.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"

namespace kftenant::kubeflow {

enum class Role { kAdmin, kEdit, kView };

// "admin" / "edit" / "view": KFAM's front-end names, used in the `role` annotation and in
// binding names.
[[nodiscard]] std::string_view to_string(Role role);
// "kubeflow-admin" / "kubeflow-edit" / "kubeflow-view" (KFAM roleBindingNameMap).
[[nodiscard]] std::string_view cluster_role_name(Role role);
// Accepts exactly "admin", "edit", "view"; kInvalidArgument naming the input otherwise.
[[nodiscard]] Result<Role> parse_role(std::string_view text);

// How the profile controller / KFAM were deployed (profiles-config ConfigMap; Kubeflow
// manifests set USERID_HEADER=kubeflow-userid, USERID_PREFIX= empty, and the principals below,
// which are also KFAM's built-in defaults for ISTIO_INGRESS_GATEWAY_PRINCIPAL/KFP_UI_PRINCIPAL).
struct ContributorOptions {
  std::string userid_header = "kubeflow-userid";
  std::string userid_prefix;
  std::vector<std::string> principals = {
      "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
      "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"};
};

// The RoleBinding KFAM creates for `email` with `role` in namespace `ns`:
// {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name:
// binding_name("User", email, role), namespace: ns, annotations: {user: email, role: <role>}},
// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kubeflow-<role>},
// subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: email}]}.
[[nodiscard]] nlohmann::json build_contributor_role_binding(std::string_view ns,
                                                            std::string_view email, Role role);

// The AuthorizationPolicy KFAM creates alongside (same name, namespace and annotations):
// spec {rules: [{from: [{source: {principals: options.principals}}], when: [{key:
// "request.headers[<userid_header>]", values: ["<userid_prefix><email>"]}]}]}.
[[nodiscard]] nlohmann::json build_contributor_policy(std::string_view ns, std::string_view email,
                                                      Role role,
                                                      const ContributorOptions& options = {});

// One row of a profile's access list.
struct Contributor {
  std::string email;  // the `user` annotation
  // From roleRef kubeflow-<role>, as KFAM reports it; when the roleRef is not a Kubeflow
  // ClusterRole, from the `role` annotation; kView (the weakest) when neither says (a problem is
  // recorded in both cases).
  Role role = Role::kView;
  std::string binding_name;  // RoleBinding (or, without one, AuthorizationPolicy) name
  bool is_owner = false;     // the profile controller's namespaceAdmin binding
  bool has_binding = false;  // the RoleBinding exists
  bool has_policy = false;   // the matching AuthorizationPolicy exists (for the owner:
                             // ns-owner-access-istio)
  // What is wrong with this entry, for people: "AuthorizationPolicy alice/x missing: the user
  // cannot reach the namespace through the dashboard", "role annotation edit differs from
  // roleRef kubeflow-view", "2 subjects: KFAM fails to list bindings in this namespace".
  std::vector<std::string> problems;
};

// KFAM's view of one namespace's RoleBindings and AuthorizationPolicies (each a list of objects
// as the store returns them). Rows come from RoleBindings with both `user` and `role`
// annotations, plus one row per annotated AuthorizationPolicy without its RoleBinding (KFAM
// would not list it; flagged so it can be repaired). Missing or mismatched halves are recorded
// in `problems`: a policy or subject for another email than the `user` annotation (two emails
// that KFAM names alike, binding_name, fighting over one name), a name that is not KFAM's for
// the user and role. Order: the owner first, then by email, then by binding name.
[[nodiscard]] std::vector<Contributor> contributors_from(
    const std::vector<nlohmann::json>& role_bindings, const std::vector<nlohmann::json>& policies,
    const ContributorOptions& options = {});

// Every email a contributor RoleBinding or AuthorizationPolicy is for, as written in it: the
// `user` annotation, the RoleBinding's User subjects, the policy's `when` values on the userid
// header (options.userid_header, with options.userid_prefix removed). In that order, each once.
// Two emails whose KFAM names are equal (ex.jo@x, ex-jo@x) get the same object: before changing
// one, check that it holds nobody else.
[[nodiscard]] std::vector<std::string> holders_of(const nlohmann::json& object,
                                                  const ContributorOptions& options = {});

}  // namespace kftenant::kubeflow
