// ManifestStore: the write side (create, replace, remove) and kustomization `resources:` upkeep.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <system_error>

#include "kftenant/store/manifest_store.h"
#include "kftenant/yaml.h"
#include "kftenant/yaml_edit.h"
#include "store/manifest_store_state.h"

namespace kftenant::store {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool same_resource(const json& item, const std::string& entry) {
  if (!item.is_string()) return false;
  std::string s = item.get<std::string>();
  while (s.rfind("./", 0) == 0) s.erase(0, 2);
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s == entry;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Only what a file name can safely hold: the object name is a DNS name in practice.
bool safe_file_part(const std::string& s) {
  if (s.empty() || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

// The object without what only the store makes up.
json without_version(json object) {
  if (auto m = object.find("metadata"); m != object.end() && m->is_object())
    m->erase("resourceVersion");
  return object;
}

std::string join(const std::string& folder, const std::string& name) {
  return folder.empty() ? name : folder + "/" + name;
}

}  // namespace

Result<void> ManifestStore::State::add_resource(const std::string& folder,
                                                const std::string& entry) {
  auto k = kustomizations.find(folder);
  if (k == kustomizations.end()) return ok();
  const std::string& rel = k->second;
  auto text = detail::read_file(abs(rel));
  if (!text) return fail(text.error());
  auto value = yaml::parse(*text, rel);
  if (!value) return fail(value.error());
  if (!value->is_object()) {
    return make_error(ErrorCode::kInvalidArgument, rel + " is not a kustomization (not a mapping)");
  }
  // A folder goes under `bases:` when the kustomization already lists folders there: kustomize
  // before v2.1 (the one in Debian 12's kubectl 1.20) reads every `resources:` entry as a file.
  for (const char* list : {"resources", "bases"}) {
    auto items = value->find(list);
    if (items != value->end() && items->is_array())
      for (const auto& item : *items)
        if (same_resource(item, entry)) return ok();
  }
  std::error_code ec;
  auto bases = value->find("bases");
  const bool use_bases = bases != value->end() && bases->is_array() &&
                         fs::is_directory(abs(folder.empty() ? entry : folder + "/" + entry), ec);
  json& resources = (*value)[use_bases ? "bases" : "resources"];
  if (resources.is_null()) resources = json::array();
  if (!resources.is_array()) {
    return make_error(ErrorCode::kInvalidArgument, rel + ": `resources` is not a list");
  }
  resources.push_back(entry);
  auto edited = yaml::edit_document(*text, *value, rel);
  if (!edited) return fail(edited.error());
  if (auto w = detail::write_file_atomically(abs(rel), *edited); !w) return fail(w.error());
  note_changed(rel);
  return ok();
}

Result<void> ManifestStore::State::remove_resource(const std::string& folder,
                                                   const std::string& entry) {
  auto k = kustomizations.find(folder);
  if (k == kustomizations.end()) return ok();
  const std::string& rel = k->second;
  auto text = detail::read_file(abs(rel));
  if (!text) return fail(text.error());
  auto value = yaml::parse(*text, rel);
  if (!value) return fail(value.error());
  if (!value->is_object()) return ok();
  bool changed = false;
  for (const char* list : {"resources", "bases"}) {
    auto found = value->find(list);
    if (found == value->end() || !found->is_array()) continue;
    json& resources = *found;
    json kept = json::array();
    for (const auto& item : resources) {
      if (!same_resource(item, entry)) kept.push_back(item);
    }
    if (kept.size() == resources.size()) continue;
    // An empty list rather than no key: kustomize refuses a kustomization without content.
    resources = std::move(kept);
    changed = true;
  }
  if (!changed) return ok();
  auto edited = yaml::edit_document(*text, *value, rel);
  if (!edited) return fail(edited.error());
  if (auto w = detail::write_file_atomically(abs(rel), *edited); !w) return fail(w.error());
  note_changed(rel);
  return ok();
}

ManifestStore::State::Placement ManifestStore::State::placement_for(const ObjectKey& key) const {
  // The folder that holds the most objects of this kind.
  std::map<std::string, size_t> per_folder;
  const std::string group = api_group(key.api_version);
  for (const auto& [rel, file] : files) {
    for (const auto& d : file.documents) {
      if (d.object && d.key.kind == key.kind && api_group(d.key.api_version) == group)
        ++per_folder[folder_of(rel)];
    }
  }
  Placement place;
  size_t best = 0;
  for (const auto& [f, n] : per_folder) {
    if (n > best) place.folder = f, best = n;
  }
  if (best == 0) {
    std::string folder = options.new_objects_dir;
    while (!folder.empty() && folder.back() == '/') folder.pop_back();
    if (folder.rfind("./", 0) == 0) folder.erase(0, 2);
    if (folder == ".") folder.clear();
    place.new_folder = !folder.empty() && !kustomizations.count(folder);
    place.folder = std::move(folder);
  }
  const std::string stem = lower(key.kind) + "-" + key.name;
  place.file_name = stem + ".yaml";
  std::error_code ec;
  for (int n = 2; fs::exists(abs(join(place.folder, place.file_name)), ec); ++n) {
    place.file_name = stem + "-" + std::to_string(n) + ".yaml";
  }
  return place;
}

std::optional<std::string> ManifestStore::file_of(const ObjectKey& key) {
  State& s = *state_;
  auto found = s.find(key);
  if (found.size() == 1) return found.front().file->rel;
  if (!found.empty()) return std::nullopt;  // ambiguous
  if (!safe_file_part(key.name) || !safe_file_part(lower(key.kind))) return std::nullopt;
  const State::Placement place = s.placement_for(key);
  return join(place.folder, place.file_name);
}

Result<json> ManifestStore::create(const json& object) {
  State& s = *state_;
  const ObjectKey key = key_of(object);
  if (key.api_version.empty() || key.kind.empty() || key.name.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "cannot create an object without apiVersion, kind and metadata.name");
  }
  if (!safe_file_part(key.name) || !safe_file_part(lower(key.kind))) {
    return make_error(ErrorCode::kInvalidArgument,
                      describe(key) + ": the name cannot be used in a file name");
  }
  if (!s.find(key).empty()) {
    return make_error(ErrorCode::kAlreadyExists,
                      describe(key) + " already exists in the manifests at " + s.root);
  }
  const State::Placement place = s.placement_for(key);
  const std::string& folder = place.folder;
  const std::string& name = place.file_name;
  const bool new_folder = place.new_folder;
  std::error_code ec;
  fs::create_directories(s.abs(folder), ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot create " + s.abs(folder) + ": " + ec.message());
  const std::string rel = join(folder, name);
  if (auto w = detail::write_file_atomically(s.abs(rel), yaml::emit(without_version(object))); !w)
    return fail(w.error());
  s.note_changed(rel);
  if (new_folder) {
    const std::string kust = join(folder, "kustomization.yaml");
    const std::string text =
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- " + name +
        "\n";
    if (auto w = detail::write_file_atomically(s.abs(kust), text); !w) return fail(w.error());
    s.kustomizations[folder] = kust;
    s.note_changed(kust);
    if (auto r = s.add_resource("", folder); !r) return fail(r.error());
  } else {
    if (auto r = s.add_resource(folder, name); !r) return fail(r.error());
  }
  if (auto r = s.load(rel); !r) return fail(r.error());
  auto found = s.find_one(key);
  if (!found) return fail(found.error());
  return s.present(found->doc(), key.api_version);
}

Result<json> ManifestStore::replace(const json& object) {
  State& s = *state_;
  const ObjectKey key = key_of(object);
  const json* rv = nullptr;
  if (auto m = object.find("metadata"); m != object.end() && m->is_object()) {
    if (auto r = m->find("resourceVersion"); r != m->end() && r->is_string()) rv = &*r;
  }
  if (rv == nullptr || rv->get_ref<const std::string&>().empty()) {
    return make_error(ErrorCode::kInvalid,
                      describe(key) + ": replace needs metadata.resourceVersion (get it first)");
  }
  auto ref = s.find_one(key);
  if (!ref) return fail(ref.error());
  ManifestFile& file = *ref->file;
  const ManifestDocument& doc = ref->doc();
  if (doc.version != rv->get_ref<const std::string&>()) {
    return make_error(ErrorCode::kConflict, describe(key) + " in " + file.rel +
                                                " changed since it was read; read it again");
  }
  json updated = without_version(object);
  updated["apiVersion"] = doc.key.api_version;  // same group: the file keeps its version
  if (auto m = doc.value.find("metadata"); m != doc.value.end() && m->is_object()) {
    if (auto r = m->find("resourceVersion"); r != m->end())
      updated["metadata"]["resourceVersion"] = *r;
  }
  const std::string_view old_text =
      std::string_view(file.content).substr(doc.range.begin, doc.range.end - doc.range.begin);
  auto text = yaml::edit_document(old_text, updated, file.rel);
  if (!text) return fail(text.error());
  if (doc.range.end < file.content.size() && !text->empty() && text->back() != '\n') *text += '\n';
  std::string content =
      file.content.substr(0, doc.range.begin) + *text + file.content.substr(doc.range.end);
  if (content != file.content) {
    if (auto w = detail::write_file_atomically(s.abs(file.rel), content); !w)
      return fail(w.error());
    s.note_changed(file.rel);
    file.content = std::move(content);
    s.index(file);
  }
  auto found = s.find_one(key);
  if (!found) return fail(found.error());
  return s.present(found->doc(), key.api_version);
}

Result<void> ManifestStore::remove(const ObjectKey& key,
                                   std::optional<std::string> resource_version) {
  State& s = *state_;
  auto ref = s.find_one(key);
  if (!ref) return fail(ref.error());
  ManifestFile& file = *ref->file;
  const ManifestDocument& doc = ref->doc();
  if (resource_version && *resource_version != doc.version) {
    return make_error(ErrorCode::kConflict, describe(key) + " in " + file.rel +
                                                " changed since it was read; read it again");
  }
  bool others = false;
  for (size_t i = 0; i < file.documents.size(); ++i) {
    if (i != ref->index && !file.documents[i].value.is_null()) others = true;
  }
  const std::string rel = file.rel;
  if (!others) {
    std::error_code ec;
    if (!fs::remove(s.abs(rel), ec) || ec) {
      return make_error(ErrorCode::kIo, "cannot delete " + s.abs(rel) + ": " + ec.message());
    }
    s.files.erase(rel);
    s.note_changed(rel);
    const std::string folder = folder_of(rel);
    const std::string name = folder.empty() ? rel : rel.substr(folder.size() + 1);
    return s.remove_resource(folder, name);
  }
  const size_t cut_end = ref->index + 1 < file.documents.size()
                             ? file.documents[ref->index + 1].range.cut_begin
                             : file.content.size();
  std::string content = file.content.substr(0, doc.range.cut_begin) + file.content.substr(cut_end);
  if (auto w = detail::write_file_atomically(s.abs(rel), content); !w) return fail(w.error());
  s.note_changed(rel);
  file.content = std::move(content);
  s.index(file);
  return ok();
}

}  // namespace kftenant::store
