// UserDirectory over `staticPasswords` in config.yaml (ConfigMap <ns>/<configmap>), the way
// Kubeflow ships Dex (kubeflow/manifests common/dex). Edits go through DexConfig, so every other
// byte of config.yaml is kept; Dex reads config.yaml only at start (cmd/dex/serve.go), so
// plan_restart rolls the Deployment.
#include <fmt/format.h>

#include <ctime>
#include <functional>
#include <utility>

#include "common/sha256.h"
#include "dex/config_cache.h"
#include "dex/user_directories.h"
#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/config_check.h"
#include "kftenant/dex/static_passwords.h"
#include "kftenant/plan/compose.h"

namespace kftenant::dex::detail {
namespace {

using nlohmann::json;
using plan::Step;
using plan::StepKind;

// time.Now().Format(time.RFC3339), as `kubectl rollout restart` writes restartedAt
// (k8s.io/kubectl pkg/polymorphichelpers/objectrestarter.go), in UTC.
std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string string_at(const json& j, const json::json_pointer& p) {
  if (!j.contains(p)) return {};
  const json& v = j.at(p);
  return v.is_string() ? v.get<std::string>() : std::string();
}

StaticPassword to_entry(const DexUser& user, const StaticPassword* existing) {
  StaticPassword p;
  if (existing) p = *existing;  // keeps name, groups, ... (extra)
  p.email = user.email;
  // Dex takes `hash` over `hashFromEnv` (cmd/dex/config.go): keep only the one asked for.
  p.hash = user.hash;
  p.hash_from_env = user.hash.empty() ? user.hash_from_env : std::string();
  p.username = user.username;
  p.user_id = user.user_id;
  return p;
}

class StaticDirectory final : public UserDirectory {
 public:
  StaticDirectory(DexLocation location, std::shared_ptr<Clock> clock)
      : loc_(std::move(location)), clock_(std::move(clock)) {}

  Backend backend() const override { return Backend::kStatic; }

  Result<std::vector<DexUser>> list(store::ObjectStore& store) const override {
    auto loaded = load(store);
    if (!loaded) return fail(loaded.error());
    DexConfig* config = &loaded->config;
    std::vector<DexUser> out;
    const auto& entries = config->static_passwords();
    const std::vector<size_t> lines = config->entry_lines();
    for (size_t i = 0; i < entries.size(); ++i) {
      out.push_back(to_user(entries[i]));
      out.back().line = lines[i];
    }
    // Dex's verdict on each entry; duplicates and shared IDs are reported per account/user.
    for (const auto& problem : detail::check_config_cached(*config)) {
      if (!problem.entry || *problem.entry >= out.size() ||
          problem.severity == ConfigProblem::Severity::kWarning)
        continue;
      out[*problem.entry].problems.push_back(problem.message);
    }
    return out;
  }

  Result<std::optional<DexUser>> find(store::ObjectStore& store,
                                      std::string_view email) const override {
    auto loaded = load(store);
    if (!loaded) return fail(loaded.error());
    DexConfig* config = &loaded->config;
    auto idx = config->find(email);
    if (!idx) return std::optional<DexUser>();
    return std::optional<DexUser>(to_user(config->static_passwords()[*idx]));
  }

  Result<std::vector<Step>> plan_upsert(store::ObjectStore& store,
                                        const DexUser& user) const override {
    if (auto v = validate_user(user, /*allow_hash_from_env=*/true); !v) return fail(v.error());
    auto loaded = load(store);
    if (!loaded) return fail(loaded.error());
    json* cm = &loaded->cm;
    DexConfig* config = &loaded->config;
    if (!config->password_db_enabled()) return fail(password_db_disabled());
    const auto idx = config->find(user.email);
    const StaticPassword* existing = idx ? &config->static_passwords()[*idx] : nullptr;
    const StaticPassword entry = to_entry(user, existing);
    if (existing && *existing == entry) return std::vector<Step>{};
    const bool new_hash = !existing || existing->hash != entry.hash;
    const std::string before = config->text();
    if (auto r = config->upsert_static_password(entry); !r)
      return fail(r.error().with_context(where()));
    if (config->text() == before) return std::vector<Step>{};
    if (auto loadable = require_loadable(*config); !loadable) return fail(loadable.error());
    remember_parsed_config(*config);
    Step step = replace_step(store, *cm, config->text(), upsert_summary(user, existing != nullptr));
    if (auto fits = fits_in_a_configmap(step.after, user.email); !fits) return fail(fits.error());
    step.writes_password = new_hash;
    return std::vector<Step>{std::move(step)};
  }

