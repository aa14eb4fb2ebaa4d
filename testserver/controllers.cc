// The simulated controllers of a cluster, run on the scheduler thread: namespace deletion
// (namespace controller), ownerReference garbage collection (garbage collector), deployment
// rollout (deployment controller), per-namespace defaults (root CA publisher, service account
// controller) and CRD establishment. ClusterRole aggregation is in role_aggregation.cc. The
// Kubeflow profile controller is in profile_controller.cc; these hooks feed its work queue.
#include <algorithm>

#include "testserver/server_impl.h"
#include "testserver/typing.h"

namespace kftenant::testserver {

// ---- Scheduler -----------------------------------------------------------------------------

Scheduler::Scheduler() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      if (tasks_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto at = tasks_.top().at;
      if (std::chrono::steady_clock::now() < at) {
        cv_.wait_until(lock, at);
        continue;
      }
      auto fn = tasks_.top().fn;
      tasks_.pop();
      lock.unlock();
      fn();
      lock.lock();
    }
  });
}

Scheduler::~Scheduler() {
  stop();
}

void Scheduler::after(std::chrono::milliseconds delay, std::function<void()> task) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) return;
  tasks_.push(Task{std::chrono::steady_clock::now() + delay, seq_++, std::move(task)});
  cv_.notify_all();
}

void Scheduler::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

// ---- hooks -----------------------------------------------------------------------------------

namespace {

std::string ns_and_name(const ojson& obj) {
  const auto& m = obj["metadata"];
  return Store::key(m.value("namespace", ""), m.value("name", ""));
}

}  // namespace

void ApiServer::Impl::on_created(const ResourceType& info, const ojson& obj) {
  if (info.kind == "Namespace" && opts.namespace_defaults) {
    std::string ns = obj["metadata"].value("name", "");
    auto cm_info = registry.find("", "v1", "configmaps");
    ojson cm = {{"kind", "ConfigMap"},
                {"apiVersion", "v1"},
                {"metadata",
                 {{"name", "kube-root-ca.crt"},
                  {"namespace", ns},
                  {"annotations",
                   {{"kubernetes.io/description",
                     "Contains a CA bundle that can be used to verify the kube-apiserver when "
                     "using internal endpoints such as the internal service IP or "
                     "kubernetes.default.svc. No other usage is guaranteed across distributions "
                     "of Kubernetes clusters."}}}}},
                {"data", {{"ca.crt", ca.cert_pem}}}};
    commit_create(*cm_info, cm);
    auto sa_info = registry.find("", "v1", "serviceaccounts");
    ojson sa = {{"kind", "ServiceAccount"},
                {"apiVersion", "v1"},
                {"metadata", {{"name", "default"}, {"namespace", ns}}}};
    commit_create(*sa_info, sa);
  } else if (info.kind == "CustomResourceDefinition") {
    registry.register_crd(to_json(obj));
  } else if (info.kind == "Deployment") {
    schedule_rollout(ns_and_name(obj));
  } else if (info.kind == "ClusterRole") {
    schedule_role_aggregation();
  }
  // The garbage collector also looks at new dependents: an owner that does not exist (or has
  // another uid) means the dependent goes (k08-finalizers-gc).
  if (obj["metadata"].contains("ownerReferences")) schedule_gc();
  profile_controller_notice(info, obj);
}

void ApiServer::Impl::on_updated(const ResourceType& info, const ojson& old, const ojson& obj) {
  if (info.kind == "CustomResourceDefinition") {
    registry.register_crd(to_json(obj));
  } else if (info.kind == "Deployment") {
    if (old.value("metadata", ojson()).value("generation", 0) !=
        obj["metadata"].value("generation", 0)) {
      schedule_rollout(ns_and_name(obj));
    }
  } else if (info.kind == "ClusterRole") {
    schedule_role_aggregation();
  }
  if (obj["metadata"].contains("ownerReferences")) schedule_gc();
  profile_controller_notice(info, obj);
}

