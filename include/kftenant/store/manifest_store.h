// ManifestStore: a kustomize tree (e.g. a checkout of kubeflow/manifests) as an ObjectStore, for
// GitOps: `kftenant --manifests DIR user add ...` edits files instead of a cluster, and the change
// is reviewed and applied as a commit. What it reads and writes is the tree as `kustomize build
// DIR` sees it, so that the built output — what the cluster gets — carries the change.
//
// Two modes, decided by the root folder:
//
// Graph mode (the root has a kustomization file: `kustomization.yaml`, `.yml` or
// `Kustomization`). The store follows the kustomization graph from the root as kustomize does:
// `resources:` and `bases:` (files and folders, relative paths, also outside the root such as
// Kubeflow's `example/` -> `../common/dex/overlays/oauth2-proxy`), `components:`, and the patches
// each kustomization declares (`patchesStrategicMerge`, `patches` with a path or inline, with or
// without `target:`, `patchesJson6902`, and the targets of `replacements`). Only objects the
// build reaches are objects of the store; a YAML file nothing lists is not built and not read.
// Remote references (URLs, `github.com/...?ref=`) are skipped with a warning. A cycle of
// kustomizations, a referenced file or folder that does not exist (all are named: "example/
// kustomization.yaml references ../common/cert-manager/overlays/kubeflow, which does not
// exist"), or a referenced folder without a kustomization file is an error from open(): kustomize
// build fails on them too, and a partial graph could hide the document that decides a value.
//
// Folder mode (no kustomization file at the root). Every `*.yaml` / `*.yml` under the root is
// read (hidden directories skipped), and a file's namespace is its metadata.namespace or the
// `namespace:` of the kustomization file in its folder; nothing else of kustomize is modelled,
// except that files the kustomizations name as patches are not objects, and an object one of
// them patches is refused (kRefused, naming the patch and the choice option): which of the
// kustomizations under the root is deployed — and so which file decides the object — is not known
// (Kubeflow's repository root: point --manifests at example/ instead).
//
// In both modes each `---` separated document that is a Kubernetes object (apiVersion, kind and
// metadata.name set) of a resource file is an object; kustomization files and other documents
// (patches, parameters) are not. A file that does not parse is skipped and named in warnings().
//
// Keys. An object matches an ObjectKey when kind and name are equal, the API *group* is equal
// (kubeflow/manifests writes Profiles as kubeflow.org/v1beta1 while kftenant asks for
// kubeflow.org/v1; the versions are identical, see kubeflow-contract.md §1), and the namespace
// matches. Graph mode: the name and namespace are those of the build — namePrefix/nameSuffix
// and the namespace transformer of every kustomization on the way to the root applied, the
// outermost `namespace:` winning over inner ones and over metadata.namespace (kustomize v5;
// cluster-scoped built-in kinds such as ClusterRole keep none); a key without namespace also
// matches an object whose document has none (a cluster-scoped custom kind such as Profile, to
// which kustomize adds the namespace anyway). Folder mode: the namespace is metadata.namespace or
// the folder's kustomization namespace; an empty key namespace matches an object without
// metadata.namespace. Objects are returned with the apiVersion that was asked for; when written
// back the file keeps its own. When several objects match, that is an error naming the files,
// unless exactly one of them lies under ManifestStoreOptions::preferred_paths or a choice
// (ManifestStoreOptions::choices) names the file.
//
// The object as built. get() and list() return an object as the build makes it: its base
// document (the resource) with every strategic-merge patch that applies to it merged in, then
// JSON 6902 patches, in kustomize's order (inner kustomizations first; within one:
// patchesStrategicMerge, patches, then patchesJson6902), with the built name and namespace. In
// Kubeflow's tree that is ConfigMap auth/dex with `data.config.yaml` from
// common/dex/overlays/oauth2-proxy/config-map.yaml, whose `patches:` entry replaces the base's.
// The strategic merge is kustomize's for mappings and for the keyed lists of built-in kinds (see
// src/store/manifest_merge.h); other lists are replaced, as kustomize does for custom resources.
//
// Which file a write edits. replace() compares the object it is given with the object as built
// and edits, for each changed field, the document whose bytes decide that field: the one
// strategic-merge patch file that sets it (the Kubeflow overlay's config-map.yaml for
// data.config.yaml — the base stays as it is), else the base document. A field removed is
// removed from the patch and the base that set it. The edit is refused (kRefused, nothing
// written, the files named, and the option that chooses when a choice is registered for the key,
// e.g. `--dex-config-file PATH`) when the field is set by
//   - a JSON 6902 patch, an inline patch (in a kustomization file) or a `replacements` target,
//   - more than one patch, or a base and a patch together (a keyed list merged item by item),
//   - a configMapGenerator / secretGenerator (the object has no document to edit at all: get()
//     refuses already),
// and when the resulting build would not be the object asked for (a check after planning the
// edits, before writing them).
//
// Choices. ManifestStoreOptions::choices names, for one key, the file whose document is the one
// to edit (`--dex-config-file PATH` for the Dex ConfigMap; relative to the root or absolute). Its
// document of the key's kind (the one with the key's name if several) decides every field it sets:
// get() returns the build with that document merged in last, replace() writes every change to it.
// When the build cannot be computed (a generator, several definitions) the document alone is the
// object. When it can, a write that would not change the build (the chosen file is overridden by
// a later patch) is refused, naming that patch. open() fails when the file does not exist or has
// no such document.
//
// Versions. metadata.resourceVersion of a returned object is a hash of the bytes of every
// document that decides it (just its document's when no patch applies); it is never written to a
// file. Writes re-read the tree first, so a file edited by someone else since get() is kConflict.
//
// Writes keep every byte they do not have to change: replace() edits only the documents it has to
// (yaml::edit_document), remove() cuts only that document's bytes, and kustomization files only
// gain or lose one `resources:` entry. Files are replaced atomically (temporary file in the same
// folder, then rename) and keep their permissions. remove() of an object that a patch applies to
// is refused (the patch would be left without its target, and strategic-merge patches without a
// target fail the build).
//
// Placement of create(). Graph mode: an object of kind K goes next to the existing objects of kind
// K that the build reaches — into the folder holding the most of them (ties: the first in path
// order), listed in the `resources:` of the kustomization that lists them (for Profiles in
// Kubeflow's tree: common/user-namespace/base/, in its kustomization.yaml). A folder qualifies
// only when the build would keep the new object as it is: no `namespace:` on the way to the root
// other than the object's own (cluster-scoped built-in kinds excepted), no namePrefix/nameSuffix,
// no patch that would apply to it, and its kustomization reached once. When no folder qualifies it
// goes to ManifestStoreOptions::new_objects_dir (relative to the root), which gets a
// kustomization.yaml when it has none and is added to the ROOT's kustomization `resources:`; a
// root kustomization that would change the object (its own `namespace:`) is refused. Folder
// mode: the folder holding the most objects of kind K, else new_objects_dir as above (added to
// the root's kustomization when there is one). The file is named `<kind lower-case>-<name>.yaml`
// (`profile-alice.yaml`; `-2`, `-3`... when taken) and added to its kustomization's `resources:`.
//
// File names. changed_files(), file_of() and files_to_change() name files relative to the root
// folder, '/' separated, with `../` for files outside it: with `--manifests example`,
// Kubeflow's overlay is `../common/dex/overlays/oauth2-proxy/config-map.yaml` — the path to give
// `git diff` or `--dex-config-file` from the root.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kftenant/store/object_store.h"

