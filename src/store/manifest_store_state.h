// Internal: what a ManifestStore knows about its tree.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "kftenant/store/manifest_store.h"
#include "store/kustomize_graph.h"
#include "store/manifest_files.h"
#include "store/manifest_merge.h"

namespace kftenant::store {

struct ManifestDocument {
  detail::DocumentRange range;
  nlohmann::json value;  // null for an empty document
  bool object = false;   // a Kubernetes object (apiVersion, kind, metadata.name)
  ObjectKey key;         // key_of(value)
  std::string version;   // detail::document_version of its bytes
};

struct ManifestFile {
  std::string rel;      // path relative to the root, '/' separated (../ when outside it)
  std::string content;  // as last read or written
  std::vector<ManifestDocument> documents;
  // Its documents are objects of the build: folder mode, every file; graph mode, a file some
  // kustomization lists as a resource (a file read only as a patch is not).
  bool resource = true;
  std::vector<int> uses;  // graph mode: the graph.resources entries that list it
};

// One object of the build: a document, as reached through one resources entry (graph mode; a
// file listed twice gives two).
struct DocumentRef {
  ManifestFile* file = nullptr;
  size_t index = 0;
  int use = -1;  // graph.resources index; -1 in folder mode
  ManifestDocument& doc() const { return file->documents[index]; }
};

// An object's name and namespace as built (namespace transformer, namePrefix/nameSuffix applied)
// and as its document says.
struct ObjectIdentity {
  std::string api_version, kind, ns, name;
  std::string own_ns, own_name;
};

// A document (or inline patch) that decides part of an object as built.
struct Contributor {
  enum class Kind { kBase, kMergePatch, kJsonPatch, kInline, kReplacement };
  Kind kind = Kind::kBase;
  std::string file;  // the document's file (an inline patch or generator: its kustomization)
  size_t doc = 0;    // the document's index in that file
  // kBase: the document; kMergePatch / kInline strategic merge: without_identity of it;
  // kJsonPatch / kInline JSON 6902: the operations.
  nlohmann::json value;
  bool json_patch = false;               // kInline: JSON 6902 operations
  std::vector<std::string> field_paths;  // kReplacement
  std::string version;
  [[nodiscard]] bool editable() const { return kind == Kind::kBase || kind == Kind::kMergePatch; }
};

// An object as built, with every document that decides it.
struct BuiltObject {
  std::optional<DocumentRef> base;  // unset: the object is the chosen file's document alone
  std::vector<Contributor> parts;   // in kustomize's order, the base (if any) first
  int chosen = -1;                  // the part ManifestStoreOptions::choices names, if any
  bool chosen_added = false;        // that part is not part of the build (added for the choice)
  ObjectIdentity id;
  nlohmann::json value;  // as built (no resourceVersion)
  std::vector<detail::FieldPath> assembled;
  bool deleted = false;  // a `$patch: delete` removes it from the build
  std::string version;
};

struct ManifestStore::State {
  std::string root;      // as given
  std::string root_abs;  // absolute, symlinks resolved: every rel path is relative to it
  ManifestStoreOptions options;
  std::map<std::string, ManifestFile> files;     // by rel path
  std::map<std::string, ManifestFile> previous;  // during scan(): what it read before
  std::map<std::string, std::string>
      namespaces;  // folder mode: folder (rel, "" = root) -> kustomization namespace
  std::map<std::string, std::string> kustomizations;  // folder -> its kustomization file (rel)
  bool graph_mode = false;  // the root has a kustomization file: the graph is followed
  // Folder mode: the patches the kustomization files under the root declare. The object a patch
  // applies to has a value that depends on which kustomization is built, which folder mode does
  // not know; its patch files are not objects.
  struct FolderPatch {
    std::string kustomization;   // rel
    std::string file;            // the patch file (rel), or "" for an inline patch
    detail::PatchTarget target;  // from `target:`, or the patch document's kind and name
  };
  std::vector<FolderPatch> folder_patches;
  detail::KustomizeGraph graph;
  std::vector<std::string> warnings;
  std::vector<std::string> changed;

  std::string abs(const std::string& rel) const {
    return rel.empty() ? root_abs : root_abs + "/" + rel;
  }
  void note_changed(const std::string& rel);
  void warn(std::string message);

  // Reads the tree: the graph from the root's kustomization (graph mode) or every YAML file
  // (folder mode). Used by open() and again after a write changed a kustomization.
  Result<void> scan();
  Result<void> scan_folder();
  Result<void> scan_graph();
  void note_folder_patches(const std::string& kust_rel, const nlohmann::json& kustomization);

