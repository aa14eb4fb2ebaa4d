#include "testserver/resources.h"

#include <algorithm>
#include <regex>

namespace kftenant::testserver {
namespace {

std::shared_ptr<ResourceType> builtin(std::string group, std::string version, std::string kind,
                                      std::string plural, bool namespaced,
                                      std::vector<std::string> short_names = {}) {
  auto r = std::make_shared<ResourceType>();
  r->group = std::move(group);
  r->versions = {std::move(version)};
  r->kind = std::move(kind);
  r->plural = std::move(plural);
  r->namespaced = namespaced;
  r->short_names = std::move(short_names);
  return r;
}

// Kubernetes version priority (k8s.io/apimachinery/pkg/version/helpers.go
// CompareKubeAwareVersionStrings): GA > beta > alpha, higher major first, then non-matching strings
// alphabetically.
struct KubeVersion {
  bool ok = false;
  int major = 0;
  int stage = 0;  // 2 = GA, 1 = beta, 0 = alpha
  int minor = 0;
};

KubeVersion parse_version(const std::string& v) {
  static const std::regex re("^v([0-9]+)(?:(alpha|beta)([0-9]+))?$");
  std::smatch m;
  KubeVersion out;
  if (!std::regex_match(v, m, re)) return out;
  out.ok = true;
  out.major = std::stoi(m[1]);
  if (m[2].matched) {
    out.stage = m[2] == "beta" ? 1 : 0;
    out.minor = std::stoi(m[3]);
  } else {
    out.stage = 2;
  }
  return out;
}

bool version_before(const std::string& a, const std::string& b) {
  KubeVersion va = parse_version(a), vb = parse_version(b);
  if (va.ok != vb.ok) return va.ok;
  if (!va.ok) return a < b;
  if (va.stage != vb.stage) return va.stage > vb.stage;
  if (va.major != vb.major) return va.major > vb.major;
  return va.minor > vb.minor;
}

}  // namespace

bool ResourceType::serves(const std::string& version) const {
  return std::find(versions.begin(), versions.end(), version) != versions.end();
}

ResourceRegistry::ResourceRegistry() {
  std::vector<std::shared_ptr<ResourceType>> table;
  table.push_back(builtin("", "v1", "Namespace", "namespaces", false, {"ns"}));
  table.back()->has_status = true;
  table.push_back(builtin("", "v1", "ConfigMap", "configmaps", true, {"cm"}));
  table.push_back(builtin("", "v1", "Secret", "secrets", true));
  table.push_back(builtin("", "v1", "ServiceAccount", "serviceaccounts", true, {"sa"}));
  table.push_back(builtin("", "v1", "ResourceQuota", "resourcequotas", true, {"quota"}));
  table.back()->has_status = true;
  table.push_back(builtin("apps", "v1", "Deployment", "deployments", true, {"deploy"}));
  table.back()->has_status = true;
  table.back()->has_scale = true;
  table.back()->has_generation = true;
  for (auto [kind, plural, namespaced] : std::vector<std::tuple<const char*, const char*, bool>>{
           {"Role", "roles", true},
           {"RoleBinding", "rolebindings", true},
           {"ClusterRole", "clusterroles", false},
           {"ClusterRoleBinding", "clusterrolebindings", false}}) {
    table.push_back(builtin("rbac.authorization.k8s.io", "v1", kind, plural, namespaced));
  }
  table.push_back(builtin("coordination.k8s.io", "v1", "Lease", "leases", true));
  table.push_back(builtin("apiextensions.k8s.io", "v1", "CustomResourceDefinition",
                          "customresourcedefinitions", false, {"crd", "crds"}));
  table.back()->has_status = true;
  table.back()->has_generation = true;
  for (auto& r : table) by_gr_[r->group_resource()] = r;
}

std::shared_ptr<const ResourceType> ResourceRegistry::find(const std::string& group,
                                                           const std::string& version,
                                                           const std::string& plural) const {
  auto it = by_gr_.find(group.empty() ? plural : plural + "." + group);
  if (it == by_gr_.end() || it->second->group != group || !it->second->serves(version)) {
    return nullptr;
  }
  return it->second;
}

std::shared_ptr<const ResourceType> ResourceRegistry::find_kind(const std::string& group,
                                                                const std::string& kind) const {
  for (const auto& [_, r] : by_gr_) {
    if (r->group == group && r->kind == kind) return r;
  }
  return nullptr;
}

std::shared_ptr<const ResourceType> ResourceRegistry::find_group_resource(
    const std::string& group_resource) const {
  auto it = by_gr_.find(group_resource);
  return it == by_gr_.end() ? nullptr : it->second;
}

bool ResourceRegistry::has_group_version(const std::string& group,
                                         const std::string& version) const {
  for (const auto& [_, r] : by_gr_) {
    if (r->group == group && r->serves(version)) return true;
  }
  return false;
}

bool ResourceRegistry::has_group(const std::string& group) const {
  for (const auto& [_, r] : by_gr_) {
    if (r->group == group) return true;
  }
  return false;
}

std::optional<std::string> ResourceRegistry::register_crd(const nlohmann::json& crd) {
  try {
    const auto& spec = crd.at("spec");
    auto r = std::make_shared<ResourceType>();
    r->custom = true;
    r->has_generation = true;
    r->group = spec.at("group").get<std::string>();
    const auto& names = spec.at("names");
    r->plural = names.at("plural").get<std::string>();
    r->kind = names.at("kind").get<std::string>();
    r->singular = names.value("singular", "");
    if (r->singular.empty()) {
      r->singular = r->kind;
      std::transform(r->singular.begin(), r->singular.end(), r->singular.begin(), ::tolower);
    }
    if (names.contains("shortNames")) {
      r->short_names = names["shortNames"].get<std::vector<std::string>>();
    }
    r->namespaced = spec.value("scope", "Namespaced") == "Namespaced";
    for (const auto& v : spec.at("versions")) {
      if (!v.value("served", true)) continue;
      std::string name = v.at("name").get<std::string>();
      r->versions.push_back(name);
      nlohmann::json schema;
      if (v.contains("schema") && v["schema"].contains("openAPIV3Schema")) {
        schema = v["schema"]["openAPIV3Schema"];
      }
      r->schemas[name] = schema;
      if (v.contains("subresources") && v["subresources"].contains("status")) {
        r->has_status = true;
      }
    }
    if (r->versions.empty()) return std::nullopt;
    std::sort(r->versions.begin(), r->versions.end(), version_before);
    std::string key = r->group_resource();
    by_gr_[key] = r;
    return key;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

void ResourceRegistry::unregister(const std::string& group_resource) {
  auto it = by_gr_.find(group_resource);
  if (it != by_gr_.end() && it->second->custom) by_gr_.erase(it);
}

std::vector<std::shared_ptr<const ResourceType>> ResourceRegistry::all() const {
  std::vector<std::shared_ptr<const ResourceType>> out;
  for (const auto& [_, r] : by_gr_) out.push_back(r);
  return out;
}

}  // namespace kftenant::testserver
