#include "store/manifest_merge.h"

#include <algorithm>
#include <cctype>

#include "kftenant/yaml_edit.h"

namespace kftenant::store::detail {

using nlohmann::json;

std::string path_text(const FieldPath& path) {
  std::string out;
  for (const auto& p : path) out += (out.empty() ? "" : ".") + p;
  return out;
}

bool builtin_group(const std::string& g) {
  if (g.empty() || g == "apps" || g == "batch" || g == "policy" || g == "autoscaling") return true;
  const std::string suffix = ".k8s.io";
  return g.size() > suffix.size() &&
         g.compare(g.size() - suffix.size(), suffix.size(), suffix) == 0;
}

json without_identity(json patch) {
  if (!patch.is_object()) return patch;
  patch.erase("apiVersion");
  patch.erase("kind");
  if (auto m = patch.find("metadata"); m != patch.end() && m->is_object()) {
    m->erase("name");
    m->erase("namespace");
  }
  return patch;
}

namespace {

bool is_directive(const std::string& key) {
  return !key.empty() && key[0] == '$';
}

std::string directive(const json& j) {
  if (!j.is_object()) return "";
  auto it = j.find("$patch");
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The patch with every `$` directive dropped, as the merged result holds it.
json strip(const json& j) {
  if (j.is_object()) {
    json out = json::object();
    for (auto it = j.begin(); it != j.end(); ++it)
      if (!is_directive(it.key())) out[it.key()] = strip(it.value());
    return out;
  }
  if (j.is_array()) {
    json out = json::array();
    for (const auto& item : j)
      if (directive(item) != "delete") out.push_back(strip(item));
    return out;
  }
  return j;
}

// The merge key of the list `field` for built-in kinds (the patchMergeKey tags of
// k8s.io/api core/v1 and meta/v1 types), "" when the list is replaced.
std::string merge_key(const std::string& field, const json& items_a, const json& items_b) {
  if (field == "containers" || field == "initContainers" || field == "ephemeralContainers" ||
      field == "volumes" || field == "env" || field == "imagePullSecrets")
    return "name";
  if (field == "volumeMounts") return "mountPath";
  if (field == "volumeDevices") return "devicePath";
  if (field == "hostAliases") return "ip";
  if (field == "ownerReferences") return "uid";
  if (field == "conditions") return "type";
  if (field == "ports") {
    // Container ports merge by containerPort, Service ports by port.
    auto has = [](const json& list, const char* key) {
      return list.is_array() && std::any_of(list.begin(), list.end(), [&](const json& i) {
               return i.is_object() && i.contains(key);
             });
    };
    if (has(items_a, "containerPort") || has(items_b, "containerPort")) return "containerPort";
    return "port";
  }
  return "";
}

struct Merger {
  bool builtin = false;
  std::vector<FieldPath> assembled;

  // Returns false when the patch deletes the target.
  bool merge(json& target, const json& patch, FieldPath& at) {
    if (!patch.is_object()) {
      target = strip(patch);
      return true;
    }
    const std::string d = directive(patch);
    if (d == "delete") return false;
    if (d == "replace") {
      target = strip(patch);
      return true;
    }
    // Merged into nothing: a null in the patch removes a field that is not there, so it is not
    // kept as a null (as the API server and kustomize do).
    if (!target.is_object()) target = json::object();
    for (auto it = patch.begin(); it != patch.end(); ++it) {
      const std::string& key = it.key();
      if (is_directive(key)) continue;
      const json& value = it.value();
      if (value.is_null()) {
        target.erase(key);
        continue;
      }
      at.push_back(key);
      if (value.is_object()) {
        json sub = target.contains(key) ? target[key] : json();
        if (merge(sub, value, at))
          target[key] = std::move(sub);
        else
          target.erase(key);
      } else if (value.is_array() && builtin && target.contains(key) && target[key].is_array()) {
        merge_list(target[key], value, key, at);
      } else {
        target[key] = strip(value);
      }
      at.pop_back();
    }
    return true;
  }

  void merge_list(json& target, const json& patch, const std::string& field, FieldPath& at) {
    const std::string key = merge_key(field, target, patch);
    const bool replace_all = std::any_of(patch.begin(), patch.end(),
                                         [](const json& i) { return directive(i) == "replace"; });
    if (key.empty() || replace_all) {
      target = strip(patch);
      return;
    }
    bool combined = false;
    for (const auto& item : patch) {
      if (!item.is_object() || !item.contains(key)) {
        target = strip(patch);  // not a keyed list after all: replaced
        return;
      }
      auto same = std::find_if(target.begin(), target.end(), [&](const json& t) {
        return t.is_object() && t.contains(key) && t[key] == item[key];
      });
      if (directive(item) == "delete") {
        if (same != target.end()) target.erase(same);
        combined = true;
        continue;
      }
      if (same == target.end()) {
        target.push_back(strip(item));
      } else {
        at.push_back(item[key].is_string() ? item[key].get<std::string>() : item[key].dump());
        merge(*same, item, at);
        at.pop_back();
      }
      combined = true;
    }
    // kustomize's order (kyaml merge2 on an associative list): the patch's items, merged with
    // their targets, then the target's items the patch does not name.
    json ordered = json::array();
    for (const auto& item : patch) {
      if (directive(item) == "delete") continue;
      auto same = std::find_if(target.begin(), target.end(), [&](const json& t) {
        return t.is_object() && t.contains(key) && t[key] == item[key];
      });
      if (same != target.end()) ordered.push_back(std::move(*same)), target.erase(same);
    }
    for (auto& rest : target) ordered.push_back(std::move(rest));
    target = std::move(ordered);
    if (combined && target.size() > 0) assembled.push_back(at);
  }
};

// A JSON pointer ("/data/config.yaml", "/a~1b") as path segments.
FieldPath pointer_segments(const std::string& pointer) {
  FieldPath out;
  if (pointer.empty()) return out;
  size_t pos = pointer[0] == '/' ? 1 : 0;
  while (pos <= pointer.size()) {
    size_t slash = pointer.find('/', pos);
    if (slash == std::string::npos) slash = pointer.size();
    std::string seg = pointer.substr(pos, slash - pos);
    for (size_t i = 0; (i = seg.find('~', i)) != std::string::npos; ++i) {
      if (i + 1 < seg.size() && seg[i + 1] == '1')
        seg.replace(i, 2, "/");
      else if (i + 1 < seg.size() && seg[i + 1] == '0')
        seg.replace(i, 2, "~");
    }
    out.push_back(std::move(seg));
    if (slash == pointer.size()) break;
    pos = slash + 1;
  }
  return out;
}

// Whether one path is a prefix of the other (a write at one changes the other).
bool overlap(const FieldPath& a, const FieldPath& b) {
  const size_t n = std::min(a.size(), b.size());
  return std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n), b.begin());
}

}  // namespace

