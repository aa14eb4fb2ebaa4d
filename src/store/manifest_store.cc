// ManifestStore: opening a tree, indexing its documents and the read side (get, list).
#include "kftenant/store/manifest_store.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>

#include "kftenant/store/label_selector.h"
#include "kftenant/yaml.h"
#include "store/manifest_store_state.h"

namespace kftenant::store {

namespace fs = std::filesystem;
using nlohmann::json;

std::string api_group(const std::string& api_version) {
  const size_t slash = api_version.find('/');
  return slash == std::string::npos ? std::string() : api_version.substr(0, slash);
}

std::string api_version_part(const std::string& api_version) {
  const size_t slash = api_version.find('/');
  return slash == std::string::npos ? api_version : api_version.substr(slash + 1);
}

std::string folder_of(const std::string& rel) {
  const size_t slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

bool is_kustomization_name(const std::string& name) {
  return name == "kustomization.yaml" || name == "kustomization.yml" || name == "Kustomization";
}

bool cluster_scoped_kind(const std::string& kind) {
  // The cluster-scoped kinds of kustomize's built-in schema (kyaml/openapi, the Kubernetes API):
  // its namespace transformer skips them (api/filters/namespace/namespace.go).
  static const std::set<std::string> kinds = {"Namespace",
                                              "Node",
                                              "PersistentVolume",
                                              "ClusterRole",
                                              "ClusterRoleBinding",
                                              "CustomResourceDefinition",
                                              "StorageClass",
                                              "PriorityClass",
                                              "RuntimeClass",
                                              "IngressClass",
                                              "CSIDriver",
                                              "CSINode",
                                              "VolumeAttachment",
                                              "APIService",
                                              "MutatingWebhookConfiguration",
                                              "ValidatingWebhookConfiguration",
                                              "ValidatingAdmissionPolicy",
                                              "ValidatingAdmissionPolicyBinding",
                                              "PodSecurityPolicy",
                                              "CertificateSigningRequest",
                                              "FlowSchema",
                                              "PriorityLevelConfiguration",
                                              "ComponentStatus",
                                              "TokenReview",
                                              "SelfSubjectAccessReview",
                                              "SelfSubjectRulesReview",
                                              "SubjectAccessReview"};
  return kinds.count(kind) > 0;
}

std::string join_path(const std::string& folder, const std::string& name) {
  return folder.empty() ? name : folder + "/" + name;
}

std::string relative_path(const std::string& from, const std::string& to) {
  std::string rel = fs::path(to.empty() ? "." : to)
                        .lexically_relative(from.empty() ? "." : from)
                        .generic_string();
  return rel.empty() ? to : rel;
}

namespace {

bool is_yaml_name(const std::string& name) {
  auto ends = [&](std::string_view s) {
    return name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return ends(".yaml") || ends(".yml");
}

std::string text_field(const json& j, const char* field) {
  auto it = j.find(field);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Whether `rel` lies under `prefix` (a file or folder relative to the root).
bool under(const std::string& rel, std::string prefix) {
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (prefix.rfind("./", 0) == 0) prefix.erase(0, 2);
  if (prefix.empty() || prefix == ".") return true;
  return rel == prefix || (rel.size() > prefix.size() &&
                           rel.compare(0, prefix.size(), prefix) == 0 && rel[prefix.size()] == '/');
}

}  // namespace

void ManifestStore::State::note_changed(const std::string& rel) {
  if (std::find(changed.begin(), changed.end(), rel) == changed.end()) changed.push_back(rel);
}

void ManifestStore::State::warn(std::string message) {
  if (std::find(warnings.begin(), warnings.end(), message) == warnings.end())
    warnings.push_back(std::move(message));
}

void ManifestStore::State::index(ManifestFile& file) {
  file.documents.clear();
  for (const auto& range : detail::split_documents(file.content)) {
    ManifestDocument doc;
    doc.range = range;
    const std::string_view bytes =
        std::string_view(file.content).substr(range.begin, range.end - range.begin);
    auto value = yaml::parse(bytes, file.rel);
    if (value) doc.value = std::move(*value);
    doc.version = detail::document_version(bytes);
    if (doc.value.is_object()) {
      doc.key = key_of(doc.value);
      doc.object = !doc.key.api_version.empty() && !doc.key.kind.empty() && !doc.key.name.empty();
    }
    file.documents.push_back(std::move(doc));
  }
}

Result<void> ManifestStore::State::load(const std::string& rel) {
  auto content = detail::read_file(abs(rel));
  if (!content) return fail(content.error());
  // A rescan after a write: a file whose bytes did not change keeps its parsed documents.
  if (auto old = previous.find(rel); old != previous.end() && old->second.content == *content) {
    ManifestFile& file = files[rel];
    file.rel = rel;
    file.content = std::move(old->second.content);
    file.documents = std::move(old->second.documents);
    previous.erase(old);
    return ok();
  }
  // The whole file must parse: a document range split wrongly would otherwise go unnoticed.
  if (auto all = yaml::parse_all(*content, rel); !all) {
    warn(all.error().message + " (skipped)");
    files.erase(rel);
    return ok();
  }
  ManifestFile& file = files[rel];
  file.rel = rel;
  file.content = std::move(*content);
  index(file);
  for (const auto& doc : file.documents) {
    if (doc.value.is_null()) continue;
    if (!yaml::parse(
            std::string_view(file.content).substr(doc.range.begin, doc.range.end - doc.range.begin),
            rel)) {
      warn(rel + ": a document does not parse on its own (skipped)");
      files.erase(rel);
      return ok();
    }
  }
  return ok();
}

Result<void> ManifestStore::State::refresh(const std::string& rel) {
  std::error_code ec;
  if (!fs::exists(abs(rel), ec)) {
    files.erase(rel);
    return ok();
  }
  auto content = detail::read_file(abs(rel));
  if (!content) return fail(content.error());
  auto it = files.find(rel);
  if (it != files.end() && it->second.content == *content) return ok();
  // Keep what the graph says about the file across the reload. A file the store did not hold is
  // an object file only in folder mode: in graph mode only what the graph lists is.
  const bool resource = it == files.end() ? !graph_mode : it->second.resource;
  const std::vector<int> uses = it == files.end() ? std::vector<int>{} : it->second.uses;
  if (auto r = load(rel); !r) return fail(r.error());
  if (auto again = files.find(rel); again != files.end()) {
    again->second.resource = resource;
    again->second.uses = uses;
  }
  return ok();
}

Result<void> ManifestStore::State::scan() {
  previous = std::move(files);
  files.clear();
  folder_patches.clear();
  namespaces.clear();
  kustomizations.clear();
  graph = {};
  if (auto r = graph_mode ? scan_graph() : scan_folder(); !r) return fail(r.error());
  // Chosen files the tree does not list are read too: they are documents, not objects.
  for (const auto& choice : options.choices) {
    std::error_code ec;
    if (choice.file.empty() || files.count(choice.file) ||
        !fs::is_regular_file(abs(choice.file), ec))
      continue;
    if (auto r = load(choice.file); !r) return fail(r.error());
    if (auto f = files.find(choice.file); f != files.end()) f->second.resource = false;
  }
  previous.clear();
  return ok();
}

Result<void> ManifestStore::State::scan_folder() {
  std::error_code ec;
  std::vector<std::string> rels;
  fs::recursive_directory_iterator it(root_abs, fs::directory_options::none, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot list " + root + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return make_error(ErrorCode::kIo, "cannot list " + root + ": " + ec.message());
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    if (name.empty() || name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    rels.push_back(fs::relative(p, root_abs, ec).generic_string());
  }
  std::sort(rels.begin(), rels.end());
  for (const auto& rel : rels) {
    const std::string name =
        rel.substr(rel.rfind('/') == std::string::npos ? 0 : rel.rfind('/') + 1);
    if (is_kustomization_name(name)) {
      const std::string folder = folder_of(rel);
      if (kustomizations.count(folder)) continue;
      kustomizations[folder] = rel;
      auto text = detail::read_file(abs(rel));
      if (!text) return fail(text.error());
      auto value = yaml::parse(*text, rel);
      if (!value) {
        warn(value.error().message + " (skipped)");
        continue;
      }
      const std::string ns = value->is_object() ? text_field(*value, "namespace") : "";
      if (!ns.empty()) namespaces[folder] = ns;
      if (value->is_object()) note_folder_patches(rel, *value);
      continue;
    }
    if (!is_yaml_name(name)) continue;
    if (auto r = load(rel); !r) return fail(r.error());
  }
  // Patch files are not objects; a patch without target names its object in its documents.
  for (auto& p : folder_patches) {
    auto f = files.find(p.file);
    if (f == files.end()) continue;
    f->second.resource = false;
    if (!p.target.kind.empty()) continue;
    for (const auto& d : f->second.documents) {
      if (!d.object) continue;
      p.target.kind = d.key.kind;
      p.target.name = d.key.name;
      p.target.group = api_group(d.key.api_version);
    }
  }
  return ok();
}

void ManifestStore::State::note_folder_patches(const std::string& kust_rel, const json& k) {
  const std::string folder = folder_of(kust_rel);
  auto add = [&](const std::string& path, const json* target) {
    FolderPatch p;
    p.kustomization = kust_rel;
    if (!path.empty())
      p.file = fs::path(join_path(folder, path)).lexically_normal().generic_string();
    if (target != nullptr && target->is_object()) {
      p.target.kind = text_field(*target, "kind");
      p.target.name = text_field(*target, "name");
      p.target.group = text_field(*target, "group");
    }
    folder_patches.push_back(std::move(p));
  };
  if (auto items = k.find("patchesStrategicMerge"); items != k.end() && items->is_array()) {
    for (const auto& item : *items)
      if (item.is_string() && item.get<std::string>().find(':') == std::string::npos)
        add(item.get<std::string>(), nullptr);
  }
  for (const char* list : {"patches", "patchesJson6902"}) {
    auto items = k.find(list);
    if (items == k.end() || !items->is_array()) continue;
    for (const auto& item : *items) {
      if (!item.is_object()) continue;
      auto target = item.find("target");
      add(text_field(item, "path"), target == item.end() ? nullptr : &*target);
    }
  }
}

Result<void> ManifestStore::State::scan_graph() {
  auto walked = detail::walk_kustomize_graph(root_abs);
  if (!walked) return fail(walked.error());
  graph = std::move(*walked);
  for (const auto& w : graph.warnings) warn(w);
  for (const auto& k : graph.kustomizations) {
    kustomizations.emplace(k.folder, k.file);
    for (const auto& field : k.unmodelled) {
      if (field == "replacements" || field == "vars")
        continue;  // modelled / never in kftenant's fields
      warn(k.file + ": `" + field +
           "` is not modelled; kftenant assumes it does not change the objects it edits");
    }
  }
  for (size_t i = 0; i < graph.resources.size(); ++i) {
    const std::string& rel = graph.resources[i].file;
    if (!files.count(rel)) {
      if (auto r = load(rel); !r) return fail(r.error());
    }
    if (auto f = files.find(rel); f != files.end()) {
      f->second.resource = true;
      f->second.uses.push_back(static_cast<int>(i));
    }
  }
  for (const auto& patch : graph.patches) {
    if (patch.file.empty() || files.count(patch.file)) continue;
    if (auto r = load(patch.file); !r) return fail(r.error());
    if (auto f = files.find(patch.file); f != files.end()) f->second.resource = false;
  }
  return ok();
}

ObjectIdentity ManifestStore::State::identity(const DocumentRef& ref) const {
  const ManifestDocument& d = ref.doc();
  ObjectIdentity id;
  id.api_version = d.key.api_version;
  id.kind = d.key.kind;
  id.own_ns = d.key.ns;
  id.own_name = d.key.name;
  id.ns = d.key.ns;
  id.name = d.key.name;
  if (ref.use < 0) {
    // Folder mode: the kustomization in the file's folder, if it sets a namespace.
    if (auto k = namespaces.find(folder_of(ref.file->rel)); k != namespaces.end())
      id.ns = k->second;
    return id;
  }
  const auto& use = graph.resources[static_cast<size_t>(ref.use)];
  for (int level : graph.chain(use.owner)) {
    // The kustomizations acting at this level, in run order: its components, then itself.
    std::vector<const detail::GraphKustomization*> acting;
    for (const auto& k : graph.kustomizations)
      if (k.level == level) acting.push_back(&k);
    std::sort(acting.begin(), acting.end(),
              [](const auto* a, const auto* b) { return a->run < b->run; });
    for (const auto* k : acting) {
      if (!k->ns.empty() && !cluster_scoped_kind(id.kind)) id.ns = k->ns;
      if (id.kind != "Namespace" && id.kind != "CustomResourceDefinition")
        id.name = k->name_prefix + id.name + k->name_suffix;
    }
  }
  return id;
}

std::vector<DocumentRef> ManifestStore::State::find(const ObjectKey& key) {
  const std::string group = api_group(key.api_version);
  std::vector<DocumentRef> out;
  for (auto& [rel, file] : files) {
    if (!file.resource) continue;
    for (size_t i = 0; i < file.documents.size(); ++i) {
      const ManifestDocument& d = file.documents[i];
      if (!d.object || d.key.kind != key.kind || api_group(d.key.api_version) != group) continue;
      std::vector<int> uses = graph_mode ? file.uses : std::vector<int>{-1};
      for (int use : uses) {
        DocumentRef ref{&file, i, use};
        const ObjectIdentity id = identity(ref);
        if (id.name != key.name) continue;
        const bool ns_match = graph_mode
                                  ? key.ns == id.ns || (key.ns.empty() && id.own_ns.empty())
                                  : key.ns == id.own_ns || (!id.ns.empty() && key.ns == id.ns);
        if (ns_match) out.push_back(ref);
      }
    }
  }
  if (out.size() > 1) {
    for (const auto& preferred : options.preferred_paths) {
      std::vector<DocumentRef> narrowed;
      for (const auto& ref : out) {
        if (under(ref.file->rel, preferred)) narrowed.push_back(ref);
      }
      if (narrowed.size() == 1) return narrowed;
    }
  }
  return out;
}

Result<DocumentRef> ManifestStore::State::find_one(const ObjectKey& key) {
  // Files may have changed on disk since they were read.
  std::vector<std::string> candidates;
  for (const auto& ref : find(key)) candidates.push_back(ref.file->rel);
  for (const auto& rel : candidates) {
    if (auto r = refresh(rel); !r) return fail(r.error());
  }
  auto found = find(key);
  if (found.empty()) {
    return make_error(ErrorCode::kNotFound,
                      describe(key) + " not found in the manifests at " + root +
                          (graph_mode ? " (the objects its kustomization builds)" : ""));
  }
  if (found.size() > 1) {
    std::string names;
    for (const auto& ref : found) names += (names.empty() ? "" : ", ") + ref.file->rel;
    const std::string hint = choose_hint(key);
    if (graph_mode) {
      return make_error(ErrorCode::kStoredData,
                        describe(key) + " is defined more than once in the build of " + root +
                            " (" + names + "); kustomize build fails on that too" +
                            (hint.empty() ? "" : ", or" + hint));
    }
    return make_error(
        ErrorCode::kStoredData,
        describe(key) + " is defined more than once in " + root + " (" + names + "); " + root +
            " has no kustomization file, so every YAML file under it is read: point --manifests "
            "at the kustomization you build (e.g. Kubeflow's example/), whose graph decides "
            "which file counts" +
            (hint.empty() ? "" : ", or" + hint));
  }
  return found.front();
}

json ManifestStore::State::present(const ManifestDocument& doc,
                                   const std::string& api_version) const {
  json out = doc.value;
  if (!api_version.empty()) out["apiVersion"] = api_version;
  if (!out["metadata"].is_object()) out["metadata"] = json::object();
  out["metadata"]["resourceVersion"] = doc.version;
  return out;
}

json ManifestStore::State::present(const BuiltObject& built, const std::string& api_version) const {
  json out = built.value;
  if (!api_version.empty()) out["apiVersion"] = api_version;
  if (!out["metadata"].is_object()) out["metadata"] = json::object();
  out["metadata"]["resourceVersion"] = built.version;
  return out;
}

ManifestStore::ManifestStore(std::unique_ptr<State> state) : state_(std::move(state)) {}
ManifestStore::~ManifestStore() = default;

Result<std::unique_ptr<ManifestStore>> ManifestStore::open(std::string root_dir,
                                                           ManifestStoreOptions options) {
  while (root_dir.size() > 1 && root_dir.back() == '/') root_dir.pop_back();
  std::error_code ec;
  if (root_dir.empty() || !fs::is_directory(root_dir, ec)) {
    return make_error(ErrorCode::kNotFound, "manifests folder " + root_dir +
                                                " does not exist or is not a folder; pass the "
                                                "root of a kustomize tree to --manifests");
  }
  auto state = std::make_unique<State>();
  state->root = root_dir;
  const fs::path canonical = fs::weakly_canonical(fs::absolute(root_dir, ec), ec);
  state->root_abs = ec ? fs::absolute(root_dir).lexically_normal().string() : canonical.string();
  while (state->root_abs.size() > 1 && state->root_abs.back() == '/') state->root_abs.pop_back();
  state->options = std::move(options);
  state->graph_mode = !detail::kustomization_file_in(state->root_abs).empty();
  // Chosen files are named relative to the root (or absolute); the store names them so too.
  std::vector<std::string> given;
  for (auto& choice : state->options.choices) {
    given.push_back(choice.file);
    if (choice.file.empty()) continue;
    fs::path p(choice.file);
    if (p.is_relative()) p = fs::path(state->root_abs) / p;
    const fs::path resolved = fs::weakly_canonical(p, ec);
    choice.file = detail::relative_to(ec ? p.lexically_normal().string() : resolved.string(),
                                      state->root_abs);
  }
  if (auto r = state->scan(); !r) return fail(r.error());
  // A chosen file must exist and hold a document for its key.
  for (size_t i = 0; i < state->options.choices.size(); ++i) {
    const FileChoice& choice = state->options.choices[i];
    if (choice.file.empty()) continue;
    if (!fs::is_regular_file(state->abs(choice.file), ec)) {
      return make_error(ErrorCode::kNotFound,
                        choice.option.substr(0, choice.option.find(' ')) + " " + given[i] +
                            ": no such file (relative paths are relative to the manifests "
                            "folder " +
                            root_dir + ")");
    }
    if (auto built = state->build(choice.key); !built && built.error().code != ErrorCode::kNotFound)
      return fail(built.error());
  }
  return std::unique_ptr<ManifestStore>(new ManifestStore(std::move(state)));
}

std::string ManifestStore::description() const {
  return "manifests " + state_->root;
}

StoreCapabilities ManifestStore::capabilities() const {
  return StoreCapabilities{false};
}

Result<json> ManifestStore::get(const ObjectKey& key) {
  auto built = state_->build(key);
  if (!built) return fail(built.error());
  return state_->present(*built, key.api_version);
}

Result<std::vector<json>> ManifestStore::list(const std::string& api_version,
                                              const std::string& kind, const std::string& ns,
                                              const std::string& label_selector) {
  auto selector = parse_label_selector(label_selector);  // once, not per object
  if (!selector) return fail(selector.error());
  State& s = *state_;
  const std::string group = api_group(api_version);
  std::vector<json> out;
  std::vector<DocumentRef> refs;
  for (auto& [rel, file] : s.files) {
    if (!file.resource) continue;
    for (size_t i = 0; i < file.documents.size(); ++i) {
      const ManifestDocument& d = file.documents[i];
      if (!d.object || d.key.kind != kind || api_group(d.key.api_version) != group) continue;
      for (int use : s.graph_mode ? file.uses : std::vector<int>{-1})
        refs.push_back({&file, i, use});
    }
  }
  for (const auto& ref : refs) {
    const ObjectIdentity id = s.identity(ref);
    if (!ns.empty() && (s.graph_mode ? id.ns != ns : ref.doc().key.ns != ns && id.ns != ns))
      continue;
    json object;
    if (s.graph_mode) {
      auto built = s.parts_of(ref);
      if (!built) return fail(built.error());
      if (built->deleted) continue;
      object = s.present(*built, api_version);
    } else {
      object = s.present(ref.doc(), api_version);
    }
    if (selector->matches_object(object)) out.push_back(std::move(object));
  }
  return out;
}

std::vector<std::string> ManifestStore::changed_files() const {
  return state_->changed;
}

const std::vector<std::string>& ManifestStore::warnings() const {
  return state_->warnings;
}

const std::string& ManifestStore::root() const {
  return state_->root;
}

}  // namespace kftenant::store