  // Reads and indexes one file (a YAML file that is not a kustomization file). A file that does not
  // parse is dropped with a warning.
  Result<void> load(const std::string& rel);
  // Re-reads a file when its bytes changed on disk (or drops it when it is gone).
  Result<void> refresh(const std::string& rel);
  // Re-indexes `file` from new content.
  void index(ManifestFile& file);

  ObjectIdentity identity(const DocumentRef& ref) const;

  // Documents matching `key` (see manifest_store.h for the rules), narrowed to one when
  // preferred_paths decide between several.
  std::vector<DocumentRef> find(const ObjectKey& key);
  // Exactly one match: kNotFound or an ambiguity error otherwise.
  Result<DocumentRef> find_one(const ObjectKey& key);

  // The object `key` as built, with the documents deciding it (files refreshed first). Refuses a
  // generated object and an ambiguous key unless a choice names the file.
  Result<BuiltObject> build(const ObjectKey& key);
  // The parts of the object `ref` is the base document of, in kustomize's order.
  Result<BuiltObject> parts_of(const DocumentRef& ref);
  // value/assembled/deleted/version from parts. The chosen part is merged last (what the user
  // chose decides what they see), unless `as_built`: then the parts are taken as kustomize
  // applies them, without a chosen part the build does not have.
  Result<void> compute(BuiltObject& built, bool as_built = false) const;
  // The files (rel) and the new text of each document that make `built` become `wanted`, or why
  // that cannot be done. Nothing is written.
  struct Edit {
    std::string file;
    size_t doc = 0;
    nlohmann::json value;  // the document's new value
  };
  // With `from`, the change is the one from `from` to `wanted` (already written, for naming its
  // files), and the result is not checked.
  Result<std::vector<Edit>> plan_replace(const ObjectKey& key, const BuiltObject& built,
                                         const nlohmann::json& wanted,
                                         const nlohmann::json* from = nullptr) const;
  // Writes the edits (each document via yaml::edit_document).
  Result<void> write_edits(const std::vector<Edit>& edits);
  // Why remove() of `built` would break the build, if it would.
  Result<void> check_remove(const ObjectKey& key, const BuiltObject& built) const;

  // The choice (ManifestStoreOptions::choices) for `key`, or nullptr.
  const FileChoice* choice_for(const ObjectKey& key) const;
  // "; choose ... with --dex-config-file PATH" for messages about `key`, or "".
  std::string choose_hint(const ObjectKey& key) const;

  // The object as returned to callers: resourceVersion set, apiVersion as asked.
  nlohmann::json present(const ManifestDocument& doc, const std::string& api_version) const;
  nlohmann::json present(const BuiltObject& built, const std::string& api_version) const;

  // Where create() puts a new object of `key`: the folder holding most objects of its kind
  // (else options.new_objects_dir, new_folder when that has no kustomization yet) and a file
  // name not taken yet; `kustomization` is the folder whose kustomization lists it.
  struct Placement {
    std::string folder;
    std::string file_name;
    std::string kustomization;  // folder of the kustomization that gets the resources entry
    bool new_folder = false;
    bool add_to_root = false;  // graph mode: the folder must be added to the root's resources
  };
  Result<Placement> placement_for(const ObjectKey& key) const;
  Result<Placement> graph_placement_for(const ObjectKey& key) const;

  // Adds / removes `entry` in the `resources:` of `folder`'s kustomization file (no-op when the
  // folder has none or the entry is already there / absent).
  Result<void> add_resource(const std::string& folder, const std::string& entry);
  Result<void> remove_resource(const std::string& folder, const std::string& entry);
};

// Whether a patch target selects an object whose id is `current` at that point of the build and
// `original` in its document (kustomize's resmap Select).
bool target_selects(const detail::PatchTarget& target, const ObjectKey& current,
                    const ObjectKey& original, const nlohmann::json& object);

// "apps/v1" -> "apps", "v1" -> "".
std::string api_group(const std::string& api_version);
// "apps/v1" -> "v1".
std::string api_version_part(const std::string& api_version);
// The folder of a rel path ("" for the root).
std::string folder_of(const std::string& rel);
bool is_kustomization_name(const std::string& file_name);
// Kinds kustomize's namespace transformer leaves without a namespace (cluster-scoped kinds of
// its built-in schema).
bool cluster_scoped_kind(const std::string& kind);
// "a/b" joined with "c" -> "a/b/c"; "" with "c" -> "c".
std::string join_path(const std::string& folder, const std::string& name);
// `to` (rel) relative to the folder `from` (rel), '/' separated.
std::string relative_path(const std::string& from, const std::string& to);

}  // namespace kftenant::store
