// Kubeflow Profiles (profiles.kubeflow.org, cluster-scoped) as kftenant writes and reads them,
// and the checks that tell whether the profile controller has finished its work.
//
// Upstream: kubeflow/dashboard components/profile-controller (api/v1/profile_types.go,
// controllers/profile_controller.go); see ../shared/reference/kubeflow-contract.md §1-2.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <chrono>

#include "kftenant/error.h"
#include "kftenant/plan/plan.h"
#include "kftenant/store/object_store.h"

namespace kftenant::kubeflow {

inline constexpr const char* kProfileApiVersion = "kubeflow.org/v1";
// Names the profile controller gives the objects it makes in a profile namespace
// (profile_controller.go constants / Reconcile).
inline constexpr const char* kOwnerAnnotation = "owner";            // on the Namespace
inline constexpr const char* kOwnerRoleBinding = "namespaceAdmin";  // kubeflow-admin
inline constexpr const char* kOwnerAuthorizationPolicy = "ns-owner-access-istio";
inline constexpr const char* kResourceQuotaName = "kf-resource-quota";

struct ProfileSpecInput {
  std::string name;         // the namespace name; check with validate_profile_name
  std::string owner_email;  // spec.owner.name, exactly as the userid header will carry it
  std::map<std::string, std::string> quota_hard;  // resourceQuotaSpec.hard; empty = no quota
};

// {apiVersion: kubeflow.org/v1, kind: Profile, metadata: {name}, spec: {owner: {kind: User,
// name: <email>}, resourceQuotaSpec: {hard: {...}}}}; resourceQuotaSpec only when quota_hard is
// non-empty (the controller deletes kf-resource-quota when `hard` is empty). The owner carries
// no apiGroup, like the Profile the dashboard's registration flow creates.
[[nodiscard]] nlohmann::json build_profile(const ProfileSpecInput& input);

// spec.owner.name when spec.owner.kind is "User"; nullopt otherwise (no owner, a Group owner,
// a malformed object).
[[nodiscard]] std::optional<std::string> profile_owner(const nlohmann::json& profile);

// Parses "cpu=4,memory=16Gi,requests.nvidia.com/gpu=1" into ResourceQuota `hard` entries.
// Syntax: comma-separated KEY=VALUE items; spaces around items, keys and values are ignored;
// an empty item (",,", trailing ",") is an error, as is an empty input.
// Keys follow the API server's ResourceQuota validation (k8s.io/kubernetes
// pkg/apis/core/validation ValidateResourceQuotaResourceName): a qualified name
// ([prefix/]name, name ≤ 63 of [A-Za-z0-9-_.] alphanumeric at both ends, prefix a DNS-1123
// subdomain); an unprefixed key must be a standard quota resource (pkg/apis/core/helper
// IsStandardQuotaResourceName: cpu, memory, ephemeral-storage, requests.{cpu,memory,storage,
// ephemeral-storage}, limits.{cpu,memory,ephemeral-storage}, pods, resourcequotas, services,
// replicationcontrollers, secrets, persistentvolumeclaims, configmaps, services.nodeports,
// services.loadbalancers, hugepages-*, requests.hugepages-*). Stricter than the API server, an
// extended resource (a prefixed key outside *kubernetes.io, count/, <class>.storageclass.
// storage.k8s.io/) is counted by Kubernetes only as `requests.<name>`: a bare `nvidia.com/gpu`
// (as the issue and pod specs write it) is stored as `requests.nvidia.com/gpu`, and
// `limits.nvidia.com/gpu` (accepted by the API server, never enforced) is refused.
// Values are Kubernetes quantities (kube::parse_quantity), not negative; object counts
// (pods, services, count/..., ...) must be whole numbers (ValidateResourceQuantityValue).
// Duplicate keys are an error. Messages name the offending item and the expected syntax.
[[nodiscard]] Result<std::map<std::string, std::string>> parse_quota(std::string_view text);

// The same rules for a quota already split into keys and values (what a planner or an API body
// is given): every key and value as parse_quota checks them, and a key parse_quota would
// rewrite (a bare extended resource) is refused, naming the key to write. An empty map is valid
// (no quota).
[[nodiscard]] Result<void> validate_quota(const std::map<std::string, std::string>& hard);

// Whether the profile controller has made what a user needs to work in `profile`.
// `missing` says what is not there yet, for people: "namespace alice (not created yet)",
// "namespace alice is owned by bob@x (annotation owner)", "RoleBinding alice/namespaceAdmin", ...
using ProfileReadiness = plan::Readiness;

// Ready iff Namespace <profile> exists with status.phase Active and annotation owner == `owner`,
// RoleBinding <profile>/namespaceAdmin exists with `owner` as its (first) subject, and the Istio
// AuthorizationPolicy <profile>/ns-owner-access-istio (security.istio.io/v1beta1) exists.
// A kind the store does not know (Istio not installed) counts as missing, not as an error;
// other store errors are returned.
[[nodiscard]] Result<ProfileReadiness> check_profile_ready(store::ObjectStore& store,
                                                           std::string_view profile,
                                                           std::string_view owner);

// A plan step that waits (up to `timeout`; zero = the apply's default) until
// check_profile_ready(profile, owner) answers ready; its access check asks for what that reads.
[[nodiscard]] plan::Step profile_ready_wait(std::string profile, std::string owner,
                                            std::chrono::milliseconds timeout);

// What a profile namespace holds that deleting the profile destroys, for the `user remove`
// confirmation: "3 Pods", "2 PersistentVolumeClaims", "1 Notebook", ... for kinds with at least
// one object, in a fixed order. Counted kinds: Pods, PersistentVolumeClaims, Notebooks,
// InferenceServices, Katib Experiments, pipeline runs (Argo Workflows), TensorBoards. Kinds the
// store does not know (kNotFound from list) are skipped; other errors are returned.
[[nodiscard]] Result<std::vector<std::string>> describe_namespace_contents(
    store::ObjectStore& store, std::string_view ns);

}  // namespace kftenant::kubeflow
