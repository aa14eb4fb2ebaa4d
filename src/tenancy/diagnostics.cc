#include "kftenant/tenancy/diagnostics.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "kftenant/base64.h"
#include "kftenant/dex/config_check.h"
#include "kftenant/dex/password_object.h"
#include "kftenant/dex/static_passwords.h"
#include "kftenant/kubeflow/naming.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/plan/plan_view.h"
#include "kftenant/tenancy/onboard.h"
#include "kftenant/tenancy/profiles.h"

namespace kftenant::tenancy {
namespace {

using nlohmann::json;

std::string string_at(const json& j, const char* pointer) {
  const json::json_pointer p(pointer);
  if (!j.is_object() || !j.contains(p) || !j.at(p).is_string()) return {};
  return j.at(p).get<std::string>();
}

// A list that is empty when the store does not know the kind (CRD not installed).
Result<std::vector<json>> list_or_empty(store::ObjectStore& store, const char* api_version,
                                        const char* kind, const std::string& ns = "") {
  auto items = store.list(api_version, kind, ns);
  if (!items && items.error().code == ErrorCode::kNotFound) return std::vector<json>();
  return items;
}

std::string where(const dex::DexUser& u) {
  return u.backend == dex::Backend::kStatic && u.line > 0
             ? u.location + " config.yaml line " + std::to_string(u.line)
             : u.location;
}

// Whether the Dex Deployment's containers get environment variable `var` (env, or envFrom a
// Secret/ConfigMap that has the key). nullopt when that cannot be told (an unreadable Secret).
std::optional<bool> deployment_provides(store::ObjectStore& store, const json& deployment,
                                        const std::string& var) {
  const json::json_pointer containers_ptr("/spec/template/spec/containers");
  if (!deployment.contains(containers_ptr) || !deployment.at(containers_ptr).is_array())
    return false;
  const std::string ns = string_at(deployment, "/metadata/namespace");
  bool unknown = false;
  for (const auto& c : deployment.at(containers_ptr)) {
    for (const auto& e : c.value("env", json::array()))
      if (e.is_object() && e.value("name", "") == var) return true;
    for (const auto& from : c.value("envFrom", json::array())) {
      if (!from.is_object()) continue;
      const std::string prefix = from.value("prefix", "");
      if (var.rfind(prefix, 0) != 0) continue;
      const std::string key = var.substr(prefix.size());
      for (const char* ref : {"secretRef", "configMapRef"}) {
        if (!from.contains(ref) || !from[ref].is_object()) continue;
        const std::string name = from[ref].value("name", "");
        auto source =
            store.get({"v1", std::string(ref) == "secretRef" ? "Secret" : "ConfigMap", ns, name});
        if (!source) {
          if (source.error().code != ErrorCode::kNotFound) unknown = true;
          continue;
        }
        for (const char* field : {"data", "stringData"})
          if (source->contains(field) && (*source)[field].is_object() &&
              (*source)[field].contains(key))
            return true;
      }
    }
  }
  if (unknown) return std::nullopt;
  return false;
}

void config_findings(store::ObjectStore& store, const TenancyContext& context,
                     std::vector<Finding>& out) {
  const std::string cm_name =
      store::describe({"v1", "ConfigMap", context.dex.ns, context.dex.configmap});
  auto cm = store.get({"v1", "ConfigMap", context.dex.ns, context.dex.configmap});
  if (!cm) return;  // reported by the account listing (or not used: password-crd)
  const json::json_pointer text_ptr = json::json_pointer("/data") / context.dex.config_key;
  if (!cm->contains(text_ptr) || !cm->at(text_ptr).is_string()) return;
  auto config = dex::DexConfig::parse(cm->at(text_ptr).get<std::string>(), context.dex.config_key);
  if (!config) {
    out.push_back({Finding::Level::kError, cm_name + " " + context.dex.config_key,
                   config.error().message + ": Dex cannot start with it"});
    return;
  }
  for (const auto& p : dex::check_dex_config(*config)) {
    Finding f;
    f.level = p.severity == dex::ConfigProblem::Severity::kWarning ? Finding::Level::kWarning
                                                                   : Finding::Level::kError;
    f.subject = cm_name + " " + context.dex.config_key +
                (p.line > 0 ? " line " + std::to_string(p.line) : std::string());
    f.message = p.message;
    out.push_back(std::move(f));
  }
  // The API server refuses a ConfigMap over 1 MiB of data: near it, every user add fails.
  const size_t bytes = store::configmap_data_bytes(*cm);
  const size_t users = config->static_passwords().size();
  if (bytes > store::kMaxConfigMapDataBytes * 9 / 10) {
    const size_t per_user = users > 0 ? std::max<size_t>(bytes / users, 1) : 200;
    const size_t room =
        bytes < store::kMaxConfigMapDataBytes ? store::kMaxConfigMapDataBytes - bytes : 0;
    out.push_back(
        {bytes > store::kMaxConfigMapDataBytes ? Finding::Level::kError : Finding::Level::kWarning,
         cm_name,
         fmt::format("holds {} KiB of data, and the API server takes at most 1024 KiB "
                     "in a ConfigMap: about {} more users fit; add the others with "
                     "--dex-backend password-crd (a Password object each)",
                     bytes / 1024, room / per_user)});
  }
  // hashFromEnv entries whose variable the Deployment does not set: Dex would exit at start
  // ("no password hash provided").
  auto deployment = store.get({"apps/v1", "Deployment", context.dex.ns, context.dex.deployment});
  if (!deployment) return;
  const auto& entries = config->static_passwords();
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (!e.hash.empty() || e.hash_from_env.empty()) continue;
    auto provided = deployment_provides(store, *deployment, e.hash_from_env);
    if (provided && !*provided)
      out.push_back(
          {Finding::Level::kError,
           cm_name + " " + context.dex.config_key + " line " +
               std::to_string(config->entry_line(i)),
           fmt::format("{} takes its hash from environment variable {}, which {} does not set "
                       "(env or envFrom): Dex exits at startup (\"no password hash provided\")",
                       e.email, e.hash_from_env, store::describe(store::key_of(*deployment)))});
  }
}

// The restart `user add` would owe (dex::UserDirectory::plan_restart): the Deployment's pods
// started with another config.yaml than the ConfigMap holds, as far as kftenant's recorded
// config hashes tell. Only a cluster restarts.
void restart_findings(store::ObjectStore& store, const TenancyContext& context,
                      std::vector<Finding>& out) {
  if (!store.capabilities().live) return;
  auto restart_planner = [context](store::ObjectStore& s) -> Result<plan::Plan> {
    plan::PlanView view(s);
    auto steps = dex::make_user_directory(dex::Backend::kStatic, context.dex, context.clock)
                     ->plan_restart(view);
    if (!steps) return fail(steps.error());
    plan::Plan plan;
    plan.steps = std::move(*steps);
    return plan;
  };
  auto owed = plan::plan_once(store, restart_planner);
  if (!owed || owed->steps.empty()) return;
  const std::string deployment =
      store::describe({"apps/v1", "Deployment", context.dex.ns, context.dex.deployment});
  Finding f;
  f.level = Finding::Level::kWarning;
  f.subject = deployment;
  f.message = fmt::format(
      "its pods run an older config.yaml than ConfigMap {}/{} holds (the config hash kftenant "
      "recorded differs): users added or changed since cannot log in until Dex restarts; "
      "`kftenant doctor --fix` restarts it",
      context.dex.ns, context.dex.configmap);
  f.fix = restart_planner;
  f.fix_summary = "restart " + deployment;
  out.push_back(std::move(f));
}

// The repair of a Password object Dex cannot read: one under another name than Dex looks the
// email up by is made again under that name (then the stray one deleted, so a login works at
// every moment); one whose email has capitals gets it lower-cased. Refused when the right name
// is taken by another object.
plan::Planner password_object_fix(std::string ns, std::string name) {
  return [ns, name](store::ObjectStore& store) -> Result<plan::Plan> {
    plan::Plan plan;
    const store::ObjectKey key{"dex.coreos.com/v1", "Password", ns, name};
    auto object = store.get(key);
    if (!object) {
      if (object.error().code == ErrorCode::kNotFound) return plan;  // gone: nothing to fix
      return fail(object.error());
    }
    const std::string email = object->value("email", std::string());
    if (email.empty()) return plan;
    const std::string lower = dex::normalize_email(email);
    const std::string target = dex::password_object_name(lower);
    json fixed = *object;
    fixed["email"] = lower;
    if (target == name) {
      if (email != lower)
        plan.steps.push_back(plan::Step::replace(
            *object, std::move(fixed),
            fmt::format("lower-case the email of Password {}/{} ({}), as Dex looks it up", ns, name,
                        lower)));
      return plan;
    }
    auto taken = store.get({"dex.coreos.com/v1", "Password", ns, target});
    if (taken)
      return make_error(ErrorCode::kRefused,
                        fmt::format("Password {}/{} exists already: `kftenant user remove {}` "
                                    "deletes both, then add the user again",
                                    ns, target, lower));
    if (taken.error().code != ErrorCode::kNotFound) return fail(taken.error());
    json meta = json::object();
    meta["name"] = target;
    meta["namespace"] = ns;
    for (const char* k : {"labels", "annotations"})
      if ((*object)["metadata"].contains(k)) meta[k] = (*object)["metadata"][k];
    fixed["metadata"] = std::move(meta);
    plan.steps.push_back(plan::Step::create(
        std::move(fixed), fmt::format("create Password {}/{} for {}: the name Dex looks it up by",
                                      ns, target, lower)));
    plan.steps.push_back(plan::Step::remove(
        *object, fmt::format("delete Password {}/{}, which Dex never reads", ns, name)));
    return plan;
  };
}

void account_findings(const std::vector<dex::DexAccount>& accounts, const std::string& ns,
                      std::vector<Finding>& out) {
  for (const auto& a : accounts) {
    size_t statics = 0;
    for (const auto& r : a.records) statics += r.backend == dex::Backend::kStatic;
    for (const auto& r : a.records) {
      if (r.backend != dex::Backend::kPasswordObject) continue;  // config.yaml: see above
      if (statics > 0)
        out.push_back({Finding::Level::kWarning, a.key,
                       r.location +
                           " is shadowed by a staticPasswords entry: Dex uses config.yaml for "
                           "this email, and the object becomes the login again (with its own "
                           "password) if the entry goes; `kftenant user remove` deletes both"});
      // Misnamed or mixed-case: the object can be made readable, unless a config.yaml entry
      // shadows it anyway or the account has a readable object already.
      bool readable_twin = false;
      for (const auto& other : a.records)
        readable_twin =
            readable_twin || (&other != &r && other.backend == dex::Backend::kPasswordObject &&
                              other.object_name == dex::password_object_name(a.key));
      const bool fixable = !r.email.empty() && statics == 0 && !readable_twin &&
                           (r.object_name != dex::password_object_name(a.key) || r.email != a.key);
      bool first = true;
      for (const auto& p : r.problems) {
        Finding f(Finding::Level::kError, a.key, r.location + " " + p);
        if (fixable && first) {
          f.fix = password_object_fix(ns, r.object_name);
          f.fix_summary =
              r.object_name != dex::password_object_name(a.key)
                  ? "recreate it as Password " + ns + "/" + dex::password_object_name(a.key)
                  : "lower-case its email";
        }
        first = false;
        out.push_back(std::move(f));
      }
    }
    if (const dex::DexUser* e = a.effective_record(); e && e->email != a.key)
      out.push_back({Finding::Level::kWarning, e->email,
                     "Dex keeps the capitals of " + e->email + " (" + where(*e) +
                         ") and puts it so in the email claim: profile owners and contributor "
                         "bindings must use it exactly; lower-case it by removing and adding "
                         "the user again"});
  }
  // One userID in two logins: Dex's `sub` claim would name both as one identity.
  std::map<std::string, std::vector<const dex::DexAccount*>> by_id;
  for (const auto& a : accounts) {
    std::set<std::string> ids;
    for (const auto& r : a.records)
      if (!r.user_id.empty()) ids.insert(r.user_id);
    for (const auto& id : ids) by_id[id].push_back(&a);
  }
  for (const auto& [id, holders] : by_id) {
    if (holders.size() < 2) continue;
    std::string list;
    for (const auto* a : holders) list += (list.empty() ? "" : ", ") + a->claim_email();
    out.push_back({Finding::Level::kWarning, "user ID " + id,
                   "shared by " + list +
                       ": Dex puts it in the `sub` claim, so applications see one identity"});
  }
}

void profile_findings(store::ObjectStore& store, const TenancyContext& context,
                      const std::vector<dex::DexAccount>& accounts,
                      const std::vector<json>& profiles,
                      const kubeflow::ContributorOptions& options, bool dex_managed,
                      std::vector<Finding>& out, std::vector<std::string>& emails) {
  auto rolebindings = list_or_empty(store, "rbac.authorization.k8s.io/v1", "RoleBinding");
  auto policies = list_or_empty(store, "security.istio.io/v1beta1", "AuthorizationPolicy");
  // The profile controller's work is seen on a cluster only (a folder has no namespaces).
  std::map<std::string, json> namespaces;
  const bool live = store.capabilities().live;
  if (live)
    if (auto listed = list_or_empty(store, "v1", "Namespace"))
      for (auto& ns : *listed) {
        // The key first: the right operand of = is evaluated (and moved from) before the left.
        const std::string key = string_at(ns, "/metadata/name");
        namespaces[key] = std::move(ns);
      }
  const bool istio = policies && !policies->empty();
  std::set<std::string> owners;
  std::map<std::string, std::vector<json>> rbs_by_ns, aps_by_ns;
  if (rolebindings)
    for (auto& rb : *rolebindings) rbs_by_ns[string_at(rb, "/metadata/namespace")].push_back(rb);
  if (policies)
    for (auto& ap : *policies) aps_by_ns[string_at(ap, "/metadata/namespace")].push_back(ap);
  for (const auto& p : profiles) {
    const std::string name = string_at(p, "/metadata/name");
    const std::string subject = "profile " + name;
    auto owner = kubeflow::profile_owner(p);
    if (!owner) {
      out.push_back({Finding::Level::kWarning, subject, "spec.owner is not a User"});
      continue;
    }
    emails.push_back(*owner);
    owners.insert(dex::normalize_email(*owner));
    if (live && !p.contains(json::json_pointer("/metadata/deletionTimestamp"))) {
      auto ns = namespaces.find(name);
      if (ns == namespaces.end()) {
        out.push_back({Finding::Level::kWarning, subject,
                       "namespace " + name +
                           " does not exist: the profile controller has not made it (is it "
                           "running? `kubectl -n kubeflow logs deployment/profiles-deployment`)"});
      } else {
        const std::string ns_owner = string_at(ns->second, "/metadata/annotations/owner");
        if (ns_owner != *owner) {
          out.push_back(
              {Finding::Level::kError, subject,
               fmt::format("namespace {} carries owner {}, not the profile's owner {}: "
                           "the profile controller stops there (no namespaceAdmin, no "
                           "policy); `kftenant profile transfer {} --to {}` makes them "
                           "agree",
                           name, ns_owner.empty() ? "(none)" : ns_owner, *owner, name, *owner)});
        } else {
          auto has = [&](std::map<std::string, std::vector<json>>& by_ns, const char* object) {
            for (const auto& o : by_ns[name])
              if (string_at(o, "/metadata/name") == object) return true;
            return false;
          };
          if (!has(rbs_by_ns, kubeflow::kOwnerRoleBinding))
            out.push_back({Finding::Level::kError, subject,
                           std::string("RoleBinding ") + name + "/" + kubeflow::kOwnerRoleBinding +
                               " is missing: the owner has no rights in the namespace until the "
                               "profile controller makes it (is it running?)"});
          if (istio && !has(aps_by_ns, kubeflow::kOwnerAuthorizationPolicy))
            out.push_back({Finding::Level::kError, subject,
                           std::string("AuthorizationPolicy ") + name + "/" +
                               kubeflow::kOwnerAuthorizationPolicy +
                               " is missing: the owner cannot reach the namespace through the "
                               "dashboard until the profile controller makes it"});
        }
      }
    }
    const auto* account = dex::find_account(accounts, *owner);
    if (!dex_managed) {
      // --dex-backend none: owners sign in through a connector; nothing to compare.
    } else if (!account || account->records.empty()) {
      out.push_back({Finding::Level::kWarning, subject,
                     "owner " + *owner + " has no Dex user (cannot log in with a password)"});
    } else if (account->claim_email() != *owner) {
      out.push_back({Finding::Level::kError, subject,
                     fmt::format("owned by {}, but Dex puts {} in the email claim: the owner "
                                 "cannot open it",
                                 *owner, account->claim_email())});
    }
    for (const auto& c : kubeflow::contributors_from(rbs_by_ns[name], aps_by_ns[name], options)) {
      if (!c.is_owner) emails.push_back(c.email);
      for (const auto& problem : c.problems) {
        Finding f(Finding::Level::kWarning, subject, c.email + ": " + problem);
        // Half a pair: sharing again makes the missing half (as `profile share` repairs).
        if (!c.is_owner && c.has_binding != c.has_policy &&
            f.message.find("missing") != std::string::npos) {
          f.fix = share_planner({name, c.email, c.role, options, context.dex});
          f.fix_summary = fmt::format("make the missing half of {}'s {} access to profile {}",
                                      c.email, kubeflow::to_string(c.role), name);
        }
        out.push_back(std::move(f));
      }
      const auto* holder = dex::find_account(accounts, c.email);
      if (dex_managed && !c.is_owner && (!holder || holder->records.empty()))
        out.push_back({Finding::Level::kWarning, subject,
                       c.email +
                           ": contributor with no Dex user: whoever signs in with this "
                           "email later gets this access (`kftenant profile unshare " +
                           name + " --with " + c.email + "` removes it)"});
    }
  }
  if (!dex_managed) return;
  for (const auto& a : accounts)
    if (!a.records.empty() && !owners.count(a.key))
      out.push_back({Finding::Level::kWarning, a.claim_email(),
                     "has no profile: they can sign in but have no namespace of their own "
                     "(`kftenant profile create NAME --owner " +
                         a.claim_email() + "`)"});
}

}  // namespace

