#include "testserver/rbac.h"

#include <functional>
#include <set>

#include "testserver/validation.h"

namespace kftenant::testserver {
namespace {

const ojson& strings_of(const ojson& rule, const char* field) {
  static const ojson kEmpty = ojson::array();
  auto it = rule.find(field);
  return it != rule.end() && it->is_array() ? *it : kEmpty;
}

bool has_string(const ojson& list, const std::string& want) {
  for (const auto& v : list) {
    if (v.is_string() && v.get<std::string>() == want) return true;
  }
  return false;
}

std::string str(const ojson& obj, const char* field) {
  auto it = obj.find(field);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// evaluation_helpers.go VerbMatches / APIGroupMatches: exact or "*".
bool matches_or_all(const ojson& list, const std::string& want) {
  return has_string(list, "*") || has_string(list, want);
}

// ResourceMatches: "*", the exact "resource[/subresource]", or "*/subresource".
bool resource_matches(const ojson& rule, const std::string& combined,
                      const std::string& subresource) {
  for (const auto& v : strings_of(rule, "resources")) {
    if (!v.is_string()) continue;
    const std::string& r = v.get_ref<const std::string&>();
    if (r == "*" || r == combined) return true;
    if (!subresource.empty() && r == "*/" + subresource) return true;
  }
  return false;
}

// ResourceNameMatches: no names = any name.
bool resource_name_matches(const ojson& rule, const std::string& name) {
  const ojson& names = strings_of(rule, "resourceNames");
  return names.empty() || has_string(names, name);
}

// NonResourceURLMatches: "*", exact, or a trailing-"*" prefix.
bool non_resource_url_matches(const ojson& rule, const std::string& path) {
  for (const auto& v : strings_of(rule, "nonResourceURLs")) {
    if (!v.is_string()) continue;
    std::string u = v.get<std::string>();
    if (u == "*" || u == path) return true;
    if (!u.empty() && u.back() == '*') {
      while (!u.empty() && u.back() == '*') u.pop_back();  // strings.TrimRight(u, "*")
      if (path.rfind(u, 0) == 0) return true;
    }
  }
  return false;
}

// rule.go describeSubject.
std::string describe_subject(const ojson& s, const std::string& binding_ns) {
  std::string kind = str(s, "kind");
  if (kind == "ServiceAccount") {
    std::string ns = str(s, "namespace");
    return kind + " " + go_quote(str(s, "name") + "/" + (ns.empty() ? binding_ns : ns));
  }
  return kind + " " + go_quote(str(s, "name"));
}

// utilerrors.NewAggregate(errs).Error(): one error as is, several de-duplicated in "[a, b]".
std::string aggregate(const std::vector<std::string>& errors) {
  if (errors.empty()) return "";
  if (errors.size() == 1) return errors[0];
  std::set<std::string> seen;
  std::string out;
  for (const auto& e : errors) {
    if (!seen.insert(e).second) continue;
    if (seen.size() > 1) out += ", ";
    out += e;
  }
  return seen.size() == 1 ? out : "[" + out + "]";
}

// Returns false from `visit` to stop. `source` describes the binding (for the allow reason).
using Visitor =
    std::function<bool(const std::string& source, const ojson* rule, const std::string* error)>;

std::string not_found_text(const char* resource, const std::string& name) {
  return std::string(resource) + ".rbac.authorization.k8s.io " + go_quote(name) + " not found";
}

// The index of the first subject that applies (appliesTo), or -1.
int applying_subject(const UserInfo& user, const ojson& binding, const std::string& ns) {
  auto it = binding.find("subjects");
  if (it == binding.end() || !it->is_array()) return -1;
  for (size_t i = 0; i < it->size(); ++i) {
    if (subject_applies(user, (*it)[i], ns)) return static_cast<int>(i);
  }
  return -1;
}

// DefaultRuleResolver.VisitRulesFor.
void visit_rules_for(const RbacPolicy& policy, const UserInfo& user, const std::string& ns,
                     RoleLookup lookup, const Visitor& visit) {
  auto visit_binding = [&](const ojson& binding, const std::string& binding_ns) {
    int index = applying_subject(user, binding, binding_ns);
    if (index < 0) return true;
    const ojson& role_ref = binding.contains("roleRef") ? binding["roleRef"] : ojson::object();
    std::string error;
    const ojson* rules = role_ref_rules(policy, role_ref, binding_ns, lookup, &error);
    if (!rules) return visit("", nullptr, &error);
    const ojson& meta = binding.contains("metadata") ? binding["metadata"] : ojson::object();
    std::string name = str(meta, "name");
    std::string source = binding_ns.empty() ? "ClusterRoleBinding " + go_quote(name)
                                            : "RoleBinding " + go_quote(name + "/" + binding_ns);
    source += " of " + str(role_ref, "kind") + " " + go_quote(str(role_ref, "name")) + " to " +
              describe_subject(binding["subjects"][static_cast<size_t>(index)], binding_ns);
    for (const auto& rule : *rules) {
      if (!visit(source, &rule, nullptr)) return false;
    }
    return true;
  };
  for (const ojson* b : policy.cluster_role_bindings()) {
    if (!visit_binding(*b, "")) return;
  }
  if (ns.empty()) return;
  for (const ojson* b : policy.role_bindings(ns)) {
    if (!visit_binding(*b, ns)) return;
  }
}

}  // namespace

const ojson* role_ref_rules(const RbacPolicy& policy, const ojson& role_ref,
                            const std::string& binding_ns, RoleLookup lookup, std::string* error) {
  static const ojson kNone = ojson::array();
  std::string kind = str(role_ref, "kind");
  std::string name = str(role_ref, "name");
  const ojson* role = nullptr;
  if (kind == "Role") {
    role = policy.role(binding_ns, name);
    if (!role) *error = not_found_text(lookup == RoleLookup::kLister ? "role" : "roles", name);
  } else if (kind == "ClusterRole") {
    role = policy.cluster_role(name);
    if (!role) {
      *error = not_found_text(lookup == RoleLookup::kLister ? "clusterrole" : "clusterroles", name);
    }
  } else {
    *error = "unsupported role reference kind: " + go_quote(kind);
  }
  if (!role) return nullptr;
  auto it = role->find("rules");
  return it != role->end() && it->is_array() ? &*it : &kNone;
}

bool rule_allows(const RequestInfo& request, const ojson& rule) {
  if (!rule.is_object()) return false;
  if (!matches_or_all(strings_of(rule, "verbs"), request.verb)) return false;
  if (request.resource_request) {
    std::string combined = request.resource;
    if (!request.subresource.empty()) combined += "/" + request.subresource;
    return matches_or_all(strings_of(rule, "apiGroups"), request.api_group) &&
           resource_matches(rule, combined, request.subresource) &&
           resource_name_matches(rule, request.name);
  }
  return non_resource_url_matches(rule, request.path);
}

bool subject_applies(const UserInfo& user, const ojson& subject, const std::string& ns) {
  if (!subject.is_object()) return false;
  std::string kind = str(subject, "kind");
  std::string name = str(subject, "name");
  if (kind == "User") return user.name == name;
  if (kind == "Group") {
    for (const auto& g : user.groups) {
      if (g == name) return true;
    }
    return false;
  }
  if (kind == "ServiceAccount") {
    // A RoleBinding's ServiceAccount subject without a namespace means the binding's own.
    std::string sa_ns = str(subject, "namespace");
    if (sa_ns.empty()) sa_ns = ns;
    if (sa_ns.empty()) return false;
    return user.name == "system:serviceaccount:" + sa_ns + ":" + name;  // MatchesUsername
  }
  return false;
}

AuthzDecision rbac_authorize(const RbacPolicy& policy, const UserInfo& user,
                             const RequestInfo& request) {
  AuthzDecision d;
  std::vector<std::string> errors;
  visit_rules_for(policy, user, request.ns, RoleLookup::kLister,
                  [&](const std::string& source, const ojson* rule, const std::string* error) {
                    if (rule && rule_allows(request, *rule)) {
                      d.allowed = true;
                      d.reason = "RBAC: allowed by " + source;
                      return false;
                    }
                    if (error) errors.push_back(*error);
                    return true;
                  });
  if (!d.allowed && !errors.empty()) d.reason = "RBAC: " + aggregate(errors);
  return d;
}

RulesForResult rbac_rules_for(const RbacPolicy& policy, const UserInfo& user, const std::string& ns,
                              RoleLookup lookup) {
  RulesForResult out;
  std::vector<std::string> errors;
  visit_rules_for(policy, user, ns, lookup,
                  [&](const std::string&, const ojson* rule, const std::string* error) {
                    if (rule) out.rules.push_back(*rule);
                    if (error) errors.push_back(*error);
                    return true;
                  });
  out.errors = aggregate(errors);
  return out;
}

ojson forbidden_request(const RequestInfo& request, const std::string& user,
                        const std::string& reason) {
  std::string msg;
  if (!request.resource_request) {
    msg = "User " + go_quote(user) + " cannot " + request.verb + " path " + go_quote(request.path);
  } else {
    std::string resource = request.resource;
    if (!request.subresource.empty()) resource += "/" + request.subresource;
    msg = "User " + go_quote(user) + " cannot " + request.verb + " resource " + go_quote(resource) +
          " in API group " + go_quote(request.api_group) +
          (request.ns.empty() ? std::string(" at the cluster scope")
                              : " in the namespace " + go_quote(request.ns));
  }
  // "Avoid emitting errors that look like valid HTML" (sanitizer; the reason is not escaped).
  std::string sanitized;
  for (char c : msg) {
    if (c == '&') {
      sanitized += "&amp;";
    } else if (c == '<') {
      sanitized += "&lt;";
    } else if (c == '>') {
      sanitized += "&gt;";
    } else {
      sanitized += c;
    }
  }
  if (!reason.empty()) sanitized += ": " + reason;
  return forbidden(GroupResource{request.api_group, request.resource}, request.name, sanitized);
}

}  // namespace kftenant::testserver
