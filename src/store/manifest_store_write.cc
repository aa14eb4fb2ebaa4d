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

Result<ManifestStore::State::Placement> ManifestStore::State::placement_for(
    const ObjectKey& key) const {
  if (graph_mode) return graph_placement_for(key);
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
    place.add_to_root = place.new_folder;
    place.folder = std::move(folder);
  }
  place.kustomization = place.folder;
  const std::string stem = lower(key.kind) + "-" + key.name;
  place.file_name = stem + ".yaml";
  std::error_code ec;
  for (int n = 2; fs::exists(abs(join(place.folder, place.file_name)), ec); ++n) {
    place.file_name = stem + "-" + std::to_string(n) + ".yaml";
  }
  return place;
}

Result<ManifestStore::State::Placement> ManifestStore::State::graph_placement_for(
    const ObjectKey& key) const {
  const std::string group = api_group(key.api_version);
  const bool renamable = key.kind != "Namespace" && key.kind != "CustomResourceDefinition";
  const json probe = {
      {"apiVersion", key.api_version},
      {"kind", key.kind},
      {"metadata", key.ns.empty() ? json{{"name", key.name}}
                                  : json{{"name", key.name}, {"namespace", key.ns}}}};
  // Why the build would not keep a new object listed by kustomization `owner` as it is ("" when
  // it would).
  auto changed_by = [&](int owner) -> std::string {
    const std::string& folder = graph.kustomizations[owner].folder;
    const auto same_folder = std::count_if(graph.kustomizations.begin(), graph.kustomizations.end(),
                                           [&](const auto& k) { return k.folder == folder; });
    if (same_folder > 1) return graph.kustomizations[owner].file + " is reached more than once";
    for (int level : graph.chain(owner)) {
      for (size_t k = 0; k < graph.kustomizations.size(); ++k) {
        const auto& kust = graph.kustomizations[k];
        if (kust.level != level) continue;
        if (!kust.ns.empty() && kust.ns != key.ns && !cluster_scoped_kind(key.kind))
          return kust.file + " sets namespace: " + kust.ns;
        if (renamable && (!kust.name_prefix.empty() || !kust.name_suffix.empty()))
          return kust.file + " sets namePrefix/nameSuffix";
        for (const auto& p : graph.patches) {
          if (p.owner != static_cast<int>(k) || !p.has_target) continue;
          if (target_selects(p.target, key, key, probe))
            return kust.file + " has a patch whose target would select it";
        }
        for (const auto& p : graph.patches) {
          if (p.owner != static_cast<int>(k) || p.has_target || p.file.empty()) continue;
          auto f = files.find(p.file);
          if (f == files.end()) continue;
          for (const auto& d : f->second.documents) {
            const ObjectKey pk = key_of(d.value);
            if (pk.kind == key.kind && pk.name == key.name && pk.ns == key.ns)
              return kust.file + " has a patch naming it";
          }
        }
      }
    }
    return "";
  };
  // Folders holding objects of this kind, per listing kustomization.
  std::map<std::pair<std::string, int>, size_t> counts;
  for (const auto& r : graph.resources) {
    auto f = files.find(r.file);
    if (f == files.end()) continue;
    for (const auto& d : f->second.documents) {
      if (d.object && d.key.kind == key.kind && api_group(d.key.api_version) == group)
        ++counts[{folder_of(r.file), r.owner}];
    }
  }
  Placement place;
  size_t best = 0;
  std::vector<std::string> rejected;
  for (const auto& [where, n] : counts) {
    if (n <= best) continue;
    const std::string why = changed_by(where.second);
    if (!why.empty()) {
      rejected.push_back(where.first + " (" + why + ")");
      continue;
    }
    place.folder = where.first;
    place.kustomization = graph.kustomizations[where.second].folder;
    best = n;
  }
  if (best == 0) {
    std::string folder = options.new_objects_dir;
    while (!folder.empty() && folder.back() == '/') folder.pop_back();
    if (folder.rfind("./", 0) == 0) folder.erase(0, 2);
    if (folder == ".") folder.clear();
    int reached = -1;
    for (size_t k = 0; k < graph.kustomizations.size(); ++k)
      if (graph.kustomizations[k].folder == folder) reached = static_cast<int>(k);
    const std::string why = changed_by(reached >= 0 ? reached : 0);
    if (!why.empty()) {
      std::string also;
      for (const auto& r : rejected) also += (also.empty() ? "" : ", ") + r;
      return make_error(ErrorCode::kRefused,
                        "no folder of the build of " + root + " can take a new " + describe(key) +
                            " unchanged: " + why +
                            (also.empty() ? "" : "; also considered: " + also) +
                            ". Add a folder for such objects to the root's kustomization "
                            "resources; nothing was written");
    }
    place.folder = folder;
    place.kustomization = folder;
    if (reached < 0) {
      place.new_folder = !folder.empty() && detail::kustomization_file_in(abs(folder)).empty();
      place.add_to_root = !folder.empty();
    }
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
  auto place = s.placement_for(key);
  if (!place) return std::nullopt;
  return join(place->folder, place->file_name);
}

Result<std::vector<std::string>> ManifestStore::files_to_change(const ObjectKey& key,
                                                                const json& before,
                                                                const json& after) {
  State& s = *state_;
  std::vector<std::string> out;
  auto built = s.build(key);
  if (!built) {
    if (built.error().code != ErrorCode::kNotFound || after.is_null()) return fail(built.error());
    // A create.
    if (!safe_file_part(key.name) || !safe_file_part(lower(key.kind))) return out;
    auto place = s.placement_for(key);
    if (!place) return fail(place.error());
    out.push_back(join(place->folder, place->file_name));
    return out;
  }
  if (after.is_null()) {
    if (auto r = s.check_remove(key, *built); !r) return fail(r.error());
    out.push_back(built->base->file->rel);
    return out;
  }
  // A replace already written: the files its change went to.
  json current = without_version(built->value), read = without_version(before);
  if (read.is_object() && current.contains("apiVersion"))
    read["apiVersion"] = current["apiVersion"];
  const bool done = read.is_object() && !yaml::same_data(read, current);
  auto edits = s.plan_replace(key, *built, without_version(after), done ? &read : nullptr);
  if (!edits) return fail(edits.error());
  for (const auto& e : *edits)
    if (std::find(out.begin(), out.end(), e.file) == out.end()) out.push_back(e.file);
  return out;
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
  // The tree as it is now: someone may have changed a kustomization since it was read.
  if (s.graph_mode)
    if (auto r = s.scan(); !r) return fail(r.error());
  if (!s.find(key).empty()) {
    return make_error(ErrorCode::kAlreadyExists,
                      describe(key) + " already exists in the manifests at " + s.root);
  }
  auto placed = s.placement_for(key);
  if (!placed) return fail(placed.error());
  const State::Placement& place = *placed;
  const std::string& folder = place.folder;
  const std::string& name = place.file_name;
  std::error_code ec;
  fs::create_directories(s.abs(folder), ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot create " + s.abs(folder) + ": " + ec.message());
  const std::string rel = join(folder, name);
  if (auto w = detail::write_file_atomically(s.abs(rel), yaml::emit(without_version(object))); !w)
    return fail(w.error());
  s.note_changed(rel);
  if (place.new_folder) {
    const std::string kust = join(folder, "kustomization.yaml");
    const std::string text =
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- " + name +
        "\n";
    if (auto w = detail::write_file_atomically(s.abs(kust), text); !w) return fail(w.error());
    s.kustomizations[folder] = kust;
    s.note_changed(kust);
  } else {
    if (!s.kustomizations.count(place.kustomization)) {
      if (const std::string k = detail::kustomization_file_in(s.abs(place.kustomization));
          !k.empty())
        s.kustomizations[place.kustomization] = join(place.kustomization, k);
    }
    if (auto r = s.add_resource(place.kustomization, relative_path(place.kustomization, rel)); !r)
      return fail(r.error());
  }
  if (place.add_to_root)
    if (auto r = s.add_resource("", folder); !r) return fail(r.error());
  if (s.graph_mode) {
    if (auto r = s.scan(); !r) return fail(r.error());
  } else if (auto r = s.load(rel); !r) {
    return fail(r.error());
  }
  auto built = s.build(key);
  if (!built) return fail(built.error());
  return s.present(*built, key.api_version);
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
  if (s.graph_mode)
    if (auto r = s.scan(); !r) return fail(r.error());
  auto built = s.build(key);
  if (!built) return fail(built.error());
  if (built->version != rv->get_ref<const std::string&>()) {
    std::string names;
    for (const auto& part : built->parts)
      if (part.kind != Contributor::Kind::kReplacement)
        names += (names.empty() ? "" : ", ") + part.file;
    return make_error(ErrorCode::kConflict,
                      describe(key) + " in " + names + " changed since it was read; read it again");
  }
  auto edits = s.plan_replace(key, *built, without_version(object));
  if (!edits) return fail(edits.error());
  if (auto w = s.write_edits(*edits); !w) return fail(w.error());
  auto again = s.build(key);
  if (!again) return fail(again.error());
  return s.present(*again, key.api_version);
}

Result<void> ManifestStore::remove(const ObjectKey& key,
                                   std::optional<std::string> resource_version) {
  State& s = *state_;
  if (s.graph_mode)
    if (auto r = s.scan(); !r) return fail(r.error());
  auto built = s.build(key);
  if (!built) return fail(built.error());
  if (resource_version && *resource_version != built->version) {
    return make_error(ErrorCode::kConflict, describe(key) + " in " + built->parts[0].file +
                                                " changed since it was read; read it again");
  }
  if (auto r = s.check_remove(key, *built); !r) return fail(r.error());
  const DocumentRef ref = *built->base;
  ManifestFile& file = *ref.file;
  const ManifestDocument& doc = ref.doc();
  bool others = false;
  for (size_t i = 0; i < file.documents.size(); ++i) {
    if (i != ref.index && !file.documents[i].value.is_null()) others = true;
  }
  const std::string rel = file.rel;
  if (!others) {
    // The kustomization that lists the file, and how it lists it.
    std::string kust_folder = folder_of(rel);
    std::string entry = kust_folder.empty() ? rel : rel.substr(kust_folder.size() + 1);
    if (ref.use >= 0) {
      const auto& use = s.graph.resources[static_cast<size_t>(ref.use)];
      kust_folder = s.graph.kustomizations[use.owner].folder;
      entry = use.entry;
      while (entry.rfind("./", 0) == 0) entry.erase(0, 2);
    }
    std::error_code ec;
    if (!fs::remove(s.abs(rel), ec) || ec) {
      return make_error(ErrorCode::kIo, "cannot delete " + s.abs(rel) + ": " + ec.message());
    }
    s.files.erase(rel);
    s.note_changed(rel);
    if (auto r = s.remove_resource(kust_folder, entry); !r) return fail(r.error());
    if (s.graph_mode)
      if (auto r = s.scan(); !r) return fail(r.error());
    return ok();
  }
  const size_t cut_end = ref.index + 1 < file.documents.size()
                             ? file.documents[ref.index + 1].range.cut_begin
                             : file.content.size();
  std::string content = file.content.substr(0, doc.range.cut_begin) + file.content.substr(cut_end);
  if (auto w = detail::write_file_atomically(s.abs(rel), content); !w) return fail(w.error());
  s.note_changed(rel);
  file.content = std::move(content);
  s.index(file);
  return ok();
}

}  // namespace kftenant::store
