#include "testserver/seed_kubeflow.h"

#include <string>
#include <tuple>

#include "kftenant/base64.h"

namespace kftenant::testserver {

namespace {

using nlohmann::json;

// kubeflow/manifests common/dex/overlays/oauth2-proxy/config-map.yaml, data["config.yaml"]: the
// block scalar's content with its indentation removed. 26.03 replaced the literal `hash:` (and
// its FIXME comments) with `hashFromEnv: DEX_USER_PASSWORD`.
constexpr std::string_view kDexConfig = R"yaml(issuer: http://dex.auth.svc.cluster.local:5556/dex
storage:
  type: kubernetes
  config:
    inCluster: true
web:
  http: 0.0.0.0:5556
logger:
  level: "debug"
  format: text
oauth2:
  skipApprovalScreen: true
enablePasswordDB: true
staticPasswords:
- email: user@example.com
  hashFromEnv: DEX_USER_PASSWORD
  username: user
  userID: "15841185641784"
staticClients:
# https://github.com/dexidp/dex/pull/1664
- idEnv: OIDC_CLIENT_ID
  redirectURIs: ["/oauth2/callback"]
  name: 'Dex Login Application'
  secretEnv: OIDC_CLIENT_SECRET
)yaml";

// common/dex/base/secret_params.env (secretGenerator dex-oidc-client).
constexpr std::string_view kOidcClientId = "kubeflow-oidc-authservice";
constexpr std::string_view kOidcClientSecret = "pUBnBOY80SnXgjibTYM9ZWNzY2xreNGQok";

json namespace_object(const char* name) {
  return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
}

// kubeflow/manifests applications/profiles/upstream/crd/bases/kubeflow.org_profiles.yaml
// (controller-gen from profile_types.go; descriptions shortened). v1 and v1beta1 share the schema.
json profile_schema() {
  return json::parse(R"json({
    "description": "Profile is the Schema for the profiles API",
    "type": "object",
    "properties": {
      "apiVersion": {"type": "string"},
      "kind": {"type": "string"},
      "metadata": {"type": "object"},
      "spec": {
        "description": "ProfileSpec defines the desired state of Profile",
        "type": "object",
        "properties": {
          "owner": {
            "description": "The profile owner",
            "type": "object",
            "properties": {
              "apiGroup": {"type": "string"},
              "kind": {"type": "string"},
              "name": {"type": "string"},
              "namespace": {"type": "string"}
            },
            "required": ["kind", "name"],
            "x-kubernetes-map-type": "atomic"
          },
          "plugins": {
            "type": "array",
            "items": {
              "description": "Plugin is for customize actions on different platform.",
              "type": "object",
              "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
              }
            }
          },
          "resourceQuotaSpec": {
            "description": "Resourcequota that will be applied to target namespace",
            "type": "object",
            "properties": {
              "hard": {
                "type": "object",
                "additionalProperties": {
                  "anyOf": [{"type": "integer"}, {"type": "string"}],
                  "pattern": "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$",
                  "x-kubernetes-int-or-string": true
                }
              },
              "scopeSelector": {
                "type": "object",
                "properties": {
                  "matchExpressions": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "properties": {
                        "operator": {"type": "string"},
                        "scopeName": {"type": "string"},
                        "values": {"type": "array", "items": {"type": "string"}}
                      },
                      "required": ["operator", "scopeName"]
                    }
                  }
                },
                "x-kubernetes-map-type": "atomic"
              },
              "scopes": {"type": "array", "items": {"type": "string"}}
            }
          }
        }
      },
      "status": {
        "description": "ProfileStatus defines the observed state of Profile",
        "type": "object",
        "properties": {
          "conditions": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "message": {"type": "string"},
                "status": {"type": "string"},
                "type": {"type": "string"}
              }
            }
          }
        }
      }
    }
  })json");
}

json profiles_crd() {
  auto version = [](const char* name, bool storage) {
    return json{{"name", name},
                {"schema", {{"openAPIV3Schema", profile_schema()}}},
                {"served", true},
                {"storage", storage},
                {"subresources", {{"status", json::object()}}}};
  };
  return {{"apiVersion", "apiextensions.k8s.io/v1"},
          {"kind", "CustomResourceDefinition"},
          {"metadata",
           {{"name", "profiles.kubeflow.org"},
            {"annotations", {{"controller-gen.kubebuilder.io/version", "v0.8.0"}}}}},
          {"spec",
           {{"group", "kubeflow.org"},
            {"names",
             {{"kind", "Profile"},
              {"listKind", "ProfileList"},
              {"plural", "profiles"},
              {"singular", "profile"}}},
            {"scope", "Cluster"},
            {"conversion", {{"strategy", "None"}}},
            {"versions", json::array({version("v1", true), version("v1beta1", false)})}}}};
}

