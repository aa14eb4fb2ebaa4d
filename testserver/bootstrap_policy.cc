#include "testserver/bootstrap_policy.h"

#include <string>

namespace kftenant::testserver {
namespace {

using nlohmann::json;

json default_metadata(const std::string& name) {
  return {{"name", name},
          {"labels", {{"kubernetes.io/bootstrapping", "rbac-defaults"}}},
          {"annotations", {{"rbac.authorization.kubernetes.io/autoupdate", "true"}}}};
}

json cluster_role(const std::string& name, json rules) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRole"},
          {"metadata", default_metadata(name)},
          {"rules", std::move(rules)}};
}

// NewClusterBinding(role).Groups(groups...): binding and role share the name.
json cluster_binding(const std::string& role, const std::vector<std::string>& groups) {
  json subjects = json::array();
  for (const auto& g : groups) {
    subjects.push_back({{"kind", "Group"}, {"apiGroup", "rbac.authorization.k8s.io"}, {"name", g}});
  }
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRoleBinding"},
          {"metadata", default_metadata(role)},
          {"subjects", subjects},
          {"roleRef",
           {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", role}}}};
}

json get_urls(std::vector<std::string> urls) {
  return json::array({{{"verbs", {"get"}}, {"nonResourceURLs", urls}}});
}

}  // namespace

std::vector<json> bootstrap_cluster_roles() {
  return {
      cluster_role("cluster-admin",
                   json::array({{{"verbs", {"*"}}, {"apiGroups", {"*"}}, {"resources", {"*"}}},
                                {{"verbs", {"*"}}, {"nonResourceURLs", {"*"}}}})),
      cluster_role("system:discovery",
                   get_urls({"/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi",
                             "/openapi/*", "/readyz", "/version", "/version/"})),
      cluster_role(
          "system:basic-user",
          json::array({{{"verbs", {"create"}},
                        {"apiGroups", {"authorization.k8s.io"}},
                        {"resources", {"selfsubjectaccessreviews", "selfsubjectrulesreviews"}}}})),
      cluster_role("system:public-info-viewer",
                   get_urls({"/healthz", "/livez", "/readyz", "/version", "/version/"})),
  };
}

std::vector<json> bootstrap_cluster_role_bindings() {
  return {
      cluster_binding("cluster-admin", {"system:masters"}),
      cluster_binding("system:discovery", {"system:authenticated"}),
      cluster_binding("system:basic-user", {"system:authenticated"}),
      cluster_binding("system:public-info-viewer",
                      {"system:authenticated", "system:unauthenticated"}),
  };
}

}  // namespace kftenant::testserver
