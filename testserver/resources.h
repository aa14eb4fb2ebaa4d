// What the test API server knows about each resource type: group/versions/kind/plural, scope,
// subresources, whether it carries metadata.generation, and (for custom resources) the schema
// of each served version. Built-ins come from a fixed table; custom resources are registered
// when a CustomResourceDefinition is stored and dropped when it is deleted.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kftenant::testserver {

using ojson = nlohmann::ordered_json;

struct ResourceType {
  std::string group;                  // "" for the core group
  std::vector<std::string> versions;  // served; versions[0] is the preferred/storage version
  std::string kind;
  std::string plural;
  std::string singular;  // "" for built-ins, as their discovery documents say
  std::vector<std::string> short_names;
  bool namespaced = true;
  bool has_status = false;      // a /status subresource
  bool has_scale = false;       // a /scale subresource (Deployments)
  bool has_generation = false;  // metadata.generation is maintained
  bool custom = false;          // defined by a CRD: keys sorted, no strategic merge patch
  // Custom resources: openAPIV3Schema per served version (null when none).
  std::map<std::string, nlohmann::json> schemas;

  // "configmaps" or "profiles.kubeflow.org": how the server names the resource in messages,
  // and the key under which the store files the objects.
  [[nodiscard]] std::string group_resource() const {
    return group.empty() ? plural : plural + "." + group;
  }
  [[nodiscard]] std::string api_version(const std::string& version) const {
    return group.empty() ? version : group + "/" + version;
  }
  // "ConfigMap" or "Profile.kubeflow.org": how validation messages name the kind.
  [[nodiscard]] std::string qualified_kind() const {
    return group.empty() ? kind : kind + "." + group;
  }
  [[nodiscard]] bool serves(const std::string& version) const;
};

// The registry of served resources. Not thread-safe: callers hold the store lock.
class ResourceRegistry {
 public:
  ResourceRegistry();

  // The resource at /api(s)/<group>/<version>/<plural>, or null.
  [[nodiscard]] std::shared_ptr<const ResourceType> find(const std::string& group,
                                                         const std::string& version,
                                                         const std::string& plural) const;
  // By group and kind (any version), or null: used to resolve ownerReferences.
  [[nodiscard]] std::shared_ptr<const ResourceType> find_kind(const std::string& group,
                                                              const std::string& kind) const;
  [[nodiscard]] std::shared_ptr<const ResourceType> find_group_resource(
      const std::string& group_resource) const;
  // Whether any served resource lives in this group (for "404 page not found" vs Status).
  [[nodiscard]] bool has_group_version(const std::string& group, const std::string& version) const;
  [[nodiscard]] bool has_group(const std::string& group) const;

  // Registers (or replaces) the custom resource that a CRD object defines; nullopt when the
  // CRD is malformed. Returns the group_resource key.
  std::optional<std::string> register_crd(const nlohmann::json& crd);
  void unregister(const std::string& group_resource);

  [[nodiscard]] std::vector<std::shared_ptr<const ResourceType>> all() const;

 private:
  std::map<std::string, std::shared_ptr<const ResourceType>> by_gr_;
};

}  // namespace kftenant::testserver
