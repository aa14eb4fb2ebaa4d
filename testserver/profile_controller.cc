// The simulated Kubeflow profile controller (Options::simulate_profile_controller): one Reconcile
// of kubeflow/kubeflow@v1.10.0 components/profile-controller/controllers/profile_controller.go
// (= kubeflow/dashboard main), played against the store on the scheduler thread.
// What it does and does not copy: ../shared/reference/kubeflow-contract.md §2 and
// testserver/README.md.
//
// Work queue: like controller-runtime's For(Profile).Owns(Namespace, AuthorizationPolicy,
// ServiceAccount, RoleBinding), a change of a Profile, or of an object whose controller
// ownerReference is a Profile, queues that Profile's name; one reconcile per name is pending at
// a time. Where the real controller returns an error (and is requeued with backoff), this one
// retries with a doubling delay.
#include <algorithm>

#include "testserver/profile_objects.h"
#include "testserver/server_impl.h"
#include "testserver/typing.h"

namespace kftenant::testserver {
namespace {

using namespace profile_objects;  // NOLINT: the controller's vocabulary

constexpr std::chrono::milliseconds kMaxRetryDelay{5000};

bool is_profile(const ResourceType& info) {
  return info.group == "kubeflow.org" && info.kind == "Profile";
}

// Kinds the controller Owns() (events on them are mapped to the controlling Profile).
bool is_owned_kind(const ResourceType& info) {
  return (info.group.empty() && (info.kind == "Namespace" || info.kind == "ServiceAccount")) ||
         (info.group == "security.istio.io" && info.kind == "AuthorizationPolicy") ||
         (info.group == "rbac.authorization.k8s.io" && info.kind == "RoleBinding");
}

const ojson& metadata(const ojson& obj) {
  static const ojson empty = ojson::object();
  auto it = obj.find("metadata");
  return it != obj.end() && it->is_object() ? *it : empty;
}

// The name of the Profile in `obj`'s controller ownerReference, or "".
std::string controlling_profile(const ojson& obj) {
  const ojson& m = metadata(obj);
  auto refs = m.find("ownerReferences");
  if (refs == m.end() || !refs->is_array()) return "";
  for (const auto& ref : *refs) {
    if (!ref.is_object() || !ref.value("controller", false)) continue;
    std::string api_version = ref.value("apiVersion", "");
    if (ref.value("kind", "") == "Profile" && api_version.rfind("kubeflow.org/", 0) == 0) {
      return ref.value("name", "");
    }
  }
  return "";
}

bool has_string(const ojson& list, const std::string& s) {
  if (!list.is_array()) return false;
  return std::any_of(list.begin(), list.end(), [&](const ojson& x) { return x == s; });
}

}  // namespace

void ApiServer::Impl::profile_controller_notice(const ResourceType& info, const ojson& obj) {
  if (!opts.simulate_profile_controller) return;
  std::string name;
  if (is_profile(info)) {
    name = metadata(obj).value("name", "");
  } else if (is_owned_kind(info)) {
    name = controlling_profile(obj);
  }
  if (!name.empty()) enqueue_profile(name, opts.profile_controller_delay);
}

void ApiServer::Impl::enqueue_profile(const std::string& name, std::chrono::milliseconds delay) {
  if (!opts.simulate_profile_controller || stopping) return;
  auto at = std::chrono::steady_clock::now() + delay;
  auto it = pending_profiles.find(name);
  if (it != pending_profiles.end() && it->second.at <= at) return;  // one is due sooner
  uint64_t token = ++next_profile_token;
  pending_profiles[name] = PendingReconcile{token, at};
  scheduler.after(delay, [this, name, token] {
    auto lock = store.lock();
    auto p = pending_profiles.find(name);
    if (p == pending_profiles.end() || p->second.token != token) return;  // superseded
    pending_profiles.erase(p);
    if (profile_controller_paused) return;  // resuming enqueues every Profile
    ReconcileOutcome outcome = reconcile_profile(name);
    ++profile_reconciles[name];
    ++profile_reconciles[""];
    if (outcome == ReconcileOutcome::kRetry) {
      int failures = ++profile_failures[name];
      std::chrono::milliseconds backoff =
          std::max(opts.profile_controller_delay, std::chrono::milliseconds(10)) *
          (int64_t{1} << std::min(failures, 16));
      enqueue_profile(name, std::min(backoff, kMaxRetryDelay));
    } else {
      profile_failures.erase(name);
    }
  });
}

void ApiServer::Impl::enqueue_all_profiles() {
  auto info = registry.find_group_resource("profiles.kubeflow.org");
  if (!info) return;
  for (const auto& [key, obj] : store.list(info->group_resource())) {
    enqueue_profile(key, opts.profile_controller_delay);
  }
}

ApiServer::Impl::ReconcileOutcome ApiServer::Impl::reconcile_profile(const std::string& name) {
  using Outcome = ReconcileOutcome;
  auto profile_info = registry.find_group_resource("profiles.kubeflow.org");
  if (!profile_info) return Outcome::kDone;
  // The real controller cannot start while the AuthorizationPolicy kind it Owns() is unknown
  // ("no matches for kind"): it crash-loops until the Istio CRDs exist.
  auto policy_info = registry.find_group_resource("authorizationpolicies.security.istio.io");
  if (!policy_info) return Outcome::kRetry;
  const ojson* found_profile = store.get(profile_info->group_resource(), name);
  if (!found_profile) return Outcome::kDone;  // deleted: the garbage collector does the rest
  const ojson profile = *found_profile;       // a copy: commits move the stored objects
  const ojson& spec = profile.contains("spec") ? profile["spec"] : ojson::object();
  const ojson owner = spec.is_object() ? spec.value("owner", ojson::object()) : ojson::object();
  // The CRD schema types are not enforced by this server: read the name defensively.
  const std::string owner_name =
      owner.is_object() && owner.contains("name") && owner["name"].is_string()
          ? owner["name"].get<std::string>()
          : "";
  const ojson owner_ref = controller_reference(profile);

  auto ns_info = registry.find("", "v1", "namespaces");
  auto sa_info = registry.find("", "v1", "serviceaccounts");
  auto quota_info = registry.find("", "v1", "resourcequotas");
  auto binding_info = registry.find("rbac.authorization.k8s.io", "v1", "rolebindings");

  // Writes go through the defaulting a request gets (e.g. RBAC subjects' apiGroup), so that
  // rewriting an unchanged object is a no-op commit.
  auto create = [&](const ResourceType& info, ojson obj) {
    apply_defaults(info, obj);
    reset_status_on_create(info, obj);
    commit_create(info, std::move(obj));
  };
  auto update = [&](const ResourceType& info, const ojson& old, ojson obj) {
    apply_defaults(info, obj);
    commit_update(info, old, std::move(obj));
  };

  // ---- the Namespace (steps 2-5) ----
  const ojson* found_ns = store.get(ns_info->group_resource(), name);
  if (!found_ns) {
    ojson labels = {{"istio-injection", "enabled"}};
    merge_default_labels(labels, opts.profile_namespace_labels);
    ojson ns = {{"apiVersion", "v1"},
                {"kind", "Namespace"},
                {"metadata",
                 {{"name", name},
                  {"annotations", {{"owner", owner_name}}},
                  {"labels", labels},
                  {"ownerReferences", ojson::array({owner_ref})}}}};
    // Not a DNS-1123 label: the real Create fails with 422 and is requeued forever; nothing
    // observable happens either way.
    if (!validate_object_name(ns["metadata"], NameRule::kDns1123Label).empty()) {
      return Outcome::kDone;
    }
    create(*ns_info, std::move(ns));
  } else {
    const ojson& m = metadata(*found_ns);
    const ojson annotations = m.value("annotations", ojson::object());
    if (!annotations.contains("owner") || annotations["owner"] != owner_name) {
      // appendErrorConditionAndReturn: a Failed condition written with Update() (not the status
      // subresource), which the API server drops. Not requeued.
      return Outcome::kDone;
    }
    // Creating content in a terminating namespace fails (403 NamespaceTerminating): requeued
    // until the namespace is gone, then it is created anew.
    if (m.contains("deletionTimestamp")) return Outcome::kRetry;
    ojson updated = *found_ns;
    ojson labels = m.value("labels", ojson::object());
    merge_default_labels(labels, opts.profile_namespace_labels);
    updated["metadata"]["labels"] = labels;
    update(*ns_info, *found_ns, updated);  // a no-op when nothing changed
  }

  // ---- AuthorizationPolicy ns-owner-access-istio (step 6) ----
  {
    ojson want_spec = authorization_policy_spec(name, owner_name, opts.profile_userid_header,
                                                opts.profile_userid_prefix);
    const ojson* found =
        store.get(policy_info->group_resource(), Store::key(name, kAuthorizationPolicyName));
    if (!found) {
      create(*policy_info, {{"apiVersion", "security.istio.io/v1beta1"},
                            {"kind", "AuthorizationPolicy"},
                            {"metadata",
                             {{"name", kAuthorizationPolicyName},
                              {"namespace", name},
                              {"annotations", {{"user", owner_name}, {"role", "admin"}}},
                              {"ownerReferences", ojson::array({owner_ref})}}},
                            {"spec", want_spec}});
    } else if (comparable_policy_spec(found->value("spec", ojson::object())) !=
               comparable_policy_spec(want_spec)) {
      ojson updated = *found;
      updated["spec"] = want_spec;  // only .spec: annotations stay as they were
      update(*policy_info, *found, updated);
    }
  }

  // updateRoleBinding: create, or rewrite roleRef/subjects when they differ (never annotations).
  auto update_role_binding = [&](const std::string& binding_name, const ojson& annotations,
                                 const std::string& cluster_role, const ojson& subject) {
    ojson role_ref = {
        {"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", cluster_role}};
    ojson subjects = ojson::array({subject});
    const ojson* found = store.get(binding_info->group_resource(), Store::key(name, binding_name));
    if (!found) {
      ojson meta = {{"name", binding_name}, {"namespace", name}};
      if (!annotations.empty()) meta["annotations"] = annotations;
      meta["ownerReferences"] = ojson::array({owner_ref});
      create(*binding_info, {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                             {"kind", "RoleBinding"},
                             {"metadata", meta},
                             {"subjects", subjects},
                             {"roleRef", role_ref}});
      return;
    }
    if (sorted(found->value("roleRef", ojson())) == sorted(role_ref) &&
        sorted(found->value("subjects", ojson())) == sorted(subjects)) {
      return;
    }
    ojson updated = *found;
    updated["roleRef"] = role_ref;
    updated["subjects"] = subjects;
    update(*binding_info, *found, updated);
  };

  // ---- ServiceAccounts default-editor / default-viewer and their RoleBindings (step 7) ----
  for (const auto& [sa_name, cluster_role] :
       {std::pair<const char*, const char*>{"default-editor", "kubeflow-edit"},
        std::pair<const char*, const char*>{"default-viewer", "kubeflow-view"}}) {
    if (!store.get(sa_info->group_resource(), Store::key(name, sa_name))) {
      create(*sa_info, {{"apiVersion", "v1"},
                        {"kind", "ServiceAccount"},
                        {"metadata",
                         {{"name", sa_name},
                          {"namespace", name},
                          {"ownerReferences", ojson::array({owner_ref})}}}});
    }
    update_role_binding(sa_name, ojson::object(), cluster_role,
                        {{"kind", "ServiceAccount"}, {"name", sa_name}, {"namespace", name}});
  }

  // ---- RoleBinding namespaceAdmin (step 8) ----
  update_role_binding(kNamespaceAdmin, {{"user", owner_name}, {"role", "admin"}}, "kubeflow-admin",
                      owner_subject(owner));

  // ---- ResourceQuota kf-resource-quota (step 9) ----
  {
    ojson want = quota_spec(spec.is_object() ? spec.value("resourceQuotaSpec", ojson::object())
                                             : ojson::object());
    const ojson* found = store.get(quota_info->group_resource(), Store::key(name, kQuotaName));
    bool wanted = want.contains("hard") && want["hard"].is_object() && !want["hard"].empty();
    if (wanted && !found) {
      create(*quota_info, {{"apiVersion", "v1"},
                           {"kind", "ResourceQuota"},
                           {"metadata",
                            {{"name", kQuotaName},
                             {"namespace", name},
                             {"ownerReferences", ojson::array({owner_ref})}}},
                           {"spec", want}});
    } else if (wanted && sorted(found->value("spec", ojson::object())) != sorted(want)) {
      ojson updated = *found;
      updated["spec"] = want;
      update(*quota_info, *found, updated);
    } else if (!wanted && found) {
      begin_delete(*quota_info, *found, "");
    }
  }

  // Steps 10-11 (PatchDefaultPluginSpec without -workload-identity is a no-op Update; plugins)
  // are not simulated.

  // ---- the finalizer (step 12) ----
  const ojson* current = store.get(profile_info->group_resource(), name);
  if (!current) return Outcome::kDone;
  const ojson& pm = metadata(*current);
  ojson finalizers = pm.value("finalizers", ojson::array());
  if (!pm.contains("deletionTimestamp")) {
    if (!has_string(finalizers, kFinalizer)) {
      ojson updated = *current;
      finalizers.push_back(kFinalizer);
      updated["metadata"]["finalizers"] = finalizers;
      commit_update(*profile_info, *current, updated);
    }
  } else if (has_string(finalizers, kFinalizer)) {
    ojson kept = ojson::array();
    for (const auto& f : finalizers) {
      if (f != kFinalizer) kept.push_back(f);
    }
    ojson updated = *current;
    updated["metadata"]["finalizers"] = kept;
    commit_update(*profile_info, *current, updated);  // removes the Profile when none is left
  }
  return Outcome::kDone;
}

}  // namespace kftenant::testserver
