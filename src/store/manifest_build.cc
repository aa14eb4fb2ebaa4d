// ManifestStore: an object as `kustomize build` makes it (its base document and the patches that
// apply to it), and which documents a change has to edit.
#include <algorithm>
#include <regex>
#include <set>

#include "kftenant/store/label_selector.h"
#include "kftenant/yaml.h"
#include "kftenant/yaml_edit.h"
#include "store/manifest_store_state.h"

namespace kftenant::store {

using detail::FieldPath;
using detail::GraphPatch;
using nlohmann::json;

namespace {

// kustomize matches names and namespaces of a selector as anchored regular expressions
// (api/resource/resource.go, types/selector.go: "^" + s + "$").
bool regex_full_match(const std::string& pattern, const std::string& value) {
  if (pattern.empty()) return true;
  try {
    return std::regex_match(value, std::regex(pattern));
  } catch (const std::regex_error&) {
    return pattern == value;
  }
}

const json& metadata_field(const json& object, const char* field) {
  static const json kNull;
  auto m = object.find("metadata");
  if (m == object.end() || !m->is_object()) return kNull;
  auto f = m->find(field);
  return f == m->end() ? kNull : *f;
}

// A strategic-merge patch without target applies to the object with its apiVersion, kind, name
// and namespace (current or original id; an empty namespace matches only an empty one).
bool patch_names(const json& patch, const ObjectKey& current, const ObjectKey& original) {
  const ObjectKey k = key_of(patch);
  if (k.api_version != current.api_version || k.kind != current.kind) return false;
  return (k.name == current.name && k.ns == current.ns) ||
         (k.name == original.name && k.ns == original.ns);
}

std::string describe_part(const Contributor& c) {
  switch (c.kind) {
    case Contributor::Kind::kBase:
      return c.file;
    case Contributor::Kind::kMergePatch:
      return "the patch " + c.file;
    case Contributor::Kind::kJsonPatch:
      return "the JSON 6902 patch " + c.file;
    case Contributor::Kind::kInline:
      return "an inline patch in " + c.file;
    case Contributor::Kind::kReplacement:
      return "a `replacements` target in " + c.file;
  }
  return c.file;
}

bool part_touches(const Contributor& c, const FieldPath& path) {
  switch (c.kind) {
    case Contributor::Kind::kBase:
      return detail::value_at(c.value, path) != nullptr;
    case Contributor::Kind::kMergePatch:
      return detail::merge_patch_touches(c.value, path);
    case Contributor::Kind::kJsonPatch:
      return detail::json_patch_touches(c.value, path);
    case Contributor::Kind::kInline:
      return c.json_patch ? detail::json_patch_touches(c.value, path)
                          : detail::merge_patch_touches(c.value, path);
    case Contributor::Kind::kReplacement:
      return std::any_of(c.field_paths.begin(), c.field_paths.end(),
                         [&](const std::string& f) { return detail::field_path_touches(f, path); });
  }
  return false;
}

bool prefix_overlap(const FieldPath& a, const FieldPath& b) {
  const size_t n = std::min(a.size(), b.size());
  return std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n), b.begin());
}

// The object without what the store makes up, for comparing.
json comparable(json object) {
  if (auto m = object.find("metadata"); m != object.end() && m->is_object())
    m->erase("resourceVersion");
  return object;
}

// A namespace as kustomize's selectors see it (api/resid/resid.go EffectiveNamespace): "default"
// for a namespaced object without one.
std::string effective_namespace(const ObjectKey& id) {
  if (cluster_scoped_kind(id.kind)) return "";
  return id.ns.empty() ? "default" : id.ns;
}

}  // namespace

// A target selects an object whose original or current namespace matches, whose original or
// current name matches (each on its own), and whose group/version/kind, labels and annotations
// match (api/resmap/reswrangler.go Select).
bool target_selects(const detail::PatchTarget& t, const ObjectKey& current,
                    const ObjectKey& original, const json& object) {
  if (!t.ns.empty() && !regex_full_match(t.ns, effective_namespace(original)) &&
      !regex_full_match(t.ns, effective_namespace(current)))
    return false;
  if (!regex_full_match(t.name, original.name) && !regex_full_match(t.name, current.name))
    return false;
  if (!t.group.empty() && t.group != api_group(current.api_version)) return false;
  if (!t.version.empty() && t.version != api_version_part(current.api_version)) return false;
  if (!t.kind.empty() && t.kind != current.kind) return false;
  if (!t.label_selector.empty()) {
    auto m = labels_match(metadata_field(object, "labels"), t.label_selector);
    if (!m || !*m) return false;
  }
  if (!t.annotation_selector.empty()) {
    auto m = labels_match(metadata_field(object, "annotations"), t.annotation_selector);
    if (!m || !*m) return false;
  }
  return true;
}