MergeResult strategic_merge(const json& target, const json& patch, bool builtin) {
  Merger m;
  m.builtin = builtin;
  MergeResult out;
  out.value = target;
  FieldPath at;
  out.deleted = !m.merge(out.value, patch, at);
  out.assembled = std::move(m.assembled);
  return out;
}

bool merge_patch_touches(const json& patch, const FieldPath& path) {
  const json* node = &patch;
  for (const auto& part : path) {
    const std::string d = directive(*node);
    if (d == "replace" || d == "delete") return true;
    if (!node->is_object()) return true;
    auto it = node->find(part);
    if (it == node->end()) return false;
    node = &*it;
  }
  return true;
}

Result<json> apply_json_patch(const json& target, const json& ops, const std::string& source) {
  try {
    return target.patch(ops);
  } catch (const json::exception& e) {
    return make_error(
        ErrorCode::kInvalid,
        "the JSON patch " + source + " does not apply (kustomize build would fail): " + e.what());
  }
}

bool json_patch_touches(const json& ops, const FieldPath& path) {
  if (!ops.is_array()) return false;
  for (const auto& op : ops) {
    if (!op.is_object() || op.value("op", "") == "test") continue;
    for (const char* field : {"path", "from"}) {
      if (field == std::string("from") && op.value("op", "") == "copy") continue;  // only reads
      auto p = op.find(field);
      if (p != op.end() && p->is_string() && overlap(pointer_segments(p->get<std::string>()), path))
        return true;
    }
  }
  return false;
}

bool field_path_touches(const std::string& field_path, const FieldPath& path) {
  // Segments split at dots outside [brackets], `\.` escaping a dot (kyaml's SmarterPathSplitter).
  FieldPath segments;
  std::string cur;
  int depth = 0;
  for (size_t i = 0; i < field_path.size(); ++i) {
    const char c = field_path[i];
    if (c == '\\' && i + 1 < field_path.size() && field_path[i + 1] == '.') {
      cur += '.';
      ++i;
    } else if (c == '[') {
      ++depth;
      cur += c;
    } else if (c == ']') {
      --depth;
      cur += c;
    } else if (c == '.' && depth == 0) {
      segments.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  segments.push_back(std::move(cur));
  // A list element ([name=x] or an index) is past anything diff_objects compares by key.
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& s = segments[i];
    const bool element = (!s.empty() && s.front() == '[') ||
                         (!s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
                           return std::isdigit(c) != 0;
                         }));
    if (element || i >= path.size()) return true;
    if (s != path[i] && s != "*") return false;
  }
  return true;
}

std::vector<FieldChange> diff_objects(const json& before, const json& after) {
  std::vector<FieldChange> out;
  FieldPath at;
  auto walk = [&](auto&& self, const json& a, const json& b) -> void {
    if (!a.is_object() || !b.is_object()) {
      if (!yaml::same_data(a, b)) out.push_back({at, false, b});
      return;
    }
    for (auto it = a.begin(); it != a.end(); ++it) {
      at.push_back(it.key());
      if (!b.contains(it.key()))
        out.push_back({at, true, json()});
      else
        self(self, it.value(), b[it.key()]);
      at.pop_back();
    }
    for (auto it = b.begin(); it != b.end(); ++it) {
      if (a.contains(it.key())) continue;
      at.push_back(it.key());
      out.push_back({at, false, it.value()});
      at.pop_back();
    }
  };
  walk(walk, before, after);
  return out;
}

void apply_change(json& doc, const FieldChange& change) {
  if (change.path.empty()) {
    if (!change.remove) doc = change.value;
    return;
  }
  json* node = &doc;
  for (size_t i = 0; i + 1 < change.path.size(); ++i) {
    if (!node->is_object()) {
      if (change.remove) return;
      *node = json::object();
    }
    auto it = node->find(change.path[i]);
    if (it == node->end()) {
      if (change.remove) return;
      it = node->emplace(change.path[i], json::object()).first;
    }
    node = &*it;
  }
  if (!node->is_object()) {
    if (change.remove) return;
    *node = json::object();
  }
  if (change.remove)
    node->erase(change.path.back());
  else
    (*node)[change.path.back()] = change.value;
}

const json* value_at(const json& doc, const FieldPath& path) {
  const json* node = &doc;
  for (const auto& part : path) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(part);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

}  // namespace kftenant::store::detail