Result<std::vector<Finding>> diagnose(store::ObjectStore& store, const TenancyContext& context,
                                      const kubeflow::ContributorOptions& options) {
  std::vector<Finding> out;
  auto accounts = dex::list_dex_accounts(store, context.dex, context.backend);
  if (!accounts) return fail(accounts.error());
  if (context.dex.managed) {  // none: Dex is not ours
    config_findings(store, context, out);
    restart_findings(store, context, out);
  }
  account_findings(*accounts, context.dex.ns, out);
  auto profiles = list_or_empty(store, "kubeflow.org/v1", "Profile");
  if (!profiles) return fail(profiles.error());
  std::vector<std::string> emails;
  for (const auto& a : *accounts) emails.push_back(a.claim_email());
  profile_findings(store, context, *accounts, *profiles, options, context.dex.managed, out, emails);
  for (const auto& group : binding_name_collisions(emails)) {
    std::string list;
    for (const auto& e : group) list += (list.empty() ? "" : ", ") + e;
    std::string name = kubeflow::binding_name("User", group.front(), "edit");
    name.replace(name.size() - 4, 4, "<role>");
    out.push_back({Finding::Level::kWarning, list,
                   fmt::format("KFAM gives these emails the same binding names ({}): in any "
                               "profile only one of them can hold each role",
                               name)});
  }
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return a.level == Finding::Level::kError && b.level != Finding::Level::kError;
  });
  return out;
}

}  // namespace kftenant::tenancy