const FileChoice* ManifestStore::State::choice_for(const ObjectKey& key) const {
  for (const auto& c : options.choices) {
    if (c.key.kind == key.kind && c.key.name == key.name &&
        api_group(c.key.api_version) == api_group(key.api_version) &&
        (c.key.ns.empty() || key.ns.empty() || c.key.ns == key.ns))
      return &c;
  }
  return nullptr;
}

std::string ManifestStore::State::choose_hint(const ObjectKey& key) const {
  const FileChoice* c = choice_for(key);
  if (c == nullptr || c->option.empty()) return "";
  return " choose the file to edit with " + c->option;
}

Result<BuiltObject> ManifestStore::State::parts_of(const DocumentRef& ref) {
  BuiltObject b;
  b.base = ref;
  const ManifestDocument& d = ref.doc();
  Contributor base;
  base.kind = Contributor::Kind::kBase;
  base.file = ref.file->rel;
  base.doc = ref.index;
  base.value = d.value;
  base.version = d.version;
  b.parts.push_back(std::move(base));
  b.id = identity(ref);
  if (ref.use < 0) {
    if (auto r = compute(b); !r) return fail(r.error());
    return b;
  }
  const ObjectKey original{d.key.api_version, d.key.kind, d.key.ns, d.key.name};
  ObjectKey current = original;

  // The documents of a patch entry: its file's, or its inline text's.
  auto patch_docs = [&](const GraphPatch& p) -> std::vector<std::pair<size_t, json>> {
    std::vector<std::pair<size_t, json>> out;
    if (!p.file.empty()) {
      auto f = files.find(p.file);
      if (f == files.end()) return out;
      for (size_t i = 0; i < f->second.documents.size(); ++i)
        if (!f->second.documents[i].value.is_null())
          out.emplace_back(i, f->second.documents[i].value);
      return out;
    }
    auto all = yaml::parse_all(p.inline_text, graph.kustomizations[p.owner].file);
    if (!all) {
      warn(all.error().message + " (inline patch not read)");
      return out;
    }
    for (size_t i = 0; i < all->size(); ++i) out.emplace_back(i, (*all)[i]);
    return out;
  };
  auto add_patch = [&](const GraphPatch& p) {
    const std::string& kust_file = graph.kustomizations[p.owner].file;
    if (p.field == GraphPatch::Field::kReplacement) {
      if (!target_selects(p.target, current, original, d.value)) return;
      Contributor c;
      c.kind = Contributor::Kind::kReplacement;
      c.file = kust_file;
      c.field_paths = p.field_paths;
      b.parts.push_back(std::move(c));
      return;
    }
    for (auto& [index, doc] : patch_docs(p)) {
      const bool json_form = p.field == GraphPatch::Field::kJson6902 || detail::is_json_patch(doc);
      bool applies = false;
      if (p.has_target)
        applies = target_selects(p.target, current, original, d.value);
      else if (!json_form && doc.is_object())
        applies = patch_names(doc, current, original);
      if (!applies) continue;
      Contributor c;
      c.doc = index;
      if (p.file.empty()) {
        c.kind = Contributor::Kind::kInline;
        c.file = kust_file;
        c.json_patch = json_form;
        c.value = json_form ? doc : detail::without_identity(doc);
        c.version = detail::document_version(p.inline_text);
      } else {
        c.kind = json_form ? Contributor::Kind::kJsonPatch : Contributor::Kind::kMergePatch;
        c.file = p.file;
        c.value = json_form ? doc : detail::without_identity(doc);
        c.version = files.at(p.file).documents[index].version;
      }
      b.parts.push_back(std::move(c));
    }
  };

  const auto& use = graph.resources[static_cast<size_t>(ref.use)];
  for (int level : graph.chain(use.owner)) {
    std::vector<int> acting;
    for (size_t k = 0; k < graph.kustomizations.size(); ++k)
      if (graph.kustomizations[k].level == level) acting.push_back(static_cast<int>(k));
    std::sort(acting.begin(), acting.end(), [&](int a, int c) {
      return graph.kustomizations[a].run < graph.kustomizations[c].run;
    });
    for (int k : acting) {
      const auto& kust = graph.kustomizations[k];
      for (auto field : {GraphPatch::Field::kStrategicMerge, GraphPatch::Field::kPatches}) {
        for (const auto& p : graph.patches)
          if (p.owner == k && p.field == field) add_patch(p);
      }
      if (!kust.ns.empty() && !cluster_scoped_kind(current.kind)) current.ns = kust.ns;
      if (current.kind != "Namespace" && current.kind != "CustomResourceDefinition")
        current.name = kust.name_prefix + current.name + kust.name_suffix;
      for (auto field : {GraphPatch::Field::kJson6902, GraphPatch::Field::kReplacement}) {
        for (const auto& p : graph.patches)
          if (p.owner == k && p.field == field) add_patch(p);
      }
    }
  }
  if (auto r = compute(b); !r) return fail(r.error());
  return b;
}

