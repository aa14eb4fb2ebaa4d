#include "testserver/discovery.h"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <set>

#include "kftenant/base64.h"

namespace kftenant::testserver {

namespace {

using ojson = nlohmann::ordered_json;

const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};
const std::vector<std::string> kStatusVerbs = {"get", "patch", "update"};
// Custom resources list their verbs in this (unsorted) order in 1.26.
const std::vector<std::string> kCrdVerbs = {"delete", "deletecollection", "get",    "list",
                                            "patch",  "create",           "update", "watch"};

ResourceInfo main_resource(std::string group, std::string name, std::string kind, bool namespaced,
                           std::vector<std::string> verbs,
                           std::vector<std::string> short_names = {},
                           std::vector<std::string> categories = {}) {
  ResourceInfo r;
  r.group = std::move(group);
  r.version = "v1";
  r.name = std::move(name);
  r.kind = std::move(kind);
  r.namespaced = namespaced;
  r.verbs = std::move(verbs);
  r.short_names = std::move(short_names);
  r.categories = std::move(categories);
  r.storage_version_hash = storage_version_hash(r.group, r.version, r.kind);
  return r;
}

ResourceInfo subresource(const ResourceInfo& parent, std::string sub,
                         std::vector<std::string> verbs, std::string kind = {},
                         std::string entry_group = {}, std::string entry_version = {}) {
  ResourceInfo r;
  r.group = parent.group;
  r.version = parent.version;
  r.name = parent.name + "/" + sub;
  r.namespaced = parent.namespaced;
  r.kind = kind.empty() ? parent.kind : std::move(kind);
  r.verbs = std::move(verbs);
  r.entry_group = std::move(entry_group);
  r.entry_version = std::move(entry_version);
  return r;
}

std::vector<ResourceInfo> make_builtins() {
  std::vector<ResourceInfo> out;
  auto add = [&out](ResourceInfo r) {
    out.push_back(std::move(r));
    return out.back();
  };
  // core/v1
  add(main_resource("", "configmaps", "ConfigMap", true, kAllVerbs, {"cm"}));
  auto ns =
      add(main_resource("", "namespaces", "Namespace", false,
                        {"create", "delete", "get", "list", "patch", "update", "watch"}, {"ns"}));
  // Served by the router: finalize (PUT, spec.finalizers) and serviceaccounts/token
  // (POST TokenRequest), as pkg/registry/core/{namespace,serviceaccount}/storage register them.
  add(subresource(ns, "finalize", {"update"}));
  add(subresource(ns, "status", kStatusVerbs));
  auto quota =
      add(main_resource("", "resourcequotas", "ResourceQuota", true, kAllVerbs, {"quota"}));
  add(subresource(quota, "status", kStatusVerbs));
  add(main_resource("", "secrets", "Secret", true, kAllVerbs));
  auto sa = add(main_resource("", "serviceaccounts", "ServiceAccount", true, kAllVerbs, {"sa"}));
  add(subresource(sa, "token", {"create"}, "TokenRequest", "authentication.k8s.io", "v1"));
  // apps/v1
  auto deploy =
      add(main_resource("apps", "deployments", "Deployment", true, kAllVerbs, {"deploy"}, {"all"}));
  add(subresource(deploy, "scale", kStatusVerbs, "Scale", "autoscaling", "v1"));
  add(subresource(deploy, "status", kStatusVerbs));
  // rbac.authorization.k8s.io/v1
  const std::string rbac = "rbac.authorization.k8s.io";
  add(main_resource(rbac, "clusterrolebindings", "ClusterRoleBinding", false, kAllVerbs));
  add(main_resource(rbac, "clusterroles", "ClusterRole", false, kAllVerbs));
  add(main_resource(rbac, "rolebindings", "RoleBinding", true, kAllVerbs));
  add(main_resource(rbac, "roles", "Role", true, kAllVerbs));
  // coordination.k8s.io/v1
  add(main_resource("coordination.k8s.io", "leases", "Lease", true, kAllVerbs));
  // apiextensions.k8s.io/v1
  auto crd =
      main_resource("apiextensions.k8s.io", "customresourcedefinitions", "CustomResourceDefinition",
                    false, kAllVerbs, {"crd", "crds"}, {"api-extensions"});
  // CRDs are still stored as apiextensions.k8s.io/v1beta1 in 1.26: the hash is of that version.
  crd.storage_version_hash =
      storage_version_hash("apiextensions.k8s.io", "v1beta1", "CustomResourceDefinition");
  add(crd);
  add(subresource(crd, "status", kStatusVerbs));
  // The review APIs (reviews.cc, auth.cc): create only, never stored, so no storageVersionHash.
  // selfsubjectrulesreviews is not served (testserver/README.md).
  auto review = [&](const char* group, const char* name, const char* kind, bool namespaced) {
    ResourceInfo r = main_resource(group, name, kind, namespaced, {"create"});
    r.storage_version_hash.clear();
    add(r);
  };
  review("authentication.k8s.io", "tokenreviews", "TokenReview", false);
  review("authorization.k8s.io", "localsubjectaccessreviews", "LocalSubjectAccessReview", true);
  review("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false);
  review("authorization.k8s.io", "subjectaccessreviews", "SubjectAccessReview", false);
  return out;
}

// Priority of built-in groups in /apis (kube-aggregator's apiVersionPriorities, higher first);
// CRD groups all have 1000 and sort by name.
int group_priority(std::string_view group) {
  static const std::map<std::string, int, std::less<>> kPriorities = {
      {"apps", 17800},
      {"authentication.k8s.io", 17700},
      {"authorization.k8s.io", 17600},
      {"rbac.authorization.k8s.io", 17000},
      {"apiextensions.k8s.io", 16700},
      {"coordination.k8s.io", 16500},
  };
  auto it = kPriorities.find(group);
  return it == kPriorities.end() ? 1000 : it->second;
}

struct KubeVersion {
  int major;
  int type;  // 0 alpha, 1 beta, 2 GA
  int minor;
};

std::optional<KubeVersion> parse_kube_version(std::string_view v) {
  // ^v([\d]+)(?:(alpha|beta)([\d]+))?$
  if (v.size() < 2 || v[0] != 'v') return std::nullopt;
  size_t i = 1;
  auto read_number = [&](int& out) {
    size_t start = i;
    long long n = 0;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9' && i - start < 9) n = n * 10 + (v[i++] - '0');
    out = static_cast<int>(n);
    return i > start;
  };
  KubeVersion kv{0, 2, 0};
  if (!read_number(kv.major) || kv.major == 0) return std::nullopt;
  if (i == v.size()) return kv;
  std::string_view rest = v.substr(i);
  if (rest.starts_with("alpha")) {
    kv.type = 0;
    i += 5;
  } else if (rest.starts_with("beta")) {
    kv.type = 1;
    i += 4;
  } else {
    return std::nullopt;
  }
  if (!read_number(kv.minor) || i != v.size()) return std::nullopt;
  return kv;
}

template <typename J>
std::vector<ResourceInfo> crd_resources_impl(const J& crd) {
  std::vector<ResourceInfo> out;
  if (!crd.is_object()) return out;
  const J spec = crd.value("spec", J::object());
  if (!spec.is_object()) return out;
  const J names = spec.value("names", J::object());
  if (!names.is_object()) return out;
  auto str = [](const J& o, const char* key) -> std::string {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->template get<std::string>() : std::string();
  };
  auto strings = [](const J& o, const char* key) {
    std::vector<std::string> v;
    auto it = o.find(key);
    if (it != o.end() && it->is_array())
      for (const auto& e : *it)
        if (e.is_string()) v.push_back(e.template get<std::string>());
    return v;
  };
  std::string group = str(spec, "group");
  std::string plural = str(names, "plural");
  std::string kind = str(names, "kind");
  if (group.empty() || plural.empty() || kind.empty()) return out;
  std::string singular = str(names, "singular");
  if (singular.empty()) {
    // apiextensions defaults names.singular to the lower-cased kind.
    singular = kind;
    std::transform(singular.begin(), singular.end(), singular.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }
  bool namespaced = str(spec, "scope") != "Cluster";
  // A terminating CRD's kind is served for reading and deleting only (the discovery
  // controller's verbs while the Terminating condition is true).
  bool terminating = false;
  if (auto meta = crd.find("metadata"); meta != crd.end() && meta->is_object())
    terminating = meta->contains("deletionTimestamp");
  auto versions_it = spec.find("versions");
  if (versions_it == spec.end() || !versions_it->is_array()) return out;
  std::string storage_version;
  for (const auto& v : *versions_it)
    if (v.is_object() && v.value("storage", false)) storage_version = str(v, "name");
  for (const auto& v : *versions_it) {
    if (!v.is_object() || !v.value("served", false)) continue;
    ResourceInfo r;
    r.group = group;
    r.version = str(v, "name");
    if (r.version.empty()) continue;
    r.name = plural;
    r.singular_name = singular;
    r.namespaced = namespaced;
    r.kind = kind;
    r.verbs = terminating
                  ? std::vector<std::string>{"delete", "deletecollection", "get", "list", "watch"}
                  : kCrdVerbs;
    r.short_names = strings(names, "shortNames");
    r.categories = strings(names, "categories");
    r.storage_version_hash =
        storage_version_hash(group, storage_version.empty() ? r.version : storage_version, kind);
    out.push_back(r);
    auto subs = v.find("subresources");
    if (subs != v.end() && subs->is_object()) {
      if (subs->contains("status")) out.push_back(subresource(r, "status", kStatusVerbs));
      if (subs->contains("scale"))
        out.push_back(subresource(r, "scale", kStatusVerbs, "Scale", "autoscaling", "v1"));
    }
  }
  return out;
}

ojson group_version(std::string_view group, std::string_view version) {
  ojson gv = ojson::object();
  gv["groupVersion"] =
      group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
  gv["version"] = version;
  return gv;
}

// group → versions, in priority order.
std::map<std::string, std::vector<std::string>> group_versions(
    const std::vector<ResourceInfo>& crd_resources) {
  std::map<std::string, std::vector<std::string>> out;
  auto collect = [&out](const std::vector<ResourceInfo>& rs) {
    for (const auto& r : rs) {
      if (r.group.empty()) continue;
      auto& vs = out[r.group];
      if (std::find(vs.begin(), vs.end(), r.version) == vs.end()) vs.push_back(r.version);
    }
  };
  collect(builtin_resources());
  collect(crd_resources);
  for (auto& [g, vs] : out)
    std::sort(vs.begin(), vs.end(),
              [](const auto& a, const auto& b) { return compare_kube_versions(a, b) < 0; });
  return out;
}

ojson group_json(const std::string& group, const std::vector<std::string>& versions) {
  ojson g = ojson::object();
  g["name"] = group;
  ojson vs = ojson::array();
  for (const auto& v : versions) vs.push_back(group_version(group, v));
  g["versions"] = vs;
  g["preferredVersion"] = group_version(group, versions.front());
  return g;
}

}  // namespace

std::string ResourceInfo::group_resource() const {
  std::string plural = name.substr(0, name.find('/'));
  return group.empty() ? plural : plural + "." + group;
}

ojson ResourceInfo::to_json() const {
  ojson r = ojson::object();
  r["name"] = name;
  r["singularName"] = singular_name;
  r["namespaced"] = namespaced;
  if (!entry_group.empty()) r["group"] = entry_group;
  if (!entry_version.empty()) r["version"] = entry_version;
  r["kind"] = kind;
  r["verbs"] = verbs;
  if (!short_names.empty()) r["shortNames"] = short_names;
  if (!categories.empty()) r["categories"] = categories;
  if (!storage_version_hash.empty()) r["storageVersionHash"] = storage_version_hash;
  return r;
}

const std::vector<ResourceInfo>& builtin_resources() {
  static const std::vector<ResourceInfo> resources = make_builtins();
  return resources;
}

const ResourceInfo* find_resource(std::string_view group, std::string_view version,
                                  std::string_view name, const std::vector<ResourceInfo>& extra) {
  for (const auto* list : {&builtin_resources(), &extra})
    for (const auto& r : *list)
      if (r.group == group && r.version == version && r.name == name) return &r;
  return nullptr;
}

const ResourceInfo* find_resource_by_kind(std::string_view group, std::string_view version,
                                          std::string_view kind,
                                          const std::vector<ResourceInfo>& extra) {
  for (const auto* list : {&builtin_resources(), &extra})
    for (const auto& r : *list)
      if (r.group == group && r.version == version && r.kind == kind && !r.is_subresource())
        return &r;
  return nullptr;
}

std::string storage_version_hash(std::string_view group, std::string_view version,
                                 std::string_view kind) {
  std::string gvk = std::string(group) + "/" + std::string(version) + "/" + std::string(kind);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(gvk.data(), gvk.size(), digest, &len, EVP_sha256(), nullptr) != 1 || len < 8)
    return {};
  return base64::encode(std::string_view(reinterpret_cast<const char*>(digest), 8));
}

std::vector<ResourceInfo> resources_from_crd(const nlohmann::json& crd) {
  return crd_resources_impl(crd);
}
std::vector<ResourceInfo> resources_from_crd(const nlohmann::ordered_json& crd) {
  return crd_resources_impl(crd);
}

int compare_kube_versions(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  auto va = parse_kube_version(a);
  auto vb = parse_kube_version(b);
  if (!va && !vb) return a < b ? -1 : 1;
  if (!va) return 1;
  if (!vb) return -1;
  if (va->type != vb->type) return vb->type - va->type;
  if (va->major != vb->major) return vb->major - va->major;
  return vb->minor - va->minor;
}

ojson api_versions_document(std::string_view server_address) {
  ojson doc = ojson::object();
  doc["kind"] = "APIVersions";
  doc["versions"] = ojson::array({"v1"});
  ojson cidr = ojson::object();
  cidr["clientCIDR"] = "0.0.0.0/0";
  cidr["serverAddress"] = server_address;
  doc["serverAddressByClientCIDRs"] = ojson::array({cidr});
  return doc;
}

ojson api_group_list_document(const std::vector<ResourceInfo>& crd_resources) {
  auto groups = group_versions(crd_resources);
  std::vector<std::string> names;
  for (const auto& [g, vs] : groups) names.push_back(g);
  std::stable_sort(names.begin(), names.end(), [](const auto& a, const auto& b) {
    int pa = group_priority(a), pb = group_priority(b);
    return pa != pb ? pa > pb : a < b;
  });
  ojson doc = ojson::object();
  doc["kind"] = "APIGroupList";
  doc["apiVersion"] = "v1";
  ojson list = ojson::array();
  for (const auto& g : names) list.push_back(group_json(g, groups[g]));
  doc["groups"] = list;
  return doc;
}

std::optional<ojson> api_group_document(std::string_view group,
                                        const std::vector<ResourceInfo>& crd_resources) {
  auto groups = group_versions(crd_resources);
  auto it = groups.find(std::string(group));
  if (it == groups.end()) return std::nullopt;
  ojson doc = ojson::object();
  doc["kind"] = "APIGroup";
  doc["apiVersion"] = "v1";
  ojson g = group_json(it->first, it->second);
  for (auto e = g.begin(); e != g.end(); ++e) doc[e.key()] = e.value();
  return doc;
}

std::optional<ojson> api_resource_list_document(std::string_view group, std::string_view version,
                                                const std::vector<ResourceInfo>& crd_resources) {
  std::vector<const ResourceInfo*> entries;
  for (const auto* list : {&builtin_resources(), &crd_resources})
    for (const auto& r : *list)
      if (r.group == group && r.version == version) entries.push_back(&r);
  if (entries.empty()) return std::nullopt;
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto* a, const auto* b) { return a->name < b->name; });
  ojson doc = ojson::object();
  doc["kind"] = "APIResourceList";
  if (!group.empty()) doc["apiVersion"] = "v1";
  doc["groupVersion"] =
      group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
  ojson resources = ojson::array();
  for (const auto* r : entries) resources.push_back(r->to_json());
  doc["resources"] = resources;
  return doc;
}

}  // namespace kftenant::testserver