  Result<UpsertAll> plan_upsert_all(store::ObjectStore& store,
                                    const std::vector<DexUser>& users) const override {
    auto together = upsert_together(store, users, users.size());
    if (!together) return fail(together.error());
    if (!*together) return UserDirectory::plan_upsert_all(store, users);  // one by one
    return std::move(**together);
  }

  Result<std::vector<Step>> plan_remove(store::ObjectStore& store,
                                        std::string_view email) const override {
    auto loaded = load(store);
    if (!loaded) return fail(loaded.error());
    json* cm = &loaded->cm;
    DexConfig* config = &loaded->config;
    const auto indices = config->find_all(email);
    if (indices.empty()) return std::vector<Step>{};
    const std::string entries = describe_entries(*config, indices);
    // From the last, so that earlier indices stay valid.
    for (auto it = indices.rbegin(); it != indices.rend(); ++it)
      if (auto r = config->remove_static_password_at(*it); !r)
        return fail(r.error().with_context(where()));
    if (auto loadable = require_loadable(*config); !loadable) return fail(loadable.error());
    const std::string summary =
        "remove Dex user " + std::string(email) + " from staticPasswords in " + cm_name() + entries;
    return std::vector<Step>{replace_step(store, *cm, config->text(), summary)};
  }

  Result<std::vector<Step>> plan_set_password(store::ObjectStore& store, std::string_view email,
                                              const std::string& hash) const override {
    if (auto cost = bcrypt_cost(hash); !cost)
      return make_error(ErrorCode::kInvalidArgument,
                        "the new password hash for " + std::string(email) + " is not bcrypt");
    auto loaded = load(store);
    if (!loaded) return fail(loaded.error());
    json* cm = &loaded->cm;
    DexConfig* config = &loaded->config;
    const auto indices = config->find_all(email);
    if (indices.empty()) return std::vector<Step>{};
    const std::string entries = describe_entries(*config, indices);
    bool changed = false;
    for (size_t i : indices) {
      StaticPassword entry = config->static_passwords()[i];
      if (entry.hash.empty() && !entry.hash_from_env.empty())
        return make_error(ErrorCode::kRefused,
                          where() + " line " + std::to_string(config->entry_line(i)) + ": " +
                              entry.email + " takes its hash from environment variable " +
                              entry.hash_from_env +
                              " (hashFromEnv, a Secret of the Dex Deployment): update that "
                              "Secret, or remove the entry and add the user again");
      if (entry.hash == hash) continue;
      entry.hash = hash;
      if (auto r = config->replace_static_password_at(i, entry); !r)
        return fail(r.error().with_context(where()));
      changed = true;
    }
    if (!changed) return std::vector<Step>{};
    if (auto loadable = require_loadable(*config); !loadable) return fail(loadable.error());
    Step step = replace_step(store, *cm, config->text(),
                             "set the password of Dex user " + std::string(email) +
                                 " in staticPasswords in " + cm_name() + entries);
    step.writes_password = true;
    return std::vector<Step>{std::move(step)};
  }

