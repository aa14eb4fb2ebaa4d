// ObjectStore: where Kubernetes objects live, seen as unstructured JSON.
//
// The tenancy code never asks whether it runs against a cluster or a manifests folder; it talks
// to an ObjectStore. ClusterStore (cluster_store.h) is the live API server through kube::Client;
// ManifestStore (manifest_store.h) is a kustomize tree edited in place. Both honour the same
// contract, so a Plan computed against one can be applied to it with the same code.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "kftenant/error.h"

namespace kftenant::store {

// Identifies one object. `ns` is empty for cluster-scoped kinds (Profile, Namespace).
struct ObjectKey {
  std::string api_version;  // "v1", "apps/v1", "kubeflow.org/v1", "dex.coreos.com/v1"
  std::string kind;         // "ConfigMap", "Profile", ...
  std::string ns;
  std::string name;

  friend bool operator==(const ObjectKey&, const ObjectKey&) = default;
};

// "ConfigMap auth/dex", "Profile alice" — for messages.
[[nodiscard]] std::string describe(const ObjectKey& key);

// The key of an object (apiVersion, kind, metadata.namespace, metadata.name).
[[nodiscard]] ObjectKey key_of(const nlohmann::json& object);

// Error.reason of the kNotFound a store returns for a kind it does not know (CRD not installed),
// as opposed to a missing object of a known kind.
inline constexpr const char* kKindNotServedReason = "NoKindMatch";
[[nodiscard]] inline bool is_kind_not_served(const Error& e) {
  return e.code == ErrorCode::kNotFound && e.reason == kKindNotServedReason;
}

// One permission a write needs: `verb` ("create", "update", "patch", "delete", "get") on the
// object `key` (for "create" the name is not part of the check, as in Kubernetes RBAC).
struct AccessRequest {
  std::string verb;
  ObjectKey key;
  // Filled in by ObjectStore::denied in its answers: the resource as the API server names it in
  // messages ("profiles.kubeflow.org", "configmaps").
  std::string resource;

  friend bool operator==(const AccessRequest&, const AccessRequest&) = default;
};

// How a patch document is read (as the API server's PATCH content types).
enum class PatchType {
  kMerge,           // RFC 7386 JSON merge patch: maps merge, null removes, lists are replaced
  kStrategicMerge,  // Kubernetes strategic merge: lists of built-in kinds merge by their key
  kJsonPatch,       // RFC 6902 JSON patch: an array of operations
};

// `patch` applied to `object` the way the API server applies it (strategic merge as kustomize
// does, see src/store/manifest_merge.h; custom kinds have no merge keys, so their lists are
// replaced). kInvalid naming the object when the patch does not apply (a JSON patch test that
// fails, a path that is not there, a patch that deletes the whole object).
[[nodiscard]] Result<nlohmann::json> apply_patch(const nlohmann::json& object, PatchType type,
                                                 const nlohmann::json& patch);

// The ConfigMap size limit of the API server: the values of data and binaryData together at
// most 1 MiB (kubernetes pkg/apis/core/validation ValidateConfigMap, core.MaxSecretSize).
inline constexpr size_t kMaxConfigMapDataBytes = 1024 * 1024;
[[nodiscard]] size_t configmap_data_bytes(const nlohmann::json& configmap);

struct StoreCapabilities {
  // Deployments can be restarted and rollouts/controllers observed (a live cluster). A manifests
  // folder cannot: a restart there is recorded as a pod-template annotation only.
  bool live = false;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // "cluster https://host:6443 (context ctx)" or "manifests ./dir".
  [[nodiscard]] virtual std::string description() const = 0;
  [[nodiscard]] virtual StoreCapabilities capabilities() const = 0;

  // Whether the store can be read at all, for `kftenant doctor`: one line saying what answered
  // ("reachable, v1.26.4" for a cluster: GET /version, or /api when /version is refused). An
  // error (unreachable, credentials refused) otherwise.
  [[nodiscard]] virtual Result<std::string> check_reachable() { return std::string("readable"); }

  // The object, with metadata.resourceVersion set (a ManifestStore makes up a stable version
  // from the document's bytes). kNotFound when absent; a kind the store does not know (CRD not
  // installed) is kNotFound too, with a message naming the kind.
  [[nodiscard]] virtual Result<nlohmann::json> get(const ObjectKey& key) = 0;

