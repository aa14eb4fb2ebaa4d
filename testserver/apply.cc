// Server-side apply (PATCH application/apply-patch+yaml), simplified: field ownership is tracked
// per manager at the level of object keys (lists are atomic, no k:/v: keys), which is what
// 15-server-side-apply and tests/differential k05/k06 exercise: create on apply, no-op re-apply,
// conflicts between managers (409, or ownership moves with force=true), removal of fields that
// the applier alone owned and no longer lists, and managedFields entries as the real server
// writes them (an entry's time only when that manager's write changed the object; entries
// sorted by operation, time in whole seconds, manager).
//
// Update managers (the non-apply writes) are recorded only where the write names a
// fieldManager or the object already has managedFields (the real server records every write;
// recording them everywhere would put managedFields on every object the fake serves): a field a
// write changes moves to that manager, so a later apply of it conflicts with
// "<manager>" using <apiVersion>.
#include <ctime>
#include <regex>
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

std::set<Path> entry_fields(const ojson& entry) {
  std::set<Path> out;
  Path p;
  from_fields_v1(entry.value("fieldsV1", ojson::object()), p, out);
  return out;
}

// The object without what ownership is not tracked for (managedFields, resourceVersion, the
// status of a kind with a status subresource).
ojson owned_part(const ResourceType& info, ojson obj) {
  if (obj.contains("metadata") && obj["metadata"].is_object()) {
    obj["metadata"].erase("managedFields");
    obj["metadata"].erase("resourceVersion");
  }
  if (info.has_status) obj.erase("status");
  return obj;
}

// How conflict messages name a manager (apiserver fieldmanager internal/conflict.go
// printManager): "a" for appliers, "a" using v1 for updaters.
std::string print_manager(const ojson& entry) {
  std::string out = go_quote(entry.value("manager", ""));
  if (entry.value("operation", "") == "Update") out += " using " + entry.value("apiVersion", "");
  return out;
}

