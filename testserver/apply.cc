// Server-side apply (PATCH application/apply-patch+yaml), simplified: field ownership is tracked
// per manager at the level of object keys (lists are atomic), which is what 15-server-side-apply
// exercises: create on apply, no-op re-apply, conflicts between appliers (409, or ownership moves
// with force=true), and removal of fields that the applier alone owned and no longer lists.
#include <set>

#include "kftenant/yaml.h"
#include "testserver/request_body.h"
#include "testserver/typing.h"

namespace kftenant::testserver {
namespace {

using Path = std::vector<std::string>;

// Leaf paths of an applied configuration (objects recurse, anything else is a leaf). The
// identity fields are not owned (apiVersion, kind, metadata.name/namespace/...).
void collect(const ojson& v, Path& prefix, std::set<Path>& out) {
  if (v.is_object() && !v.empty()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (prefix.empty() && (it.key() == "apiVersion" || it.key() == "kind")) continue;
      if (prefix.size() == 1 && prefix[0] == "metadata" &&
          (it.key() == "name" || it.key() == "namespace" || it.key() == "uid" ||
           it.key() == "resourceVersion" || it.key() == "creationTimestamp" ||
           it.key() == "managedFields" || it.key() == "generation")) {
        continue;
      }
      prefix.push_back(it.key());
      collect(it.value(), prefix, out);
      prefix.pop_back();
    }
    return;
  }
  if (!prefix.empty()) out.insert(prefix);
}

std::set<Path> field_set(const ojson& applied) {
  std::set<Path> out;
  Path p;
  collect(applied, p, out);
  return out;
}

ojson to_fields_v1(const std::set<Path>& paths) {
  nlohmann::json root = nlohmann::json::object();  // sorted keys, as the real server's
  for (const auto& p : paths) {
    nlohmann::json* node = &root;
    for (const auto& k : p) node = &(*node)["f:" + k];
    if (node->is_null()) *node = nlohmann::json::object();
  }
  return to_ojson(root);
}

void from_fields_v1(const ojson& v, Path& prefix, std::set<Path>& out) {
  if (!v.is_object()) return;
  if (v.empty() && !prefix.empty()) {
    out.insert(prefix);
    return;
  }
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key().rfind("f:", 0) != 0) continue;
    prefix.push_back(it.key().substr(2));
    from_fields_v1(it.value(), prefix, out);
    prefix.pop_back();
  }
}

const ojson* at(const ojson& obj, const Path& p) {
  const ojson* node = &obj;
  for (const auto& k : p) {
    if (!node->is_object() || !node->contains(k)) return nullptr;
    node = &(*node)[k];
  }
  return node;
}

void erase_at(ojson& obj, const Path& p) {
  ojson* node = &obj;
  for (size_t i = 0; i + 1 < p.size(); ++i) {
    if (!node->is_object() || !node->contains(p[i])) return;
    node = &(*node)[p[i]];
  }
  if (node->is_object()) node->erase(p.back());
}

void set_at(ojson& obj, const Path& p, const ojson& value) {
  ojson* node = &obj;
  for (const auto& k : p) {
    if (!node->is_object()) *node = ojson::object();
    node = &(*node)[k];
  }
  *node = value;
}

std::string dotted(const Path& p) {
  std::string s;
  for (const auto& k : p) s += "." + k;
  return s;
}

}  // namespace

