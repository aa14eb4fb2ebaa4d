#include "store/kustomize_graph.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "kftenant/yaml.h"
#include "store/manifest_files.h"

namespace kftenant::store::detail {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<int> KustomizeGraph::chain(int k) const {
  std::vector<int> out;
  for (int level = k < 0 ? -1 : kustomizations[k].level; level >= 0;) {
    out.push_back(level);
    const int parent = kustomizations[level].parent;
    level = parent < 0 ? -1 : kustomizations[parent].level;
  }
  return out;
}

std::string kustomization_file_in(const std::string& folder_abs) {
  std::error_code ec;
  // The names kustomize accepts, in its order (api/konfig/general.go
  // RecognizedKustomizationFileNames).
  for (const char* name : {"kustomization.yaml", "kustomization.yml", "Kustomization"}) {
    if (fs::is_regular_file(fs::path(folder_abs) / name, ec)) return name;
  }
  return "";
}

std::string relative_to(const std::string& path, const std::string& root_abs) {
  std::string rel = fs::path(path).lexically_relative(root_abs).generic_string();
  return rel == "." ? std::string() : rel;
}

namespace {

std::string text_field(const json& j, const char* field) {
  auto it = j.find(field);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// kustomize reads these as remote bases (api/internal/git/repospec.go); they are not files here.
bool looks_remote(const std::string& entry) {
  if (entry.find("://") != std::string::npos || entry.rfind("git@", 0) == 0 ||
      entry.rfind("git::", 0) == 0 || entry.find("?ref=") != std::string::npos ||
      entry.find("?version=") != std::string::npos)
    return true;
  for (const char* host : {"github.com/", "gitlab.com/", "bitbucket.org/"}) {
    if (entry.rfind(host, 0) == 0) return true;
  }
  return false;
}

PatchTarget target_of(const json& t) {
  PatchTarget out;
  if (!t.is_object()) return out;
  out.group = text_field(t, "group");
  out.version = text_field(t, "version");
  out.kind = text_field(t, "kind");
  out.name = text_field(t, "name");
  out.ns = text_field(t, "namespace");
  out.label_selector = text_field(t, "labelSelector");
  out.annotation_selector = text_field(t, "annotationSelector");
  return out;
}

class Walker {
 public:
  explicit Walker(std::string root) : root_(std::move(root)) {}

  Result<KustomizeGraph> run() {
    auto top = visit(root_, -1, false, "");
    if (!top) return fail(top.error());
    if (!problems_.empty()) {
      // "F references A, B and 3 more, which do not exist; G references C, a folder without ..."
      std::string list;
      size_t shown = 0;
      for (size_t i = 0; i < problems_.size(); ++i) {
        const Problem& p = problems_[i];
        bool first = true;
        for (size_t j = 0; j < i; ++j)
          if (problems_[j].file == p.file && problems_[j].what == p.what) first = false;
        if (!first) continue;
        std::vector<std::string> entries;
        for (size_t j = i; j < problems_.size(); ++j)
          if (problems_[j].file == p.file && problems_[j].what == p.what)
            entries.push_back(problems_[j].entry);
        std::string names;
        size_t k = 0;
        for (; k < entries.size() && shown < 8; ++k, ++shown) names += (k ? ", " : "") + entries[k];
        if (k < entries.size()) names += " and " + std::to_string(entries.size() - k) + " more";
        std::string what = p.what;
        if (entries.size() > 1) {
          // "which does not exist" -> "which do not exist"; "a patch file which ..." -> plural.
          for (auto [one, many] :
               {std::pair<const char*, const char*>{"which does not exist", "which do not exist"},
                {"a folder without", "folders without"},
                {"a patch file which", "patch files which"},
                {"a replacements file which", "replacements files which"}}) {
            if (auto at = what.find(one); at != std::string::npos)
              what.replace(at, std::string(one).size(), many);
          }
        }
        list += (list.empty() ? "" : "; ") + p.file + " references " + names + ", " + what;
      }
      return make_error(
          ErrorCode::kNotFound,
          "the kustomization graph of " + root_ +
              " cannot be built (kustomize build would fail too): " + list +
              ". Restore them, remove the entries, or point --manifests at a kustomization whose "
              "references all exist");
    }
    return std::move(graph_);
  }

 private:
  std::string root_;
  KustomizeGraph graph_;
  std::vector<std::string> stack_;  // folders being visited (absolute), for cycles
  struct Problem {
    std::string file, entry, what;
  };
  std::vector<Problem> problems_;
  int next_run_ = 0;

  std::string rel(const std::string& abs) const {
    const std::string r = relative_to(abs, root_);
    return r.empty() ? "." : r;
  }

  // `entry` of the kustomization in `folder` as an absolute, normalised path.
  static std::string resolve(const std::string& folder, const std::string& entry) {
    std::error_code ec;
    fs::path p = fs::path(folder) / entry;
    fs::path canonical = fs::weakly_canonical(p, ec);
    return (ec ? p.lexically_normal() : canonical).string();
  }

  void missing(const std::string& kust_rel, const std::string& entry, const std::string& what) {
    problems_.push_back({kust_rel, entry, what});
  }

  Result<int> visit(const std::string& folder, int parent, bool component, const std::string& via) {
    std::string at = folder;
    while (at.size() > 1 && at.back() == '/') at.pop_back();
    if (auto loop = std::find(stack_.begin(), stack_.end(), at); loop != stack_.end()) {
      std::string path;
      for (auto it = loop; it != stack_.end(); ++it) path += rel(*it) + " -> ";
      return make_error(ErrorCode::kStoredData,
                        "the kustomizations include each other in a cycle (" + path + rel(at) +
                            "); kustomize build refuses it too (\"cycle detected\")");
    }
    const std::string name = kustomization_file_in(at);
    if (name.empty()) {
      if (parent < 0) return make_error(ErrorCode::kNotFound, "no kustomization file in " + at);
      missing(graph_.kustomizations[parent].file, via,
              "a folder without a kustomization.yaml (kustomize needs one there)");
      return -1;
    }
    const std::string file_abs = (fs::path(at) / name).string();
    const std::string file_rel = relative_to(file_abs, root_);
    auto text = read_file(file_abs);
    if (!text) return fail(text.error());
    auto value = yaml::parse(*text, file_rel);
    if (!value) return fail(value.error());
    if (!value->is_object() && !value->is_null()) {
      return make_error(ErrorCode::kStoredData,
                        file_rel + " is not a kustomization (not a mapping)");
    }
    const json k = value->is_object() ? *value : json::object();

    const int index = static_cast<int>(graph_.kustomizations.size());
    {
      GraphKustomization g;
      g.file = file_rel;
      g.folder = relative_to(at, root_);
      g.ns = text_field(k, "namespace");
      g.name_prefix = text_field(k, "namePrefix");
      g.name_suffix = text_field(k, "nameSuffix");
      g.component = component;
      g.parent = parent;
      g.level = component && parent >= 0 ? graph_.kustomizations[parent].level : index;
      for (const char* field : {"replacements", "transformers", "generators", "helmCharts",
                                "helmChartInflationGenerator", "vars"}) {
        if (k.contains(field)) g.unmodelled.push_back(field);
      }
      graph_.kustomizations.push_back(std::move(g));
    }
    stack_.push_back(at);

    for (const char* list : {"bases", "resources"}) {
      auto items = k.find(list);
      if (items == k.end() || !items->is_array()) continue;
      for (const auto& item : *items) {
        if (!item.is_string()) continue;
        const std::string entry = item.get<std::string>();
        const std::string path = resolve(at, entry);
        std::error_code ec;
        if (fs::is_directory(path, ec)) {
          auto child = visit(path, index, false, entry);
          if (!child) return fail(child.error());
        } else if (fs::is_regular_file(path, ec)) {
          graph_.resources.push_back({relative_to(path, root_), index, entry});
        } else if (looks_remote(entry)) {
          graph_.warnings.push_back(file_rel + ": remote resource " + entry +
                                    " skipped (its objects are not in this tree)");
        } else {
          missing(file_rel, entry, "which does not exist");
        }
      }
    }
    if (auto items = k.find("components"); items != k.end() && items->is_array()) {
      for (const auto& item : *items) {
        if (!item.is_string()) continue;
        const std::string entry = item.get<std::string>();
        const std::string path = resolve(at, entry);
        std::error_code ec;
        if (fs::is_directory(path, ec)) {
          auto child = visit(path, index, true, entry);
          if (!child) return fail(child.error());
        } else if (looks_remote(entry)) {
          graph_.warnings.push_back(file_rel + ": remote component " + entry + " skipped");
        } else {
          missing(file_rel, entry,
                  fs::exists(path, ec) ? "which is not a folder (a component is one)"
                                       : "which does not exist");
        }
      }
    }
    read_patches(k, at, index);
    read_generators(k, index);

    stack_.pop_back();
    graph_.kustomizations[index].run = next_run_++;
    return index;
  }

  // A patch file entry: records it, or the problem with it.
  bool patch_file(const std::string& folder, const std::string& entry, int index,
                  GraphPatch& patch) {
    const std::string path = resolve(folder, entry);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      missing(graph_.kustomizations[index].file, entry, "a patch file which does not exist");
      return false;
    }
    patch.file = relative_to(path, root_);
    return true;
  }

  void read_patches(const json& k, const std::string& folder, int index) {
    if (auto items = k.find("patchesStrategicMerge"); items != k.end() && items->is_array()) {
      for (const auto& item : *items) {
        if (!item.is_string()) continue;
        const std::string entry = item.get<std::string>();
        GraphPatch patch;
        patch.field = GraphPatch::Field::kStrategicMerge;
        patch.owner = index;
        std::error_code ec;
        // An entry is a file when there is one, else an inline patch (kustomize tries the same:
        // api/internal/target/kusttarget.go, then api/resource/factory.go).
        if (!fs::is_regular_file(resolve(folder, entry), ec) &&
            entry.find(':') != std::string::npos) {
          patch.inline_text = entry;
        } else if (!patch_file(folder, entry, index, patch)) {
          continue;
        }
        graph_.patches.push_back(std::move(patch));
      }
    }
    for (const char* list : {"patches", "patchesJson6902"}) {
      auto items = k.find(list);
      if (items == k.end() || !items->is_array()) continue;
      for (const auto& item : *items) {
        if (!item.is_object()) continue;
        GraphPatch patch;
        patch.field = std::string(list) == "patches" ? GraphPatch::Field::kPatches
                                                     : GraphPatch::Field::kJson6902;
        patch.owner = index;
        if (auto t = item.find("target"); t != item.end() && t->is_object()) {
          patch.has_target = true;
          patch.target = target_of(*t);
        }
        const std::string path = text_field(item, "path");
        if (!path.empty()) {
          if (!patch_file(folder, path, index, patch)) continue;
        } else {
          patch.inline_text = text_field(item, "patch");
        }
        graph_.patches.push_back(std::move(patch));
      }
    }
    if (auto items = k.find("replacements"); items != k.end() && items->is_array()) {
      for (const auto& item : *items) {
        json replacement = item;
        if (const std::string path = text_field(item, "path"); !path.empty()) {
          auto text = read_file(resolve(folder, path));
          if (!text) {
            missing(graph_.kustomizations[index].file, path,
                    "a replacements file which does not exist");
            continue;
          }
          auto parsed = yaml::parse(*text, path);
          if (!parsed) {
            graph_.warnings.push_back(parsed.error().message + " (replacement not modelled)");
            continue;
          }
          replacement = std::move(*parsed);
        }
        std::vector<json> all = replacement.is_array() ? replacement.get<std::vector<json>>()
                                                       : std::vector<json>{replacement};
        for (const auto& r : all) {
          if (!r.is_object() || !r.contains("targets") || !r["targets"].is_array()) continue;
          for (const auto& t : r["targets"]) {
            if (!t.is_object()) continue;
            GraphPatch patch;
            patch.field = GraphPatch::Field::kReplacement;
            patch.owner = index;
            patch.has_target = true;
            patch.target = target_of(t.value("select", json::object()));
            for (const auto& f : t.value("fieldPaths", json::array()))
              if (f.is_string()) patch.field_paths.push_back(f.get<std::string>());
            graph_.patches.push_back(std::move(patch));
          }
        }
      }
    }
  }

  void read_generators(const json& k, int index) {
    for (const auto& [list, kind] :
         {std::pair<const char*, const char*>{"configMapGenerator", "ConfigMap"},
          {"secretGenerator", "Secret"}}) {
      auto items = k.find(list);
      if (items == k.end() || !items->is_array()) continue;
      for (const auto& item : *items) {
        if (!item.is_object()) continue;
        GraphGenerator g;
        g.owner = index;
        g.kind = kind;
        g.name = text_field(item, "name");
        g.ns = text_field(item, "namespace");
        g.behavior = text_field(item, "behavior");
        if (g.behavior.empty()) g.behavior = "create";
        graph_.generators.push_back(std::move(g));
      }
    }
  }
};

}  // namespace

Result<KustomizeGraph> walk_kustomize_graph(const std::string& root_abs) {
  return Walker(root_abs).run();
}

}  // namespace kftenant::store::detail