  // All objects of a kind; `ns` empty = every namespace (or cluster-scoped). Label selector in
  // the API server's syntax, empty for all.
  [[nodiscard]] virtual Result<std::vector<nlohmann::json>> list(
      const std::string& api_version, const std::string& kind, const std::string& ns,
      const std::string& label_selector = "") = 0;

  // Whether the store knows the kind at all (its CRD is installed), without reading its objects:
  // a cluster asks discovery. The default lists the kind and answers false on kNotFound (a
  // folder knows every kind). An error when the store cannot tell (unreachable, forbidden).
  [[nodiscard]] virtual Result<bool> serves(const std::string& api_version,
                                            const std::string& kind);

  // Creates `object`; kAlreadyExists when an object with its key exists. Returns the stored
  // object (with resourceVersion).
  [[nodiscard]] virtual Result<nlohmann::json> create(const nlohmann::json& object) = 0;

  // Replaces the object; `object.metadata.resourceVersion` is required and must be current
  // (kConflict otherwise, kNotFound when gone). Returns the stored object.
  [[nodiscard]] virtual Result<nlohmann::json> replace(const nlohmann::json& object) = 0;

  // Patches the object and returns it as stored: the change goes in on top of whatever the
  // object holds now, so a patch of a few fields (a restart's pod-template annotations) does not
  // conflict with writes to other fields. kNotFound when absent. A cluster sends PATCH (the
  // server merges atomically); the default reads the object, applies the patch (apply_patch) and
  // replaces it with the resourceVersion it read, reading again on kConflict (a ManifestStore:
  // the edit goes to the file that decides each changed field).
  [[nodiscard]] virtual Result<nlohmann::json> patch(const ObjectKey& key, PatchType type,
                                                     const nlohmann::json& patch);

  // Deletes the object. With `resource_version`, only if it is still that version (kConflict).
  // kNotFound when absent.
  [[nodiscard]] virtual Result<void> remove(const ObjectKey& key,
                                            std::optional<std::string> resource_version = {}) = 0;

  // Files changed so far (ManifestStore); empty for a cluster.
  [[nodiscard]] virtual std::vector<std::string> changed_files() const { return {}; }

  // The file `key` lives in, relative to the store's root: for an existing object the file
  // holding it, for a new one the file create() would write (ManifestStore). nullopt for a
  // cluster, or when the key is ambiguous.
  [[nodiscard]] virtual std::optional<std::string> file_of(const ObjectKey& /*key*/) {
    return std::nullopt;
  }

  // Whether create(object) would be accepted now, without writing anything: a cluster sends the
  // create with dryRun=All, so validation, admission, quota and a terminating namespace or CRD
  // answer as they would for the real write. ok when the store cannot tell (a folder).
  [[nodiscard]] virtual Result<void> check_create(const nlohmann::json& /*object*/) { return {}; }

  // The files a write of `key` would change, relative to the store's root (ManifestStore), or
  // the refusal the write would meet for a reason that does not depend on timing (a ManifestStore
  // that cannot tell which file decides a field). `after` is the object for a create or replace,
  // null for a delete; `before` the object as the step read it (null for a create): when it is
  // no longer the current object (the step has run), the answer names the files that change from
  // `before` to `after` went to. Nothing is written. A cluster answers an empty list: its writes
  // answer for themselves. Plans call it for every write before the first one runs, so that a
  // refusal writes nothing.
  [[nodiscard]] virtual Result<std::vector<std::string>> files_to_change(
      const ObjectKey& /*key*/, const nlohmann::json& /*before*/, const nlohmann::json& /*after*/) {
    return std::vector<std::string>{};
  }

  // Which of `requests` the caller may not make. A cluster asks the API server
  // (SelfSubjectAccessReview, as `kubectl auth can-i`); a folder allows everything. An error only
  // when the store cannot tell at all (e.g. the review API itself is forbidden): callers then go
  // ahead and let the writes answer.
  [[nodiscard]] virtual Result<std::vector<AccessRequest>> denied(
      const std::vector<AccessRequest>& /*requests*/) {
    return std::vector<AccessRequest>{};
  }
};

}  // namespace kftenant::store