  Result<std::vector<Step>> plan_restart(plan::PlanView& store) const override {
    auto planned = get_configmap(store);  // the ConfigMap as the planned steps leave it
    if (!planned) return fail(planned.error());
    const json& cm = *planned;
    auto text = config_text(cm);
    if (!text) return fail(text.error());
    auto stored = store.stored(configmap_key());
    if (!stored && stored.error().code != ErrorCode::kNotFound) return fail(stored.error());
    bool pending_changes = true;
    if (stored) {
      auto now = config_text(*stored);
      pending_changes = !now || *now != *text;
    }
    auto deployment = store.get(deployment_key());
    if (!deployment) {
      if (deployment.error().code != ErrorCode::kNotFound) return fail(deployment.error());
      return make_error(ErrorCode::kNotFound,
                        deployment_name() +
                            " not found: Dex is not installed where kftenant looks (Kubeflow "
                            "installs it from common/dex; use --dex-namespace / "
                            "--dex-deployment)");
    }
    const std::string sha = sha256_hex(*text);
    static const json::json_pointer kTemplateAnnotations("/spec/template/metadata/annotations");
    const json::json_pointer dep_hash_ptr = kTemplateAnnotations / kDeploymentConfigHashAnnotation;
    const bool has_dep_hash = deployment->contains(dep_hash_ptr);
    const std::string dep_hash = string_at(*deployment, dep_hash_ptr);
    const std::string cm_hash =
        string_at(cm, json::json_pointer("/metadata/annotations") / kConfigHashAnnotation);
    // Owed when the pods did not start with this config and we know it changed: this command
    // changes it, kftenant restarted Dex before (so the recorded hash is authoritative), or
    // kftenant wrote this very config (ConfigMap hash) and a crash came before the restart.
    const bool owed = sha != dep_hash && (pending_changes || has_dep_hash || cm_hash == sha);
    if (!owed) return std::vector<Step>{};
    // Never restart Dex onto a config it cannot load: that takes every login down.
    auto config = detail::parse_config_cached(*text, loc_.config_key);
    if (!config) return fail(config.error().with_context(where()));
    if (auto loadable = require_loadable(*config); !loadable) return fail(loadable.error());
    // A patch of the pod template's annotations, as `kubectl rollout restart` sends (a
    // strategic merge patch: k8s.io/kubectl pkg/polymorphichelpers/objectrestarter.go), so that
    // other writers of the Deployment do not make it a conflict.
    json patch;
    patch[kTemplateAnnotations][kDeploymentConfigHashAnnotation] = sha;
    if (!store.capabilities().live) {
      auto s = Step::patch_of(
          *deployment, std::move(patch),
          "record config hash on " + deployment_name() + " so applying the manifests restarts Dex");
      if (!s) return fail(s.error());
      s->refresh = config_hash_refresh();
      return std::vector<Step>{std::move(*s)};
    }
    patch[kTemplateAnnotations][kRestartedAtAnnotation] = rfc3339(clock_->wall_now());
    auto restart =
        Step::restart(*deployment, std::move(patch),
                      "restart " + deployment_name() + " so Dex reads the new config.yaml");
    if (!restart) return fail(restart.error());
    restart->refresh = config_hash_refresh();
    return std::vector<Step>{
        std::move(*restart),
        Step::wait_rollout(deployment_key(), "wait for the rollout of " + deployment_name())};
  }

 private:
  DexLocation loc_;
  std::shared_ptr<Clock> clock_;

  store::ObjectKey configmap_key() const { return {"v1", "ConfigMap", loc_.ns, loc_.configmap}; }
  store::ObjectKey deployment_key() const {
    return {"apps/v1", "Deployment", loc_.ns, loc_.deployment};
  }
  std::string cm_name() const { return store::describe(configmap_key()); }
  std::string deployment_name() const { return store::describe(deployment_key()); }
  std::string where() const { return cm_name() + " key " + loc_.config_key; }

  // The config hash recorded on the Deployment is that of config.yaml as it is when the restart
  // is written (what the new pods read), not as planned: someone may have written in between.
  // Given the planned patch (or whole Deployment, once merged into a replace): both hold the
  // annotation at the same path.
  std::function<Result<json>(store::ObjectStore&, const json&)> config_hash_refresh() const {
    return [self = *this](store::ObjectStore& store, const json& after) -> Result<json> {
      auto cm = self.get_configmap(store);
      if (!cm) return fail(cm.error());
      auto text = self.config_text(*cm);
      if (!text) return fail(text.error());
      json refreshed = after;
      refreshed["spec"]["template"]["metadata"]["annotations"][kDeploymentConfigHashAnnotation] =
          sha256_hex(*text);
      return refreshed;
    };
  }

