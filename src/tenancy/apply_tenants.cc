#include "kftenant/tenancy/apply_tenants.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "kftenant/base64.h"
#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/password_object.h"
#include "kftenant/kube/names.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/plan/compose.h"
#include "kftenant/plan/plan_view.h"
#include "kftenant/quote.h"
#include "kftenant/store/prefetched_store.h"
#include "kftenant/tenancy/profile_lifecycle.h"
#include "kftenant/tenancy/profiles.h"
#include "kftenant/tenancy/validate.h"

namespace kftenant::tenancy {

using nlohmann::json;
using plan::Plan;
using plan::Step;
using plan::StepKind;

namespace {

const char* const kRbacApiVersion = "rbac.authorization.k8s.io/v1";
const char* const kIstioApiVersion = "security.istio.io/v1beta1";
const char* const kUserIdPlaceholder = "<user ID, a random UUID made at apply>";
constexpr std::chrono::minutes kDefaultProfileWait{5};

Error refused(std::string message) {
  Error e;
  e.code = ErrorCode::kRefused;
  e.message = std::move(message);
  return e;
}

std::string at(const std::string& source, int line) {
  return line > 0 ? fmt::format("{}:{}", source, line) : source;
}

std::string listed(const std::vector<std::string>& items) {
  std::string out;
  for (size_t k = 0; k < items.size() && k < 5; ++k) out += (k ? ", " : "") + items[k];
  if (items.size() > 5) out += fmt::format(" and {} more", items.size() - 5);
  return out;
}

// Values kept between passes and re-plans: a generated user ID must not change.
struct Memo {
  std::map<std::string, std::string> user_ids;  // email → generated ID
};

// What a planning pass found that its caller acts on.
struct PassState {
  int deferred = 0;  // contributors waiting for a namespace the profile controller has to make
};

// The steps of one pass, recorded in a view as they are planned so that each later part sees
// them (as compose() does for planners).
class Pass {
 public:
  explicit Pass(store::ObjectStore& base) : view(base) {}

  void add(std::vector<Step> steps) {
    view.record(steps);
    for (auto& s : steps) plan.steps.push_back(std::move(s));
  }
  // Runs a planner over the view; its notes are dropped (apply says per kind how much was already
  // so) unless `keep_notes`. Returns how many steps it added.
  Result<size_t> run(const plan::Planner& planner, bool keep_notes = false) {
    auto sub = planner(view);
    if (!sub) return fail(sub.error());
    const size_t n = sub->steps.size();
    add(std::move(sub->steps));
    for (auto& p : sub->placeholders) plan.placeholders.push_back(std::move(p));
    if (keep_notes)
      for (auto& note : sub->notes) plan.notes.push_back(std::move(note));
    return n;
  }