Result<void> ManifestStore::State::compute(BuiltObject& b, bool as_built) const {
  json value;
  b.assembled.clear();
  b.deleted = false;
  const bool builtin = detail::builtin_group(api_group(b.id.api_version));
  std::vector<const Contributor*> order;
  for (size_t i = 0; i < b.parts.size(); ++i) {
    if (static_cast<int>(i) == b.chosen && (as_built ? b.chosen_added : b.base.has_value()))
      continue;
    order.push_back(&b.parts[i]);
  }
  if (!as_built && b.chosen >= 0 && b.base)
    order.push_back(&b.parts[static_cast<size_t>(b.chosen)]);
  for (const Contributor* p : order) {
    const Contributor& part = *p;
    switch (part.kind) {
      case Contributor::Kind::kBase:
        if (p != order.front()) {
          // A chosen base document merged last: its fields over the patches'.
          value =
              detail::strategic_merge(value, detail::without_identity(part.value), builtin).value;
          break;
        }
        value = part.value;
        break;
      case Contributor::Kind::kMergePatch:
      case Contributor::Kind::kInline:
        if (part.kind == Contributor::Kind::kInline && part.json_patch) {
          auto patched = detail::apply_json_patch(value, part.value, describe_part(part));
          if (!patched) return fail(patched.error());
          value = std::move(*patched);
        } else {
          auto merged = detail::strategic_merge(value, part.value, builtin);
          value = std::move(merged.value);
          b.assembled.insert(b.assembled.end(), merged.assembled.begin(), merged.assembled.end());
          if (merged.deleted) b.deleted = true;
        }
        break;
      case Contributor::Kind::kJsonPatch: {
        auto patched = detail::apply_json_patch(value, part.value, describe_part(part));
        if (!patched) return fail(patched.error());
        value = std::move(*patched);
        break;
      }
      case Contributor::Kind::kReplacement:
        break;
    }
    if (b.deleted) break;
  }
  if (!value.is_object()) value = json::object();
  if (graph_mode) {
    if (!value["metadata"].is_object()) value["metadata"] = json::object();
    value["metadata"]["name"] = b.id.name;
    if (!b.id.ns.empty()) value["metadata"]["namespace"] = b.id.ns;
  }
  b.value = std::move(value);
  if (b.parts.size() == 1) {
    b.version = b.parts[0].version;
  } else {
    std::string all;
    for (const auto& part : b.parts)
      all += part.file + "#" + std::to_string(part.doc) + ":" + part.version + ";";
    b.version = detail::document_version(all);
  }
  return ok();
}

