// ManifestStore: a kustomize tree (e.g. a checkout of kubeflow/manifests) as an ObjectStore, for
// GitOps: `kftenant --manifests DIR user add ...` edits files instead of a cluster, and the change
// is reviewed and applied as a commit.
//
// Files. open() reads every `*.yaml` / `*.yml` under the root (hidden directories skipped). Each
// `---` separated document that is a Kubernetes object (apiVersion, kind and metadata.name set)
// is an object; kustomization files (`kustomization.yaml`, `kustomization.yml`, `Kustomization`)
// and other documents (patches, parameters) are not. A file that does not parse is skipped and
// named in warnings(): kustomize trees hold templates too.
//
// Keys. An object matches an ObjectKey when kind and name are equal, the API *group* is equal
// (kubeflow/manifests writes Profiles as kubeflow.org/v1beta1 while kftenant asks for
// kubeflow.org/v1; the versions are identical, see kubeflow-contract.md §1), and the namespace is
// its metadata.namespace or the `namespace:` of the kustomization file in its folder (kustomize's
// namespace transformer); an empty key namespace matches an object without metadata.namespace.
// Objects are returned with the apiVersion that was asked for; when written back the file keeps
// its own. When several documents match, that is an error naming the files, unless exactly one
// of them lies under ManifestStoreOptions::preferred_paths.
//
// Versions. metadata.resourceVersion of a returned object is a hash of its document's bytes; it
// is never written to a file. replace() and remove() re-read the file first, so a file edited by
// someone else since get() is kConflict.
//
// Writes keep every byte they do not have to change: replace() edits only that document
// (yaml::edit_document), remove() cuts only that document's bytes, and kustomization files only
// gain or lose one `resources:` entry. Files are replaced atomically (temporary file in the same
// folder, then rename) and keep their permissions.
//
// Placement of create(): an object of kind K goes to the folder holding the most objects of kind
// K (ties: the first folder in path order) — for Profiles in kubeflow/manifests that is
// `common/user-namespace/base/`. When no folder holds that kind it goes to
// ManifestStoreOptions::new_objects_dir, which gets a kustomization.yaml when it has none and is
// then added to the root's kustomization `resources:` (when the root has a kustomization file).
// The file is named `<kind lower-case>-<name>.yaml` (`profile-alice.yaml`; `-2`, `-3`... when
// taken) and added to its folder's kustomization `resources:`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kftenant/store/object_store.h"

namespace kftenant::store {

struct ManifestStoreOptions {
  // Folder for objects of kinds no folder holds yet, relative to the root.
  std::string new_objects_dir = "kftenant-profiles";
  // Paths relative to the root (files or folders). When several documents have the same key, the
  // one under the earliest listed path is used; e.g. {"common/dex/overlays/oauth2-proxy"} for
  // the Dex ConfigMap that kubeflow/manifests has in base and overlay.
  std::vector<std::string> preferred_paths;
};

class ManifestStore : public ObjectStore {
 public:
  // Reads the tree under `root_dir`. kNotFound when it is not a folder; kIo naming the file when
  // a file cannot be read.
  [[nodiscard]] static Result<std::unique_ptr<ManifestStore>> open(
      std::string root_dir, ManifestStoreOptions options = {});
  ~ManifestStore() override;

  // "manifests <root>".
  [[nodiscard]] std::string description() const override;
  // live = false: nothing can be restarted or observed.
  [[nodiscard]] StoreCapabilities capabilities() const override;

  // See ObjectStore. Errors name the file(s) involved.
  [[nodiscard]] Result<nlohmann::json> get(const ObjectKey& key) override;
  // Every matching document (also both copies of an ambiguous key). The selector supports
  // `k=v`, `k==v`, `k!=v`, `k` and `!k`, comma separated.
  [[nodiscard]] Result<std::vector<nlohmann::json>> list(
      const std::string& api_version, const std::string& kind, const std::string& ns,
      const std::string& label_selector = "") override;
  [[nodiscard]] Result<nlohmann::json> create(const nlohmann::json& object) override;
  [[nodiscard]] Result<nlohmann::json> replace(const nlohmann::json& object) override;
  [[nodiscard]] Result<void> remove(const ObjectKey& key,
                                    std::optional<std::string> resource_version = {}) override;

  // Paths relative to the root written, created or deleted so far, first change first, each once.
  [[nodiscard]] std::vector<std::string> changed_files() const override;

  // The file holding `key`, or the file create() would write for it (see Placement above).
  [[nodiscard]] std::optional<std::string> file_of(const ObjectKey& key) override;

  // Files skipped because they do not parse, with the reason.
  [[nodiscard]] const std::vector<std::string>& warnings() const;

  // The root folder as given to open().
  [[nodiscard]] const std::string& root() const;

  struct State;  // implementation (src/store/manifest_store_state.h)

 private:
  explicit ManifestStore(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace kftenant::store
