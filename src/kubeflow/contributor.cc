#include "kftenant/kubeflow/contributor.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "kftenant/kubeflow/naming.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/quote.h"

namespace kftenant::kubeflow {
namespace {

using nlohmann::json;

constexpr const char* kRbacGroup = "rbac.authorization.k8s.io";

std::string string_at(const json& object, const char* pointer) {
  const json::json_pointer p(pointer);
  if (!object.is_object() || !object.contains(p)) return {};
  const json& v = object.at(p);
  return v.is_string() ? v.get<std::string>() : std::string();
}

bool has_string_at(const json& object, const char* pointer) {
  const json::json_pointer p(pointer);
  return object.is_object() && object.contains(p) && object.at(p).is_string();
}

json contributor_metadata(std::string_view ns, std::string_view email, Role role) {
  return {{"name", binding_name("User", email, to_string(role))},
          {"namespace", ns},
          {"annotations", {{"user", email}, {"role", to_string(role)}}}};
}

std::optional<Role> role_from_cluster_role(std::string_view name) {
  for (Role r : {Role::kAdmin, Role::kEdit, Role::kView}) {
    if (name == cluster_role_name(r)) return r;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kEdit:
      return "edit";
    case Role::kView:
      return "view";
  }
  return "view";
}

std::string_view cluster_role_name(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "kubeflow-admin";
    case Role::kEdit:
      return "kubeflow-edit";
    case Role::kView:
      return "kubeflow-view";
  }
  return "kubeflow-view";
}

Result<Role> parse_role(std::string_view text) {
  for (Role r : {Role::kAdmin, Role::kEdit, Role::kView}) {
    if (text == to_string(r)) return r;
  }
  return make_error(
      ErrorCode::kInvalidArgument,
      fmt::format("invalid role {}: use admin, edit or view", quote_for_message(text)));
}

json build_contributor_role_binding(std::string_view ns, std::string_view email, Role role) {
  return {
      {"apiVersion", "rbac.authorization.k8s.io/v1"},
      {"kind", "RoleBinding"},
      {"metadata", contributor_metadata(ns, email, role)},
      {"roleRef",
       {{"apiGroup", kRbacGroup}, {"kind", "ClusterRole"}, {"name", cluster_role_name(role)}}},
      {"subjects", json::array({{{"apiGroup", kRbacGroup}, {"kind", "User"}, {"name", email}}})},
  };
}

json build_contributor_policy(std::string_view ns, std::string_view email, Role role,
                              const ContributorOptions& options) {
  // kfam/bindings.go getAuthorizationPolicy: one rule, `when` the userid header carries the
  // user, `from` the ingress gateway or the KFP UI; Action left unset (ALLOW).
  json rule = {
      {"from", json::array({{{"source", {{"principals", options.principals}}}}})},
      {"when",
       json::array({{{"key", fmt::format("request.headers[{}]", options.userid_header)},
                     {"values", json::array({options.userid_prefix + std::string(email)})}}})},
  };
  return {
      {"apiVersion", "security.istio.io/v1beta1"},
      {"kind", "AuthorizationPolicy"},
      {"metadata", contributor_metadata(ns, email, role)},
      {"spec", {{"rules", json::array({rule})}}},
  };
}

std::vector<std::string> holders_of(const json& object, const ContributorOptions& options) {
  std::vector<std::string> out;
  auto add = [&](std::string email) {
    if (!email.empty() && std::find(out.begin(), out.end(), email) == out.end())
      out.push_back(std::move(email));
  };
  add(string_at(object, "/metadata/annotations/user"));
  if (auto it = object.find("subjects"); it != object.end() && it->is_array())
    for (const auto& subject : *it)
      if (string_at(subject, "/kind") == "User") add(string_at(subject, "/name"));
  const std::string header_key = fmt::format("request.headers[{}]", options.userid_header);
  const json::json_pointer rules_ptr("/spec/rules");
  if (object.is_object() && object.contains(rules_ptr) && object.at(rules_ptr).is_array()) {
    for (const auto& rule : object.at(rules_ptr)) {
      if (!rule.is_object() || !rule.contains("when") || !rule["when"].is_array()) continue;
      for (const auto& condition : rule["when"]) {
        if (string_at(condition, "/key") != header_key) continue;
        if (!condition.contains("values") || !condition["values"].is_array()) continue;
        for (const auto& v : condition["values"]) {
          if (!v.is_string()) continue;
          std::string value = v.get<std::string>();
          if (value.rfind(options.userid_prefix, 0) == 0)
            add(value.substr(options.userid_prefix.size()));
        }
      }
    }
  }
  return out;
}

std::vector<Contributor> contributors_from(const std::vector<json>& role_bindings,
                                           const std::vector<json>& policies,
                                           const ContributorOptions& options) {
  // Policies by (namespace, name); `used` marks those matched to a RoleBinding.
  std::map<std::pair<std::string, std::string>, const json*> policy_by_key;
  for (const auto& p : policies) {
    policy_by_key[{string_at(p, "/metadata/namespace"), string_at(p, "/metadata/name")}] = &p;
  }
  std::map<std::pair<std::string, std::string>, bool> used;

  std::vector<Contributor> out;
  for (const auto& rb : role_bindings) {
    // KFAM BindingClient.List: only RoleBindings with both annotations count.
    if (!has_string_at(rb, "/metadata/annotations/user") ||
        !has_string_at(rb, "/metadata/annotations/role")) {
      continue;
    }
    const std::string ns = string_at(rb, "/metadata/namespace");
    const std::string name = string_at(rb, "/metadata/name");
    const std::string role_annotation = string_at(rb, "/metadata/annotations/role");
    const std::string cluster_role = string_at(rb, "/roleRef/name");
    const std::string where = ns.empty() ? name : ns + "/" + name;

    Contributor c;
    c.email = string_at(rb, "/metadata/annotations/user");
    c.binding_name = name;
    c.has_binding = true;
    c.is_owner = name == kOwnerRoleBinding;
    const std::optional<Role> bound_role = role_from_cluster_role(cluster_role);
    if (!bound_role) {
      if (auto r = parse_role(role_annotation)) c.role = *r;
      c.problems.push_back(
          fmt::format("RoleBinding {} refers to ClusterRole {}, not a Kubeflow "
                      "role (kubeflow-admin, kubeflow-edit, kubeflow-view)",
                      where, quote_for_message(cluster_role)));
    } else {
      c.role = *bound_role;
      if (role_annotation != to_string(*bound_role)) {
        c.problems.push_back(
            fmt::format("RoleBinding {}: role annotation {} differs from roleRef "
                        "{}",
                        where, quote_for_message(role_annotation), cluster_role));
      }
    }
    const json* subjects = rb.contains("subjects") ? &rb["subjects"] : nullptr;
    const std::size_t n_subjects = subjects && subjects->is_array() ? subjects->size() : 0;
    if (n_subjects != 1) {
      c.problems.push_back(
          fmt::format("RoleBinding {} has {} subjects: KFAM fails to list any "
                      "binding in this namespace unless there is exactly 1",
                      where, n_subjects));
    } else if (string_at((*subjects)[0], "/name") != c.email) {
      c.problems.push_back(fmt::format("RoleBinding {} binds {} but its user annotation says {}",
                                       where, quote_for_message(string_at((*subjects)[0], "/name")),
                                       quote_for_message(c.email)));
    }

    if (!c.is_owner) {
      // A role annotation that disagrees with the roleRef is reported above; either role's
      // name is then KFAM's.
      const std::string kfam_name = binding_name("User", c.email, to_string(c.role));
      if (name != kfam_name && name != binding_name("User", c.email, role_annotation))
        c.problems.push_back(fmt::format(
            "RoleBinding {} is not named as KFAM names {} as {} ({}): the dashboard cannot "
            "remove it",
            where, quote_for_message(c.email), to_string(c.role), kfam_name));
    }

    const std::string policy_name = c.is_owner ? kOwnerAuthorizationPolicy : name;
    auto it = policy_by_key.find({ns, policy_name});
    if (it != policy_by_key.end()) {
      c.has_policy = true;
      used[it->first] = true;
      const std::string policy_user = string_at(*it->second, "/metadata/annotations/user");
      if (!c.is_owner && policy_user != c.email) {
        c.problems.push_back(fmt::format(
            "AuthorizationPolicy {}/{} is annotated for user {}, "
            "not {}",
            ns, policy_name, quote_for_message(policy_user), quote_for_message(c.email)));
      } else if (!c.is_owner) {
        for (const auto& holder : holders_of(*it->second, options)) {
          if (holder == c.email) continue;
          c.problems.push_back(fmt::format(
              "AuthorizationPolicy {}/{} admits {}, not {}: two emails with the same KFAM "
              "binding name share these objects",
              ns, policy_name, quote_for_message(holder), quote_for_message(c.email)));
        }
      }
    } else {
      c.problems.push_back(
          fmt::format("AuthorizationPolicy {}/{} missing: the user cannot "
                      "reach the namespace's services through Istio",
                      ns, policy_name));
    }
    out.push_back(std::move(c));
  }

  // Annotated policies without their RoleBinding: KFAM shows nothing, access is half there.
  for (const auto& p : policies) {
    const std::string ns = string_at(p, "/metadata/namespace");
    const std::string name = string_at(p, "/metadata/name");
    if (used.count({ns, name}) || name == kOwnerAuthorizationPolicy) continue;
    if (!has_string_at(p, "/metadata/annotations/user") ||
        !has_string_at(p, "/metadata/annotations/role")) {
      continue;
    }
    Contributor c;
    c.email = string_at(p, "/metadata/annotations/user");
    c.binding_name = name;
    c.has_policy = true;
    if (auto r = parse_role(string_at(p, "/metadata/annotations/role"))) c.role = *r;
    c.problems.push_back(
        fmt::format("RoleBinding {}/{} missing: KFAM and the dashboard do not "
                    "list this contributor and Kubernetes grants no access",
                    ns, name));
    out.push_back(std::move(c));
  }

  std::stable_sort(out.begin(), out.end(), [](const Contributor& a, const Contributor& b) {
    return std::tuple(!a.is_owner, a.email, a.binding_name) <
           std::tuple(!b.is_owner, b.email, b.binding_name);
  });
  return out;
}

}  // namespace kftenant::kubeflow
