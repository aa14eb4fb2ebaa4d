// Helpers for the RBAC tests: Roles, ClusterRoles and bindings as a user would write them, and
// clients for non-admin users.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "server_test_util.h"

namespace kftenant::testserver::testing {

inline const std::string kRbac = "/apis/rbac.authorization.k8s.io/v1";
inline const std::string kSsar = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

inline json rule(std::vector<std::string> groups, std::vector<std::string> resources,
                 std::vector<std::string> verbs, std::vector<std::string> names = {}) {
  json r = {{"apiGroups", groups}, {"resources", resources}, {"verbs", verbs}};
  if (!names.empty()) r["resourceNames"] = names;
  return r;
}

inline json url_rule(std::vector<std::string> urls, std::vector<std::string> verbs) {
  return {{"nonResourceURLs", urls}, {"verbs", verbs}};
}

inline json role_object(const std::string& name, const std::string& ns, json rules) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "Role"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"rules", std::move(rules)}};
}

inline json cluster_role_object(const std::string& name, json rules, json labels = nullptr) {
  json r = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
            {"kind", "ClusterRole"},
            {"metadata", {{"name", name}}},
            {"rules", std::move(rules)}};
  if (!labels.is_null()) r["metadata"]["labels"] = labels;
  return r;
}

inline json user(const std::string& name) {
  return {{"kind", "User"}, {"name", name}};
}
inline json group(const std::string& name) {
  return {{"kind", "Group"}, {"name", name}};
}
inline json service_account(const std::string& name, const std::string& ns = "") {
  json s = {{"kind", "ServiceAccount"}, {"name", name}};
  if (!ns.empty()) s["namespace"] = ns;
  return s;
}

inline json role_binding(const std::string& name, const std::string& ns,
                         const std::string& role_kind, const std::string& role, json subjects) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "RoleBinding"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"subjects", std::move(subjects)},
          {"roleRef", {{"kind", role_kind}, {"name", role}}}};
}

inline json cluster_role_binding(const std::string& name, const std::string& role, json subjects) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRoleBinding"},
          {"metadata", {{"name", name}}},
          {"subjects", std::move(subjects)},
          {"roleRef", {{"kind", "ClusterRole"}, {"name", role}}}};
}

inline json resource_review(json attributes) {
  return {{"apiVersion", "authorization.k8s.io/v1"},
          {"kind", "SelfSubjectAccessReview"},
          {"spec", {{"resourceAttributes", std::move(attributes)}}}};
}

class RbacTest : public ServerTest {
 protected:
  // A bearer-token client for `name` in `groups` (system:authenticated is added by the server).
  std::unique_ptr<Client> as(const std::string& name, const std::vector<std::string>& groups = {}) {
    std::string token = "token-" + name;
    for (const auto& g : groups) token += "-" + g;
    server->add_user_token(token, name, groups);
    return std::make_unique<Client>(*server, token);
  }
  // POSTs `obj` as admin to `collection` and expects 201.
  void create(const std::string& collection, const json& obj) {
    auto r = admin->post(collection, obj);
    ASSERT_EQ(r.status, 201) << collection << ": " << r.body;
  }
  void create_namespace(const std::string& name) {
    create("/api/v1/namespaces", {{"metadata", {{"name", name}}}});
  }
  void create_role(const std::string& ns, const json& role) {
    create(kRbac + "/namespaces/" + ns + "/roles", role);
  }
  void create_role_binding(const std::string& ns, const json& binding) {
    create(kRbac + "/namespaces/" + ns + "/rolebindings", binding);
  }
  void create_cluster_role(const json& role) { create(kRbac + "/clusterroles", role); }
  void create_cluster_role_binding(const json& binding) {
    create(kRbac + "/clusterrolebindings", binding);
  }
  // The `status` of a SelfSubjectAccessReview posted by `client` (which must be created: 201).
  static json review_status(Client& client, const json& review) {
    auto r = client.post(kSsar, review);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.j()["status"];
  }
};

}  // namespace kftenant::testserver::testing