  plan::PlanView view;
  Plan plan;
};

Result<std::optional<json>> get_if_present(store::ObjectStore& store, const store::ObjectKey& key) {
  auto got = store.get(key);
  if (got) return std::optional<json>(std::move(*got));
  if (got.error().code == ErrorCode::kNotFound && !store::is_kind_not_served(got.error()))
    return std::optional<json>();
  return fail(got.error());
}

// Objects of a kind carrying the set's label; none when the kind is not served (no CRD).
Result<std::vector<json>> labelled(store::ObjectStore& store, const char* api_version,
                                   const char* kind, const std::string& ns,
                                   const std::string& set) {
  auto got = store.list(api_version, kind, ns, fmt::format("{}={}", kTenantSetLabel, set));
  if (!got && got.error().code == ErrorCode::kNotFound) return std::vector<json>{};
  return got;
}

store::ObjectKey configmap_key(const dex::DexLocation& dex) {
  return {"v1", "ConfigMap", dex.ns, dex.configmap};
}

// The annotation of the Dex ConfigMap: set → the emails of the static users it made.
json set_users_annotation(const json& configmap) {
  const json* annotations = nullptr;
  if (auto m = configmap.find("metadata"); m != configmap.end() && m->is_object())
    if (auto a = m->find("annotations"); a != m->end() && a->is_object()) annotations = &*a;
  if (!annotations || !annotations->contains(kTenantSetUsersAnnotation) ||
      !(*annotations)[kTenantSetUsersAnnotation].is_string())
    return json::object();
  json parsed = json::parse((*annotations)[kTenantSetUsersAnnotation].get<std::string>(), nullptr,
                            /*allow_exceptions=*/false);
  return parsed.is_object() ? parsed : json::object();
}

bool any_hash_differs(const dex::DexAccount& account, const std::string& hash) {
  for (const auto& r : account.records)
    if (r.hash != hash) return true;
  return false;
}

const dex::DexAccount* user_id_holder(const std::vector<dex::DexAccount>& accounts,
                                      const std::string& user_id, const std::string& email) {
  for (const auto& a : accounts) {
    if (a.key == email) continue;
    for (const auto& r : a.records)
      if (r.user_id == user_id) return &a;
  }
  return nullptr;
}

class TenantsPass {
 public:
  TenantsPass(store::ObjectStore& base, const TenancyContext& context, const Tenants& tenants,
              const ApplyTenantsOptions& options, Memo& memo, PassState& state)
      : pass_(base),
        context_(context),
        tenants_(tenants),
        options_(options),
        memo_(memo),
        state_(state) {}

  Result<Plan> plan() {
    if (auto v = kube::is_valid_label_value(tenants_.set); !v.empty() || tenants_.set.empty())
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("set name {}: must be a label value (up to 63 letters, "
                                    "digits, '-', '_' or '.')",
                                    quote_for_message(tenants_.set)));
    if (!tenants_.problems.empty())
      return make_error(ErrorCode::kInvalidArgument,
                        describe(tenants_.problems.front()) + " (and the file's other problems)");
    for (const auto& u : tenants_.users) file_emails_.insert(u.email);
    for (const auto& p : tenants_.profiles) {
      file_profiles_[p.name] = &p;
      for (const auto& c : p.contributors) file_contributors_.insert(c.email);
    }
    if (context_.dex.managed) {
      if (auto d = plan_dex(); !d) return fail(d.error());
    } else if (auto n = refuse_hashes_without_dex(); !n) {
      return fail(n.error());
    }
    if (auto p = plan_profiles(); !p) return fail(p.error());
    if (auto c = plan_contributors(); !c) return fail(c.error());
    Plan out = std::move(pass_.plan);
    out.steps = plan::merge_steps(std::move(out.steps));
    label_creates(out);
    if (auto r = record_static_users(out); !r) return fail(r.error());
    summarize(out);
    return out;
  }

 private:
  Result<void> refuse_hashes_without_dex() {
    std::vector<std::string> with_hash;
    for (const auto& u : tenants_.users)
      if (u.hash_from.kind != HashSource::Kind::kNone) with_hash.push_back(at(u.source, u.line));
    if (!with_hash.empty())
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("--dex-backend none writes no Dex users, but {} give a hash: "
                                    "drop hash/hashFrom, or apply with the backend Dex uses; "
                                    "nothing was written",
                                    listed(with_hash)));
    return {};
  }

