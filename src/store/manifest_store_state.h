// Internal: what a ManifestStore knows about its tree.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "kftenant/store/manifest_store.h"
#include "store/manifest_files.h"

namespace kftenant::store {

struct ManifestDocument {
  detail::DocumentRange range;
  nlohmann::json value;  // null for an empty document
  bool object = false;   // a Kubernetes object (apiVersion, kind, metadata.name)
  ObjectKey key;         // key_of(value)
  std::string version;   // detail::document_version of its bytes
};

struct ManifestFile {
  std::string rel;      // path relative to the root, '/' separated
  std::string content;  // as last read or written
  std::vector<ManifestDocument> documents;
};

// One match of a lookup.
struct DocumentRef {
  ManifestFile* file = nullptr;
  size_t index = 0;
  ManifestDocument& doc() const { return file->documents[index]; }
};

struct ManifestStore::State {
  std::string root;  // as given
  ManifestStoreOptions options;
  std::map<std::string, ManifestFile> files;  // by rel path
  std::map<std::string, std::string>
      namespaces;  // folder (rel, "" = root) -> kustomization namespace
  std::map<std::string, std::string> kustomizations;  // folder -> its kustomization file (rel)
  std::vector<std::string> warnings;
  std::vector<std::string> changed;

  std::string abs(const std::string& rel) const { return rel.empty() ? root : root + "/" + rel; }
  void note_changed(const std::string& rel);

  // Reads and indexes one file (a YAML file that is not a kustomization file). A file that does not
  // parse is dropped with a warning.
  Result<void> load(const std::string& rel);
  // Re-reads a file when its bytes changed on disk (or drops it when it is gone).
  Result<void> refresh(const std::string& rel);
  // Re-indexes `file` from new content.
  void index(ManifestFile& file);

  // Documents matching `key` (see manifest_store.h for the rules), narrowed to one when
  // preferred_paths decide between several.
  std::vector<DocumentRef> find(const ObjectKey& key);
  // Exactly one match: kNotFound or an ambiguity error otherwise.
  Result<DocumentRef> find_one(const ObjectKey& key);

  // The object as returned to callers: resourceVersion set, apiVersion as asked.
  nlohmann::json present(const ManifestDocument& doc, const std::string& api_version) const;

  // Where create() puts a new object of `key`: the folder holding most objects of its kind
  // (else options.new_objects_dir, new_folder when that has no kustomization yet) and a file
  // name not taken yet.
  struct Placement {
    std::string folder;
    std::string file_name;
    bool new_folder = false;
  };
  Placement placement_for(const ObjectKey& key) const;

  // Adds / removes `entry` in the `resources:` of `folder`'s kustomization file (no-op when the
  // folder has none or the entry is already there / absent).
  Result<void> add_resource(const std::string& folder, const std::string& entry);
  Result<void> remove_resource(const std::string& folder, const std::string& entry);
};

// "apps/v1" -> "apps", "v1" -> "".
std::string api_group(const std::string& api_version);
// The folder of a rel path ("" for the root).
std::string folder_of(const std::string& rel);
bool is_kustomization_name(const std::string& file_name);

}  // namespace kftenant::store
