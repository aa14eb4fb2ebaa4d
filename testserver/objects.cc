// Object lifecycle shared by the HTTP handlers, the controllers and the direct store API:
// create/update/remove commits (resourceVersion, uid, generation, events) and DELETE semantics
// (finalizers, propagation policy).
#include <algorithm>
#include <random>

#include "testserver/server_impl.h"
#include "testserver/typing.h"

namespace kftenant::testserver {
namespace {

std::string object_key(const ResourceType& info, const ojson& obj) {
  const ojson& m = obj["metadata"];
  return Store::key(info.namespaced ? m.value("namespace", "") : "", m.value("name", ""));
}

// The object without the fields the server maintains on every write, to detect no-op updates.
ojson comparable(const ojson& obj) {
  ojson c = obj;
  if (c.contains("metadata") && c["metadata"].is_object()) {
    c["metadata"].erase("resourceVersion");
    if (c["metadata"].contains("managedFields") && c["metadata"]["managedFields"].is_array()) {
      for (auto& e : c["metadata"]["managedFields"]) {
        if (e.is_object()) e.erase("time");
      }
    }
  }
  return sorted(c);
}

// What a change of "spec" means for metadata.generation (registry strategies of each kind).
bool generation_changes(const ResourceType& info, const ojson& old, const ojson& neu) {
  if (!info.has_generation) return false;
  if (!info.custom) return old.value("spec", ojson()) != neu.value("spec", ojson());
  ojson a = old, b = neu;
  for (ojson* o : {&a, &b}) {
    o->erase("metadata");
    if (info.has_status) o->erase("status");
  }
  return sorted(a) != sorted(b);
}

}  // namespace

std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string new_uid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

ojson ApiServer::Impl::present(const ResourceType& info, const std::string& version,
                               const ojson& obj) const {
  if (!info.custom) return obj;
  ojson out = obj;
  out["apiVersion"] = info.api_version(version.empty() ? info.versions.front() : version);
  return sorted(out);
}

ojson ApiServer::Impl::list_item(const ResourceType& info, const std::string& version,
                                 const ojson& obj) const {
  if (info.custom) return present(info, version, obj);
  ojson out = obj;
  out.erase("kind");
  out.erase("apiVersion");
  return out;
}

ojson ApiServer::Impl::commit_create(const ResourceType& info, ojson obj) {
  auto& m = obj["metadata"];
  m["uid"] = new_uid();
  int64_t rv = store.next_rv();
  m["resourceVersion"] = std::to_string(rv);
  m["creationTimestamp"] = now_rfc3339();
  if (info.has_generation) {
    m["generation"] = 1;
  } else {
    m.erase("generation");
  }
  obj = canonical(info, obj);
  std::string key = object_key(info, obj);
  store.put(info.group_resource(), key, obj, rv);
  on_created(info, obj);
  return obj;
}

ojson ApiServer::Impl::commit_update(const ResourceType& info, ojson old, ojson updated) {
  updated = canonical(info, updated);
  updated["metadata"]["resourceVersion"] = old["metadata"].value("resourceVersion", "");
  if (comparable(updated) == comparable(old)) return old;
  if (generation_changes(info, old, updated)) {
    updated["metadata"]["generation"] = old["metadata"].value("generation", 0) + 1;
  }
  const auto& m = updated["metadata"];
  bool finalized =
      m.contains("deletionTimestamp") && (!m.contains("finalizers") || m["finalizers"].empty());
  if (finalized && info.kind != "Namespace") {
    // The last finalizer is gone: the object goes (10-finalizers answers its last state).
    updated["metadata"].erase("finalizers");
    updated = canonical(info, updated);
    commit_remove(info, updated);
    return updated;
  }
  int64_t rv = store.next_rv();
  updated["metadata"]["resourceVersion"] = std::to_string(rv);
  updated = canonical(info, updated);
  store.put(info.group_resource(), object_key(info, updated), updated, rv);
  on_updated(info, old, updated);
  return updated;
}

void ApiServer::Impl::commit_remove(const ResourceType& info, ojson obj) {
  int64_t rv = store.next_rv();
  ojson final_obj = obj;
  final_obj["metadata"]["resourceVersion"] = std::to_string(rv);
  store.remove(info.group_resource(), object_key(info, obj), canonical(info, final_obj), rv);
  on_removed(info, obj);
}

ojson ApiServer::Impl::begin_crd_delete(const ResourceType& info, ojson obj) {
  ojson updated = obj;
  auto& um = updated["metadata"];
  const std::string name = um.value("name", "");
  if (um.contains("deletionTimestamp")) {
    // A second DELETE goes through the generic store: a graceful deletion of an object with
    // finalizers (deletionGracePeriodSeconds 0), nothing else changes.
    if (um.contains("deletionGracePeriodSeconds")) return obj;
    um["deletionGracePeriodSeconds"] = 0;
    return commit_update(info, obj, updated);
  }
  // The first DELETE: deletionTimestamp, the cleanup finalizer and the Terminating condition in
  // one update; the finalizer controller takes it from there.
  um["deletionTimestamp"] = now_rfc3339();
  ojson finalizers = um.value("finalizers", ojson::array());
  const char* kCleanup = "customresourcecleanup.apiextensions.k8s.io";
  if (std::find(finalizers.begin(), finalizers.end(), kCleanup) == finalizers.end()) {
    finalizers.push_back(kCleanup);
  }
  um["finalizers"] = finalizers;
  set_crd_condition(updated, "Terminating", "True", "InstanceDeletionPending",
                    "CustomResourceDefinition marked for deletion; CustomResource deletion will "
                    "begin soon");
  ojson stored = commit_update(info, obj, updated);
  schedule_crd_cleanup(name, opts.crd_controller_delay);
  return stored;
}

ojson ApiServer::Impl::begin_delete(const ResourceType& info, ojson obj,
                                    const std::string& propagation) {
  if (info.kind == "CustomResourceDefinition" && !info.custom) return begin_crd_delete(info, obj);
  const ojson& m = obj["metadata"];
  if (m.contains("deletionTimestamp")) return obj;  // already being deleted: no change
  ojson updated = obj;
  if (info.kind == "Namespace") {
    // The namespace controller empties it, then removes it (11-namespace-deletion).
    updated["status"]["phase"] = "Terminating";
    auto& um = updated["metadata"];
    um["deletionTimestamp"] = now_rfc3339();
    int64_t rv = store.next_rv();
    um["resourceVersion"] = std::to_string(rv);
    updated = canonical(info, updated);
    store.put(info.group_resource(), object_key(info, updated), updated, rv);
    schedule_namespace_cleanup(updated["metadata"].value("name", ""));
    on_deletion_started(info, updated);
    return updated;
  }
  std::vector<std::string> finalizers;
  if (m.contains("finalizers") && m["finalizers"].is_array()) {
    for (const auto& f : m["finalizers"]) finalizers.push_back(f.get<std::string>());
  }
  auto add = [&](const std::string& f) {
    if (std::find(finalizers.begin(), finalizers.end(), f) == finalizers.end()) {
      finalizers.push_back(f);
    }
  };
  if (propagation == "Foreground") add("foregroundDeletion");
  if (propagation == "Orphan") add("orphan");
  if (finalizers.empty()) {
    commit_remove(info, obj);
    return nullptr;
  }
  auto& um = updated["metadata"];
  um["finalizers"] = finalizers;
  um["deletionTimestamp"] = now_rfc3339();
  um["deletionGracePeriodSeconds"] = 0;
  if (info.has_generation) um["generation"] = m.value("generation", 0) + 1;
  int64_t rv = store.next_rv();
  um["resourceVersion"] = std::to_string(rv);
  updated = canonical(info, updated);
  store.put(info.group_resource(), object_key(info, updated), updated, rv);
  if (propagation == "Foreground" || propagation == "Orphan") schedule_gc();
  on_deletion_started(info, updated);
  return updated;
}

}  // namespace kftenant::testserver