  Result<void> plan_dex() {
    auto accounts = dex::list_dex_accounts(pass_.view, context_.dex, context_.backend);
    if (!accounts) return fail(accounts.error());
    accounts_ = std::move(*accounts);
    std::vector<std::string> without_hash;
    for (const auto& u : tenants_.users) {
      const dex::DexAccount* account = dex::find_account(accounts_, u.email);
      if ((!account || account->records.empty()) && u.hash.empty())
        without_hash.push_back(fmt::format("{} ({})", at(u.source, u.line), u.email));
    }
    if (!without_hash.empty())
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: a new Dex user needs hash or hashFrom (only existing "
                                    "users keep their password); nothing was written",
                                    listed(without_hash)));
    for (const auto& u : tenants_.users)
      if (auto r = plan_user(u); !r) return fail(r.error());
    if (auto r = plan_upserts(); !r) return fail(r.error());
    if (options_.prune)
      if (auto r = prune_users(); !r) return fail(r.error());
    if (context_.backend == dex::Backend::kStatic) {
      auto directory =
          dex::make_user_directory(dex::Backend::kStatic, context_.dex, context_.clock);
      auto restart = directory->plan_restart(pass_.view);
      if (!restart) return fail(restart.error());
      pass_.add(std::move(*restart));
    }
    return {};
  }

  Result<void> plan_user(const TenantUser& u) {
    const std::string where = at(u.source, u.line);
    const dex::DexAccount* account = dex::find_account(accounts_, u.email);
    const dex::DexUser* existing = account ? account->effective_record() : nullptr;
    const size_t before = pass_.plan.steps.size();
    const size_t queued = upserts_.size();
    if (!existing && account && !account->records.empty()) {
      // Records Dex cannot use (an entry without a hash): give them the file's hash.
      existing = &account->records.front();
    }
    if (existing) {
      if (existing->backend != context_.backend)
        return fail(refused(
            fmt::format("{}: {} is a Dex user in {} ({}): remove it there first, or apply with "
                        "--dex-backend {}",
                        where, u.email, existing->location, dex::to_string(existing->backend),
                        dex::to_string(existing->backend))));
      if (existing->hash.empty() && !existing->hash_from_env.empty()) {
        if (!u.hash.empty())
          return fail(refused(fmt::format(
              "{}: {} takes its hash from environment variable {} (hashFromEnv, a Secret of the "
              "Dex Deployment): drop the hash from the file, or update that Secret",
              where, u.email, existing->hash_from_env)));
      } else if (u.hash.empty() && existing->hash.empty()) {
        return fail(refused(fmt::format(
            "{}: the Dex entry of {} has no hash, so Dex cannot start with this config.yaml: give "
            "the user a hash in the file",
            where, u.email)));
      }
      const bool renamed = u.username && *u.username != existing->username;
      const bool new_id = u.user_id && *u.user_id != existing->user_id;
      if (new_id)
        if (const auto* holder = user_id_holder(accounts_, *u.user_id, account->key))
          return fail(refused(fmt::format(
              "{}: user ID {} is already {}'s: Dex puts it in the `sub` claim, so the two would "
              "be one identity; give {} another",
              where, quote_for_message(*u.user_id), holder->claim_email(), u.email)));
      // One record of this backend: the new hash goes with the rest of the record's update.
      const bool hash_differs = !u.hash.empty() && any_hash_differs(*account, u.hash);
      const bool one_record =
          account->records.size() == 1 && account->records.front().backend == context_.backend;
      if (renamed || new_id || (hash_differs && one_record)) {
        dex::DexUser desired = *existing;
        if (u.username) desired.username = *u.username;
        if (u.user_id) desired.user_id = *u.user_id;
        if (!u.hash.empty()) desired.hash = u.hash;
        upsert(std::move(desired), where);
      }
      if (hash_differs && !one_record) {
        std::set<dex::Backend> backends;
        for (const auto& r : account->records) backends.insert(r.backend);
        for (auto backend : backends) {
          auto other = dex::make_user_directory(backend, context_.dex, context_.clock);
          auto steps = other->plan_set_password(pass_.view, u.email, u.hash);
          if (!steps) return fail(steps.error().with_context(where));
          pass_.add(std::move(*steps));
        }
      }
      if (pass_.plan.steps.size() == before && upserts_.size() == queued) ++users_unchanged_;
      return {};
    }
    std::string& user_id = memo_.user_ids[u.email];
    if (u.user_id) {
      user_id = *u.user_id;
    } else if (user_id.empty()) {
      do user_id = generate_user_id();
      while (user_id_holder(accounts_, user_id, u.email));
    }
    if (const auto* holder = user_id_holder(accounts_, user_id, u.email))
      return fail(refused(fmt::format(
          "{}: user ID {} is already {}'s: Dex puts it in the `sub` claim, so the two would be "
          "one identity; give {} another",
          where, quote_for_message(user_id), holder->claim_email(), u.email)));
    dex::DexUser desired;
    desired.email = u.email;
    desired.hash = u.hash;
    desired.username = u.username ? *u.username : u.email.substr(0, u.email.find('@'));
    desired.user_id = user_id;
    desired.backend = context_.backend;
    upsert(std::move(desired), where);
    if (!u.user_id) pass_.plan.placeholders.emplace_back(user_id, kUserIdPlaceholder);
    if (context_.backend == dex::Backend::kStatic) created_static_.insert(u.email);
    return {};
  }

  void upsert(dex::DexUser desired, const std::string& where) {
    upserts_.push_back(std::move(desired));
    upsert_places_.push_back(where);
  }

  // The Dex writes of the file's users, planned together (static: one edit and one check of
  // config.yaml for all of them).
  Result<void> plan_upserts() {
    if (upserts_.empty()) return {};
    auto directory = dex::make_user_directory(context_.backend, context_.dex, context_.clock);
    auto planned = directory->plan_upsert_all(pass_.view, upserts_);
    if (!planned) return fail(planned.error());
    for (size_t k = 0; k < upserts_.size(); ++k)
      if (planned->errors[k]) return fail(planned->errors[k]->with_context(upsert_places_[k]));
    pass_.add(std::move(planned->steps));
    return {};
  }

  // The Dex users the set made: static entries from the ConfigMap's annotation, Password
  // objects from their label.
  Result<std::set<std::string>> recorded_users() {
    std::set<std::string> out;
    if (context_.backend == dex::Backend::kStatic) {
      auto cm = get_if_present(pass_.view, configmap_key(context_.dex));
      if (!cm) return fail(cm.error());
      if (*cm) {
        json sets = set_users_annotation(**cm);
        if (sets.contains(tenants_.set) && sets[tenants_.set].is_array())
          for (const auto& e : sets[tenants_.set])
            if (e.is_string()) out.insert(e.get<std::string>());
      }
      recorded_static_ = out;
    } else {
      auto objects = labelled(pass_.view, dex::kPasswordApiVersion, dex::kPasswordKind,
                              context_.dex.ns, tenants_.set);
      if (!objects) return fail(objects.error());
      for (const auto& o : *objects)
        if (o.contains("email") && o["email"].is_string())
          out.insert(dex::normalize_email(o["email"].get<std::string>()));
    }
    return out;
  }

  Result<void> prune_users() {
    auto recorded = recorded_users();
    if (!recorded) return fail(recorded.error());
    for (const auto& email : *recorded) {
      if (file_emails_.count(email)) continue;
      RemoveUserRequest request;
      request.email = email;
      request.keep_profile = true;  // profiles are pruned by their own record
      // Access the file still gives them stays (as a contributor of some profile).
      request.keep_access = file_contributors_.count(email) > 0;
      request.contributor_options = options_.contributor_options;
      auto n = pass_.run(remove_user_planner(context_, request));
      if (!n) return fail(n.error().with_context("pruning user " + email));
      pruned_users_.insert(email);  // gone already (by hand): off the record too
      if (*n == 0) continue;
      pass_.plan.notes.push_back(fmt::format(
          "prune: Dex user {} was made by set {} and is no longer in the file{}", email,
          tenants_.set, request.keep_access ? " (their access listed in the file stays)" : ""));
    }
    return {};
  }

  // The email Dex puts in the claim for `email`: the stored case of an existing user.
  std::string claim_of(const std::string& email) const {
    if (const dex::DexAccount* a = dex::find_account(accounts_, email))
      if (a->effective_record()) return a->claim_email();
    return email;
  }

  Result<void> plan_profiles() {
    const bool live = pass_.view.capabilities().live;
    for (const auto& p : tenants_.profiles) {
      const std::string where = at(p.source, p.line);
      const std::string owner = claim_of(p.owner);
      const store::ObjectKey key{kubeflow::kProfileApiVersion, "Profile", "", p.name};
      auto existing = get_if_present(pass_.view, key);
      if (!existing) return fail(existing.error().with_context(where));
      if (*existing) {
        auto current = kubeflow::profile_owner(**existing);
        if (!current || dex::normalize_email(*current) != p.owner)
          return fail(refused(fmt::format(
              "{}: profile {} belongs to {}, not {}: move it with `kftenant profile transfer {} "
              "--to {}`, or correct the file",
              where, p.name, current ? *current : std::string("no user"), p.owner, p.name,
              p.owner)));
        if ((*existing)->contains(json::json_pointer("/metadata/deletionTimestamp")))
          return fail(refused(fmt::format(
              "{}: profile {} is being deleted: apply again once it is gone", where, p.name)));
        size_t added = 0;
        if (p.quota) {
          auto hard = (*existing)->value(json::json_pointer("/spec/resourceQuotaSpec/hard"),
                                         json::object());
          if (hard != json(*p.quota)) {
            auto n = pass_.run(quota_planner({p.name, *p.quota}));
            if (!n) return fail(n.error().with_context(where));
            added += *n;
          }
        }
        if (added == 0) ++profiles_unchanged_;
        bool ready = true;
        if (live) {
          auto ns = get_if_present(pass_.view, {"v1", "Namespace", "", p.name});
          if (!ns) return fail(ns.error());
          ready = ns->has_value();
        }
        namespace_ready_[p.name] = ready;
        continue;
      }
      std::optional<std::chrono::milliseconds> wait;
      if (live && (options_.profile_wait || !p.contributors.empty()))
        wait = options_.profile_wait.value_or(kDefaultProfileWait);
      ProfileRequest request;
      request.name = p.name;
      request.owner = owner;
      if (p.quota) request.quota = *p.quota;
      request.wait = wait;
      auto n = pass_.run(profile_planner(std::move(request)));
      if (!n) return fail(n.error().with_context(where));
      if (context_.dex.managed && !file_emails_.count(p.owner)) {
        const dex::DexAccount* a = dex::find_account(accounts_, p.owner);
        if (!a || a->records.empty())
          pass_.plan.notes.push_back(fmt::format(
              "{} (owner of profile {}) has no Dex user: they sign in through a Dex connector, "
              "or cannot sign in",
              p.owner, p.name));
      }
      // On a cluster the namespace comes from the profile controller, after the apply.
      namespace_ready_[p.name] = !live;
    }
    if (options_.prune) {
      auto recorded =
          labelled(pass_.view, kubeflow::kProfileApiVersion, "Profile", "", tenants_.set);
      if (!recorded) return fail(recorded.error());
      for (const auto& o : *recorded) {
        const std::string name = o["metadata"].value("name", "");
        if (file_profiles_.count(name)) continue;
        auto n = pass_.run(delete_profile_planner(name));
        if (!n) return fail(n.error().with_context("pruning profile " + name));
        pruned_profiles_.insert(name);
        if (*n == 0) continue;  // being deleted already
        pass_.plan.notes.push_back(
            fmt::format("prune: profile {} was made by set {} and is no longer in the file", name,
                        tenants_.set));
      }
    }
    return {};
  }

  Result<void> plan_contributors() {
    for (const auto& p : tenants_.profiles) {
      for (const auto& c : p.contributors) {
        if (!namespace_ready_[p.name]) {
          ++state_.deferred;
          pass_.plan.notes.push_back(fmt::format(
              "once the profile controller has made namespace {}: share it with {} ({})", p.name,
              c.email, kubeflow::to_string(c.role)));
          continue;
        }
        ShareRequest request;
        request.profile = p.name;
        request.email = c.email;
        request.role = c.role;
        request.options = options_.contributor_options;
        request.dex = context_.dex;
        auto n = pass_.run(share_planner(std::move(request)));
        if (!n) return fail(n.error().with_context(at(p.source, p.line)));
        if (*n == 0) ++contributors_unchanged_;
      }
    }
    if (!options_.prune) return {};
    // Pairs the set made that the file no longer lists: (namespace, email).
    std::set<std::pair<std::string, std::string>> pairs;
    const bool live = pass_.view.capabilities().live;
    for (auto [api, kind] : {std::pair{kRbacApiVersion, "RoleBinding"},
                             std::pair{kIstioApiVersion, "AuthorizationPolicy"}}) {
      auto objects = labelled(pass_.view, api, kind, "", tenants_.set);
      if (!objects) return fail(objects.error());
      for (const auto& o : *objects) {
        const std::string ns = o["metadata"].value("namespace", "");
        // On a cluster a deleted profile's namespace takes its bindings along; a manifests folder
        // has no such garbage collection, and a binding left for a namespace no one makes would
        // stop the folder from applying.
        if (!live && pruned_profiles_.count(ns)) {
          pass_.add({Step::remove(o, fmt::format("delete {} {}/{} (profile {} is pruned)", kind, ns,
                                                 o["metadata"].value("name", ""), ns))});
          continue;
        }
        const std::string email = dex::normalize_email(
            o.value(json::json_pointer("/metadata/annotations/user"), std::string()));
        if (!ns.empty() && !email.empty()) pairs.emplace(ns, email);
      }
    }
    for (const auto& pair : pairs) {
      // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
      const std::string& ns = pair.first;
      const std::string& email = pair.second;
      if (pruned_profiles_.count(ns)) continue;  // goes with the namespace
      // A profile deleted already: its namespace (and the pair) is on its way out.
      auto profile = get_if_present(pass_.view, {kubeflow::kProfileApiVersion, "Profile", "", ns});
      if (!profile) return fail(profile.error());
      if (!*profile) continue;
      if (auto it = file_profiles_.find(ns); it != file_profiles_.end()) {
        const auto& grants = it->second->contributors;
        if (std::any_of(grants.begin(), grants.end(),
                        [&](const ContributorGrant& g) { return g.email == email; }))
          continue;
      }
      auto unshare = unshare_planner(ns, email, options_.contributor_options)(pass_.view);
      if (!unshare) {
        if (unshare.error().code != ErrorCode::kRefused) return fail(unshare.error());
        pass_.plan.notes.push_back(
            fmt::format("prune: {}'s access to profile {} is left as it is: {}", email, ns,
                        unshare.error().message));
        continue;
      }
      if (unshare->steps.empty()) continue;
      pass_.add(std::move(unshare->steps));
      pass_.plan.notes.push_back(
          fmt::format("prune: {}'s access to profile {} was given by set {} and is no longer in "
                      "the file",
                      email, ns, tenants_.set));
    }
    return {};
  }

  // What the set makes carries its label, so that a later prune can tell it from the rest.
  void label_creates(Plan& out) const {
    static const std::set<std::string> kinds = {"Profile", "RoleBinding", "AuthorizationPolicy",
                                                "Password"};
    for (auto& s : out.steps)
      if (s.kind == StepKind::kCreate && kinds.count(s.key.kind))
        s.after["metadata"]["labels"][kTenantSetLabel] = tenants_.set;
  }

  // Static users have no object to label: the set's list lives in an annotation of the Dex
  // ConfigMap, written with the config.yaml change that makes or removes them.
  Result<void> record_static_users(Plan& out) {
    if (!context_.dex.managed || context_.backend != dex::Backend::kStatic) return {};
    if (created_static_.empty() && pruned_users_.empty()) return {};
    if (!options_.prune) {
      auto recorded = recorded_users();  // read it: prune did not
      if (!recorded) return fail(recorded.error());
    }
    std::set<std::string> users = recorded_static_;
    for (const auto& e : created_static_) users.insert(e);
    for (const auto& e : pruned_users_) users.erase(e);
    if (users == recorded_static_) return {};
    const store::ObjectKey key = configmap_key(context_.dex);
    auto set_annotation = [&](json& cm) {
      json sets = set_users_annotation(cm);
      if (users.empty())
        sets.erase(tenants_.set);
      else
        sets[tenants_.set] = users;
      auto& annotations = cm["metadata"]["annotations"];
      if (sets.empty())
        annotations.erase(kTenantSetUsersAnnotation);
      else
        annotations[kTenantSetUsersAnnotation] = sets.dump();
      if (annotations.empty()) cm["metadata"].erase("annotations");
    };
    for (auto& s : out.steps)
      if (s.key == key && (s.kind == StepKind::kReplace || s.kind == StepKind::kCreate)) {
        set_annotation(s.after);
        return {};
      }
    auto cm = pass_.view.get(key);
    if (!cm) return fail(cm.error());
    json after = *cm;
    set_annotation(after);
    out.steps.insert(out.steps.begin(),
                     Step::replace(*cm, std::move(after),
                                   fmt::format("record the Dex users of set {} in ConfigMap {}/{}",
                                               tenants_.set, key.ns, key.name)));
    return {};
  }

  void summarize(Plan& out) const {
    std::vector<std::string> parts;
    if (users_unchanged_) parts.push_back(fmt::format("{} user(s)", users_unchanged_));
    if (profiles_unchanged_) parts.push_back(fmt::format("{} profile(s)", profiles_unchanged_));
    if (contributors_unchanged_)
      parts.push_back(fmt::format("{} contributor(s)", contributors_unchanged_));
    if (!parts.empty())
      out.notes.insert(out.notes.begin(),
                       fmt::format("{} already as the file says", fmt::join(parts, ", ")));
  }

  Pass pass_;
  const TenancyContext& context_;
  const Tenants& tenants_;
  const ApplyTenantsOptions& options_;
  Memo& memo_;
  PassState& state_;
  std::vector<dex::DexAccount> accounts_;
  std::set<std::string> file_emails_, file_contributors_;
  std::map<std::string, const TenantProfile*> file_profiles_;
  std::map<std::string, bool> namespace_ready_;
  std::vector<dex::DexUser> upserts_;       // the users' Dex writes, planned by plan_upserts
  std::vector<std::string> upsert_places_;  // FILE:LINE of each
  std::set<std::string> created_static_, recorded_static_, pruned_users_, pruned_profiles_;
  int users_unchanged_ = 0, profiles_unchanged_ = 0, contributors_unchanged_ = 0;
};