Reply ApiServer::Impl::do_apply(const Route& r, const std::string& body,
                                const httplib::Request& req) {
  const ResourceType& info = *r.info;
  std::string manager = query_param(req, "fieldManager");
  if (manager.empty()) {
    return Reply::status_body(
        make_invalid_status(GroupKind{"meta.k8s.io", "PatchOptions"}, "",
                            {field_required("fieldManager", "is required for apply patch")}));
  }
  bool force = query_param(req, "force") == "true";
  auto parsed = yaml::parse(body, "apply patch");
  if (!parsed || !parsed->is_object()) {
    return Reply::status_body(
        bad_request("error decoding YAML: " +
                    (parsed ? std::string("not an object") : parsed.error().message)));
  }
  ojson applied = to_ojson(*parsed);
  if (auto bad = check_type_meta(info, r, applied)) return *bad;
  auto decoded =
      decode_object(info, r.version, applied, query_param(req, "fieldValidation") == "Strict");
  if (decoded.error) return Reply::status_body(*decoded.error);
  applied = decoded.object;
  std::set<Path> mine = field_set(applied);
  ojson entry = ojson::object();
  entry["manager"] = manager;
  entry["operation"] = "Apply";
  entry["apiVersion"] = r.api_version();
  entry["time"] = now_rfc3339();
  entry["fieldsType"] = "FieldsV1";
  entry["fieldsV1"] = to_fields_v1(mine);

  std::string key = Store::key(info.namespaced ? r.ns : "", r.name);
  const ojson* cur = store.get(info.group_resource(), key);
  if (!cur) {
    ojson obj = applied;
    obj["metadata"]["name"] = r.name;
    obj["metadata"]["managedFields"] = ojson::array({entry});
    Reply created = do_create(r, obj, req);
    if (created.status == 201) created.warnings = decoded.warnings;
    return created;
  }
  ojson old = *cur;
  ojson managed = old["metadata"].value("managedFields", ojson::array());
  // Conflicts: fields another manager owns whose value this apply would change.
  std::vector<std::pair<std::string, Path>> conflicts;
  for (auto& e : managed) {
    if (e.value("manager", "") == manager) continue;
    std::set<Path> theirs;
    Path p;
    from_fields_v1(e.value("fieldsV1", ojson::object()), p, theirs);
    std::set<Path> kept;
    for (const auto& f : theirs) {
      if (mine.count(f)) {
        const ojson* now = at(old, f);
        const ojson* want = at(applied, f);
        if (!now || !want || *now != *want) {
          if (!force) conflicts.emplace_back(e.value("manager", ""), f);
          continue;  // with force, ownership moves to this manager
        }
      }
      kept.insert(f);
    }
    e["fieldsV1"] = to_fields_v1(kept);
  }
  if (!conflicts.empty()) {
    std::string msg = "Apply failed with " + std::to_string(conflicts.size()) +
                      (conflicts.size() == 1 ? " conflict: " : " conflicts: ");
    StatusDetails d;
    for (size_t i = 0; i < conflicts.size(); ++i) {
      const auto& [who, f] = conflicts[i];
      if (conflicts.size() == 1) {
        msg += "conflict with " + go_quote(who) + ": " + dotted(f);
      } else {
        msg += (i ? "\n" : "") + std::string("conflict with ") + go_quote(who) + ": " + dotted(f);
      }
      d.causes.push_back(
          FieldError{"FieldManagerConflict", dotted(f), "conflict with " + go_quote(who)});
    }
    return Reply::status_body(make_status(409, "Conflict", msg, d));
  }
  // Fields this manager owned before and no longer applies: removed unless someone else owns them.
  std::set<Path> previously, others;
  for (const auto& e : managed) {
    std::set<Path> s;
    Path p;
    from_fields_v1(e.value("fieldsV1", ojson::object()), p, s);
    (e.value("manager", "") == manager ? previously : others).insert(s.begin(), s.end());
  }
  ojson neu = old;
  for (const auto& f : previously) {
    if (!mine.count(f) && !others.count(f)) erase_at(neu, f);
  }
  for (const auto& f : mine) set_at(neu, f, *at(applied, f));
  ojson new_managed = ojson::array();
  bool placed = false;
  for (auto& e : managed) {
    if (e.value("manager", "") == manager && e.value("operation", "") == "Apply") {
      // Keep the entry (and its time) when nothing changed for this manager.
      new_managed.push_back(e.value("fieldsV1", ojson()) == entry["fieldsV1"] ? e : entry);
      placed = true;
    } else if (!e.value("fieldsV1", ojson::object()).empty()) {
      new_managed.push_back(e);
    }
  }
  if (!placed) new_managed.push_back(entry);
  neu["metadata"]["managedFields"] = new_managed;
  neu["metadata"].erase("resourceVersion");
  return update_object(r, old, std::move(neu), false, req, decoded.warnings);
}

}  // namespace kftenant::testserver
