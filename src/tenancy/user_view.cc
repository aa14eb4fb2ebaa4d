#include "kftenant/tenancy/user_view.h"

#include <fmt/format.h>

#include <set>

#include "kftenant/dex/password_object.h"
#include "kftenant/kubeflow/profile.h"

namespace kftenant::tenancy {
namespace {

// A list that is empty when the store does not know the kind (CRD not installed).
Result<std::vector<nlohmann::json>> list_or_empty(store::ObjectStore& store,
                                                  const char* api_version, const char* kind,
                                                  const std::string& ns = "") {
  auto items = store.list(api_version, kind, ns);
  if (!items && items.error().code == ErrorCode::kNotFound) return std::vector<nlohmann::json>();
  return items;
}

std::string name_of(const nlohmann::json& object) {
  return object.value(nlohmann::json::json_pointer("/metadata/name"), std::string());
}
std::string namespace_of(const nlohmann::json& object) {
  return object.value(nlohmann::json::json_pointer("/metadata/namespace"), std::string());
}

struct ClusterState {
  std::vector<nlohmann::json> profiles;
  std::map<std::string, std::string> namespace_phase;               // name → phase
  std::map<std::string, std::vector<nlohmann::json>> rolebindings;  // by namespace
  std::map<std::string, std::vector<nlohmann::json>> policies;
  bool live = false;
};

// Everything the view needs. For one owner (`user show`, the summary after `user add`) only that
// owner's profiles are read in detail, namespace by namespace; for everyone, each kind is listed
// once across the cluster.
Result<ClusterState> read_state(store::ObjectStore& store, const std::string* owner = nullptr) {
  ClusterState state;
  state.live = store.capabilities().live;
  auto profiles = list_or_empty(store, "kubeflow.org/v1", "Profile");
  if (!profiles) return fail(profiles.error());
  for (auto& p : *profiles)
    if (!owner || dex::normalize_email(kubeflow::profile_owner(p).value_or("")) == *owner)
      state.profiles.push_back(std::move(p));
  if (state.profiles.empty()) return state;
  if (owner) {
    for (const auto& p : state.profiles) {
      std::string ns = name_of(p);
      if (state.live) {
        auto object = store.get({"v1", "Namespace", "", ns});
        if (object)
          state.namespace_phase[ns] =
              object->value(nlohmann::json::json_pointer("/status/phase"), std::string("Active"));
        else if (object.error().code != ErrorCode::kNotFound)
          return fail(object.error());
      }
      auto rbs = list_or_empty(store, "rbac.authorization.k8s.io/v1", "RoleBinding", ns);
      if (!rbs) return fail(rbs.error());
      state.rolebindings[ns] = std::move(*rbs);
      auto aps = list_or_empty(store, "security.istio.io/v1beta1", "AuthorizationPolicy", ns);
      if (!aps) return fail(aps.error());
      state.policies[ns] = std::move(*aps);
    }
    return state;
  }
  if (state.live) {
    auto namespaces = store.list("v1", "Namespace", "");
    if (!namespaces) return fail(namespaces.error());
    for (const auto& ns : *namespaces)
      state.namespace_phase[name_of(ns)] =
          ns.value(nlohmann::json::json_pointer("/status/phase"), std::string("Active"));
  }
  auto rolebindings = list_or_empty(store, "rbac.authorization.k8s.io/v1", "RoleBinding");
  if (!rolebindings) return fail(rolebindings.error());
  for (auto& rb : *rolebindings) state.rolebindings[namespace_of(rb)].push_back(std::move(rb));
  auto policies = list_or_empty(store, "security.istio.io/v1beta1", "AuthorizationPolicy");
  if (!policies) return fail(policies.error());
  for (auto& p : *policies) state.policies[namespace_of(p)].push_back(std::move(p));
  return state;
}

ProfileView profile_view(const nlohmann::json& profile, const ClusterState& state) {
  ProfileView view;
  view.name = name_of(profile);
  view.owner = kubeflow::profile_owner(profile).value_or("");
  if (state.live) {
    auto it = state.namespace_phase.find(view.name);
    view.namespace_phase = it == state.namespace_phase.end() ? "missing" : it->second;
  }
  auto hard = profile.value(nlohmann::json::json_pointer("/spec/resourceQuotaSpec/hard"),
                            nlohmann::json::object());
  for (auto it = hard.begin(); it != hard.end(); ++it)
    view.quota[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
  static const std::vector<nlohmann::json> kNone;
  auto rbs = state.rolebindings.find(view.name);
  auto aps = state.policies.find(view.name);
  for (auto& c : kubeflow::contributors_from(rbs == state.rolebindings.end() ? kNone : rbs->second,
                                             aps == state.policies.end() ? kNone : aps->second))
    if (!c.is_owner) view.contributors.push_back(std::move(c));
  return view;
}

// `dex_managed` false (--dex-backend none): nobody has a Dex user, and that is expected.
void add_warnings(UserView& view, bool dex_managed) {
  if (view.dex && view.profiles.empty()) view.warnings.push_back("no profile");
  if (!view.dex && dex_managed)
    view.warnings.push_back("profile owner has no Dex user (cannot log in with a password)");
  if (view.dex && view.dex->backend == dex::Backend::kStatic &&
      view.dex->hash_source.starts_with("env:"))
    view.warnings.push_back(fmt::format("hash comes from environment variable {} (a Secret)",
                                        view.dex->hash_source.substr(4)));
  for (const auto& p : view.profiles) {
    if (p.namespace_phase == "missing")
      view.warnings.push_back(
          fmt::format("namespace {} not created yet (profile controller)", p.name));
    // Owners are matched byte for byte against the claim (the kubeflow-userid header).
    if (view.dex && p.owner != view.email)
      view.warnings.push_back(fmt::format(
          "profile {} is owned by {}, but Dex puts {} in the email claim: this user cannot open "
          "it",
          p.name, p.owner, view.email));
  }
}

std::set<std::string> known_emails(const std::vector<dex::DexAccount>& accounts) {
  std::set<std::string> out;
  for (const auto& a : accounts)
    if (!a.records.empty()) out.insert(a.key);
  return out;
}

// Contributor bindings name an email, not a Dex user: one with no Dex user admits whoever signs
// in with that email later. `known` holds every Dex account (normalised email).
void flag_contributors_without_dex_user(UserView& view, const std::set<std::string>& known) {
  for (auto& p : view.profiles)
    for (auto& c : p.contributors) {
      if (known.count(dex::normalize_email(c.email))) continue;
      c.problems.push_back(
          "no Dex user has this email: whoever signs in with it later gets this access (expected "
          "when users sign in through a Dex connector)");
      view.warnings.push_back(fmt::format(
          "contributor {} of profile {} has no Dex user (`kftenant profile unshare {} --with {}` "
          "removes the access)",
          c.email, p.name, p.name, c.email));
    }
}

std::vector<UserView> merge(const std::vector<dex::DexAccount>& accounts, const ClusterState& state,
                            const std::set<std::string>& known, bool dex_managed) {
  std::vector<UserView> views;
  std::map<std::string, size_t> by_email;  // normalised email → index
  for (const auto& a : accounts) {
    if (a.records.empty()) continue;
    by_email[a.key] = views.size();
    UserView v;
    v.email = a.claim_email();
    v.dex = record_view(a.effective_record() ? *a.effective_record() : a.records.front());
    for (const auto& r : a.records) v.records.push_back(record_view(r));
    v.warnings = a.warnings;
    views.push_back(std::move(v));
  }
  for (const auto& profile : state.profiles) {
    ProfileView p = profile_view(profile, state);
    std::string key = dex::normalize_email(p.owner);
    auto it = by_email.find(key);
    if (it == by_email.end()) {
      UserView v;
      v.email = p.owner.empty() ? "(no owner)" : p.owner;
      it = by_email.emplace(key, views.size()).first;
      views.push_back(std::move(v));
    }
    views[it->second].profiles.push_back(std::move(p));
  }
  for (auto& v : views) {
    add_warnings(v, dex_managed);
    if (dex_managed) flag_contributors_without_dex_user(v, known);
  }
  return views;
}

}  // namespace

Result<std::vector<UserView>> list_users(store::ObjectStore& store, const TenancyContext& context) {
  auto accounts = dex::list_dex_accounts(store, context.dex, context.backend);
  if (!accounts) return fail(accounts.error());
  auto state = read_state(store);
  if (!state) return fail(state.error());
  return merge(*accounts, *state, known_emails(*accounts), context.dex.managed);
}

Result<UserView> show_user(store::ObjectStore& store, const TenancyContext& context,
                           std::string_view email) {
  std::string wanted = dex::normalize_email(email);
  auto all = dex::list_dex_accounts(store, context.dex, dex::Backend::kPasswordObject);
  if (!all) return fail(all.error());
  std::vector<dex::DexAccount> accounts;
  if (const auto* account = dex::find_account(*all, wanted)) accounts.push_back(*account);
  auto state = read_state(store, &wanted);
  if (!state) return fail(state.error());
  auto views = merge(accounts, *state, known_emails(*all), context.dex.managed);
  if (views.empty())
    return make_error(
        ErrorCode::kNotFound,
        fmt::format("no Dex user and no profile for {} (see `kftenant user list`)", wanted));
  return std::move(views.front());
}

DexRecordView record_view(const dex::DexUser& user) {
  DexRecordView v;
  v.email = user.email;
  v.backend = user.backend;
  v.hash_source = !user.hash.empty()            ? std::string("inline")
                  : !user.hash_from_env.empty() ? "env:" + user.hash_from_env
                                                : std::string("none");
  v.username = user.username;
  v.user_id = user.user_id;
  v.location = user.location;
  v.line = user.line;
  v.object_name = user.object_name;
  v.problems = user.problems;
  return v;
}

nlohmann::json to_json(const ProfileView& p) {
  nlohmann::json contributors = nlohmann::json::array();
  for (const auto& c : p.contributors)
    contributors.push_back(
        {{"email", c.email}, {"role", std::string(kubeflow::to_string(c.role))}});
  nlohmann::json out = {
      {"name", p.name}, {"owner", p.owner}, {"quota", p.quota}, {"contributors", contributors}};
  if (!p.namespace_phase.empty()) out["namespace"] = p.namespace_phase;
  return out;
}

nlohmann::json to_json(const UserView& view) {
  nlohmann::json out = nlohmann::json::object();
  out["email"] = view.email;
  if (view.dex) {
    out["backend"] = std::string(dex::to_string(view.dex->backend));
    out["username"] = view.dex->username;
    out["userID"] = view.dex->user_id;
    out["hashSource"] = view.dex->hash_source;
    out["location"] = view.dex->location;
  } else {
    out["backend"] = nullptr;
  }
  nlohmann::json records = nlohmann::json::array();
  for (const auto& r : view.records) {
    nlohmann::json jr = {{"email", r.email},
                         {"backend", std::string(dex::to_string(r.backend))},
                         {"location", r.location},
                         {"problems", r.problems}};
    if (r.line > 0) jr["line"] = r.line;
    records.push_back(std::move(jr));
  }
  out["records"] = std::move(records);
  nlohmann::json profiles = nlohmann::json::array();
  for (const auto& p : view.profiles) profiles.push_back(to_json(p));
  out["profiles"] = std::move(profiles);
  out["warnings"] = view.warnings;
  return out;
}

}  // namespace kftenant::tenancy