Result<BuiltObject> ManifestStore::State::build(const ObjectKey& key) {
  const FileChoice* choice = choice_for(key);
  if (choice != nullptr && choice->file.empty()) choice = nullptr;
  if (choice != nullptr) {
    if (auto r = refresh(choice->file); !r) return fail(r.error());
  }
  // Generated objects have no document (configMapGenerator / secretGenerator).
  std::vector<const detail::GraphGenerator*> generators;
  if (graph_mode && api_group(key.api_version).empty()) {
    for (const auto& g : graph.generators) {
      if (g.kind != key.kind) continue;
      std::string ns = g.ns, name = g.name;
      const auto& owner = graph.kustomizations[g.owner];
      for (int level : graph.chain(g.owner)) {
        for (const auto& k : graph.kustomizations) {
          if (k.level != level || (level == owner.level && k.run < owner.run)) continue;
          if (!k.ns.empty()) ns = k.ns;
          name = k.name_prefix + name + k.name_suffix;
        }
      }
      if (name == key.name && (ns == key.ns || key.ns.empty())) generators.push_back(&g);
    }
  }
  auto finish = [&](BuiltObject b) -> Result<BuiltObject> {
    // Patch files may have changed on disk since they were read: read them again and start over
    // when one did.
    bool changed = false;
    for (const auto& part : b.parts) {
      if (part.kind == Contributor::Kind::kInline || part.kind == Contributor::Kind::kReplacement)
        continue;
      auto f = files.find(part.file);
      const std::string before = f == files.end() ? std::string() : f->second.content;
      if (auto r = refresh(part.file); !r) return fail(r.error());
      f = files.find(part.file);
      if (f == files.end() || f->second.content != before) changed = true;
    }
    if (changed) return build(key);
    return b;
  };

  if (choice != nullptr) {
    auto f = files.find(choice->file);
    if (f == files.end()) {
      return make_error(ErrorCode::kNotFound, choice->file + " (" + choice->option +
                                                  ") cannot be read or does not parse");
    }
    std::vector<size_t> named, of_kind;
    for (size_t i = 0; i < f->second.documents.size(); ++i) {
      const ManifestDocument& d = f->second.documents[i];
      if (d.key.kind != key.kind) continue;
      of_kind.push_back(i);
      if (d.key.name == key.name) named.push_back(i);
    }
    const std::vector<size_t>& pick = named.size() == 1 ? named : of_kind;
    if (pick.size() != 1) {
      return make_error(ErrorCode::kInvalidArgument,
                        choice->file + " (" + choice->option + ") has " +
                            (pick.empty() ? "no " : "more than one ") + key.kind + " document" +
                            (pick.empty() ? "" : " named " + key.name) + "; name a file with one " +
                            key.kind + " " + key.name);
    }
    const size_t doc = pick.front();
    auto refs = find(key);
    // Folder mode does not know the build: the chosen document alone is the object.
    if (graph_mode && generators.empty() && refs.size() == 1) {
      auto b = parts_of(refs.front());
      if (!b) return fail(b.error());
      for (size_t i = 0; i < b->parts.size(); ++i)
        if (b->parts[i].file == choice->file && b->parts[i].doc == doc &&
            b->parts[i].kind != Contributor::Kind::kInline)
          b->chosen = static_cast<int>(i);
      if (b->chosen < 0) {
        Contributor c;
        c.kind = Contributor::Kind::kMergePatch;
        c.file = choice->file;
        c.doc = doc;
        c.value = detail::without_identity(f->second.documents[doc].value);
        c.version = f->second.documents[doc].version;
        b->parts.push_back(std::move(c));
        b->chosen = static_cast<int>(b->parts.size()) - 1;
        b->chosen_added = true;
      }
      if (auto r = compute(*b); !r) return fail(r.error());
      return finish(std::move(*b));
    }
    // The build cannot say what the object is: the chosen document alone is.
    BuiltObject b;
    Contributor c;
    c.kind = Contributor::Kind::kBase;
    c.file = choice->file;
    c.doc = doc;
    c.value = f->second.documents[doc].value;
    c.version = f->second.documents[doc].version;
    b.parts.push_back(std::move(c));
    b.chosen = 0;
    b.id = {key.api_version, key.kind, key.ns, key.name, key.ns, key.name};
    if (auto r = compute(b); !r) return fail(r.error());
    return b;
  }
  if (!generators.empty()) {
    std::string where;
    for (const auto* g : generators)
      where += (where.empty() ? "" : ", ") + graph.kustomizations[g->owner].file +
               (g->behavior == "create" ? "" : " (behavior: " + g->behavior + ")");
    const std::string hint = choose_hint(key);
    return make_error(ErrorCode::kRefused,
                      describe(key) + " is made by a " +
                          (key.kind == "Secret" ? "secretGenerator" : "configMapGenerator") +
                          " in " + where +
                          ": kftenant edits YAML documents, and a generated object has none. "
                          "Write the object as a YAML file listed in `resources:` instead" +
                          (hint.empty() ? "" : ", or" + hint) + "; nothing was written");
  }
  if (!graph_mode) {
    // A patch somewhere under a folder-mode root: which kustomization is built decides the value.
    std::string patched;
    for (const auto& p : folder_patches) {
      if (p.target.kind != key.kind || !regex_full_match(p.target.name, key.name) ||
          (!p.target.group.empty() && p.target.group != api_group(key.api_version)))
        continue;
      patched += (patched.empty() ? "" : ", ") + (p.file.empty() ? "an inline patch" : p.file) +
                 " (" + p.kustomization + ")";
    }
    if (!patched.empty()) {
      const std::string hint = choose_hint(key);
      return make_error(
          ErrorCode::kRefused,
          describe(key) + " is patched by " + patched + ", and " + root +
              " has no kustomization file, so which of the kustomizations under it is built — and "
              "so which file decides the object — is not known. Point --manifests at the "
              "kustomization you build (e.g. Kubeflow's example/)" +
              (hint.empty() ? "" : ", or" + hint) + "; nothing was written");
    }
  }
  auto ref = find_one(key);
  if (!ref) return fail(ref.error());
  auto b = parts_of(*ref);
  if (!b) return fail(b.error());
  if (b->deleted) {
    return make_error(ErrorCode::kNotFound, describe(key) + " is removed from the build of " +
                                                root + " by a `$patch: delete` patch");
  }
  return finish(std::move(*b));
}