void ApiServer::Impl::on_deletion_started(const ResourceType& info, const ojson& obj) {
  profile_controller_notice(info, obj);
}

void ApiServer::Impl::on_removed(const ResourceType& info, const ojson& obj) {
  if (info.kind == "CustomResourceDefinition") {
    auto r = registry.find_group_resource(obj["spec"]["names"].value("plural", "") + "." +
                                          obj["spec"].value("group", ""));
    if (r && r->custom) {
      for (const auto& [key, o] : store.list(r->group_resource())) {
        ojson copy = *o;
        commit_remove(*r, copy);
      }
      registry.unregister(r->group_resource());
    }
  } else if (info.kind == "ClusterRole") {
    schedule_role_aggregation();
  }
  profile_controller_notice(info, obj);
  schedule_gc();
}

// ---- apiextensions controllers --------------------------------------------------------------

void set_crd_condition(ojson& crd, const std::string& type, const std::string& status,
                       const std::string& reason, const std::string& message) {
  if (!crd.contains("status") || !crd["status"].is_object()) crd["status"] = ojson::object();
  ojson& conditions = crd["status"]["conditions"];
  if (!conditions.is_array()) conditions = ojson::array();
  ojson c = ojson::object();
  c["type"] = type;
  c["status"] = status;
  c["lastTransitionTime"] = now_rfc3339();
  c["reason"] = reason;
  c["message"] = message;
  for (auto& existing : conditions) {
    if (existing.value("type", "") != type) continue;
    if (existing.value("status", "") == status) {
      c["lastTransitionTime"] = existing.value("lastTransitionTime", c["lastTransitionTime"]);
    }
    existing = c;
    return;
  }
  conditions.push_back(c);
}

// The naming and establishing controllers (apiextensions-apiserver pkg/controller/status and
// establish): NamesAccepted, acceptedNames, then Established.
void ApiServer::Impl::schedule_crd_establish(const std::string& crd_name) {
  scheduler.after(opts.crd_controller_delay, [this, crd_name] {
    auto lock = store.lock();
    auto info = registry.find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
    const ojson* cur = store.get(info->group_resource(), crd_name);
    if (!cur) return;
    for (const auto& c : (*cur)["status"].value("conditions", ojson::array())) {
      if (c.is_object() && c.value("type", "") == "Established") return;
    }
    ojson established = *cur;
    reset_status_on_create(*info, established);  // the established status of a seeded CRD
    established["status"]["storedVersions"] =
        (*cur)["status"].value("storedVersions", established["status"]["storedVersions"]);
    commit_update(*info, *cur, established);
  });
}

void ApiServer::Impl::schedule_crd_cleanup(const std::string& crd_name,
                                           std::chrono::milliseconds delay) {
  scheduler.after(delay, [this, crd_name] {
    auto lock = store.lock();
    if (!run_crd_cleanup(crd_name)) {
      // The finalizer controller waits for the objects to go (their finalizers), polling.
      schedule_crd_cleanup(crd_name, std::chrono::milliseconds(100));
    }
  });
}