// dexidp/dex storage/kubernetes/types.go customResourceDefinitions: Dex with kubernetes storage
// creates all of them at startup (registerCustomResources), so a Kubeflow cluster has them all.
// Every one is namespaced, v1 only, with a free-form schema. {plural, singular, kind}; the odd
// plurals are Dex's own ("an artifact from the old TPR pluralization").
json dex_crd(const char* plural, const char* singular, const char* kind) {
  return {
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", {{"name", std::string(plural) + ".dex.coreos.com"}}},
      {"spec",
       {{"group", "dex.coreos.com"},
        {"names",
         {{"kind", kind},
          {"listKind", std::string(kind) + "List"},
          {"plural", plural},
          {"singular", singular}}},
        {"scope", "Namespaced"},
        {"versions", json::array({{{"name", "v1"},
                                   {"served", true},
                                   {"storage", true},
                                   {"schema",
                                    {{"openAPIV3Schema",
                                      {{"type", "object"},
                                       {"x-kubernetes-preserve-unknown-fields", true}}}}}}})}}}};
}

std::vector<json> dex_crds() {
  std::vector<json> out;
  for (auto [plural, singular, kind] :
       std::vector<std::tuple<const char*, const char*, const char*>>{
           {"authcodes", "authcode", "AuthCode"},
           {"authrequests", "authrequest", "AuthRequest"},
           {"oauth2clients", "oauth2client", "OAuth2Client"},
           {"signingkeies", "signingkey", "SigningKey"},
           {"refreshtokens", "refreshtoken", "RefreshToken"},
           {"passwords", "password", "Password"},
           {"offlinesessionses", "offlinesessions", "OfflineSessions"},
           {"connectors", "connector", "Connector"},
           {"devicerequests", "devicerequest", "DeviceRequest"},
           {"devicetokens", "devicetoken", "DeviceToken"}}) {
    out.push_back(dex_crd(plural, singular, kind));
  }
  return out;
}

// istio/istio manifests/charts/base/files/crd-all.gen.yaml (schema reduced to free-form spec and
// status); v1 is the storage version, both versions have the status subresource.
json authorization_policies_crd() {
  auto version = [](const char* name, bool storage) {
    return json{{"name", name},
                {"schema",
                 {{"openAPIV3Schema",
                   {{"type", "object"},
                    {"properties",
                     {{"spec",
                       {{"description", "Configuration for access control on workloads."},
                        {"type", "object"},
                        {"x-kubernetes-preserve-unknown-fields", true}}},
                      {"status",
                       {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}}}}},
                {"served", true},
                {"storage", storage},
                {"subresources", {{"status", json::object()}}}};
  };
  return {{"apiVersion", "apiextensions.k8s.io/v1"},
          {"kind", "CustomResourceDefinition"},
          {"metadata",
           {{"name", "authorizationpolicies.security.istio.io"},
            {"labels", {{"app", "istio-pilot"}, {"chart", "istio"}, {"heritage", "Tiller"}}}}},
          {"spec",
           {{"group", "security.istio.io"},
            {"names",
             {{"categories", json::array({"istio-io", "security-istio-io"})},
              {"kind", "AuthorizationPolicy"},
              {"listKind", "AuthorizationPolicyList"},
              {"plural", "authorizationpolicies"},
              {"shortNames", json::array({"ap"})},
              {"singular", "authorizationpolicy"}}},
            {"scope", "Namespaced"},
            {"versions", json::array({version("v1", true), version("v1beta1", false)})}}}};
}

// kubeflow/manifests common/kubeflow-roles/base/cluster-roles.yaml: edit aggregates into admin,
// view into edit.
json kubeflow_cluster_role(const char* role, const char* aggregates_into) {
  json metadata = {{"name", std::string("kubeflow-") + role}};
  if (aggregates_into)
    metadata["labels"] = {
        {std::string("rbac.authorization.kubeflow.org/aggregate-to-kubeflow-") + aggregates_into,
         "true"}};
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRole"},
          {"metadata", metadata},
          {"aggregationRule",
           {{"clusterRoleSelectors",
             json::array(
                 {{{"matchLabels",
                    {{std::string("rbac.authorization.kubeflow.org/aggregate-to-kubeflow-") + role,
                      "true"}}}}})}}},
          {"rules", json::array()}};
}

// kubeflow/manifests common/kubeflow-roles/base/cluster-roles.yaml, the roles that aggregate
// into kubeflow-admin/edit/view: rules verbatim, in the file's order. On a cluster the
// aggregation controller fills the aggregated roles' rules from them (and from whatever other
// component roles carry the aggregate-to-kubeflow-* labels).
constexpr const char* kKubeflowKubernetesAdminRules = R"json([
  {"apiGroups": ["authorization.k8s.io"],
   "resources": ["localsubjectaccessreviews"],
   "verbs": ["create"]},
  {"apiGroups": ["rbac.authorization.k8s.io"],
   "resources": ["rolebindings", "roles"],
   "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]}
])json";

constexpr const char* kKubeflowKubernetesEditRules = R"json([
  {"apiGroups": [""],
   "resources": ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets",
                 "services/proxy"],
   "verbs": ["get", "list", "watch"]},
  {"apiGroups": [""],
   "resources": ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"],
   "verbs": ["create", "delete", "deletecollection", "patch", "update"]},
  {"apiGroups": [""],
   "resources": ["configmaps", "endpoints", "persistentvolumeclaims", "replicationcontrollers",
                 "replicationcontrollers/scale", "secrets", "serviceaccounts", "services",
                 "services/proxy"],
   "verbs": ["create", "delete", "deletecollection", "patch", "update"]},
  {"apiGroups": ["apps"],
   "resources": ["daemonsets", "deployments", "deployments/rollback", "deployments/scale",
                 "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"],
   "verbs": ["create", "delete", "deletecollection", "patch", "update"]},
  {"apiGroups": ["autoscaling"],
   "resources": ["horizontalpodautoscalers"],
   "verbs": ["create", "delete", "deletecollection", "patch", "update"]},
  {"apiGroups": ["batch"],
   "resources": ["cronjobs", "jobs"],
   "verbs": ["create", "delete", "deletecollection", "patch", "update"]},
  {"apiGroups": ["extensions"],
   "resources": ["daemonsets", "deployments", "deployments/rollback", "deployments/scale",
                 "ingresses", "networkpolicies", "replicasets", "replicasets/scale",
                 "replicationcontrollers/scale"],
   "verbs": ["create", "delete", "deletecollection", "patch", "update"]},
  {"apiGroups": ["policy"],
   "resources": ["poddisruptionbudgets"],
   "verbs": ["create", "delete", "deletecollection", "patch", "update"]},
  {"apiGroups": ["networking.k8s.io"],
   "resources": ["ingresses", "networkpolicies"],
   "verbs": ["create", "delete", "deletecollection", "patch", "update"]}
])json";