Result<std::vector<ManifestStore::State::Edit>> ManifestStore::State::plan_replace(
    const ObjectKey& key, const BuiltObject& built, const json& wanted, const json* from) const {
  json before = comparable(from != nullptr ? *from : built.value);
  if (from != nullptr && built.value.contains("apiVersion"))
    before["apiVersion"] = built.value["apiVersion"];
  json after = comparable(wanted);
  // The apiVersion asked for is the group's; the file keeps its own version.
  if (after.contains("apiVersion") && before.contains("apiVersion") &&
      after["apiVersion"].is_string() &&
      api_group(after["apiVersion"].get<std::string>()) == api_group(built.id.api_version))
    after["apiVersion"] = before["apiVersion"];
  const auto changes = detail::diff_objects(before, after);
  std::vector<Edit> edits;
  if (changes.empty()) return edits;
  const std::string hint = choose_hint(key);
  auto refuse = [&](const std::string& why) {
    return make_error(
        ErrorCode::kRefused,
        describe(key) + ": " + why + (hint.empty() ? "" : ";" + hint) + "; nothing was written");
  };
  // Edits per document, starting from what the documents say now.
  std::map<std::pair<std::string, size_t>, json> docs;
  auto doc_value = [&](const Contributor& c) -> json& {
    auto k = std::make_pair(c.file, c.doc);
    auto it = docs.find(k);
    if (it == docs.end()) it = docs.emplace(k, files.at(c.file).documents[c.doc].value).first;
    return it->second;
  };
  const int base = built.base ? 0 : -1;
  for (const auto& change : changes) {
    const std::string field = detail::path_text(change.path);
    if (graph_mode && !change.path.empty() &&
        (change.path[0] == "kind" || change.path[0] == "apiVersion" ||
         (change.path[0] == "metadata" &&
          (change.path.size() == 1 || change.path[1] == "name" || change.path[1] == "namespace"))))
      return refuse("changing " + field + " (renaming or moving an object) is not supported in " +
                    "manifests");
    std::vector<int> targets;
    if (built.chosen >= 0) {
      targets.push_back(built.chosen);
    } else {
      std::vector<int> touching;
      for (size_t i = 0; i < built.parts.size(); ++i) {
        if (static_cast<int>(i) == base) continue;
        if (part_touches(built.parts[i], change.path)) touching.push_back(static_cast<int>(i));
      }
      for (int i : touching) {
        const Contributor& c = built.parts[static_cast<size_t>(i)];
        if (!c.editable())
          return refuse(field + " is set by " + describe_part(c) +
                        ", which kftenant does not edit (it edits base documents and "
                        "strategic-merge patch files); change it by hand or make it a "
                        "strategic-merge patch file");
      }
      if (touching.size() > 1) {
        std::string names;
        for (int i : touching)
          names += (names.empty() ? "" : ", ") + built.parts[static_cast<size_t>(i)].file;
        return refuse(field + " is set by more than one patch (" + names +
                      "), so which file decides it is not clear");
      }
      if (touching.size() == 1) {
        for (const auto& a : built.assembled) {
          if (prefix_overlap(a, change.path) && base >= 0)
            return refuse(field + " is assembled from " + built.parts[0].file + " and " +
                          built.parts[static_cast<size_t>(touching[0])].file +
                          " (a list merged item by item)");
        }
        targets.push_back(touching[0]);
        if (change.remove && base >= 0 &&
            detail::value_at(built.parts[0].value, change.path) != nullptr)
          targets.push_back(base);
      } else {
        targets.push_back(base);
      }
    }
    for (int t : targets) {
      if (t < 0) return refuse("no document to edit for " + field);
      detail::apply_change(doc_value(built.parts[static_cast<size_t>(t)]), change);
    }
  }
  if (from != nullptr) {
    for (auto& [k, value] : docs) edits.push_back({k.first, k.second, std::move(value)});
    return edits;
  }
  // What the build makes of the edited documents must be what was asked for.
  BuiltObject check = built;
  for (auto& part : check.parts) {
    auto it = docs.find({part.file, part.doc});
    if (it == docs.end() || !part.editable()) continue;
    part.value = part.kind == Contributor::Kind::kBase && built.base
                     ? it->second
                     : (built.base ? detail::without_identity(it->second) : it->second);
  }
  if (auto r = compute(check, /*as_built=*/true); !r) return fail(r.error());
  json result = comparable(check.value);
  if (result.contains("apiVersion")) result["apiVersion"] = before["apiVersion"];
  if (!yaml::same_data(result, after)) {
    std::string later;
    for (const auto& change : detail::diff_objects(result, after)) {
      for (size_t i = built.chosen >= 0 ? static_cast<size_t>(built.chosen) + 1 : 0;
           i < built.parts.size(); ++i)
        if (part_touches(built.parts[i], change.path))
          later = describe_part(built.parts[i]) + " sets " + detail::path_text(change.path) +
                  " after it";
    }
    if (built.chosen >= 0)
      return refuse("editing " + built.parts[static_cast<size_t>(built.chosen)].file +
                    " would not change the built object" + (later.empty() ? "" : ": " + later));
    return refuse("the change cannot be written so that the build gives it" +
                  (later.empty() ? std::string() : " (" + later + ")"));
  }
  for (auto& [k, value] : docs) edits.push_back({k.first, k.second, std::move(value)});
  return edits;
}

