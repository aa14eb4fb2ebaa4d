// What a Kubeflow install puts in a cluster that kftenant touches, installed onto a real
// kube-apiserver from the unmodified copies of Kubeflow's manifests in
// tests/data/kubeflow-manifests (kubeflow/manifests 26.03) and Dex's Password CRD in
// tests/data/dex-crds, doing by hand the little that kustomize does to them:
//   - Namespaces auth, kubeflow, istio-system;
//   - CRDs: Profile (applications/profiles/upstream/crd/bases), AuthorizationPolicy
//     (common/istio), Dex's AuthCode (common/dex/base/upstream) and Password (dex-crds),
//     waited for until Established;
//   - ClusterRoles kubeflow-admin/edit/view and kubeflow-kubernetes-* (common/kubeflow-roles);
//   - Dex (common/dex/base, namespace auth as its kustomization sets): ServiceAccount, RBAC,
//     Secret dex-passwords, Secret dex-oidc-client (secret_params.env, as the secretGenerator
//     makes it), Deployment, and the ConfigMap as the oauth2-proxy overlay's patch leaves it
//     (common/dex/overlays/oauth2-proxy/config-map.yaml replaces data.config.yaml);
//   - the default Profile kubeflow-user-example-com (common/user-namespace/base).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kftenant/error.h"
#include "kftenant/kube/client.h"

namespace kftenant::testing {

// The objects above in creation order (CRDs before their objects), read from `data_dir`
// (default: the repository's tests/data).
[[nodiscard]] Result<std::vector<nlohmann::json>> kubeflow_install_objects(
    const std::string& data_dir = std::string(KFTENANT_SOURCE_DIR) + "/tests/data");

// Creates them (an object that exists is left as it is) and waits for the CRDs to be served.
[[nodiscard]] Result<void> install_kubeflow(kube::Client& admin,
                                            const std::vector<nlohmann::json>& objects);

}  // namespace kftenant::testing