constexpr const char* kKubeflowKubernetesViewRules = R"json([
  {"apiGroups": [""],
   "resources": ["configmaps", "endpoints", "persistentvolumeclaims",
                 "persistentvolumeclaims/status", "pods", "replicationcontrollers",
                 "replicationcontrollers/scale", "serviceaccounts", "services", "services/status"],
   "verbs": ["get", "list", "watch"]},
  {"apiGroups": [""],
   "resources": ["bindings", "events", "limitranges", "namespaces/status", "pods/log",
                 "pods/status", "replicationcontrollers/status", "resourcequotas",
                 "resourcequotas/status"],
   "verbs": ["get", "list", "watch"]},
  {"apiGroups": [""],
   "resources": ["namespaces"],
   "verbs": ["get", "list", "watch"]},
  {"apiGroups": ["apps"],
   "resources": ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments",
                 "deployments/scale", "deployments/status", "replicasets", "replicasets/scale",
                 "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"],
   "verbs": ["get", "list", "watch"]},
  {"apiGroups": ["autoscaling"],
   "resources": ["horizontalpodautoscalers", "horizontalpodautoscalers/status"],
   "verbs": ["get", "list", "watch"]},
  {"apiGroups": ["batch"],
   "resources": ["cronjobs", "cronjobs/status", "jobs", "jobs/status"],
   "verbs": ["get", "list", "watch"]},
  {"apiGroups": ["extensions"],
   "resources": ["daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                 "deployments/status", "ingresses", "ingresses/status", "networkpolicies",
                 "replicasets", "replicasets/scale", "replicasets/status",
                 "replicationcontrollers/scale"],
   "verbs": ["get", "list", "watch"]},
  {"apiGroups": ["policy"],
   "resources": ["poddisruptionbudgets", "poddisruptionbudgets/status"],
   "verbs": ["get", "list", "watch"]},
  {"apiGroups": ["networking.k8s.io"],
   "resources": ["ingresses", "ingresses/status", "networkpolicies"],
   "verbs": ["get", "list", "watch"]}
])json";

