// Internal: the kustomization graph of a manifests root, as `kustomize build ROOT` walks it.
//
// walk_kustomize_graph() reads the root's kustomization file and, recursively, every
// kustomization it reaches through `resources:`, `bases:` and `components:` (folders outside the
// root included: Kubeflow's example/ reaches ../common/...), and records
//   - each resource file with the kustomization that lists it,
//   - each patch (`patchesStrategicMerge`, `patches`, `patchesJson6902`) with its target,
//   - each configMapGenerator / secretGenerator entry,
//   - each kustomization's `namespace`, `namePrefix` and `nameSuffix`, and the transformers it
//     has that kftenant does not model (they are reported, never guessed at).
// Nothing is interpreted beyond that; which object a patch applies to is ManifestStore's job.
//
// Order. kustomize accumulates a kustomization's resources and components, then runs its
// generators and transformers (api/internal/target/kusttarget.go accumulateTarget), in the
// order of configureBuiltinTransformers (api/internal/target/kusttarget_configplugin.go):
// patchesStrategicMerge, patches, namespace, namePrefix/nameSuffix, ..., patchesJson6902, ...
// A component runs its own transformers on its parent's accumulated resources before the parent
// does (accumulateComponents), so its patches and namespace act at its parent's level.
// GraphKustomization::run is that order: a component runs before its parent, a base before the
// overlay that includes it.
//
// Errors (nothing is guessed): a cycle (`a` includes `b` includes `a`: kustomize says "cycle
// detected"), a referenced file or folder that does not exist (all of them are listed, as
// "F references E, which does not exist"), a folder without a kustomization file, a kustomization
// that does not parse. Remote references (URLs, `github.com/...?ref=`) are skipped with a warning:
// their objects are not in the tree and cannot be edited in it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kftenant/error.h"

namespace kftenant::store::detail {

// A kustomize selector (a patch's `target:`). Empty fields match anything; name and namespace
// are regular expressions matched against the whole value (sigs.k8s.io/kustomize/api/types
// selector.go, resource.go MatchesSelector).
struct PatchTarget {
  std::string group, version, kind, name, ns;
  std::string label_selector, annotation_selector;
};

struct GraphKustomization {
  std::string file;    // the kustomization file, relative to the root ('/' separated, may be ../)
  std::string folder;  // its folder ("" = the root)
  std::string ns;      // `namespace:`
  std::string name_prefix, name_suffix;
  bool component = false;  // kind: Component, reached through `components:`
  int parent = -1;         // the kustomization that includes it; -1 for the root
  // The kustomization whose accumulated resources its transformers act on: itself, or for a
  // component its parent's level.
  int level = -1;
  int run = 0;  // position in kustomize's run order (see Order above)
  // Fields that change objects in ways kftenant does not model (`replacements`, `transformers`,
  // `vars`, `helmCharts`, ...), for messages.
  std::vector<std::string> unmodelled;
};

struct GraphResource {
  std::string file;   // relative to the root
  int owner = -1;     // the kustomization listing it
  std::string entry;  // the entry as written in that kustomization
};

struct GraphPatch {
  enum class Field { kStrategicMerge, kPatches, kJson6902, kReplacement };
  Field field = Field::kPatches;
  int owner = -1;           // the kustomization declaring it
  std::string file;         // relative to the root; empty for an inline patch
  std::string inline_text;  // the patch text when inline
  bool has_target = false;
  PatchTarget target;
  // kReplacement only: the fields a `replacements:` target writes (dot paths as kustomize has
  // them, e.g. spec.http.0.route.0.destination.host).
  std::vector<std::string> field_paths;
};

struct GraphGenerator {
  int owner = -1;
  std::string kind;  // ConfigMap or Secret
  std::string name;
  std::string ns;        // the generator's `namespace:`, if any
  std::string behavior;  // create (default), merge or replace
};

struct KustomizeGraph {
  std::vector<GraphKustomization> kustomizations;  // [0] is the root's
  std::vector<GraphResource> resources;            // in the order kustomize reads them
  std::vector<GraphPatch> patches;                 // in declaration order
  std::vector<GraphGenerator> generators;
  std::vector<std::string> warnings;

  // The levels a resource listed by kustomization `k` passes, innermost first: level(k), then
  // the level of each including kustomization up to the root's.
  [[nodiscard]] std::vector<int> chain(int k) const;
};

// The file name of the kustomization file in `folder_abs` ("kustomization.yaml",
// "kustomization.yml" or "Kustomization"), or "" when there is none.
[[nodiscard]] std::string kustomization_file_in(const std::string& folder_abs);

// Walks the graph from the kustomization file in `root_abs` (an absolute, normalised folder
// that has one). Paths in the result are relative to `root_abs`.
[[nodiscard]] Result<KustomizeGraph> walk_kustomize_graph(const std::string& root_abs);

// `path` (absolute) relative to `root_abs`, '/' separated, with "../" when outside it.
[[nodiscard]] std::string relative_to(const std::string& path, const std::string& root_abs);

}  // namespace kftenant::store::detail