// apiextensions-apiserver pkg/controller/finalizer/crd_finalizer.go sync.
bool ApiServer::Impl::run_crd_cleanup(const std::string& crd_name) {
  auto crd_info = registry.find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  const ojson* cur = store.get(crd_info->group_resource(), crd_name);
  if (!cur || !(*cur)["metadata"].contains("deletionTimestamp")) return true;
  const ojson& spec = (*cur)["spec"];
  auto cr = registry.find_group_resource(spec.value("names", ojson::object()).value("plural", "") +
                                         "." + spec.value("group", ""));
  bool in_progress = false;
  for (const auto& c : (*cur)["status"].value("conditions", ojson::array())) {
    if (c.value("type", "") == "Terminating" &&
        c.value("reason", "") == "InstanceDeletionInProgress")
      in_progress = true;
  }
  if (!in_progress) {
    ojson updated = *cur;
    set_crd_condition(updated, "Terminating", "True", "InstanceDeletionInProgress",
                      "CustomResource deletion is in progress");
    commit_update(*crd_info, *cur, updated);
    cur = store.get(crd_info->group_resource(), crd_name);
  }
  size_t remaining = 0;
  if (cr && cr->custom) {
    std::vector<ojson> objects;
    for (const auto& [key, o] : store.list(cr->group_resource())) objects.push_back(*o);
    for (const auto& o : objects) {
      if (!o["metadata"].contains("deletionTimestamp")) begin_delete(*cr, o, "Background");
    }
    remaining = store.list(cr->group_resource()).size();
  }
  if (remaining > 0) return false;
  // Every object is gone: drop the finalizer; the CRD goes when it was the last one.
  ojson updated = *cur;
  ojson kept = ojson::array();
  for (const auto& f : updated["metadata"].value("finalizers", ojson::array())) {
    if (f != "customresourcecleanup.apiextensions.k8s.io") kept.push_back(f);
  }
  updated["metadata"]["finalizers"] = kept;
  commit_update(*crd_info, *cur, updated);
  return store.get(crd_info->group_resource(), crd_name) == nullptr;
}

// ---- deployment controller ------------------------------------------------------------------

void ApiServer::Impl::schedule_rollout(const std::string& key) {
  if (!opts.simulate_deployment_controller) return;
  auto delay = std::chrono::milliseconds(rollout_delay_ms.load());
  scheduler.after(delay, [this, key] {
    auto lock = store.lock();
    complete_rollout(key);
  });
}

