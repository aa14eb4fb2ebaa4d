// Which REST resource an object lives in, and the URL paths of the Kubernetes API conventions:
//   core group:   /api/v1[/namespaces/<ns>]/<resource>[/<name>[/<subresource>]]
//   other groups: /apis/<group>/<version>[/namespaces/<ns>]/<resource>[/<name>[/<subresource>]]
// A built-in table covers the kinds kftenant uses; anything else is resolved through discovery
// (Client::resolve, which reads the APIResourceList of /api/v1 or /apis/<group>/<version>).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kftenant/error.h"

namespace kftenant::kube {

struct ResourceRef {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string resource;  // plural, lower case: "configmaps"
  std::string kind;      // "ConfigMap"
  bool namespaced = true;

  // "v1" for the core group, "<group>/<version>" otherwise.
  [[nodiscard]] std::string api_version() const;
  // "configmaps" or "profiles.kubeflow.org", as the server names resources in its messages.
  [[nodiscard]] std::string group_resource() const;

  friend bool operator==(const ResourceRef&, const ResourceRef&) = default;
};

// The built-in table.
namespace resources {
extern const ResourceRef kNamespaces;
extern const ResourceRef kConfigMaps;
extern const ResourceRef kSecrets;
extern const ResourceRef kServiceAccounts;
extern const ResourceRef kResourceQuotas;
extern const ResourceRef kDeployments;
extern const ResourceRef kRoles;
extern const ResourceRef kRoleBindings;
extern const ResourceRef kClusterRoles;
extern const ResourceRef kClusterRoleBindings;
extern const ResourceRef kLeases;
extern const ResourceRef kCustomResourceDefinitions;
extern const ResourceRef kProfiles;               // kubeflow.org/v1, cluster-scoped
extern const ResourceRef kDexPasswords;           // dex.coreos.com/v1, namespaced
extern const ResourceRef kAuthorizationPolicies;  // security.istio.io/v1beta1, namespaced
}  // namespace resources

// Every entry of the built-in table.
[[nodiscard]] std::span<const ResourceRef> builtin_resources();

// Table lookup by apiVersion ("v1", "apps/v1") and kind.
[[nodiscard]] std::optional<ResourceRef> find_builtin(std::string_view api_version,
                                                      std::string_view kind);

// Splits an apiVersion into (group, version): "v1" → ("", "v1"), "apps/v1" → ("apps", "v1").
[[nodiscard]] std::pair<std::string, std::string> split_api_version(std::string_view api_version);

// "/api/v1" or "/apis/<group>/<version>".
[[nodiscard]] std::string group_version_path(std::string_view group, std::string_view version);

// Path of the collection. For a namespaced resource an empty `ns` means all namespaces; for a
// cluster-scoped resource `ns` is ignored.
[[nodiscard]] std::string collection_path(const ResourceRef& ref, std::string_view ns);
// Path of one object (and of one of its subresources, e.g. "status").
[[nodiscard]] std::string object_path(const ResourceRef& ref, std::string_view ns,
                                      std::string_view name);
[[nodiscard]] std::string subresource_path(const ResourceRef& ref, std::string_view ns,
                                           std::string_view name, std::string_view subresource);

// Checks a name, namespace or subresource before it goes into a URL path: not empty, not "." or
// "..", no '/' or '%' (as client-go's rest.IsValidPathSegmentName). `what` names it in the message.
[[nodiscard]] Result<void> validate_path_segment(std::string_view value, std::string_view what);

// Query string builder: keeps insertion order, encodes like Go's url.QueryEscape (space → '+',
// everything but [A-Za-z0-9-_.~] percent-encoded), as the server and kubectl expect.
class Query {
 public:
  Query& add(std::string key, std::string value);
  // Adds only when value is not empty.
  Query& add_if(std::string key, std::string value);
  // "" when empty, else "?k=v&k2=v2".
  [[nodiscard]] std::string str() const;
  [[nodiscard]] bool empty() const { return params_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

// Percent-encodes one query component (Go's url.QueryEscape).
[[nodiscard]] std::string query_escape(std::string_view s);

// The resources of an APIResourceList discovery document (subresources such as
// "profiles/status" are skipped).
[[nodiscard]] Result<std::vector<ResourceRef>> parse_api_resource_list(const nlohmann::json& doc);

}  // namespace kftenant::kube