Result<void> ManifestStore::State::check_remove(const ObjectKey& key,
                                                const BuiltObject& built) const {
  if (!built.base) {
    return make_error(ErrorCode::kRefused,
                      describe(key) + " is not a document of the build (only " +
                          built.parts[0].file + " was chosen for it); nothing was written");
  }
  std::string patches;
  for (size_t i = 1; i < built.parts.size(); ++i)
    patches += (patches.empty() ? "" : ", ") + describe_part(built.parts[i]);
  if (!patches.empty()) {
    return make_error(ErrorCode::kRefused,
                      describe(key) + " has patches applied to it (" + patches +
                          "); removing it would leave them without their target. Remove the "
                          "patches first; nothing was written");
  }
  if (built.base->file->uses.size() > 1) {
    return make_error(ErrorCode::kRefused, built.base->file->rel +
                                               " is listed by more than one kustomization; "
                                               "nothing was written");
  }
  return ok();
}

Result<void> ManifestStore::State::write_edits(const std::vector<Edit>& edits) {
  // All new file contents first, then the writes: a document that cannot be edited writes nothing.
  std::map<std::string, std::vector<const Edit*>> per_file;
  for (const auto& e : edits) per_file[e.file].push_back(&e);
  std::vector<std::pair<std::string, std::string>> contents;
  for (auto& [rel, list] : per_file) {
    ManifestFile& file = files.at(rel);
    std::sort(list.begin(), list.end(),
              [](const Edit* a, const Edit* b) { return a->doc > b->doc; });
    std::string content = file.content;
    for (const Edit* e : list) {
      const ManifestDocument& doc = file.documents[e->doc];
      const std::string_view old_text =
          std::string_view(file.content).substr(doc.range.begin, doc.range.end - doc.range.begin);
      auto text = yaml::edit_document(old_text, e->value, rel);
      if (!text) return fail(text.error());
      if (doc.range.end < file.content.size() && !text->empty() && text->back() != '\n')
        *text += '\n';
      content = content.substr(0, doc.range.begin) + *text + content.substr(doc.range.end);
    }
    if (content != file.content) contents.emplace_back(rel, std::move(content));
  }
  for (auto& [rel, content] : contents) {
    if (auto w = detail::write_file_atomically(abs(rel), content); !w) return fail(w.error());
    note_changed(rel);
    ManifestFile& file = files.at(rel);
    file.content = std::move(content);
    index(file);
  }
  return ok();
}

}  // namespace kftenant::store
