#include "testserver/typing.h"

#include <map>
#include <regex>
#include <set>

#include "kftenant/base64.h"
#include "kftenant/kube/quantity.h"

namespace kftenant::testserver {
namespace {

// Where Go's base64.StdEncoding.Decode (encoding/json's []byte decoding) reports corrupt input
// ("illegal base64 data at input byte N"), or nullopt when `s` decodes.
std::optional<size_t> base64_error_offset(const std::string& s) {
  auto decoded = base64::decode_go(s, base64::Encoding::kStd);
  if (decoded) return std::nullopt;
  return decoded.error();
}

// A field of a Go struct: its JSON name and the type of its value: "" (scalar or opaque,
// kept as is), "{}" (Go map: keys sorted), "T" (struct T), "[]T" (list of struct T).
using Fields = std::vector<std::pair<std::string, std::string>>;

// Field order of the API structs the test server serves (k8s.io/api/*/types.go), enough for
// what Kubeflow and kftenant write. Nested structs not listed keep the order they came in.
const std::map<std::string, Fields>& struct_table() {
  static const std::map<std::string, Fields> table = {
      {"ObjectMeta",
       {{"name", ""},
        {"generateName", ""},
        {"namespace", ""},
        {"selfLink", ""},
        {"uid", ""},
        {"resourceVersion", ""},
        {"generation", ""},
        {"creationTimestamp", ""},
        {"deletionTimestamp", ""},
        {"deletionGracePeriodSeconds", ""},
        {"labels", "{}"},
        {"annotations", "{}"},
        {"ownerReferences", "[]OwnerReference"},
        {"finalizers", ""},
        {"managedFields", "[]ManagedFieldsEntry"}}},
      {"OwnerReference",
       {{"apiVersion", ""},
        {"kind", ""},
        {"name", ""},
        {"uid", ""},
        {"controller", ""},
        {"blockOwnerDeletion", ""}}},
      {"ManagedFieldsEntry",
       {{"manager", ""},
        {"operation", ""},
        {"apiVersion", ""},
        {"time", ""},
        {"fieldsType", ""},
        {"fieldsV1", ""},
        {"subresource", ""}}},
      {"Namespace",
       {{"kind", ""},
        {"apiVersion", ""},
        {"metadata", "ObjectMeta"},
        {"spec", "NamespaceSpec"},
        {"status", "NamespaceStatus"}}},
      {"NamespaceSpec", {{"finalizers", ""}}},
      {"NamespaceStatus", {{"phase", ""}, {"conditions", ""}}},
      {"ConfigMap",
       {{"kind", ""},
        {"apiVersion", ""},
        {"metadata", "ObjectMeta"},
        {"immutable", ""},
        {"data", "{}"},
        {"binaryData", "{}"}}},
      {"Secret",
       {{"kind", ""},
        {"apiVersion", ""},
        {"metadata", "ObjectMeta"},
        {"immutable", ""},
        {"data", "{}"},
        {"stringData", "{}"},
        {"type", ""}}},
      {"ServiceAccount",
       {{"kind", ""},
        {"apiVersion", ""},
        {"metadata", "ObjectMeta"},
        {"secrets", ""},
        {"imagePullSecrets", ""},
        {"automountServiceAccountToken", ""}}},
      {"ResourceQuota",
       {{"kind", ""},
        {"apiVersion", ""},
        {"metadata", "ObjectMeta"},
        {"spec", "ResourceQuotaSpec"},
        {"status", "ResourceQuotaStatus"}}},
      {"ResourceQuotaSpec", {{"hard", "{}"}, {"scopes", ""}, {"scopeSelector", ""}}},
      {"ResourceQuotaStatus", {{"hard", "{}"}, {"used", "{}"}}},
      {"Deployment",
       {{"kind", ""},
        {"apiVersion", ""},
        {"metadata", "ObjectMeta"},
        {"spec", "DeploymentSpec"},
        {"status", "DeploymentStatus"}}},
      {"DeploymentSpec",
       {{"replicas", ""},
        {"selector", "LabelSelector"},
        {"template", "PodTemplateSpec"},
        {"strategy", "DeploymentStrategy"},
        {"minReadySeconds", ""},
        {"revisionHistoryLimit", ""},
        {"paused", ""},
        {"progressDeadlineSeconds", ""}}},
      {"LabelSelector", {{"matchLabels", "{}"}, {"matchExpressions", ""}}},
      {"DeploymentStrategy", {{"type", ""}, {"rollingUpdate", "RollingUpdateDeployment"}}},
      {"RollingUpdateDeployment", {{"maxUnavailable", ""}, {"maxSurge", ""}}},
      {"DeploymentStatus",
       {{"observedGeneration", ""},
        {"replicas", ""},
        {"updatedReplicas", ""},
        {"readyReplicas", ""},
        {"availableReplicas", ""},
        {"unavailableReplicas", ""},
        {"conditions", "[]DeploymentCondition"},
        {"collisionCount", ""}}},
      {"DeploymentCondition",
       {{"type", ""},
        {"status", ""},
        {"lastUpdateTime", ""},
        {"lastTransitionTime", ""},
        {"reason", ""},
        {"message", ""}}},
      {"PodTemplateSpec", {{"metadata", "ObjectMeta"}, {"spec", "PodSpec"}}},
      {"PodSpec",
       {{"volumes", ""},
        {"initContainers", "[]Container"},
        {"containers", "[]Container"},
        {"ephemeralContainers", ""},
        {"restartPolicy", ""},
        {"terminationGracePeriodSeconds", ""},
        {"activeDeadlineSeconds", ""},
        {"dnsPolicy", ""},
        {"nodeSelector", "{}"},
        {"serviceAccountName", ""},
        {"serviceAccount", ""},
        {"automountServiceAccountToken", ""},
        {"nodeName", ""},
        {"hostNetwork", ""},
        {"hostPID", ""},
        {"hostIPC", ""},
        {"shareProcessNamespace", ""},
        {"securityContext", ""},
        {"imagePullSecrets", ""},
        {"hostname", ""},
        {"subdomain", ""},
        {"affinity", ""},
        {"schedulerName", ""},
        {"tolerations", ""},
        {"hostAliases", ""},
        {"priorityClassName", ""},
        {"priority", ""},
        {"dnsConfig", ""},
        {"readinessGates", ""},
        {"runtimeClassName", ""},
        {"enableServiceLinks", ""},
        {"preemptionPolicy", ""},
        {"overhead", "{}"},
        {"topologySpreadConstraints", ""},
        {"setHostnameAsFQDN", ""},
        {"os", ""},
        {"hostUsers", ""},
        {"schedulingGates", ""},
        {"resourceClaims", ""}}},
      {"Container",
       {{"name", ""},
        {"image", ""},
        {"command", ""},
        {"args", ""},
        {"workingDir", ""},
        {"ports", "[]ContainerPort"},
        {"envFrom", ""},
        {"env", "[]EnvVar"},
        {"resources", "ResourceRequirements"},
        {"volumeMounts", ""},
        {"volumeDevices", ""},
        {"livenessProbe", ""},
        {"readinessProbe", ""},
        {"startupProbe", ""},
        {"lifecycle", ""},
        {"terminationMessagePath", ""},
        {"terminationMessagePolicy", ""},
        {"imagePullPolicy", ""},
        {"securityContext", ""},
        {"stdin", ""},
        {"stdinOnce", ""},
        {"tty", ""}}},
      {"ContainerPort",
       {{"name", ""}, {"hostPort", ""}, {"containerPort", ""}, {"protocol", ""}, {"hostIP", ""}}},
      {"EnvVar", {{"name", ""}, {"value", ""}, {"valueFrom", ""}}},
      {"ResourceRequirements", {{"limits", "{}"}, {"requests", "{}"}, {"claims", ""}}},
      {"Role",
       {{"kind", ""}, {"apiVersion", ""}, {"metadata", "ObjectMeta"}, {"rules", "[]PolicyRule"}}},
      {"ClusterRole",
       {{"kind", ""},
        {"apiVersion", ""},
        {"metadata", "ObjectMeta"},
        {"rules", "[]PolicyRule"},
        {"aggregationRule", ""}}},
      {"PolicyRule",
       {{"verbs", ""},
        {"apiGroups", ""},
        {"resources", ""},
        {"resourceNames", ""},
        {"nonResourceURLs", ""}}},
      {"RoleBinding",
       {{"kind", ""},
        {"apiVersion", ""},
        {"metadata", "ObjectMeta"},
        {"subjects", "[]Subject"},
        {"roleRef", "RoleRef"}}},
      {"ClusterRoleBinding",
       {{"kind", ""},
        {"apiVersion", ""},
        {"metadata", "ObjectMeta"},
        {"subjects", "[]Subject"},
        {"roleRef", "RoleRef"}}},
      {"Subject", {{"kind", ""}, {"apiGroup", ""}, {"name", ""}, {"namespace", ""}}},
      {"RoleRef", {{"apiGroup", ""}, {"kind", ""}, {"name", ""}}},
      {"Lease",
       {{"kind", ""}, {"apiVersion", ""}, {"metadata", "ObjectMeta"}, {"spec", "LeaseSpec"}}},
      {"LeaseSpec",
       {{"holderIdentity", ""},
        {"leaseDurationSeconds", ""},
        {"acquireTime", ""},
        {"renewTime", ""},
        {"leaseTransitions", ""}}},
      {"CustomResourceDefinition",
       {{"kind", ""},
        {"apiVersion", ""},
        {"metadata", "ObjectMeta"},
        {"spec", "CRDSpec"},
        {"status", "CRDStatus"}}},
      {"CRDSpec",
       {{"group", ""},
        {"names", "CRDNames"},
        {"scope", ""},
        {"versions", "[]CRDVersion"},
        {"conversion", ""},
        {"preserveUnknownFields", ""}}},
      {"CRDNames",
       {{"plural", ""},
        {"singular", ""},
        {"shortNames", ""},
        {"kind", ""},
        {"listKind", ""},
        {"categories", ""}}},
      {"CRDVersion",
       {{"name", ""},
        {"served", ""},
        {"storage", ""},
        {"deprecated", ""},
        {"deprecationWarning", ""},
        {"schema", "CRDValidation"},
        {"subresources", ""},
        {"additionalPrinterColumns", ""}}},
      {"CRDStatus", {{"conditions", ""}, {"acceptedNames", "CRDNames"}, {"storedVersions", ""}}},
      {"CRDValidation", {{"openAPIV3Schema", "JSONSchemaProps"}}},
      // apiextensions/v1 JSONSchemaProps: struct order; maps of schemas sorted by key.
      {"JSONSchemaProps",
       {{"id", ""},
        {"$schema", ""},
        {"$ref", ""},
        {"description", ""},
        {"type", ""},
        {"format", ""},
        {"title", ""},
        {"default", ""},
        {"maximum", ""},
        {"exclusiveMaximum", ""},
        {"minimum", ""},
        {"exclusiveMinimum", ""},
        {"maxLength", ""},
        {"minLength", ""},
        {"pattern", ""},
        {"maxItems", ""},
        {"minItems", ""},
        {"uniqueItems", ""},
        {"multipleOf", ""},
        {"enum", ""},
        {"maxProperties", ""},
        {"minProperties", ""},
        {"required", ""},
        {"items", "JSONSchemaProps"},
        {"allOf", "[]JSONSchemaProps"},
        {"oneOf", "[]JSONSchemaProps"},
        {"anyOf", "[]JSONSchemaProps"},
        {"not", "JSONSchemaProps"},
        {"properties", "{}JSONSchemaProps"},
        {"additionalProperties", "JSONSchemaProps"},
        {"patternProperties", "{}JSONSchemaProps"},
        {"dependencies", "{}"},
        {"additionalItems", "JSONSchemaProps"},
        {"definitions", "{}JSONSchemaProps"},
        {"externalDocs", ""},
        {"example", ""},
        {"nullable", ""},
        {"x-kubernetes-preserve-unknown-fields", ""},
        {"x-kubernetes-embedded-resource", ""},
        {"x-kubernetes-int-or-string", ""},
        {"x-kubernetes-list-map-keys", ""},
        {"x-kubernetes-list-type", ""},
        {"x-kubernetes-map-type", ""},
        {"x-kubernetes-validations", ""}}},
      {"Scale",
       {{"kind", ""},
        {"apiVersion", ""},
        {"metadata", "ObjectMeta"},
        {"spec", ""},
        {"status", ""}}},
  };
  return table;
}

ojson reorder(const ojson& value, const std::string& type);

ojson sort_map(const ojson& value) {
  if (!value.is_object()) return value;
  std::map<std::string, ojson> m;
  for (auto it = value.begin(); it != value.end(); ++it) m[it.key()] = it.value();
  ojson out = ojson::object();
  for (auto& [k, v] : m) out[k] = v;
  return out;
}

ojson reorder_child(const ojson& value, const std::string& child) {
  if (child.empty()) return value;
  if (child == "{}") return sort_map(value);
  if (child.rfind("{}", 0) == 0) {  // a map of structs: sorted keys, each value reordered
    if (!value.is_object()) return value;
    ojson out = sort_map(value);
    for (auto it = out.begin(); it != out.end(); ++it)
      it.value() = reorder(it.value(), child.substr(2));
    return out;
  }
  if (child.rfind("[]", 0) == 0) {
    if (!value.is_array()) return value;
    ojson out = ojson::array();
    for (const auto& item : value) out.push_back(reorder(item, child.substr(2)));
    return out;
  }
  return reorder(value, child);
}

ojson reorder(const ojson& value, const std::string& type) {
  const auto& table = struct_table();
  auto it = table.find(type);
  if (!value.is_object() || it == table.end()) return value;
  ojson out = ojson::object();
  for (const auto& [field, child] : it->second) {
    if (auto f = value.find(field); f != value.end()) out[field] = reorder_child(*f, child);
  }
  for (auto f = value.begin(); f != value.end(); ++f) {
    if (!out.contains(f.key())) out[f.key()] = f.value();
  }
  return out;
}

std::string go_json_type(const ojson& v) {
  if (v.is_number()) return "number";
  if (v.is_boolean()) return "bool";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "string";
}

std::string cannot_handle(const ResourceType& info, const std::string& version,
                          const std::string& why) {
  return info.kind + " in version \"" + version + "\" cannot be handled as a " + info.kind + ": " +
         why;
}

// Checks a map[string]string field; returns the Go decoder's message when a value is not a string.
std::optional<std::string> check_string_map(const ojson& obj, const std::string& field,
                                            const std::string& go_field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) {
    return "json: cannot unmarshal " + go_json_type(*it) + " into Go struct field " + go_field +
           " of type map[string]string";
  }
  for (const auto& [_, v] : it->items()) {
    if (!v.is_string() && !v.is_null()) {
      return "json: cannot unmarshal " + go_json_type(v) + " into Go struct field " + go_field +
             " of type string";
    }
  }
  return std::nullopt;
}

// Go's time.Parse of a metav1.MicroTime ("2006-01-02T15:04:05.000000Z07:00").
std::optional<std::string> check_micro_time(const std::string& value) {
  static const std::regex re(R"(^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(.*)$)");
  static const std::regex frac(R"(^\.\d{6}(Z|[+-]\d{2}:\d{2})$)");
  const std::string layout = "2006-01-02T15:04:05.000000Z07:00";
  std::smatch m;
  if (!std::regex_match(value, m, re)) {
    return "parsing time \"" + value + "\" as \"" + layout + "\": cannot parse \"" + value +
           "\" as \"2006\"";
  }
  std::string rest = m[2];
  if (!std::regex_match(rest, frac)) {
    return "parsing time \"" + value + "\" as \"" + layout + "\": cannot parse \"" + rest +
           "\" as \".000000\"";
  }
  return std::nullopt;
}

// ---- custom resources: structural schema pruning (apiextensions-apiserver
// pkg/apiserver/schema/pruning)

void prune(nlohmann::json& value, const nlohmann::json& schema, const std::string& path,
           std::vector<std::string>& unknown) {
  if (!schema.is_object()) return;
  bool preserve = schema.value("x-kubernetes-preserve-unknown-fields", false);
  if (value.is_object()) {
    const nlohmann::json* props = nullptr;
    if (auto p = schema.find("properties"); p != schema.end() && p->is_object()) props = &*p;
    const nlohmann::json* additional = nullptr;
    if (auto a = schema.find("additionalProperties"); a != schema.end() && a->is_object()) {
      additional = &*a;
    }
    std::vector<std::string> drop;
    for (auto it = value.begin(); it != value.end(); ++it) {
      std::string child = path.empty() ? it.key() : path + "." + it.key();
      if (props && props->contains(it.key())) {
        prune(it.value(), (*props)[it.key()], child, unknown);
      } else if (additional) {
        prune(it.value(), *additional, child, unknown);
      } else if (!preserve && (props || schema.value("type", "") == "object")) {
        drop.push_back(it.key());
        unknown.push_back(child);
      }
    }
    for (const auto& k : drop) value.erase(k);
  } else if (value.is_array()) {
    if (auto items = schema.find("items"); items != schema.end()) {
      for (size_t i = 0; i < value.size(); ++i) {
        prune(value[i], *items, path + "[" + std::to_string(i) + "]", unknown);
      }
    }
  }
}

void check_required(const nlohmann::json& value, const nlohmann::json& schema,
                    const std::string& path, std::vector<FieldError>& errors) {
  if (!schema.is_object() || !value.is_object()) return;
  if (auto req = schema.find("required"); req != schema.end() && req->is_array()) {
    for (const auto& r : *req) {
      if (r.is_string() && !value.contains(r.get<std::string>())) {
        std::string name = r.get<std::string>();
        errors.push_back(field_required(path.empty() ? name : path + "." + name));
      }
    }
  }
  if (auto props = schema.find("properties"); props != schema.end() && props->is_object()) {
    for (auto it = props->begin(); it != props->end(); ++it) {
      if (path.empty() && (it.key() == "metadata" || it.key() == "status")) continue;
      if (auto v = value.find(it.key()); v != value.end()) {
        check_required(*v, it.value(), path.empty() ? it.key() : path + "." + it.key(), errors);
      }
    }
  }
}

DecodeResult decode_custom(const ResourceType& info, const std::string& version, ojson body,
                           bool strict) {
  DecodeResult out;
  nlohmann::json value = to_json(body);
  auto sit = info.schemas.find(version);
  if (sit != info.schemas.end() && sit->second.is_object()) {
    nlohmann::json schema = sit->second;
    // apiVersion, kind and metadata are always known at the root; metadata is ObjectMeta.
    nlohmann::json meta;
    bool had_meta = value.is_object() && value.contains("metadata");
    if (had_meta) {
      meta = value["metadata"];
      value.erase("metadata");
    }
    nlohmann::json root_schema = schema;
    if (!root_schema.contains("properties")) root_schema["properties"] = nlohmann::json::object();
    for (const char* f : {"apiVersion", "kind"}) {
      root_schema["properties"][f] = {{"type", "string"}};
    }
    std::vector<std::string> unknown;
    prune(value, root_schema, "", unknown);
    if (had_meta) value["metadata"] = meta;
    if (!unknown.empty()) {
      if (strict) {
        std::string why = "strict decoding error: ";
        for (size_t i = 0; i < unknown.size(); ++i) {
          if (i) why += ", ";
          why += "unknown field \"" + unknown[i] + "\"";
        }
        out.error = bad_request(cannot_handle(info, version, why));
        return out;
      }
      for (const auto& u : unknown) out.warnings.push_back("unknown field \"" + u + "\"");
    }
  }
  out.object = to_ojson(value);
  return out;
}

}  // namespace

