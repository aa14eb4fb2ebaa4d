// The escalation checks of the RBAC storage (pkg/registry/rbac/*/policybased/storage.go,
// 1.26): who may write which Roles, ClusterRoles and bindings. See rbac_escalation.h.
#include "testserver/rbac_escalation.h"
#include "testserver/server_impl.h"

namespace kftenant::testserver {

thread_local const User* request_user = nullptr;

namespace {

const char kRbacGroup[] = "rbac.authorization.k8s.io";

bool has_aggregation_rule(const ojson& role) {
  auto it = role.find("aggregationRule");
  if (it == role.end() || !it->is_object()) return false;
  auto sel = it->find("clusterRoleSelectors");
  return sel != it->end() && sel->is_array() && !sel->empty();
}

// rbacregistry.IsOnlyMutatingGCFields: nothing but ownerReferences, finalizers and the
// deletion fields differ (and what the server itself maintains).
bool only_gc_fields_change(const ojson& old, const ojson& neu) {
  auto strip = [](ojson o) {
    if (o.contains("metadata") && o["metadata"].is_object()) {
      for (const char* f : {"ownerReferences", "finalizers", "selfLink", "deletionTimestamp",
                            "deletionGracePeriodSeconds", "resourceVersion", "managedFields", "uid",
                            "creationTimestamp", "generation"}) {
        o["metadata"].erase(f);
      }
    }
    return o;
  };
  return strip(old) == strip(neu);
}

// fullAuthority of clusterrole/policybased: what an aggregationRule can gather.
ojson full_authority() {
  return ojson::parse(R"([{"verbs":["*"],"apiGroups":["*"],"resources":["*"]},
                          {"verbs":["*"],"nonResourceURLs":["*"]}])");
}

}  // namespace

std::optional<Reply> ApiServer::Impl::check_rbac_escalation(const Route& r, const ojson& obj,
                                                            const ojson* old) {
  const ResourceType& info = *r.info;
  if (info.group != kRbacGroup) return std::nullopt;
  // EscalationAllowed: system:masters. Controllers of this server write without a user.
  const User* user = request_user;
  if (!user || user->is_master()) return std::nullopt;
  if (old && only_gc_fields_change(*old, obj)) return std::nullopt;
  const ojson& meta = obj.contains("metadata") ? obj["metadata"] : ojson::object();
  std::string name = meta.value("name", "");
  auto forbid = [&](const std::string& why) {
    return Reply::status_body(forbidden(r.gr(), name, why));
  };
  auto policy = store_rbac_policy();
  UserInfo u{user->name, user->groups};
  // ConfirmNoEscalation: the user's rules in the request's namespace must cover `rules`.
  auto escalates = [&](const ojson& rules) -> std::optional<std::string> {
    RulesForResult owner = rbac_rules_for(*policy, u, r.ns, RoleLookup::kRegistry);
    std::vector<ojson> missing;
    if (rules_cover(owner.rules, rules, &missing)) return std::nullopt;
    return escalation_message(u.name, u.groups, missing, owner.errors);
  };

  if (info.kind == "Role" || info.kind == "ClusterRole") {
    // RoleEscalationAuthorized: the "escalate" verb on this role.
    RequestInfo escalate;
    escalate.resource_request = true;
    escalate.verb = "escalate";
    escalate.api_group = info.group;
    escalate.api_version = "*";
    escalate.resource = info.plural;
    escalate.name = r.name;  // the URL's name: empty on a create
    escalate.ns = r.ns;
    if (decide_locked(*user, escalate).allowed) return std::nullopt;
    if (auto why = escalates(obj.value("rules", ojson::array()))) return forbid(*why);
    if (info.kind == "ClusterRole" &&
        (has_aggregation_rule(obj) || (old && has_aggregation_rule(*old))) &&
        escalates(full_authority())) {
      return forbid("must have cluster-admin privileges to use the aggregationRule");
    }
    return std::nullopt;
  }

  // Bindings: BindingAuthorized (the "bind" verb on the referenced role, checked in the
  // binding's namespace), else the user must hold the role's rules.
  const ojson role_ref = obj.value("roleRef", ojson::object());
  std::string ref_kind = role_ref.value("kind", "");
  std::string binding_ns = info.kind == "RoleBinding" ? r.ns : "";
  if (ref_kind == "Role" || ref_kind == "ClusterRole") {
    RequestInfo bind;
    bind.resource_request = true;
    bind.verb = "bind";
    // Checked after defaulting (SetDefaults_RoleBinding: an empty apiGroup is RBAC's).
    bind.api_group = role_ref.value("apiGroup", "");
    if (bind.api_group.empty()) bind.api_group = kRbacGroup;
    bind.resource = ref_kind == "Role" ? "roles" : "clusterroles";
    bind.name = role_ref.value("name", "");
    bind.ns = binding_ns;
    if (decide_locked(*user, bind).allowed) return std::nullopt;
  }
  std::string error;
  const ojson* rules = role_ref_rules(*policy, role_ref, binding_ns, RoleLookup::kRegistry, &error);
  if (!rules) return forbid(error);
  if (auto why = escalates(*rules)) return forbid(*why);
  return std::nullopt;
}

}  // namespace kftenant::testserver