  // kTooLarge when the ConfigMap would pass the API server's 1 MiB limit (which would refuse the
  // write with a bare "Too long"), saying what to do instead.
  Result<void> fits_in_a_configmap(const json& after, const std::string& email) const {
    const size_t bytes = store::configmap_data_bytes(after);
    if (bytes <= store::kMaxConfigMapDataBytes) return ok();
    return fail(too_large(email, bytes));
  }
  Error too_large(const std::string& email, size_t bytes) const {
    return make_error(ErrorCode::kTooLarge,
                      fmt::format("adding {} would make {} hold {} KiB of data, and the API server "
                                  "takes at most 1024 KiB in a ConfigMap: add this user with "
                                  "--dex-backend password-crd (a Password object), or remove users "
                                  "who no longer need a login; nothing was written",
                                  email, cm_name(), (bytes + 1023) / 1024))
        .value();
  }

  Error password_db_disabled() const {
    return make_error(ErrorCode::kRefused,
                      where() +
                          " does not set `enablePasswordDB: true`, and Dex refuses "
                          "staticPasswords without it; enable it in config.yaml or use "
                          "--dex-backend password-crd")
        .value();
  }

  std::string upsert_summary(const DexUser& user, bool existing) const {
    return existing ? "update Dex user " + user.email + " in staticPasswords in " + cm_name()
                    : "add Dex user " + user.email + " to staticPasswords in " + cm_name();
  }

  // plan_upsert_all of users[0, n) (the users from n on are left out) as one edit of one parse
  // of config.yaml, checked against Dex's rules once at the end. nullopt when the result would
  // not load: then the refusal belongs to whichever user makes it so, which only planning them
  // one by one can tell.
  Result<std::optional<UpsertAll>> upsert_together(store::ObjectStore& store,
                                                   const std::vector<DexUser>& users,
                                                   size_t n) const {
    UpsertAll out;
    out.errors.resize(users.size());
    out.changes.assign(users.size(), 0);
    auto loaded = load(store);
    if (!loaded) return fail(loaded.error());
    DexConfig& config = loaded->config;
    const size_t other_bytes = store::configmap_data_bytes(loaded->cm) - config.text().size();
    std::vector<std::string> summaries;
    bool new_hash = false;
    for (size_t i = 0; i < n; ++i) {
      const DexUser& user = users[i];
      if (auto v = validate_user(user, /*allow_hash_from_env=*/true); !v) {
        out.errors[i] = v.error();
        continue;
      }
      if (!config.password_db_enabled()) {
        out.errors[i] = password_db_disabled();
        continue;
      }
      const auto idx = config.find(user.email);
      const StaticPassword* existing = idx ? &config.static_passwords()[*idx] : nullptr;
      const StaticPassword entry = to_entry(user, existing);
      if (existing && *existing == entry) continue;
      const bool hash_changes = !existing || existing->hash != entry.hash;
      std::string summary = upsert_summary(user, existing != nullptr);
      if (auto r = config.upsert_static_password(entry); !r) {
        const Error e = r.error().with_context(where());
        if (e.code != ErrorCode::kInvalidArgument && e.code != ErrorCode::kRefused) return fail(e);
        out.errors[i] = e;
        continue;
      }
      if (const size_t bytes = other_bytes + config.text().size();
          bytes > store::kMaxConfigMapDataBytes) {
        auto fitting = upsert_together(store, users, i);
        if (!fitting || !*fitting) return fitting;
        (*fitting)->errors[i] = too_large(user.email, bytes);
        (*fitting)->first_too_large = i;
        return fitting;
      }
      out.changes[i] = 1;
      new_hash = new_hash || hash_changes;
      summaries.push_back(std::move(summary));
    }
    if (summaries.empty()) return std::optional<UpsertAll>(std::move(out));
    for (const auto& problem : detail::check_config_cached(config))
      if (problem.severity == ConfigProblem::Severity::kFatal) return std::optional<UpsertAll>();
    remember_parsed_config(config);
    Step step = replace_step(store, loaded->cm, config.text(), plan::joined_summary(summaries));
    step.writes_password = new_hash;
    out.steps.push_back(std::move(step));
    return std::optional<UpsertAll>(std::move(out));
  }

