// Internal: what a kustomize patch does to an object, as far as ManifestStore needs it — the
// object as built (get) and which document sets a field (replace).
//
// Strategic merge, simplified. kustomize merges a patch with the Kubernetes strategic-merge rules
// (sigs.k8s.io/kustomize/kyaml/yaml/merge2, with merge keys from the OpenAPI schema). Here:
//   - mappings merge key by key, recursively; a null value removes the key;
//   - `$patch: replace` on a mapping replaces it, `$patch: delete` removes it (the whole object
//     when at the top); other `$` directives are dropped;
//   - a list replaces the target list, except for the lists of built-in kinds that Kubernetes
//     merges by key (containers, initContainers, volumes, env, imagePullSecrets by `name`,
//     volumeMounts by `mountPath`, ports by `containerPort` / `port`, ...), whose items merge by
//     that key (an item with `$patch: delete` is removed). Such a list is "assembled": two
//     documents decide it, and ManifestStore refuses to write it.
// Objects of custom resources (Profiles, AuthorizationPolicies) have no merge keys in kustomize
// either: their lists are replaced.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kftenant/error.h"

namespace kftenant::store::detail {

using FieldPath = std::vector<std::string>;

// "data.config.yaml" — for messages.
[[nodiscard]] std::string path_text(const FieldPath& path);

struct MergeResult {
  nlohmann::json value;
  bool deleted = false;              // `$patch: delete` at the top
  std::vector<FieldPath> assembled;  // lists merged item by item from target and patch
};

// `patch` (a strategic-merge patch document) applied to `target`. `builtin` says whether the
// object is of a built-in Kubernetes kind (merge keys apply).
[[nodiscard]] MergeResult strategic_merge(const nlohmann::json& target, const nlohmann::json& patch,
                                          bool builtin);

// Whether `api_group` is one of Kubernetes' own ("" core, apps, batch, policy, autoscaling,
// *.k8s.io): kinds with strategic-merge keys.
[[nodiscard]] bool builtin_group(const std::string& api_group);

// A patch document without what identifies its target (apiVersion, kind, metadata.name,
// metadata.namespace): those select, they do not set anything.
[[nodiscard]] nlohmann::json without_identity(nlohmann::json patch);

// Whether the strategic-merge patch `patch` (without_identity) sets `path`: it holds the path,
// or a value that is not a mapping above it, or `$patch: replace|delete` above it.
[[nodiscard]] bool merge_patch_touches(const nlohmann::json& patch, const FieldPath& path);

// `ops` (a JSON 6902 patch: a list of {op, path, value, from}) applied to `target`; kInvalid
// naming `source` when it does not apply (kustomize build would fail).
[[nodiscard]] Result<nlohmann::json> apply_json_patch(const nlohmann::json& target,
                                                      const nlohmann::json& ops,
                                                      const std::string& source);

// Whether a JSON 6902 patch writes `path`, something under it or above it.
[[nodiscard]] bool json_patch_touches(const nlohmann::json& ops, const FieldPath& path);

// Whether a kustomize field path of a `replacements:` target ("spec.template.metadata.name",
// "spec.containers.[name=x].image", "data.a\.b") writes `path`, something under or above it.
[[nodiscard]] bool field_path_touches(const std::string& field_path, const FieldPath& path);

// Whether a JSON 6902 patch is what the document is: a list (kustomize reads a `patches:` file
// that is a list as JSON 6902, a mapping as strategic merge).
[[nodiscard]] inline bool is_json_patch(const nlohmann::json& doc) {
  return doc.is_array();
}

// One difference between two objects: `path` set to `value`, or removed. Mappings are compared
// key by key; anything else (a list, a scalar, a type change) is one change at its path.
struct FieldChange {
  FieldPath path;
  bool remove = false;
  nlohmann::json value;
};
[[nodiscard]] std::vector<FieldChange> diff_objects(const nlohmann::json& before,
                                                    const nlohmann::json& after);

// Applies `change` to `doc`, making the mappings on its path when missing.
void apply_change(nlohmann::json& doc, const FieldChange& change);

// The value at `path`, or nullptr.
[[nodiscard]] const nlohmann::json* value_at(const nlohmann::json& doc, const FieldPath& path);

}  // namespace kftenant::store::detail
