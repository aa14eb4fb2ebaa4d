// The three PATCH flavours of the Kubernetes API, applied to JSON documents:
//   application/merge-patch+json            → apply_merge_patch           (RFC 7386)
//   application/json-patch+json             → apply_json_patch            (RFC 6902)
//   application/strategic-merge-patch+json  → apply_strategic_merge_patch (built-in kinds only)
//
// Each works on nlohmann::json and on nlohmann::ordered_json (explicitly instantiated for both);
// with ordered_json existing keys keep their place and new keys are appended.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"

namespace kftenant::testserver {

// The message kube-apiserver gives for every failed JSON patch (05-patch: failed `test`, removing
// a missing path): the detailed reason is not sent to clients. Errors from apply_json_patch carry
// this message, code kInvalid, and the detailed reason in causes[0].message (for logs).
inline constexpr std::string_view kJsonPatchRejected =
    "the server rejected our request due to an error in our request";

// RFC 7386: a null value deletes the key, objects merge recursively, anything else (arrays,
// scalars) replaces. A non-object patch replaces the whole target. Never fails today; Result for
// symmetry with the other flavours.
template <typename J>
[[nodiscard]] Result<J> apply_merge_patch(const J& target, const J& patch);

// RFC 6902 (as evanphx/json-patch, which kube-apiserver uses): operations add, remove, replace,
// move, copy, test applied in order, all or nothing. JSON pointers with ~0/~1 escapes; "-" appends
// to an array; negative array indices count from the end (evanphx's SupportNegativeIndices).
template <typename J>
[[nodiscard]] Result<J> apply_json_patch(const J& target, const J& patch);

// Which lists merge by key in a strategic merge patch (the `patchStrategy:"merge"` and
// `patchMergeKey` tags of the Go types). A list not listed is atomic: the patch replaces it.
struct StrategicSchema {
  struct ListRule {
    // Dotted field path from the object root, array levels omitted, matched as a suffix at a
    // '.' boundary: "containers" matches spec.template.spec.containers.
    std::string path_suffix;
    // Merge key of the list's elements; empty for a list of primitives merged as a set
    // (metadata.finalizers).
    std::string merge_key;
  };
  std::vector<ListRule> lists;

  // The rule for the list at dotted `path`, nullptr when the list is atomic. The longest matching
  // suffix wins (e.g. "containers.ports" over "ports").
  [[nodiscard]] const ListRule* find(std::string_view path) const;

  // The table for the built-in kinds the test server serves: containers/initContainers/
  // ephemeralContainers/env/volumes/imagePullSecrets by name, ports by containerPort,
  // volumeMounts by mountPath, volumeDevices by devicePath, ownerReferences by uid, conditions by
  // type, hostAliases by ip, topologySpreadConstraints by topologyKey, metadata.finalizers as a
  // set. RBAC subjects/rules and everything else are atomic.
  [[nodiscard]] static const StrategicSchema& builtin();
};

// Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch), the part kubectl uses:
// maps merge like a merge patch and null deletes; keyed lists merge element by element (an
// element with "$patch": "delete" removes the matching one); lists of primitives with a rule
// merge as a set; other lists replace. Directives: "$patch": "replace" | "delete" on maps and in
// keyed lists, "$retainKeys" (keys of the map not listed are dropped),
// "$deleteFromPrimitiveList/<field>", "$setElementOrder/<field>" (accepted; element order is
// not re-arranged: merged lists keep the original order, new elements are appended).
// Errors (unknown directive value, element without its merge key, bad directive shape): code
// kBadRequest with the strategicpatch message.
template <typename J>
[[nodiscard]] Result<J> apply_strategic_merge_patch(
    const J& target, const J& patch, const StrategicSchema& schema = StrategicSchema::builtin());

}  // namespace kftenant::testserver