  // kRefused when Dex could not start with `config` (naming the entry, line and problem).
  Result<void> require_loadable(const DexConfig& config) const {
    for (const auto& problem : detail::check_config_cached(config)) {
      if (problem.severity != ConfigProblem::Severity::kFatal) continue;
      std::string at = problem.line > 0 ? " line " + std::to_string(problem.line) : "";
      return make_error(ErrorCode::kRefused, "nothing was written: Dex would not start with " +
                                                 loc_.config_key + " of " + cm_name() +
                                                 " after this change (" + loc_.config_key + at +
                                                 "): " + problem.message);
    }
    return ok();
  }

  // " (2 entries: a@x line 5, A@x line 9)" when there are case variants, else "".
  static std::string describe_entries(const DexConfig& config, const std::vector<size_t>& indices) {
    if (indices.size() < 2) return "";
    std::string out = " (" + std::to_string(indices.size()) + " entries: ";
    for (size_t k = 0; k < indices.size(); ++k)
      out += (k ? ", " : "") + config.static_passwords()[indices[k]].email + " line " +
             std::to_string(config.entry_line(indices[k]));
    return out + ")";
  }

  DexUser to_user(const StaticPassword& p) const {
    DexUser u;
    u.email = p.email;
    u.hash = p.hash;
    u.hash_from_env = p.hash_from_env;
    u.username = p.username;
    u.user_id = p.user_id;
    u.backend = Backend::kStatic;
    u.location = cm_name();
    return u;
  }

  Result<json> get_configmap(store::ObjectStore& store) const {
    auto cm = store.get(configmap_key());
    if (cm) return cm;
    if (cm.error().code != ErrorCode::kNotFound) return fail(cm.error());
    return make_error(ErrorCode::kNotFound,
                      cm_name() +
                          " not found: Dex is not installed where kftenant looks (Kubeflow "
                          "installs it from common/dex; use --dex-namespace / --dex-configmap)");
  }

  // data[config_key]; kNotFound when absent, so the Password backend can tell "no static
  // users here" from a broken config.
  Result<std::string> config_text(const json& cm) const {
    const json::json_pointer p = json::json_pointer("/data") / loc_.config_key;
    if (!cm.contains(p) || !cm.at(p).is_string())
      return make_error(ErrorCode::kNotFound,
                        cm_name() + " has no data key '" + loc_.config_key +
                            "': point --dex-configmap at the ConfigMap holding Dex's config.yaml");
    return cm.at(p).get<std::string>();
  }

  // The Dex ConfigMap and its parsed config.yaml.
  struct Loaded {
    json cm;
    DexConfig config;
  };
  Result<Loaded> load(store::ObjectStore& store) const {
    auto cm = get_configmap(store);
    if (!cm) return fail(cm.error());
    auto config = parse_config(*cm);
    if (!config) return fail(config.error());
    return Loaded{std::move(*cm), std::move(*config)};
  }

  Result<DexConfig> parse_config(const json& cm) const {
    auto text = config_text(cm);
    if (!text) return fail(text.error());
    auto config = detail::parse_config_cached(std::move(*text), loc_.config_key);
    if (!config) return fail(config.error().with_context(where()));
    return config;
  }

  Step replace_step(store::ObjectStore& store, const json& cm, const std::string& text,
                    std::string summary) const {
    json after = cm;
    after["data"][loc_.config_key] = text;
    // Manifests stay free of kftenant bookkeeping; only a live ConfigMap records what was written.
    if (store.capabilities().live)
      after["metadata"]["annotations"][kConfigHashAnnotation] = sha256_hex(text);
    Step s = Step::replace(cm, std::move(after), std::move(summary));
    s.text_field = {"data", loc_.config_key};
    return s;
  }
};

}  // namespace

std::unique_ptr<UserDirectory> make_static_directory(DexLocation location,
                                                     std::shared_ptr<Clock> clock) {
  return std::make_unique<StaticDirectory>(std::move(location), std::move(clock));
}

}  // namespace kftenant::dex::detail
