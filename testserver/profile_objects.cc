// See profile_objects.h.
#include "testserver/profile_objects.h"

#include <algorithm>

#include "testserver/typing.h"

namespace kftenant::testserver::profile_objects {
namespace {

const ojson& metadata(const ojson& obj) {
  static const ojson kEmpty = ojson::object();
  auto it = obj.find("metadata");
  return it != obj.end() && it->is_object() ? *it : kEmpty;
}

// getAuthorizationPolicy defaults (ISTIO_INGRESS_GATEWAY_PRINCIPAL, KFP_UI_PRINCIPAL,
// NOTEBOOK_CONTROLLER_PRINCIPAL unset).
constexpr const char* kIngressGatewayPrincipal =
    "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";
constexpr const char* kPipelineUiPrincipal = "cluster.local/ns/kubeflow/sa/ml-pipeline-ui";
constexpr const char* kNotebookControllerPrincipal =
    "cluster.local/ns/kubeflow/sa/notebook-controller-service-account";

}  // namespace

// controllerutil.SetControllerReference(profile, obj): the Profile's v1 GVK (the controller's
// scheme registers kubeflow.org/v1).
ojson controller_reference(const ojson& profile) {
  const ojson& m = metadata(profile);
  return {{"apiVersion", "kubeflow.org/v1"}, {"kind", "Profile"},  {"name", m.value("name", "")},
          {"uid", m.value("uid", "")},       {"controller", true}, {"blockOwnerDeletion", true}};
}

// setNamespaceLabels: a default is added only when absent; "" removes the key.
void merge_default_labels(ojson& labels, const std::map<std::string, std::string>& defaults) {
  if (!labels.is_object()) labels = ojson::object();
  for (const auto& [k, v] : defaults) {
    if (v.empty()) {
      labels.erase(k);
    } else if (!labels.contains(k)) {
      labels[k] = v;
    }
  }
}

// getAuthorizationPolicy, as the API server stores it: the istio types marshal with jsonpb
// (zero values omitted), so `action: ALLOW` (enum 0) and the nil selector do not appear.
ojson authorization_policy_spec(const std::string& profile, const std::string& owner,
                                const std::string& userid_header,
                                const std::string& userid_prefix) {
  ojson owner_rule = {
      {"from",
       ojson::array(
           {{{"source",
              {{"principals", ojson::array({kIngressGatewayPrincipal, kPipelineUiPrincipal})}}}}})},
      {"when", ojson::array({{{"key", "request.headers[" + userid_header + "]"},
                              {"values", ojson::array({userid_prefix + owner})}}})}};
  ojson same_namespace = {
      {"when", ojson::array({{{"key", "source.namespace"}, {"values", ojson::array({profile})}}})}};
  ojson knative_probes = {
      {"to",
       ojson::array({{{"operation",
                       {{"paths", ojson::array({"/healthz", "/metrics", "/wait-for-drain"})}}}}})}};
  ojson notebook_kernels = {
      {"from", ojson::array(
                   {{{"source", {{"principals", ojson::array({kNotebookControllerPrincipal})}}}}})},
      {"to", ojson::array({{{"operation",
                             {{"methods", ojson::array({"GET"})},
                              {"paths", ojson::array({"*/api/kernels"})}}}}})}};
  return {{"rules", ojson::array({owner_rule, same_namespace, knative_probes, notebook_kernels})}};
}

// The typed value the controller compares (reflect.DeepEqual on the istio struct): an explicit
// `action: ALLOW` equals the omitted zero value.
ojson comparable_policy_spec(ojson spec) {
  if (spec.is_object() && spec.value("action", "") == "ALLOW") spec.erase("action");
  return sorted(spec);
}

// rbacv1.Subject from the Profile's spec.owner: only the Subject fields survive decoding.
ojson owner_subject(const ojson& owner) {
  ojson s = ojson::object();
  for (const char* f : {"kind", "apiGroup", "name", "namespace"}) {
    if (owner.is_object() && owner.contains(f) && owner[f].is_string() &&
        !owner[f].get<std::string>().empty()) {
      s[f] = owner[f];
    }
  }
  return s;
}

// corev1.ResourceQuotaSpec from the Profile's spec.resourceQuotaSpec.
ojson quota_spec(const ojson& spec) {
  ojson out = ojson::object();
  if (!spec.is_object()) return out;
  for (const char* f : {"hard", "scopes", "scopeSelector"}) {
    if (spec.contains(f) && !spec[f].is_null()) out[f] = spec[f];
  }
  return out;
}

}  // namespace kftenant::testserver::profile_objects