void ApiServer::Impl::complete_rollout(const std::string& key) {
  {
    auto info = registry.find("apps", "v1", "deployments");
    const ojson* cur = store.get(info->group_resource(), key);
    if (!cur || (*cur)["metadata"].contains("deletionTimestamp")) return;
    ojson d = *cur;
    int64_t generation = d["metadata"].value("generation", 1);
    const ojson& status = d.value("status", ojson::object());
    if (status.value("observedGeneration", int64_t{0}) == generation &&
        status.value("replicas", int64_t{0}) == d["spec"].value("replicas", int64_t{1})) {
      return;
    }
    int64_t replicas = d["spec"].value("replicas", int64_t{1});
    std::string now = now_rfc3339();
    ojson st = ojson::object();
    st["observedGeneration"] = generation;
    if (replicas > 0) {
      st["replicas"] = replicas;
      st["updatedReplicas"] = replicas;
      st["readyReplicas"] = replicas;
      st["availableReplicas"] = replicas;
    }
    std::string revision = "1";
    if (d["metadata"].contains("annotations") &&
        d["metadata"]["annotations"].contains("deployment.kubernetes.io/revision")) {
      try {
        revision = std::to_string(
            std::stoll(d["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                           .get<std::string>()) +
            1);
      } catch (...) {
        revision = "1";
      }
    }
    std::string rs_name =
        d["metadata"].value("name", "") + "-" + new_uid().substr(0, 8) + new_uid().substr(9, 2);
    st["conditions"] = ojson::array(
        {{{"type", "Available"},
          {"status", "True"},
          {"lastUpdateTime", now},
          {"lastTransitionTime", now},
          {"reason", "MinimumReplicasAvailable"},
          {"message", "Deployment has minimum availability."}},
         {{"type", "Progressing"},
          {"status", "True"},
          {"lastUpdateTime", now},
          {"lastTransitionTime", now},
          {"reason", "NewReplicaSetAvailable"},
          {"message", "ReplicaSet \"" + rs_name + "\" has successfully progressed."}}});
    d["status"] = st;
    d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = revision;
    commit_update(*info, *cur, d);
  }
}

// ---- namespace controller -------------------------------------------------------------------

void ApiServer::Impl::schedule_namespace_cleanup(const std::string& ns) {
  scheduler.after(opts.namespace_deletion_delay, [this, ns] { run_namespace_cleanup(ns); });
}

void ApiServer::Impl::run_namespace_cleanup(const std::string& ns) {
  auto lock = store.lock();
  auto ns_info = registry.find("", "v1", "namespaces");
  const ojson* nsobj = store.get(ns_info->group_resource(), ns);
  if (!nsobj || !(*nsobj)["metadata"].contains("deletionTimestamp")) return;
  size_t remaining = 0;
  for (const auto& info : registry.all()) {
    if (!info->namespaced) continue;
    auto items = store.list(info->group_resource(), ns + "/");
    remaining += items.size();
    for (const auto& [key, obj] : items) {
      if ((*obj)["metadata"].contains("deletionTimestamp")) continue;
      ojson copy = *obj;
      begin_delete(*info, copy, "Background");
    }
  }
  remaining = 0;
  std::vector<std::string> by_resource;
  std::map<std::string, int> by_finalizer;
  for (const auto& info : registry.all()) {
    if (!info->namespaced) continue;
    auto items = store.list(info->group_resource(), ns + "/");
    remaining += items.size();
    if (!items.empty()) {
      by_resource.push_back(info->plural + "." + info->group + " has " +
                            std::to_string(items.size()) + " resource instances");
    }
    for (const auto& [key, obj] : items) {
      for (const auto& f : (*obj)["metadata"].value("finalizers", ojson::array())) {
        if (f.is_string()) ++by_finalizer[f.get<std::string>()];
      }
    }
  }
  if (remaining > 0) {
    // What the namespace controller reports while content remains
    // (pkg/controller/namespace/deletion/status_condition_utils.go).
    std::sort(by_resource.begin(), by_resource.end());
    std::vector<std::string> finalizers;
    for (const auto& [f, n] : by_finalizer) {
      finalizers.push_back(f + " in " + std::to_string(n) + " resource instances");
    }
    std::sort(finalizers.begin(), finalizers.end());
    auto join = [](const std::vector<std::string>& parts) {
      std::string out;
      for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
      return out;
    };
    struct Condition {
      const char *type, *status, *reason;
      std::string message;
    };
    std::vector<Condition> wanted = {
        {"NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered",
         "All resources successfully discovered"},
        {"NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions",
         "All legacy kube types successfully parsed"},
        {"NamespaceDeletionContentFailure", "False", "ContentDeleted",
         "All content successfully deleted, may be waiting on finalization"},
        {"NamespaceContentRemaining", "True", "SomeResourcesRemain",
         "Some resources are remaining: " + join(by_resource)},
        finalizers.empty()
            ? Condition{"NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers",
                        "All content-preserving finalizers finished"}
            : Condition{
                  "NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain",
                  "Some content in the namespace has finalizers remaining: " + join(finalizers)}};
    const ojson* current = store.get(ns_info->group_resource(), ns);
    ojson updated = *current;
    ojson old_conditions = updated["status"].value("conditions", ojson::array());
    ojson conditions = ojson::array();
    for (const auto& w : wanted) {
      ojson c = ojson::object();
      c["type"] = w.type;
      c["status"] = w.status;
      c["lastTransitionTime"] = now_rfc3339();
      c["reason"] = w.reason;
      c["message"] = w.message;
      for (const auto& o : old_conditions) {
        if (o.value("type", "") == w.type && o.value("status", "") == w.status) {
          c["lastTransitionTime"] = o["lastTransitionTime"];
        }
      }
      conditions.push_back(c);
    }
    auto without_times = [](ojson cs) {
      for (auto& c : cs) c.erase("lastTransitionTime");
      return cs;
    };
    if (without_times(conditions) != without_times(old_conditions)) {
      updated["status"]["conditions"] = conditions;
      commit_update(*ns_info, *current, updated);
    }
    nsobj = store.get(ns_info->group_resource(), ns);
  }
  if (remaining == 0) {
    ojson copy = *nsobj;
    copy["spec"]["finalizers"] = ojson::array();
    commit_remove(*ns_info, copy);
  } else {
    scheduler.after(std::chrono::milliseconds(50), [this, ns] { run_namespace_cleanup(ns); });
  }
}

// ---- garbage collector ----------------------------------------------------------------------

void ApiServer::Impl::schedule_gc() {
  if (gc_scheduled) return;
  gc_scheduled = true;
  scheduler.after(opts.gc_delay, [this] { run_gc(); });
}

void ApiServer::Impl::run_gc() {
  auto lock = store.lock();
  gc_scheduled = false;
  struct Entry {
    std::shared_ptr<const ResourceType> info;
    ojson obj;
  };
  std::map<std::string, Entry> by_uid;
  for (const auto& info : registry.all()) {
    for (const auto& [key, obj] : store.list(info->group_resource())) {
      by_uid[(*obj)["metadata"].value("uid", "")] = Entry{info, *obj};
    }
  }
  auto has_finalizer = [](const ojson& obj, const std::string& f) {
    const auto& m = obj["metadata"];
    if (!m.contains("deletionTimestamp") || !m.contains("finalizers")) return false;
    for (const auto& x : m["finalizers"]) {
      if (x == f) return true;
    }
    return false;
  };
  bool changed = false;
  std::set<std::string> referenced;  // owner uids that still have dependents
  for (auto& [uid, e] : by_uid) {
    const auto& m = e.obj["metadata"];
    if (!m.contains("ownerReferences") || !m["ownerReferences"].is_array() ||
        m["ownerReferences"].empty()) {
      continue;
    }
    ojson kept = ojson::array();
    bool any_owner = false, delete_now = false;
    for (const auto& ref : m["ownerReferences"]) {
      std::string owner_uid = ref.value("uid", "");
      auto it = by_uid.find(owner_uid);
      if (it == by_uid.end()) continue;  // owner gone: dangling reference
      any_owner = true;
      if (has_finalizer(it->second.obj, "orphan")) continue;  // orphaned: drop the reference
      kept.push_back(ref);
      referenced.insert(owner_uid);
      if (has_finalizer(it->second.obj, "foregroundDeletion")) delete_now = true;
    }
    if (m.contains("deletionTimestamp")) continue;
    if (!any_owner || delete_now) {
      // Every owner is gone (background cascade) or one is deleted in the foreground.
      begin_delete(*e.info, e.obj, "Background");
      changed = true;
    } else if (kept.size() != m["ownerReferences"].size()) {
      ojson updated = e.obj;
      if (kept.empty()) {
        updated["metadata"].erase("ownerReferences");
      } else {
        updated["metadata"]["ownerReferences"] = kept;
      }
      commit_update(*e.info, e.obj, updated);
      changed = true;
    }
  }
  // Owners waiting for their dependents (Foreground) or for orphaning (Orphan).
  for (auto& [uid, e] : by_uid) {
    for (const char* f : {"foregroundDeletion", "orphan"}) {
      if (!has_finalizer(e.obj, f) || referenced.count(uid)) continue;
      const ojson* cur =
          store.get(e.info->group_resource(),
                    Store::key(e.info->namespaced ? e.obj["metadata"].value("namespace", "") : "",
                               e.obj["metadata"].value("name", "")));
      if (!cur) continue;
      ojson updated = *cur;
      ojson fins = ojson::array();
      for (const auto& x : updated["metadata"]["finalizers"]) {
        if (x != f) fins.push_back(x);
      }
      updated["metadata"]["finalizers"] = fins;
      commit_update(*e.info, *cur, updated);
      changed = true;
    }
  }
  if (changed) schedule_gc();
}

}  // namespace kftenant::testserver