plan::Planner make_planner(TenancyContext context, Tenants tenants, ApplyTenantsOptions options,
                           std::shared_ptr<Memo> memo, std::shared_ptr<PassState> state) {
  auto shared = std::make_shared<const Tenants>(std::move(tenants));
  return [context, shared, options, memo, state](store::ObjectStore& store) -> Result<Plan> {
    *state = PassState{};
    // Many profiles on a cluster: each pass reads the Profiles and Namespaces from one LIST of
    // each kind instead of a GET of each per profile (2 requests instead of 2,000 for 1,000
    // profiles, under the client's rate limit). Fresh per pass, so a re-plan sees fresh state.
    store::PrefetchedStore prefetched(store);
    store::ObjectStore* target = &store;
    if (store.capabilities().live && shared->profiles.size() >= store::kPrefetchFromObjects) {
      (void)prefetched.prefetch(kubeflow::kProfileApiVersion, "Profile");  // else read per row
      (void)prefetched.prefetch("v1", "Namespace");
      target = &prefetched;
    }
    return TenantsPass(*target, context, *shared, options, *memo, *state).plan();
  };
}

}  // namespace

std::vector<TenantsProblem> resolve_secret_hashes(store::ObjectStore& store, Tenants& tenants) {
  std::vector<TenantsProblem> problems;
  std::map<std::pair<std::string, std::string>, Result<json>> secrets;
  for (auto& u : tenants.users) {
    if (u.hash_from.kind != HashSource::Kind::kSecretKey) continue;
    const HashSource& from = u.hash_from;
    auto bad = [&](std::string message) {
      problems.push_back({u.source, u.line, "hashFrom", std::move(message)});
    };
    auto [it, inserted] = secrets.try_emplace({from.ns, from.name}, json());
    if (inserted) it->second = store.get({"v1", "Secret", from.ns, from.name});
    const auto& secret = it->second;
    if (!secret) {
      bad(secret.error().code == ErrorCode::kNotFound
              ? fmt::format("Secret {}/{} not found in {}: create it with the users' hashes, "
                            "or give the hash another way",
                            from.ns, from.name, store.description())
              : fmt::format("Secret {}/{}: {}", from.ns, from.name, secret.error().message));
      continue;
    }
    const json data = secret->value("data", json::object());
    if (!data.contains(from.key) || !data[from.key].is_string()) {
      bad(fmt::format("Secret {}/{} has no key {}", from.ns, from.name, from.key));
      continue;
    }
    auto hash = base64::decode(data[from.key].get<std::string>());
    if (!hash) {
      bad(fmt::format("{}: not base64 (as a Secret's data is)", from.describe()));
      continue;
    }
    while (!hash->empty() && (hash->back() == '\n' || hash->back() == '\r')) hash->pop_back();
    auto cost = dex::bcrypt_cost(*hash);
    if (!cost) {
      bad(fmt::format("{} does not hold a bcrypt hash ($2y$...)", from.describe()));
      continue;
    }
    if (*cost < dex::kMinBcryptCost || *cost > dex::kMaxBcryptCost) {
      bad(
          fmt::format("the hash in {} has cost {}, and Dex refuses logins unless the cost is "
                      "{}..{}",
                      from.describe(), *cost, dex::kMinBcryptCost, dex::kMaxBcryptCost));
      continue;
    }
    u.hash = std::move(*hash);
  }
  return problems;
}

