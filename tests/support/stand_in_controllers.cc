#include "support/stand_in_controllers.h"

#include <algorithm>
#include <ctime>

#include "kftenant/kube/resource.h"
#include "testserver/profile_objects.h"
#include "testserver/typing.h"

namespace kftenant::testing {
namespace res = kube::resources;
using testserver::sorted;
using namespace testserver::profile_objects;  // NOLINT: the controller's vocabulary
using json = nlohmann::json;

namespace {

// j at `pointer`, or `fallback` when anything on the way is missing.
nlohmann::json at_or(const nlohmann::json& j, const char* pointer, nlohmann::json fallback) {
  const nlohmann::json::json_pointer ptr(pointer);
  return j.contains(ptr) ? j.at(ptr) : fallback;
}

std::unique_ptr<kube::Client> admin_client(kube::RestConfig config) {
  kube::ClientOptions options;
  options.qps = 0;  // a controller on loopback: no client-side rate limit
  options.request_timeout = std::chrono::milliseconds(10000);
  auto client = kube::Client::create(config, options);
  return client ? std::move(*client) : nullptr;
}

int64_t int_at(const json& j, const char* pointer, int64_t fallback) {
  const json::json_pointer ptr(pointer);
  if (!j.contains(ptr)) return fallback;
  const json& v = j.at(ptr);
  return v.is_number_integer() ? v.get<int64_t>() : fallback;
}

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

ojson to_ojson(const json& j) {
  return ojson::parse(j.dump());
}
json to_json(const ojson& j) {
  return json::parse(j.dump());
}

// The kubeflow/manifests namespace-labels.yaml defaults (the simulated controller's defaults).
const std::map<std::string, std::string>& namespace_labels() {
  static const std::map<std::string, std::string> kLabels = {
      {"app.kubernetes.io/part-of", "kubeflow-profile"},
      {"katib.kubeflow.org/metrics-collector-injection", "enabled"},
      {"pipelines.kubeflow.org/enabled", "true"},
      {"serving.kubeflow.org/inferenceservice", "enabled"}};
  return kLabels;
}

}  // namespace

// ---- rollout ------------------------------------------------------------------------------

StandInRolloutController::StandInRolloutController(kube::RestConfig admin, std::string ns,
                                                   std::string name,
                                                   std::chrono::milliseconds delay)
    : client_(admin_client(std::move(admin))),
      ns_(std::move(ns)),
      name_(std::move(name)),
      delay_(delay),
      thread_([this](std::stop_token stop) { run(stop); }) {}

StandInRolloutController::~StandInRolloutController() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void StandInRolloutController::run(std::stop_token stop) {
  if (!client_) return;
  while (!stop.stop_requested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    try {
      round();
    } catch (const std::exception&) {
      // An object of unexpected shape (a test's doing): the next round looks again.
    }
  }
}

void StandInRolloutController::round() {
  {
    auto d = client_->get(res::kDeployments, ns_, name_);
    if (!d) return;
    const int64_t generation = int_at(*d, "/metadata/generation", 1);
    const int64_t replicas = int_at(*d, "/spec/replicas", 1);
    if (int_at(*d, "/status/observedGeneration", 0) == generation &&
        int_at(*d, "/status/updatedReplicas", 0) == replicas) {
      return;
    }
    std::this_thread::sleep_for(delay_);
    auto fresh = client_->get(res::kDeployments, ns_, name_);
    if (!fresh || int_at(*fresh, "/metadata/generation", 1) != generation) {
      return;  // changed again: the next round sees the newest generation
    }
    const std::string now = now_rfc3339();
    json st = {{"observedGeneration", generation}};
    if (replicas > 0) {
      st["replicas"] = replicas;
      st["updatedReplicas"] = replicas;
      st["readyReplicas"] = replicas;
      st["availableReplicas"] = replicas;
    }
    st["conditions"] =
        json::array({{{"type", "Available"},
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
                      {"message", "ReplicaSet \"" + name_ + "\" has successfully progressed."}}});
    (*fresh)["status"] = st;
    (void)client_->replace_status(res::kDeployments, ns_, *fresh);  // 409: next round
  }
}

// ---- profiles -----------------------------------------------------------------------------

StandInProfileController::StandInProfileController(kube::RestConfig admin,
                                                   std::chrono::milliseconds period)
    : client_(admin_client(std::move(admin))),
      period_(period),
      thread_([this](std::stop_token stop) { run(stop); }) {}

StandInProfileController::~StandInProfileController() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void StandInProfileController::run(std::stop_token stop) {
  if (!client_) return;
  while (!stop.stop_requested()) {
    std::this_thread::sleep_for(period_);
    if (paused_) continue;
    auto list = client_->list(res::kProfiles, "");
    if (list) {
      for (const auto& p : list->value("items", json::array())) {
        if (stop.stop_requested() || paused_) break;
        try {
          reconcile(p);
        } catch (const std::exception&) {
          // A Profile of unexpected shape: the real controller's decoding would fail too.
        }
      }
    }
    ++passes_;
  }
}

// One Reconcile of profile_controller.go, in the order of testserver/profile_controller.cc.
// Errors end the pass for this Profile; the next pass retries (the real one requeues).
void StandInProfileController::reconcile(const json& profile_json) {
  const ojson profile = to_ojson(profile_json);
  const std::string name = profile["metadata"].value("name", "");
  const ojson spec = profile.value("spec", ojson::object());
  const ojson owner = spec.is_object() ? spec.value("owner", ojson::object()) : ojson::object();
  const std::string owner_name =
      owner.is_object() && owner.contains("name") && owner["name"].is_string()
          ? owner["name"].get<std::string>()
          : "";
  const ojson owner_ref = controller_reference(profile);
  const bool deleting = profile["metadata"].contains("deletionTimestamp");

  if (!deleting) {
    // ---- the Namespace ----
    auto ns = client_->get(res::kNamespaces, "", name);
    if (!ns && ns.error().code != ErrorCode::kNotFound) return;
    if (!ns) {
      ojson labels = {{"istio-injection", "enabled"}};
      merge_default_labels(labels, namespace_labels());
      ojson obj = {{"apiVersion", "v1"},
                   {"kind", "Namespace"},
                   {"metadata",
                    {{"name", name},
                     {"annotations", {{"owner", owner_name}}},
                     {"labels", labels},
                     {"ownerReferences", ojson::array({owner_ref})}}}};
      if (!client_->create(res::kNamespaces, "", to_json(obj))) return;
    } else {
      const json annotations = at_or(*ns, "/metadata/annotations", json::object());
      if (annotations.value("owner", std::string("\x01")) != owner_name) return;    // not ours
      if (ns->contains(json::json_pointer("/metadata/deletionTimestamp"))) return;  // retry
      ojson labels = to_ojson(at_or(*ns, "/metadata/labels", json::object()));
      ojson merged = labels;
      merge_default_labels(merged, namespace_labels());
      if (sorted(merged) != sorted(labels)) {
        json updated = *ns;
        updated["metadata"]["labels"] = to_json(merged);
        if (!client_->replace(res::kNamespaces, "", updated)) return;
      }
    }

    // ---- AuthorizationPolicy ----
    const ojson want_policy = authorization_policy_spec(name, owner_name, "kubeflow-userid", "");
    auto policy = client_->get(res::kAuthorizationPolicies, name, kAuthorizationPolicyName);
    if (!policy && policy.error().code == ErrorCode::kNotFound) {
      ojson obj = {{"apiVersion", "security.istio.io/v1beta1"},
                   {"kind", "AuthorizationPolicy"},
                   {"metadata",
                    {{"name", kAuthorizationPolicyName},
                     {"namespace", name},
                     {"annotations", {{"user", owner_name}, {"role", "admin"}}},
                     {"ownerReferences", ojson::array({owner_ref})}}},
                   {"spec", want_policy}};
      (void)client_->create(res::kAuthorizationPolicies, name, to_json(obj));
    } else if (policy && comparable_policy_spec(to_ojson(policy->value("spec", json::object()))) !=
                             comparable_policy_spec(want_policy)) {
      json updated = *policy;
      updated["spec"] = to_json(want_policy);
      (void)client_->replace(res::kAuthorizationPolicies, name, updated);
    }

    auto update_role_binding = [&](const std::string& binding, const ojson& annotations,
                                   const std::string& cluster_role, const ojson& subject) {
      ojson role_ref = {{"apiGroup", "rbac.authorization.k8s.io"},
                        {"kind", "ClusterRole"},
                        {"name", cluster_role}};
      ojson subjects = ojson::array({subject});
      auto found = client_->get(res::kRoleBindings, name, binding);
      if (!found && found.error().code == ErrorCode::kNotFound) {
        ojson meta = {{"name", binding}, {"namespace", name}};
        if (!annotations.empty()) meta["annotations"] = annotations;
        meta["ownerReferences"] = ojson::array({owner_ref});
        (void)client_->create(res::kRoleBindings, name,
                              to_json({{"apiVersion", "rbac.authorization.k8s.io/v1"},
                                       {"kind", "RoleBinding"},
                                       {"metadata", meta},
                                       {"subjects", subjects},
                                       {"roleRef", role_ref}}));
        return;
      }
      if (!found) return;
      // The API server defaults a User/Group subject's apiGroup: compare with it set.
      ojson want_subjects = subjects;
      for (auto& s : want_subjects) {
        if (s.value("kind", "") != "ServiceAccount" && !s.contains("apiGroup"))
          s["apiGroup"] = "rbac.authorization.k8s.io";
      }
      if (sorted(to_ojson(found->value("roleRef", json()))) == sorted(role_ref) &&
          sorted(to_ojson(found->value("subjects", json()))) == sorted(want_subjects)) {
        return;
      }
      json updated = *found;
      updated["roleRef"] = to_json(role_ref);
      updated["subjects"] = to_json(subjects);
      (void)client_->replace(res::kRoleBindings, name, updated);
    };

    // ---- ServiceAccounts default-editor / default-viewer and their RoleBindings ----
    for (const auto& [sa, role] :
         {std::pair<const char*, const char*>{"default-editor", "kubeflow-edit"},
          std::pair<const char*, const char*>{"default-viewer", "kubeflow-view"}}) {
      auto found = client_->get(res::kServiceAccounts, name, sa);
      if (!found && found.error().code == ErrorCode::kNotFound) {
        (void)client_->create(res::kServiceAccounts, name,
                              to_json({{"apiVersion", "v1"},
                                       {"kind", "ServiceAccount"},
                                       {"metadata",
                                        {{"name", sa},
                                         {"namespace", name},
                                         {"ownerReferences", ojson::array({owner_ref})}}}}));
      }
      update_role_binding(sa, ojson::object(), role,
                          {{"kind", "ServiceAccount"}, {"name", sa}, {"namespace", name}});
    }

    // ---- RoleBinding namespaceAdmin ----
    update_role_binding(kNamespaceAdmin, {{"user", owner_name}, {"role", "admin"}},
                        "kubeflow-admin", owner_subject(owner));

    // ---- ResourceQuota kf-resource-quota ----
    const ojson want_quota = quota_spec(
        spec.is_object() ? spec.value("resourceQuotaSpec", ojson::object()) : ojson::object());
    const bool wanted = want_quota.contains("hard") && want_quota["hard"].is_object() &&
                        !want_quota["hard"].empty();
    auto quota = client_->get(res::kResourceQuotas, name, kQuotaName);
    const bool found_quota = static_cast<bool>(quota);
    if (wanted && !found_quota) {
      (void)client_->create(res::kResourceQuotas, name,
                            to_json({{"apiVersion", "v1"},
                                     {"kind", "ResourceQuota"},
                                     {"metadata",
                                      {{"name", kQuotaName},
                                       {"namespace", name},
                                       {"ownerReferences", ojson::array({owner_ref})}}},
                                     {"spec", want_quota}}));
    } else if (wanted &&
               sorted(to_ojson(quota->value("spec", json::object()))) != sorted(want_quota)) {
      json updated = *quota;
      updated["spec"] = to_json(want_quota);
      (void)client_->replace(res::kResourceQuotas, name, updated);
    } else if (!wanted && found_quota) {
      (void)client_->remove(res::kResourceQuotas, name, kQuotaName);
    }
  }

  // ---- the finalizer ----
  auto current = client_->get(res::kProfiles, "", name);
  if (!current) return;
  json finalizers = at_or(*current, "/metadata/finalizers", json::array());
  const bool has = std::find(finalizers.begin(), finalizers.end(), kFinalizer) != finalizers.end();
  if (!current->contains(json::json_pointer("/metadata/deletionTimestamp"))) {
    if (!has) {
      finalizers.push_back(kFinalizer);
      (*current)["metadata"]["finalizers"] = finalizers;
      (void)client_->replace(res::kProfiles, "", *current);
    }
  } else if (has) {
    json kept = json::array();
    for (const auto& f : finalizers)
      if (f != kFinalizer) kept.push_back(f);
    (*current)["metadata"]["finalizers"] = kept;
    (void)client_->replace(res::kProfiles, "", *current);
  }
}

}  // namespace kftenant::testing
