// POST, PUT and PATCH of resources (server-side apply is in apply.cc).
#include <random>

#include "kftenant/yaml.h"
#include "testserver/json_patch.h"
#include "testserver/request_body.h"
#include "testserver/typing.h"

namespace kftenant::testserver {
namespace {

// k8s.io/apimachinery/pkg/util/rand: the alphabet without vowels and confusable characters.
std::string random_suffix() {
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::string s;
  for (int i = 0; i < 5; ++i) s += kAlphabet[rng() % (sizeof kAlphabet - 1)];
  return s;
}

bool is_rbac(const ResourceType& info) {
  return info.group == "rbac.authorization.k8s.io";
}

std::vector<FieldError> validate_name(const ResourceType& info, const ojson& metadata) {
  if (is_rbac(info)) {
    // RBAC names are path segments (ValidateRBACName), e.g. "system:aggregate-to-edit".
    std::string name = metadata.value("name", "");
    if (name.empty() && metadata.value("generateName", "").empty()) {
      return {field_required("metadata.name", "name or generateName is required")};
    }
    if (name == "." || name == ".." || name.find_first_of("/%") != std::string::npos) {
      return {field_invalid("metadata.name", name,
                            "may not contain '/' or '%' and may not be '.' or '..'")};
    }
    return {};
  }
  return validate_object_name(
      metadata, info.kind == "Namespace" ? NameRule::kDns1123Label : NameRule::kDns1123Subdomain);
}

bool is_terminating(const ojson* ns) {
  return ns && ((*ns)["metadata"].contains("deletionTimestamp") ||
                (*ns).value("status", ojson::object()).value("phase", "") == "Terminating");
}

bool dry_run(const httplib::Request& req) {
  return query_param(req, "dryRun") == "All";
}
bool strict(const httplib::Request& req) {
  return query_param(req, "fieldValidation") == "Strict";
}

}  // namespace

void reset_status_on_create(const ResourceType& info, ojson& obj) {
  if (info.kind == "Namespace") {
    obj["status"] = {{"phase", "Active"}};
  } else if (info.kind == "Deployment" || info.kind == "ResourceQuota") {
    obj["status"] = ojson::object();
  } else if (info.kind == "CustomResourceDefinition") {
    ojson names = obj["spec"].value("names", ojson::object());
    std::string storage;
    for (const auto& v : obj["spec"].value("versions", ojson::array())) {
      if (v.value("storage", false)) storage = v.value("name", "");
    }
    std::string now = now_rfc3339();
    obj["status"] = {
        {"conditions", ojson::array({{{"type", "NamesAccepted"},
                                      {"status", "True"},
                                      {"lastTransitionTime", now},
                                      {"reason", "NoConflicts"},
                                      {"message", "no conflicts found"}},
                                     {{"type", "Established"},
                                      {"status", "True"},
                                      {"lastTransitionTime", now},
                                      {"reason", "InitialNamesAccepted"},
                                      {"message", "the initial names have been accepted"}}})},
        {"acceptedNames", names},
        {"storedVersions", ojson::array({storage})}};
  } else if (info.has_status) {
    obj.erase("status");
  }
}

Reply ApiServer::Impl::do_create(const Route& r, ojson body, const httplib::Request& req) {
  const ResourceType& info = *r.info;
  if (auto bad = check_type_meta(info, r, body)) return *bad;
  auto decoded = decode_object(info, r.version, std::move(body), strict(req));
  if (decoded.error) return Reply::status_body(*decoded.error);
  ojson obj = std::move(decoded.object);
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = ojson::object();
  auto& m = obj["metadata"];
  if (info.namespaced) {
    if (m.contains("namespace") && !m["namespace"].get<std::string>().empty() &&
        m["namespace"] != r.ns) {
      return Reply::status_body(bad_request(
          "the namespace of the provided object does not match the namespace sent on the request"));
    }
    m["namespace"] = r.ns;
  } else {
    m.erase("namespace");
  }
  std::string name = m.value("name", "");
  if (info.custom) {
    // apiextensions-apiserver customresource_handler.go: no creates while the CRD terminates.
    const ojson* def =
        store.get("customresourcedefinitions.apiextensions.k8s.io", info.plural + "." + info.group);
    if (def && (*def)["metadata"].contains("deletionTimestamp")) {
      StatusDetails d;
      d.group = info.group;
      d.kind = info.plural;
      return Reply::status_body(
          make_status(405, "MethodNotAllowed",
                      "create not allowed while custom resource definition is terminating", d));
    }
  }
  if (info.namespaced) {
    const ojson* ns = store.get("namespaces", r.ns);
    if (!ns) return Reply::status_body(not_found({"", "namespaces"}, r.ns));
    if (is_terminating(ns)) {
      return Reply::status_body(forbidden_namespace_terminating(r.gr(), name, r.ns));
    }
  }
  // The RBAC storage checks escalation before it validates (policybased Create).
  if (auto denied = check_rbac_escalation(r, obj, nullptr)) return *denied;
  if (name.empty() && !m.value("generateName", "").empty()) {
    std::string prefix = m["generateName"].get<std::string>();
    if (prefix.size() > 58) prefix.resize(58);  // maxGeneratedNameLength
    name = prefix + random_suffix();
    m["name"] = name;
  }
  auto errors = validate_name(info, m);
  if (errors.empty()) errors = validate_fields(info, obj);
  if (!errors.empty()) {
    return Reply::status_body(make_invalid_status(group_kind(info), name, errors));
  }
  if (!m.value("resourceVersion", "").empty()) {
    return Reply::status_body(
        make_status(500, "", "resourceVersion should not be set on objects to be created"));
  }
  for (const char* f : {"uid", "creationTimestamp", "deletionTimestamp",
                        "deletionGracePeriodSeconds", "generation", "selfLink"}) {
    m.erase(f);
  }
  if (store.get(info.group_resource(), Store::key(info.namespaced ? r.ns : "", name))) {
    return Reply::status_body(already_exists(r.gr(), name));
  }
  apply_defaults(info, obj);  // (invalidates `m`)
  reset_status_on_create(info, obj);
  const bool crd = info.kind == "CustomResourceDefinition" && !info.custom;
  if (crd) {
    // Not established yet: the status a real create answers; schedule_crd_establish follows.
    ojson names = ojson::object();
    names["plural"] = "";
    names["kind"] = "";
    ojson st = ojson::object();
    st["conditions"] = nullptr;
    st["acceptedNames"] = names;
    st["storedVersions"] = obj["status"]["storedVersions"];
    obj["status"] = st;
  }
  Reply reply;
  reply.status = 201;
  reply.warnings = decoded.warnings;
  if (dry_run(req)) {
    auto& m = obj["metadata"];  // re-fetched: the inserts above invalidated references
    m["uid"] = new_uid();
    m["creationTimestamp"] = now_rfc3339();
    if (info.has_generation) m["generation"] = 1;
    reply.body = present(info, r.version, canonical(info, obj));
    return reply;
  }
  if (media_type(req) != "application/apply-patch+yaml") {
    record_update_manager(info, nullptr, obj, req, r.api_version(), "");
  }
  reply.body = present(info, r.version, commit_create(info, std::move(obj)));
  if (crd) schedule_crd_establish(reply.body["metadata"].value("name", ""));
  return reply;
}

Reply ApiServer::Impl::update_object(const Route& r, const ojson& old, ojson neu, bool from_put,
                                     const httplib::Request& req,
                                     std::vector<std::string> warnings) {
  const ResourceType& info = *r.info;
  auto& m = neu["metadata"];
  if (!m.is_object()) m = ojson::object();
  const auto& om = old["metadata"];
  std::string name = om.value("name", "");
  std::string body_uid = m.value("uid", "");
  if (!body_uid.empty() && body_uid != om.value("uid", "")) {
    return Reply::status_body(conflict(
        r.gr(), name,
        "StorageError: invalid object, Code: 4, Key: " +
            registry_key(info, info.namespaced ? r.ns : "", name) +
            ", ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: " +
            body_uid + ", UID in object meta: " + om.value("uid", "")));
  }
  std::string rv = m.value("resourceVersion", "");
  if (rv.empty() && from_put && info.custom) {
    return Reply::status_body(make_invalid_status(
        GroupKind{info.group, info.plural}, name,
        {field_invalid_raw("metadata.resourceVersion", "0x0", "must be specified for an update")}));
  }
  if (!rv.empty() && rv != om.value("resourceVersion", "")) {
    return Reply::status_body(conflict_modified(r.gr(), name));
  }
  if (auto denied = check_rbac_escalation(r, neu, &old)) return *denied;
  // Fields the server owns come from the stored object.
  for (const char* f : {"uid", "creationTimestamp", "deletionTimestamp",
                        "deletionGracePeriodSeconds", "generation", "selfLink"}) {
    if (om.contains(f)) {
      m[f] = om[f];
    } else {
      m.erase(f);
    }
  }
  if (!m.contains("managedFields") && om.contains("managedFields")) {
    m["managedFields"] = om["managedFields"];
  }
  m["name"] = name;
  if (info.namespaced) {
    m["namespace"] = r.ns;
  } else {
    m.erase("namespace");
  }
  if (om.contains("deletionTimestamp")) {
    std::vector<std::string> added;
    for (const auto& f : m.value("finalizers", ojson::array())) {
      bool had = false;
      for (const auto& g : om.value("finalizers", ojson::array())) had |= (f == g);
      if (!had) added.push_back(f.get<std::string>());
    }
    if (!added.empty()) {
      std::string list;
      for (const auto& a : added) list += (list.empty() ? "" : ", ") + go_quote(a);
      FieldError e = field_forbidden(
          "metadata.finalizers",
          "no new finalizers can be added if the object is being deleted, found new finalizers "
          "[]string{" +
              list + "}");
      // The real server reports this cause twice (ValidateObjectMetaUpdate runs twice).
      return Reply::status_body(make_invalid_status(group_kind(info), name, {e, e}));
    }
  }
  if (info.group.empty() && info.plural == "namespaces" && r.subresource != "finalize") {
    // Only /finalize changes spec.finalizers (kubernetes pkg/registry/core/namespace/strategy.go
    // namespaceStrategy.PrepareForUpdate keeps the old ones; the finalize strategy does not).
    ojson old_finalizers = old.contains("spec") && old["spec"].is_object()
                               ? old["spec"].value("finalizers", ojson())
                               : ojson();
    if (neu.contains("spec") && neu["spec"].is_object()) {
      if (old_finalizers.is_null()) {
        neu["spec"].erase("finalizers");
      } else {
        neu["spec"]["finalizers"] = old_finalizers;
      }
    } else if (!old_finalizers.is_null()) {
      neu["spec"] = {{"finalizers", old_finalizers}};
    }
  }
  if (r.subresource == "status") {
    ojson result = old;
    if (neu.contains("status")) {
      result["status"] = neu["status"];
    } else {
      result.erase("status");
    }
    neu = std::move(result);
  } else if (info.has_status) {
    if (old.contains("status")) {
      neu["status"] = old["status"];
    } else {
      neu.erase("status");
    }
  }
  apply_defaults(info, neu);
  auto errors = validate_fields(info, neu);
  auto immutable = validate_update(info, old, neu);
  errors.insert(errors.end(), immutable.begin(), immutable.end());
  if (!errors.empty()) {
    return Reply::status_body(make_invalid_status(group_kind(info), name, errors));
  }
  Reply reply;
  reply.warnings = std::move(warnings);
  if (media_type(req) != "application/apply-patch+yaml") {
    record_update_manager(info, &old, neu, req, r.api_version(), r.subresource);
  }
  if (dry_run(req)) {
    // A dry-run update answers the would-be object at the stored resourceVersion.
    neu["metadata"]["resourceVersion"] = old["metadata"].value("resourceVersion", "");
    reply.body = present(info, r.version, canonical(info, neu));
    return reply;
  }
  reply.body = present(info, r.version, commit_update(info, old, std::move(neu)));
  return reply;
}

Reply ApiServer::Impl::do_update(const Route& r, ojson body, const httplib::Request& req) {
  const ResourceType& info = *r.info;
  if (r.subresource == "scale") return scale_write(r, body, req);
  if (auto bad = check_type_meta(info, r, body)) return *bad;
  auto decoded = decode_object(info, r.version, std::move(body), strict(req));
  if (decoded.error) return Reply::status_body(*decoded.error);
  ojson obj = std::move(decoded.object);
  const ojson meta = obj.value("metadata", ojson::object());
  std::string name = meta.value("name", "");
  if (name != r.name) {
    return Reply::status_body(bad_request("the name of the object (" + name +
                                          ") does not match the name on the URL (" + r.name + ")"));
  }
  if (info.namespaced && !meta.value("namespace", "").empty() && meta["namespace"] != r.ns) {
    return Reply::status_body(bad_request(
        "the namespace of the provided object does not match the namespace sent on the request"));
  }
  const ojson* old =
      store.get(info.group_resource(), Store::key(info.namespaced ? r.ns : "", r.name));
  if (!old) return Reply::status_body(not_found(r.gr(), r.name));
  return update_object(r, ojson(*old), std::move(obj), true, req, decoded.warnings);
}

Reply ApiServer::Impl::do_patch(const Route& r, const std::string& body,
                                const httplib::Request& req) {
  const ResourceType& info = *r.info;
  std::string mt = media_type(req);
  if (mt == "application/apply-patch+yaml") return do_apply(r, body, req);
  bool merge = mt == "application/merge-patch+json";
  bool json_patch = mt == "application/json-patch+json";
  bool strategic = mt == "application/strategic-merge-patch+json";
  if (strategic && info.custom) {
    return Reply::status_body(
        unsupported_media_type({"application/json-patch+json", "application/merge-patch+json",
                                "application/apply-patch+yaml"}));
  }
  if (!merge && !json_patch && !strategic) {
    return Reply::status_body(generic_server_response(415, "415: Unsupported Media Type"));
  }
  const ojson* cur =
      store.get(info.group_resource(), Store::key(info.namespaced ? r.ns : "", r.name));
  if (!cur) return Reply::status_body(not_found(r.gr(), r.name));
  ojson old = *cur;
  ojson patch = ojson::parse(body, nullptr, false);
  if (patch.is_discarded()) {
    return Reply::status_body(bad_request("error decoding patch: invalid JSON"));
  }
  ojson start = present(info, r.version, old);
  Result<ojson> patched = merge        ? apply_merge_patch(start, patch)
                          : json_patch ? apply_json_patch(start, patch)
                                       : apply_strategic_merge_patch(start, patch);
  if (!patched) {
    if (json_patch) return Reply::status_body(generic_server_response(422));
    return Reply::status_body(bad_request(patched.error().message));
  }
  if (!patched->is_object()) {
    return Reply::status_body(bad_request("the patch did not produce an object"));
  }
  if (auto bad = check_type_meta(info, r, *patched)) return *bad;
  auto decoded = decode_object(info, r.version, std::move(*patched), strict(req));
  if (decoded.error) return Reply::status_body(*decoded.error);
  return update_object(r, old, std::move(decoded.object), false, req, decoded.warnings);
}

Reply ApiServer::Impl::scale_write(const Route& r, const ojson& body, const httplib::Request& req) {
  const ResourceType& info = *r.info;
  const ojson* cur = store.get(info.group_resource(), Store::key(r.ns, r.name));
  if (!cur) return Reply::status_body(not_found(r.gr(), r.name));
  if (!body.is_object() || !body.contains("spec") || !body["spec"].contains("replicas")) {
    return Reply::status_body(bad_request("Scale.spec.replicas is required"));
  }
  ojson neu = *cur;
  neu["spec"]["replicas"] = body["spec"]["replicas"];
  Route main = r;
  main.subresource.clear();
  Reply updated = update_object(main, *cur, neu, false, req, {});
  if (updated.status != 200) return updated;
  return scale_view(r, updated.body);
}

Reply ApiServer::Impl::scale_view(const Route& r, const ojson& deploy) {
  (void)r;
  const auto& m = deploy["metadata"];
  ojson meta = ojson::object();
  for (const char* f : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (m.contains(f)) meta[f] = m[f];
  }
  std::string selector;
  const ojson labels =
      deploy["spec"].value("selector", ojson::object()).value("matchLabels", ojson::object());
  for (const auto& [k, v] : labels.items()) {
    selector += (selector.empty() ? "" : ",") + k + "=" + v.get<std::string>();
  }
  ojson scale = {{"kind", "Scale"},
                 {"apiVersion", "autoscaling/v1"},
                 {"metadata", meta},
                 {"spec", {{"replicas", deploy["spec"].value("replicas", 0)}}},
                 {"status",
                  {{"replicas", deploy.value("status", ojson::object()).value("replicas", 0)},
                   {"selector", selector}}}};
  return Reply::object(200, scale);
}

}  // namespace kftenant::testserver