nlohmann::json to_json(const ojson& v) {
  return nlohmann::json::parse(v.dump());
}

ojson to_ojson(const nlohmann::json& v) {
  return ojson::parse(v.dump());
}

ojson sorted(const ojson& value) {
  if (value.is_object()) {
    std::map<std::string, ojson> m;
    for (auto it = value.begin(); it != value.end(); ++it) m[it.key()] = sorted(it.value());
    ojson out = ojson::object();
    for (auto& [k, v] : m) out[k] = std::move(v);
    return out;
  }
  if (value.is_array()) {
    ojson out = ojson::array();
    for (const auto& item : value) out.push_back(sorted(item));
    return out;
  }
  return value;
}

ojson canonical_kind(const std::string& kind, const ojson& obj) {
  return reorder(obj, kind);
}

ojson canonical(const ResourceType& info, const ojson& obj) {
  if (info.custom) return sorted(obj);
  return reorder(obj, info.kind);
}

DecodeResult decode_object(const ResourceType& info, const std::string& version, ojson body,
                           bool strict) {
  if (info.custom) return decode_custom(info, version, std::move(body), strict);
  DecodeResult out;
  const auto& table = struct_table();
  auto it = table.find(info.kind);
  if (it != table.end()) {
    std::vector<std::string> unknown;
    for (auto f = body.begin(); f != body.end(); ++f) {
      bool known = false;
      for (const auto& [name, _] : it->second) known = known || name == f.key();
      if (!known) unknown.push_back(f.key());
    }
    if (!unknown.empty()) {
      if (strict) {
        std::string why = "strict decoding error: ";
        for (size_t i = 0; i < unknown.size(); ++i) {
          if (i) why += ", ";
          why += "unknown field \"" + unknown[i] + "\"";
        }
        out.error = bad_request(cannot_handle(info, version, why));
        return out;
      }
      for (const auto& u : unknown) {
        body.erase(u);
        out.warnings.push_back("unknown field \"" + u + "\"");
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> string_maps;
  if (info.kind == "ConfigMap") {
    string_maps = {{"data", "ConfigMap.data"}};
  } else if (info.kind == "Secret") {
    string_maps = {{"stringData", "Secret.stringData"}};
  }
  for (const auto& [field, go] : string_maps) {
    if (auto err = check_string_map(body, field, go)) {
      out.error = bad_request(cannot_handle(info, version, *err));
      return out;
    }
  }
  if (body.contains("metadata") && body["metadata"].is_object()) {
    for (const char* f : {"labels", "annotations"}) {
      if (auto err =
              check_string_map(body["metadata"], f, std::string("ObjectMeta.metadata.") + f)) {
        out.error = bad_request(cannot_handle(info, version, *err));
        return out;
      }
    }
  }
  if (info.kind == "Secret" && body.contains("data") && body["data"].is_object()) {
    for (auto& [k, v] : body["data"].items()) {
      if (!v.is_string()) {
        out.error = bad_request(
            cannot_handle(info, version, "illegal base64 data in Secret.data[" + k + "]"));
        return out;
      }
      if (auto at = base64_error_offset(v.get<std::string>())) {
        out.error = bad_request(cannot_handle(
            info, version, "illegal base64 data at input byte " + std::to_string(*at)));
        return out;
      }
    }
  }
  if (info.kind == "ResourceQuota" && body.contains("spec") && body["spec"].is_object()) {
    // resource.Quantity's JSON decoding (ResourceList values), before any validation.
    for (const char* list : {"hard"}) {
      auto it = body["spec"].find(list);
      if (it == body["spec"].end() || !it->is_object()) continue;
      for (const auto& [name, q] : it->items()) {
        if (!q.is_string()) continue;  // JSON numbers are quantities too
        auto parsed = kube::parse_quantity(q.get<std::string>());
        if (!parsed) {
          out.error = bad_request(cannot_handle(info, version, parsed.error().message));
          return out;
        }
      }
    }
  }
  if (info.kind == "Lease" && body.contains("spec") && body["spec"].is_object()) {
    for (const char* f : {"acquireTime", "renewTime"}) {
      auto v = body["spec"].find(f);
      if (v != body["spec"].end() && v->is_string()) {
        if (auto err = check_micro_time(v->get<std::string>())) {
          out.error = bad_request(cannot_handle(info, version, *err));
          return out;
        }
      }
    }
  }
  out.object = std::move(body);
  return out;
}

std::vector<FieldError> validate_update(const ResourceType& info, const ojson& old,
                                        const ojson& neu) {
  std::vector<FieldError> errors;
  if (info.custom) return errors;
  if (info.kind == "Secret") {
    // pkg/apis/core/validation ValidateSecretUpdate.
    std::string old_type = old.value("type", "Opaque"), new_type = neu.value("type", "Opaque");
    if (old_type != new_type)
      errors.push_back(field_invalid("type", new_type, "field is immutable"));
  } else if (info.kind == "RoleBinding" || info.kind == "ClusterRoleBinding") {
    // pkg/apis/rbac/validation ValidateRoleBindingUpdate: the roleRef is printed with %#v.
    const ojson o = old.value("roleRef", ojson::object()),
                n = neu.value("roleRef", ojson::object());
    auto field = [](const ojson& ref, const char* f) {
      auto it = ref.find(f);
      return it != ref.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (field(o, "apiGroup") != field(n, "apiGroup") || field(o, "kind") != field(n, "kind") ||
        field(o, "name") != field(n, "name")) {
      errors.push_back(field_invalid_raw("roleRef",
                                         "rbac.RoleRef{APIGroup:" + go_quote(field(n, "apiGroup")) +
                                             ", Kind:" + go_quote(field(n, "kind")) +
                                             ", Name:" + go_quote(field(n, "name")) + "}",
                                         "cannot change roleRef"));
    }
  }
  return errors;
}

std::vector<FieldError> validate_fields(const ResourceType& info, const ojson& obj) {
  std::vector<FieldError> errors;
  if (info.custom) {
    auto sit = info.schemas.find(info.versions.front());
    if (sit != info.schemas.end()) check_required(to_json(obj), sit->second, "", errors);
    return errors;
  }
  if (info.kind == "ConfigMap" && info.group.empty()) {
    // ValidateConfigMap (pkg/apis/core/validation): data and binaryData together at most
    // core.MaxSecretSize (1 MiB), reported on the path "" (shown as "[]").
    size_t total = 0;
    for (const char* field : {"data", "binaryData"}) {
      if (!obj.contains(field) || !obj[field].is_object()) continue;
      for (const auto& [k, v] : obj[field].items()) {
        if (!v.is_string()) continue;
        const std::string& text = v.get_ref<const std::string&>();
        // binaryData is []byte on the wire as base64: its decoded size counts.
        total += std::string_view(field) == "data" ? text.size() : text.size() / 4 * 3;
      }
    }
    if (total > 1024 * 1024)
      errors.push_back({"FieldValueTooLong", "[]", "Too long: must have at most 1048576 bytes"});
  }
  if (info.kind == "Deployment") {
    const ojson spec = obj.value("spec", ojson::object());
    if (!spec.contains("selector")) {
      errors.push_back(field_required("spec.selector"));
    } else if (spec["selector"].is_object() && spec["selector"].contains("matchLabels")) {
      const ojson labels = spec.value("template", ojson::object())
                               .value("metadata", ojson::object())
                               .value("labels", ojson::object());
      for (const auto& [k, v] : spec["selector"]["matchLabels"].items()) {
        if (!labels.contains(k) || labels[k] != v) {
          std::string shown;
          const ojson sorted_labels = sort_map(labels);  // kept alive for the loop below
          for (const auto& [lk, lv] : sorted_labels.items()) {
            shown += std::string(shown.empty() ? "" : ", ") + go_quote(lk) + ":" +
                     go_quote(lv.is_string() ? lv.get<std::string>() : lv.dump());
          }
          errors.push_back(field_invalid_raw("spec.template.metadata.labels",
                                             "map[string]string{" + shown + "}",
                                             "`selector` does not match template `labels`"));
          break;
        }
      }
    }
    if (!spec.value("template", ojson::object())
             .value("spec", ojson::object())
             .contains("containers")) {
      errors.push_back(field_required("spec.template.spec.containers"));
    }
  }
  return errors;
}

void apply_defaults(const ResourceType& info, ojson& obj) {
  if (info.custom) return;
  if (info.kind == "Namespace") {
    obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = obj["metadata"].value("name", "");
    if (!obj.contains("spec") || !obj["spec"].is_object()) obj["spec"] = ojson::object();
    if (!obj["spec"].contains("finalizers")) obj["spec"]["finalizers"] = {"kubernetes"};
  } else if (info.kind == "Secret") {
    if (obj.contains("stringData") && obj["stringData"].is_object()) {
      for (const auto& [k, v] : obj["stringData"].items()) {
        obj["data"][k] = base64::encode(v.is_string() ? v.get<std::string>() : std::string());
      }
    }
    obj.erase("stringData");
    if (!obj.contains("type")) obj["type"] = "Opaque";
  } else if (info.kind == "RoleBinding" || info.kind == "ClusterRoleBinding") {
    // k8s.io/kubernetes pkg/apis/rbac/v1/defaults.go: SetDefaults_(Cluster)RoleBinding,
    // SetDefaults_Subject (User and Group subjects get the RBAC API group).
    const char* rbac_group = "rbac.authorization.k8s.io";
    auto empty_group = [](const ojson& o) {
      return !o.contains("apiGroup") ||
             (o["apiGroup"].is_string() && o["apiGroup"].get<std::string>().empty());
    };
    if (obj.contains("roleRef") && obj["roleRef"].is_object() && empty_group(obj["roleRef"])) {
      obj["roleRef"]["apiGroup"] = rbac_group;
    }
    if (obj.contains("subjects") && obj["subjects"].is_array()) {
      for (auto& subject : obj["subjects"]) {
        if (!subject.is_object() || !empty_group(subject)) continue;
        if (subject.value("kind", ojson()) == "User" || subject.value("kind", ojson()) == "Group") {
          subject["apiGroup"] = rbac_group;
        }
      }
    }
  } else if (info.kind == "CustomResourceDefinition") {
    auto& names = obj["spec"]["names"];
    if (names.is_object()) {
      std::string kind = names.value("kind", "");
      if (!names.contains("singular")) {
        std::string s = kind;
        for (auto& c : s) c = static_cast<char>(::tolower(static_cast<unsigned char>(c)));
        names["singular"] = s;
      }
      if (!names.contains("listKind")) names["listKind"] = kind + "List";
    }
    if (!obj["spec"].contains("conversion")) obj["spec"]["conversion"] = {{"strategy", "None"}};
  } else if (info.kind == "Deployment") {
    auto& spec = obj["spec"];
    if (!spec.is_object()) spec = ojson::object();
    if (!spec.contains("replicas")) spec["replicas"] = 1;
    if (!spec.contains("strategy")) spec["strategy"] = ojson::object();
    auto& strategy = spec["strategy"];
    if (!strategy.contains("type")) strategy["type"] = "RollingUpdate";
    if (strategy["type"] == "RollingUpdate") {
      auto& ru = strategy["rollingUpdate"];
      if (!ru.is_object()) ru = ojson::object();
      if (!ru.contains("maxUnavailable")) ru["maxUnavailable"] = "25%";
      if (!ru.contains("maxSurge")) ru["maxSurge"] = "25%";
    }
    if (!spec.contains("revisionHistoryLimit")) spec["revisionHistoryLimit"] = 10;
    if (!spec.contains("progressDeadlineSeconds")) spec["progressDeadlineSeconds"] = 600;
    auto& tmpl = spec["template"];
    if (!tmpl.is_object()) tmpl = ojson::object();
    if (!tmpl.contains("metadata") || !tmpl["metadata"].is_object()) {
      tmpl["metadata"] = ojson::object();
    }
    if (!tmpl["metadata"].contains("creationTimestamp")) {
      tmpl["metadata"]["creationTimestamp"] = nullptr;
    }
    auto& pod = tmpl["spec"];
    if (!pod.is_object()) pod = ojson::object();
    if (!pod.contains("restartPolicy")) pod["restartPolicy"] = "Always";
    if (!pod.contains("terminationGracePeriodSeconds")) pod["terminationGracePeriodSeconds"] = 30;
    if (!pod.contains("dnsPolicy")) pod["dnsPolicy"] = "ClusterFirst";
    if (!pod.contains("securityContext")) pod["securityContext"] = ojson::object();
    if (!pod.contains("schedulerName")) pod["schedulerName"] = "default-scheduler";
    if (pod.contains("serviceAccountName") && !pod.contains("serviceAccount")) {
      pod["serviceAccount"] = pod["serviceAccountName"];
    }
    for (const char* list : {"initContainers", "containers"}) {
      if (!pod.contains(list) || !pod[list].is_array()) continue;
      for (auto& c : pod[list]) {
        if (!c.is_object()) continue;
        if (!c.contains("resources")) c["resources"] = ojson::object();
        if (!c.contains("terminationMessagePath")) {
          c["terminationMessagePath"] = "/dev/termination-log";
        }
        if (!c.contains("terminationMessagePolicy")) c["terminationMessagePolicy"] = "File";
        if (!c.contains("imagePullPolicy")) {
          // k8s.io/kubernetes/pkg/apis/core/v1/defaults.go SetDefaults_Container.
          std::string image = c.value("image", "");
          auto slash = image.rfind('/');
          std::string last = slash == std::string::npos ? image : image.substr(slash + 1);
          auto colon = last.find(':');
          bool latest = image.find('@') == std::string::npos &&
                        (colon == std::string::npos || last.substr(colon + 1) == "latest");
          c["imagePullPolicy"] = latest ? "Always" : "IfNotPresent";
        }
        if (c.contains("ports") && c["ports"].is_array()) {
          for (auto& p : c["ports"]) {
            if (p.is_object() && !p.contains("protocol")) p["protocol"] = "TCP";
          }
        }
      }
    }
  }
}

}  // namespace kftenant::testserver
