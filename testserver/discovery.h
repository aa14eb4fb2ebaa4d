// What the test API server serves, and the discovery documents that describe it, shaped like
// kube-apiserver 1.26's (14-discovery transcript):
//   GET /api                → APIVersions (no apiVersion key, plus serverAddressByClientCIDRs)
//   GET /apis               → APIGroupList: built-in groups in the server's priority order, then
//                             CRD groups sorted by name; versions by Kubernetes version priority
//   GET /apis/<group>       → APIGroup
//   GET /api/v1             → APIResourceList without an apiVersion key (as the real server)
//   GET /apis/<group>/<v>   → APIResourceList with "apiVersion": "v1"
// Resources in a list are sorted by name; subresources ("deployments/status") follow their
// parent. Key order is the Go struct order (nlohmann::ordered_json).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kftenant::testserver {

// One discovery entry (metav1.APIResource) plus where it lives.
struct ResourceInfo {
  std::string group;          // "" for core
  std::string version;        // "v1"
  std::string name;           // plural, or "<plural>/<subresource>"
  std::string singular_name;  // "" for built-ins (1.26 discovery), CRD names.singular otherwise
  bool namespaced = true;
  std::string kind;
  std::vector<std::string> verbs;  // in the order the server lists them
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  std::string storage_version_hash;  // "" → omitted (subresources)
  // For subresources whose object is of another group/version (deployments/scale → autoscaling/v1
  // Scale); empty otherwise.
  std::string entry_group;
  std::string entry_version;

  [[nodiscard]] bool is_subresource() const { return name.find('/') != std::string::npos; }
  // "configmaps" or "profiles.kubeflow.org" (the resource part only).
  [[nodiscard]] std::string group_resource() const;
  [[nodiscard]] nlohmann::ordered_json to_json() const;
};

// Built-in resources served: namespaces, configmaps, secrets, serviceaccounts, resourcequotas
// (core/v1); deployments (apps/v1); roles, rolebindings, clusterroles, clusterrolebindings
// (rbac.authorization.k8s.io/v1); leases (coordination.k8s.io/v1); customresourcedefinitions
// (apiextensions.k8s.io/v1); subresources deployments/status, deployments/scale,
// namespaces/status, resourcequotas/status, customresourcedefinitions/status.
[[nodiscard]] const std::vector<ResourceInfo>& builtin_resources();

// The entry for group/version/name (name may be "<plural>/<sub>") among `builtin_resources()`
// and `extra`, nullptr when not served.
[[nodiscard]] const ResourceInfo* find_resource(std::string_view group, std::string_view version,
                                                std::string_view name,
                                                const std::vector<ResourceInfo>& extra = {});

// The entry of the resource whose Kind is `kind` in group/version (main resources only).
[[nodiscard]] const ResourceInfo* find_resource_by_kind(
    std::string_view group, std::string_view version, std::string_view kind,
    const std::vector<ResourceInfo>& extra = {});

// storageVersionHash: base64 of the first 8 bytes of sha256("<group>/<version>/<kind>") of the
// storage version (k8s.io/apiserver/pkg/endpoints/discovery/storageversionhash.go).
[[nodiscard]] std::string storage_version_hash(std::string_view group, std::string_view version,
                                               std::string_view kind);

// Discovery entries for every served version of an apiextensions.k8s.io/v1
// CustomResourceDefinition: the resource (verbs delete, deletecollection, get, list, patch,
// create, update, watch), plus /status and /scale when the version has those subresources.
// Empty when the CRD is malformed.
[[nodiscard]] std::vector<ResourceInfo> resources_from_crd(const nlohmann::json& crd);
[[nodiscard]] std::vector<ResourceInfo> resources_from_crd(const nlohmann::ordered_json& crd);

// Kubernetes version ordering (k8s.io/apimachinery/pkg/version.CompareKubeAwareVersionStrings):
// GA > beta > alpha, higher numbers first, non-Kubernetes strings last alphabetically.
// Negative when `a` sorts before (has higher priority than) `b`.
[[nodiscard]] int compare_kube_versions(std::string_view a, std::string_view b);

[[nodiscard]] nlohmann::ordered_json api_versions_document(std::string_view server_address);
[[nodiscard]] nlohmann::ordered_json api_group_list_document(
    const std::vector<ResourceInfo>& crd_resources);
// nullopt when no served resource is in `group`.
[[nodiscard]] std::optional<nlohmann::ordered_json> api_group_document(
    std::string_view group, const std::vector<ResourceInfo>& crd_resources);
// nullopt when nothing is served at group/version ("" group = /api/v1).
[[nodiscard]] std::optional<nlohmann::ordered_json> api_resource_list_document(
    std::string_view group, std::string_view version,
    const std::vector<ResourceInfo>& crd_resources);

}  // namespace kftenant::testserver
