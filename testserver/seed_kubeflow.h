// What a Kubeflow install (kubeflow/manifests 26.03 with the oauth2-proxy Dex overlay) puts in
// the cluster, as far as kftenant cares: the objects `--seed-kubeflow` preloads.
// See ../shared/reference/kubeflow-contract.md §1, §2 (roles), §4 and dex-contract.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

namespace kftenant::testserver {

// Dex's config.yaml byte for byte as in kubeflow/manifests
// common/dex/overlays/oauth2-proxy/config-map.yaml (26.03: the static user's hash comes from the
// environment through `hashFromEnv: DEX_USER_PASSWORD`), comments and quoting included.
[[nodiscard]] std::string_view kubeflow_dex_config_yaml();

// The default user's bcrypt hash (password "12341234"), Secret dex-passwords.
inline constexpr std::string_view kKubeflowDefaultPasswordHash =
    "$2y$12$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72";

// The objects, in creation order (namespaces and CRDs before what lives in them), without
// server-set fields (uid, resourceVersion, creationTimestamp, generation, status):
//   Namespaces auth, kubeflow, istio-system;
//   CustomResourceDefinitions profiles.kubeflow.org (v1 storage + v1beta1, Cluster, status
//   subresource), Dex's ten (authcodes, authrequests, oauth2clients, signingkeies,
//   refreshtokens, passwords, offlinesessionses, connectors, devicerequests, devicetokens
//   .dex.coreos.com: Dex with kubernetes storage creates them all at startup),
//   authorizationpolicies.security.istio.io;
//   ClusterRoles kubeflow-admin, kubeflow-edit, kubeflow-view (aggregated, empty rules) and
//   kubeflow-kubernetes-admin/edit/view (the rules that aggregate into them);
//   in auth: ServiceAccount dex, ConfigMap dex (config.yaml), Secrets dex-passwords and
//   dex-oidc-client (data base64), Deployment dex (ghcr.io/dexidp/dex:v2.45.0);
//   Profile kubeflow-user-example-com (kubeflow.org/v1, owner User user@example.com).
[[nodiscard]] std::vector<nlohmann::json> kubeflow_seed_objects();

}  // namespace kftenant::testserver
