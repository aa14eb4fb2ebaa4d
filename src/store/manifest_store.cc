// ManifestStore: opening a tree, indexing its documents and the read side (get, list).
#include "kftenant/store/manifest_store.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "kftenant/yaml.h"
#include "store/manifest_store_state.h"

namespace kftenant::store {

namespace fs = std::filesystem;
using nlohmann::json;

std::string api_group(const std::string& api_version) {
  const size_t slash = api_version.find('/');
  return slash == std::string::npos ? std::string() : api_version.substr(0, slash);
}

std::string folder_of(const std::string& rel) {
  const size_t slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

bool is_kustomization_name(const std::string& name) {
  return name == "kustomization.yaml" || name == "kustomization.yml" || name == "Kustomization";
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
  // The whole file must parse: a document range split wrongly would otherwise go unnoticed.
  if (auto all = yaml::parse_all(*content, rel); !all) {
    warnings.push_back(all.error().message + " (skipped)");
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
      warnings.push_back(rel + ": a document does not parse on its own (skipped)");
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
  return load(rel);
}

std::vector<DocumentRef> ManifestStore::State::find(const ObjectKey& key) {
  const std::string group = api_group(key.api_version);
  std::vector<DocumentRef> out;
  for (auto& [rel, file] : files) {
    const std::string kust_ns =
        namespaces.count(folder_of(rel)) ? namespaces.at(folder_of(rel)) : std::string();
    for (size_t i = 0; i < file.documents.size(); ++i) {
      const ManifestDocument& d = file.documents[i];
      if (!d.object || d.key.kind != key.kind || d.key.name != key.name ||
          api_group(d.key.api_version) != group)
        continue;
      const bool ns_match = key.ns == d.key.ns || (!kust_ns.empty() && key.ns == kust_ns);
      if (!ns_match) continue;
      out.push_back({&file, i});
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
                      describe(key) + " not found in the manifests at " + root);
  }
  if (found.size() > 1) {
    std::string names;
    for (const auto& ref : found) names += (names.empty() ? "" : ", ") + ref.file->rel;
    return make_error(ErrorCode::kInvalidArgument,
                      describe(key) + " is defined more than once in " + root + " (" + names +
                          "); point --manifests at the folder (overlay) to edit");
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
  state->options = std::move(options);
  std::vector<std::string> rels;
  fs::recursive_directory_iterator it(root_dir, fs::directory_options::none, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot list " + root_dir + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return make_error(ErrorCode::kIo, "cannot list " + root_dir + ": " + ec.message());
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    if (name.empty() || name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    rels.push_back(fs::relative(p, root_dir, ec).generic_string());
  }
  std::sort(rels.begin(), rels.end());
  for (const auto& rel : rels) {
    const std::string name =
        rel.substr(rel.rfind('/') == std::string::npos ? 0 : rel.rfind('/') + 1);
    if (is_kustomization_name(name)) {
      const std::string folder = folder_of(rel);
      if (state->kustomizations.count(folder)) continue;
      state->kustomizations[folder] = rel;
      auto text = detail::read_file(state->abs(rel));
      if (!text) return fail(text.error());
      auto value = yaml::parse(*text, rel);
      if (!value) {
        state->warnings.push_back(value.error().message + " (skipped)");
        continue;
      }
      const std::string ns = value->is_object() ? text_field(*value, "namespace") : "";
      if (!ns.empty()) state->namespaces[folder] = ns;
      continue;
    }
    if (!is_yaml_name(name)) continue;
    if (auto r = state->load(rel); !r) return fail(r.error());
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
  auto ref = state_->find_one(key);
  if (!ref) return fail(ref.error());
  return state_->present(ref->doc(), key.api_version);
}

Result<std::vector<json>> ManifestStore::list(const std::string& api_version,
                                              const std::string& kind, const std::string& ns,
                                              const std::string& label_selector) {
  if (auto check = detail::labels_match(json(), label_selector); !check) return fail(check.error());
  const std::string group = api_group(api_version);
  std::vector<json> out;
  for (const auto& [rel, file] : state_->files) {
    const auto kust = state_->namespaces.find(folder_of(rel));
    for (const auto& d : file.documents) {
      if (!d.object || d.key.kind != kind || api_group(d.key.api_version) != group) continue;
      if (!ns.empty() && d.key.ns != ns && (kust == state_->namespaces.end() || kust->second != ns))
        continue;
      const json* labels = nullptr;
      if (auto m = d.value.find("metadata"); m != d.value.end() && m->is_object()) {
        if (auto l = m->find("labels"); l != m->end()) labels = &*l;
      }
      auto match = detail::labels_match(labels ? *labels : json(), label_selector);
      if (!match) return fail(match.error());
      if (*match) out.push_back(state_->present(d, api_version));
    }
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