plan::Planner tenants_planner(TenancyContext context, Tenants tenants,
                              ApplyTenantsOptions options) {
  return make_planner(std::move(context), std::move(tenants), std::move(options),
                      std::make_shared<Memo>(), std::make_shared<PassState>());
}

Result<ApplyTenantsReport> apply_tenants(store::ObjectStore& store, const TenancyContext& context,
                                         const Tenants& tenants, const ApplyTenantsOptions& options,
                                         const plan::ApplyOptions& apply) {
  ApplyTenantsReport report;
  auto memo = std::make_shared<Memo>();
  auto state = std::make_shared<PassState>();
  auto planner = make_planner(context, tenants, options, memo, state);
  // A second pass adds the contributors of profiles made by the first (their namespaces exist
  // once its waits are over); a third would find nothing.
  for (int pass = 0; pass < 2; ++pass) {
    auto applied = plan::apply_plan(store, planner, apply);
    if (!applied) {
      Error e = applied.error();
      if (!report.applied.empty())
        e = e.with_context(
            fmt::format("after {} step(s) applied; apply again to finish", report.applied.size()));
      return fail(std::move(e));
    }
    ++report.passes;
    if (pass == 0) report.notes = applied->notes;
    const bool deferred = state->deferred > 0;
    for (auto& s : applied->applied) report.applied.push_back(std::move(s));
    if (!deferred || applied->applied.empty()) break;
  }
  return report;
}

}  // namespace kftenant::tenancy
