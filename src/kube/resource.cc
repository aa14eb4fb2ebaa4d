#include "kftenant/kube/resource.h"

#include <fmt/format.h>

#include <array>

namespace kftenant::kube {

std::string ResourceRef::api_version() const {
  return group.empty() ? version : group + "/" + version;
}

std::string ResourceRef::group_resource() const {
  return group.empty() ? resource : resource + "." + group;
}

namespace resources {
const ResourceRef kNamespaces{"", "v1", "namespaces", "Namespace", false};
const ResourceRef kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};
const ResourceRef kSecrets{"", "v1", "secrets", "Secret", true};
const ResourceRef kServiceAccounts{"", "v1", "serviceaccounts", "ServiceAccount", true};
const ResourceRef kResourceQuotas{"", "v1", "resourcequotas", "ResourceQuota", true};
const ResourceRef kDeployments{"apps", "v1", "deployments", "Deployment", true};
const ResourceRef kRoles{"rbac.authorization.k8s.io", "v1", "roles", "Role", true};
const ResourceRef kRoleBindings{"rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding",
                                true};
const ResourceRef kClusterRoles{"rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole",
                                false};
const ResourceRef kClusterRoleBindings{"rbac.authorization.k8s.io", "v1", "clusterrolebindings",
                                       "ClusterRoleBinding", false};
const ResourceRef kLeases{"coordination.k8s.io", "v1", "leases", "Lease", true};
const ResourceRef kCustomResourceDefinitions{
    "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false};
const ResourceRef kProfiles{"kubeflow.org", "v1", "profiles", "Profile", false};
const ResourceRef kDexPasswords{"dex.coreos.com", "v1", "passwords", "Password", true};
const ResourceRef kAuthorizationPolicies{"security.istio.io", "v1beta1", "authorizationpolicies",
                                         "AuthorizationPolicy", true};
}  // namespace resources

std::span<const ResourceRef> builtin_resources() {
  using namespace resources;
  static const std::array<ResourceRef, 15> table = {kNamespaces,
                                                    kConfigMaps,
                                                    kSecrets,
                                                    kServiceAccounts,
                                                    kResourceQuotas,
                                                    kDeployments,
                                                    kRoles,
                                                    kRoleBindings,
                                                    kClusterRoles,
                                                    kClusterRoleBindings,
                                                    kLeases,
                                                    kCustomResourceDefinitions,
                                                    kProfiles,
                                                    kDexPasswords,
                                                    kAuthorizationPolicies};
  return table;
}

std::pair<std::string, std::string> split_api_version(std::string_view api_version) {
  auto slash = api_version.find('/');
  if (slash == std::string_view::npos) return {"", std::string(api_version)};
  return {std::string(api_version.substr(0, slash)), std::string(api_version.substr(slash + 1))};
}

std::optional<ResourceRef> find_builtin(std::string_view api_version, std::string_view kind) {
  auto [group, version] = split_api_version(api_version);
  for (const auto& r : builtin_resources()) {
    if (r.group == group && r.version == version && r.kind == kind) return r;
  }
  return std::nullopt;
}

std::string group_version_path(std::string_view group, std::string_view version) {
  if (group.empty()) return fmt::format("/api/{}", version);
  return fmt::format("/apis/{}/{}", group, version);
}

std::string collection_path(const ResourceRef& ref, std::string_view ns) {
  std::string path = group_version_path(ref.group, ref.version);
  if (ref.namespaced && !ns.empty()) path += fmt::format("/namespaces/{}", ns);
  path += "/" + ref.resource;
  return path;
}

std::string object_path(const ResourceRef& ref, std::string_view ns, std::string_view name) {
  return collection_path(ref, ns) + "/" + std::string(name);
}

std::string subresource_path(const ResourceRef& ref, std::string_view ns, std::string_view name,
                             std::string_view subresource) {
  return object_path(ref, ns, name) + "/" + std::string(subresource);
}

Result<void> validate_path_segment(std::string_view value, std::string_view what) {
  if (value.empty())
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{} is empty", what));
  if (value == "." || value == "..") {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{} may not be '{}'", what, value));
  }
  for (char c : value) {
    if (c == '/' || c == '%') {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{} \"{}\" may not contain '{}'", what, value, c));
    }
  }
  return ok();
}

std::string query_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

Query& Query::add(std::string key, std::string value) {
  params_.emplace_back(std::move(key), std::move(value));
  return *this;
}

Query& Query::add_if(std::string key, std::string value) {
  if (!value.empty()) add(std::move(key), std::move(value));
  return *this;
}

std::string Query::str() const {
  std::string out;
  for (const auto& [k, v] : params_) {
    out += out.empty() ? '?' : '&';
    out += query_escape(k);
    out += '=';
    out += query_escape(v);
  }
  return out;
}

Result<std::vector<ResourceRef>> parse_api_resource_list(const nlohmann::json& doc) {
  if (!doc.is_object() || !doc.contains("groupVersion") || !doc["groupVersion"].is_string() ||
      !doc.contains("resources") || !doc["resources"].is_array()) {
    return make_error(ErrorCode::kParse,
                      "discovery document is not an APIResourceList (groupVersion, resources)");
  }
  auto [group, version] = split_api_version(doc["groupVersion"].get<std::string>());
  std::vector<ResourceRef> out;
  for (const auto& r : doc["resources"]) {
    if (!r.is_object()) continue;
    auto str = [&r](const char* key) {
      auto it = r.find(key);
      return it != r.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auto name = str("name");
    auto kind = str("kind");
    if (name.empty() || kind.empty() || name.find('/') != std::string::npos) continue;
    ResourceRef ref;
    ref.group = group;
    ref.version = version;
    ref.resource = name;
    ref.kind = kind;
    auto ns = r.find("namespaced");
    ref.namespaced = ns != r.end() && ns->is_boolean() && ns->get<bool>();
    out.push_back(std::move(ref));
  }
  return out;
}

}  // namespace kftenant::kube