json kubeflow_kubernetes_cluster_role(const char* role, const char* aggregates_into,
                                      const char* rules_json) {
  return {
      {"apiVersion", "rbac.authorization.k8s.io/v1"},
      {"kind", "ClusterRole"},
      {"metadata",
       {{"name", std::string("kubeflow-kubernetes-") + role},
        {"labels",
         {{std::string("rbac.authorization.kubeflow.org/aggregate-to-kubeflow-") + aggregates_into,
           "true"}}}}},
      {"rules", json::parse(rules_json)}};
}

json secret(const char* name,
            const std::vector<std::pair<std::string_view, std::string_view>>& kv) {
  json data = json::object();
  for (const auto& [k, v] : kv) data[std::string(k)] = base64::encode(v);
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", name}, {"namespace", "auth"}}},
          {"type", "Opaque"},
          {"data", data}};
}

// kubeflow/manifests common/dex/base/deployment.yaml with the 26.03 image.
json dex_deployment() {
  return json::parse(R"json({
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "dex", "namespace": "auth", "labels": {"app": "dex"}},
    "spec": {
      "replicas": 1,
      "selector": {"matchLabels": {"app": "dex"}},
      "template": {
        "metadata": {"labels": {"app": "dex"}},
        "spec": {
          "serviceAccountName": "dex",
          "containers": [{
            "image": "ghcr.io/dexidp/dex:v2.45.0",
            "name": "dex",
            "command": ["dex", "serve", "/etc/dex/cfg/config.yaml"],
            "ports": [{"name": "http", "containerPort": 5556}],
            "securityContext": {
              "allowPrivilegeEscalation": false,
              "seccompProfile": {"type": "RuntimeDefault"},
              "runAsNonRoot": true,
              "capabilities": {"drop": ["ALL"]}
            },
            "volumeMounts": [{"name": "config", "mountPath": "/etc/dex/cfg"}],
            "envFrom": [
              {"secretRef": {"name": "dex-oidc-client"}},
              {"secretRef": {"name": "dex-passwords"}}
            ],
            "env": [{
              "name": "KUBERNETES_POD_NAMESPACE",
              "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}
            }],
            "readinessProbe": {
              "httpGet": {"path": "/dex/healthz", "port": 5556},
              "initialDelaySeconds": 10,
              "periodSeconds": 10,
              "timeoutSeconds": 3,
              "failureThreshold": 3
            }
          }],
          "volumes": [{
            "name": "config",
            "configMap": {"name": "dex", "items": [{"key": "config.yaml", "path": "config.yaml"}]}
          }]
        }
      }
    }
  })json");
}

}  // namespace

std::string_view kubeflow_dex_config_yaml() {
  return kDexConfig;
}

std::vector<json> kubeflow_seed_objects() {
  std::vector<json> out;
  out.push_back(namespace_object("auth"));
  out.push_back(namespace_object("kubeflow"));
  out.push_back(namespace_object("istio-system"));
  out.push_back(profiles_crd());
  for (auto& crd : dex_crds()) out.push_back(std::move(crd));
  out.push_back(authorization_policies_crd());
  out.push_back(kubeflow_cluster_role("admin", nullptr));
  out.push_back(kubeflow_cluster_role("edit", "admin"));
  out.push_back(kubeflow_cluster_role("view", "edit"));
  out.push_back(kubeflow_kubernetes_cluster_role("admin", "admin", kKubeflowKubernetesAdminRules));
  out.push_back(kubeflow_kubernetes_cluster_role("edit", "edit", kKubeflowKubernetesEditRules));
  out.push_back(kubeflow_kubernetes_cluster_role("view", "view", kKubeflowKubernetesViewRules));
  out.push_back({{"apiVersion", "v1"},
                 {"kind", "ServiceAccount"},
                 {"metadata", {{"name", "dex"}, {"namespace", "auth"}}}});
  out.push_back({{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", {{"name", "dex"}, {"namespace", "auth"}}},
                 {"data", {{"config.yaml", std::string(kDexConfig)}}}});
  out.push_back(secret("dex-passwords", {{"DEX_USER_PASSWORD", kKubeflowDefaultPasswordHash}}));
  out.push_back(secret("dex-oidc-client", {{"OIDC_CLIENT_ID", kOidcClientId},
                                           {"OIDC_CLIENT_SECRET", kOidcClientSecret}}));
  out.push_back(dex_deployment());
  // common/user-namespace/base/profile-instance.yaml (written as v1beta1 there; stored as v1).
  out.push_back({{"apiVersion", "kubeflow.org/v1"},
                 {"kind", "Profile"},
                 {"metadata", {{"name", "kubeflow-user-example-com"}}},
                 {"spec", {{"owner", {{"kind", "User"}, {"name", "user@example.com"}}}}}});
  return out;
}

}  // namespace kftenant::testserver