namespace kftenant::store {

// The file to edit for one object, when the user chose it (see Choices above).
struct FileChoice {
  ObjectKey key;       // matched as a lookup key (API group, not version)
  std::string file;    // relative to the root or absolute; empty: nothing chosen yet
  std::string option;  // how a user chooses, for messages: "--dex-config-file PATH"
};

struct ManifestStoreOptions {
  // Folder for objects of kinds no folder holds yet, relative to the root.
  std::string new_objects_dir = "kftenant-profiles";
  // Paths relative to the root (files or folders). When several documents have the same key, the
  // one under the earliest listed path is used; e.g. {"common/dex/overlays/oauth2-proxy"} for
  // the Dex ConfigMap when the root is a folder (folder mode) holding base and overlay.
  std::vector<std::string> preferred_paths;
  // Files chosen for objects the graph cannot decide on (and the option that chooses, for
  // messages, also when no file is chosen).
  std::vector<FileChoice> choices;
};

class ManifestStore : public ObjectStore {
 public:
  // Reads the tree under `root_dir`. kNotFound when it is not a folder or a reference of the
  // graph does not exist; kStoredData for a cycle or an object defined twice; kIo naming the file when a file cannot be
  // read; kNotFound / kInvalidArgument naming a chosen file that is missing or has no document
  // for its key.
  [[nodiscard]] static Result<std::unique_ptr<ManifestStore>> open(
      std::string root_dir, ManifestStoreOptions options = {});
  ~ManifestStore() override;

  // "manifests <root>".
  [[nodiscard]] std::string description() const override;
  // live = false: nothing can be restarted or observed.
  [[nodiscard]] StoreCapabilities capabilities() const override;

  // See ObjectStore. Errors name the file(s) involved.
  [[nodiscard]] Result<nlohmann::json> get(const ObjectKey& key) override;
  // Every matching object as built (also both copies of an ambiguous key). The selector supports
  // `k=v`, `k==v`, `k!=v`, `k` and `!k`, comma separated.
  [[nodiscard]] Result<std::vector<nlohmann::json>> list(
      const std::string& api_version, const std::string& kind, const std::string& ns,
      const std::string& label_selector = "") override;
  [[nodiscard]] Result<nlohmann::json> create(const nlohmann::json& object) override;
  [[nodiscard]] Result<nlohmann::json> replace(const nlohmann::json& object) override;
  [[nodiscard]] Result<void> remove(const ObjectKey& key,
                                    std::optional<std::string> resource_version = {}) override;

  // Paths (see File names) written, created or deleted so far, first change first, each once.
  [[nodiscard]] std::vector<std::string> changed_files() const override;

  // The file holding `key` (its base document), or the file create() would write for it (see
  // Placement above). For the file a change edits, see files_to_change().
  [[nodiscard]] std::optional<std::string> file_of(const ObjectKey& key) override;

  // The files a create (after = the object, key absent), replace (after = the object) or remove
  // (after = null) would edit, or the refusal replace()/create()/remove() would give; nothing is
  // written. For a create: the new object's file. With a `before` that is no longer the current
  // object (the replace is done), the files the change from `before` to `after` went to.
  [[nodiscard]] Result<std::vector<std::string>> files_to_change(
      const ObjectKey& key, const nlohmann::json& before, const nlohmann::json& after) override;

  // Files skipped because they do not parse, remote references skipped, kustomize features
  // kftenant does not model, with the reason.
  [[nodiscard]] const std::vector<std::string>& warnings() const;

  // The root folder as given to open().
  [[nodiscard]] const std::string& root() const;

  struct State;  // implementation (src/store/manifest_store_state.h)

 private:
  explicit ManifestStore(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace kftenant::store