// Whole seconds of an entry's time; 0 without one (managedfields.go sortEncodedManagedFields).
int64_t entry_seconds(const ojson& entry) {
  std::string t = entry.value("time", "");
  std::tm tm{};
  if (t.size() < 19 || !strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

void sort_managed_fields(ojson& managed) {
  std::stable_sort(managed.begin(), managed.end(), [](const ojson& a, const ojson& b) {
    auto key = [](const ojson& e) {
      return std::make_tuple(e.value("operation", ""), entry_seconds(e), e.value("manager", ""),
                             e.value("apiVersion", ""), e.value("subresource", ""));
    };
    return key(a) < key(b);
  });
}

// A libyaml error as go-yaml (sigs.k8s.io/yaml) words it: "yaml: line N: <problem>", N being
// the problem's 0-based line for parser errors and 1-based for scanner errors.
std::string yaml_error_message(const std::string& message) {
  static const std::regex re(R"(^apply patch:([0-9]+):[0-9]+: (while [^:]*): (.*)$)");
  std::smatch m;
  if (!std::regex_match(message, m, re)) return message;
  int line = std::stoi(m.str(1));
  if (m.str(2).rfind("while scanning", 0) != 0) --line;
  return "error converting YAML to JSON: yaml: line " + std::to_string(line) + ": " + m.str(3);
}

}  // namespace

void ApiServer::Impl::record_update_manager(const ResourceType& info, const ojson* old, ojson& neu,
                                            const httplib::Request& req,
                                            const std::string& api_version,
                                            const std::string& subresource) {
  std::string manager = query_param(req, "fieldManager");
  const ojson* old_managed = old && (*old)["metadata"].contains("managedFields")
                                 ? &(*old)["metadata"]["managedFields"]
                                 : nullptr;
  if (manager.empty() && !old_managed) return;
  if (manager.empty()) {
    // The default manager: the User-Agent up to its first '/' (fieldmanager.go).
    manager = req.get_header_value("User-Agent");
    manager = manager.substr(0, manager.find('/'));
  }
  std::set<Path> before = old ? field_set(owned_part(info, *old)) : std::set<Path>{};
  std::set<Path> after = field_set(owned_part(info, neu));
  std::set<Path> changed, removed;
  for (const auto& f : after) {
    const ojson* a = old ? at(*old, f) : nullptr;
    if (!a || *a != *at(neu, f)) changed.insert(f);
  }
  for (const auto& f : before) {
    if (!after.count(f)) removed.insert(f);
  }
  ojson managed = old_managed ? *old_managed : ojson::array();
  ojson out = ojson::array();
  bool mine_found = false;
  for (auto e : managed) {
    std::set<Path> fields = entry_fields(e);
    const bool mine = e.value("manager", "") == manager && e.value("operation", "") == "Update" &&
                      e.value("apiVersion", "") == api_version &&
                      e.value("subresource", "") == subresource;
    for (const auto& f : removed) fields.erase(f);
    if (mine) {
      mine_found = true;
      fields.insert(changed.begin(), changed.end());
      if (!changed.empty()) e["time"] = now_rfc3339();
    } else {
      for (const auto& f : changed) fields.erase(f);
    }
    e["fieldsV1"] = to_fields_v1(fields);
    if (!fields.empty()) out.push_back(e);
  }
  if (!mine_found && !changed.empty()) {
    ojson entry = ojson::object();
    entry["manager"] = manager;
    entry["operation"] = "Update";
    entry["apiVersion"] = api_version;
    entry["time"] = now_rfc3339();
    entry["fieldsType"] = "FieldsV1";
    entry["fieldsV1"] = to_fields_v1(changed);
    if (!subresource.empty()) entry["subresource"] = subresource;
    out.push_back(entry);
  }
  sort_managed_fields(out);
  if (out.empty()) {
    neu["metadata"].erase("managedFields");
  } else {
    neu["metadata"]["managedFields"] = out;
  }
}

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
    return Reply::status_body(bad_request(
        "error decoding YAML: " +
        (parsed ? std::string("not an object") : yaml_error_message(parsed.error().message))));
  }
  ojson applied = to_ojson(*parsed);
  {
    // The apply patch names its object (fieldmanager structuredmerge.go and the patcher).
    const ojson meta = applied.value("metadata", ojson::object());
    const std::string body_name = meta.is_object() ? meta.value("name", "") : "";
    if (!body_name.empty() && body_name != r.name) {
      return Reply::status_body(bad_request("the name of the object (" + body_name +
                                            ") does not match the name on the URL (" + r.name +
                                            ")"));
    }
    const std::string body_ns = meta.is_object() ? meta.value("namespace", "") : "";
    if (info.namespaced && !body_ns.empty() && body_ns != r.ns) {
      return Reply::status_body(bad_request(
          "the namespace of the provided object does not match the namespace sent on the "
          "request"));
    }
    const std::string version = applied.value("apiVersion", "");
    bool served = version == r.api_version();
    if (info.custom) {
      for (const auto& v : info.versions) served = served || version == info.api_version(v);
    }
    if (!served) {
      return Reply::status_body(bad_request(
          "Incorrect version specified in apply patch. Specified patch version: " + version +
          ", expected: " + r.api_version()));
    }
  }
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
  std::vector<std::pair<ojson, Path>> conflicts;  // (the other manager's entry, field)
  for (auto& e : managed) {
    if (e.value("manager", "") == manager && e.value("operation", "") == "Apply") continue;
    std::set<Path> theirs;
    Path p;
    from_fields_v1(e.value("fieldsV1", ojson::object()), p, theirs);
    std::set<Path> kept;
    for (const auto& f : theirs) {
      if (mine.count(f)) {
        const ojson* now = at(old, f);
        const ojson* want = at(applied, f);
        if (!now || !want || *now != *want) {
          if (!force) conflicts.emplace_back(e, f);
          continue;  // with force, ownership moves to this manager
        }
      }
      kept.insert(f);
    }
    e["fieldsV1"] = to_fields_v1(kept);
  }
  if (!conflicts.empty()) {
    // apiserver fieldmanager internal/conflict.go NewConflictError / getConflictMessage:
    // one conflict inline, several grouped by manager (managers sorted, paths in order).
    std::stable_sort(conflicts.begin(), conflicts.end(), [](const auto& a, const auto& b) {
      return print_manager(a.first) < print_manager(b.first);
    });
    std::string msg = "Apply failed with " + std::to_string(conflicts.size()) +
                      (conflicts.size() == 1 ? " conflict: " : " conflicts: ");
    StatusDetails d;
    std::string last_manager;
    for (size_t i = 0; i < conflicts.size(); ++i) {
      const std::string who = print_manager(conflicts[i].first);
      const std::string path = dotted(conflicts[i].second);
      if (conflicts.size() == 1) {
        msg += "conflict with " + who + ": " + path;
      } else {
        if (who != last_manager)
          msg += (i ? "\n" : "") + std::string("conflicts with ") + who + ":";
        msg += "\n- " + path;
        last_manager = who;
      }
      d.causes.push_back(FieldError{"FieldManagerConflict", path, "conflict with " + who});
    }
    return Reply::status_body(make_status(409, "Conflict", msg, d));
  }
  // Fields this manager owned before and no longer applies: removed unless someone else owns them.
  std::set<Path> previously, others;
  for (const auto& e : managed) {
    std::set<Path> s;
    Path p;
    from_fields_v1(e.value("fieldsV1", ojson::object()), p, s);
    const bool mine = e.value("manager", "") == manager && e.value("operation", "") == "Apply";
    (mine ? previously : others).insert(s.begin(), s.end());
  }
  ojson neu = old;
  for (const auto& f : previously) {
    if (!mine.count(f) && !others.count(f)) erase_at(neu, f);
  }
  for (const auto& f : mine) set_at(neu, f, *at(applied, f));
  // The entry's time moves only when this apply changed the object (managedfieldsupdater.go);
  // a first apply that changes nothing gets an entry without time.
  const bool object_changed = owned_part(info, neu) != owned_part(info, old);
  ojson new_managed = ojson::array();
  bool placed = false;
  for (auto& e : managed) {
    if (e.value("manager", "") == manager && e.value("operation", "") == "Apply") {
      ojson updated = entry;
      if (!object_changed) {
        if (e.contains("time")) {
          updated["time"] = e["time"];
        } else {
          updated.erase("time");
        }
      }
      new_managed.push_back(updated);
      placed = true;
    } else if (!e.value("fieldsV1", ojson::object()).empty()) {
      new_managed.push_back(e);
    }
  }
  if (!placed) {
    if (!object_changed) entry.erase("time");
    new_managed.push_back(entry);
  }
  sort_managed_fields(new_managed);
  neu["metadata"]["managedFields"] = new_managed;
  neu["metadata"].erase("resourceVersion");
  return update_object(r, old, std::move(neu), false, req, decoded.warnings);
}

}  // namespace kftenant::testserver
