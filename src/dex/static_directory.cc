// UserDirectory over `staticPasswords` in config.yaml (ConfigMap <ns>/<configmap>), the way
// Kubeflow ships Dex (kubeflow/manifests common/dex). Edits go through DexConfig, so every other
// byte of config.yaml is kept; Dex reads config.yaml only at start (cmd/dex/serve.go), so
// plan_restart rolls the Deployment.
#include <ctime>
#include <utility>

#include "common/sha256.h"
#include "dex/user_directories.h"
#include "kftenant/dex/static_passwords.h"

namespace kftenant::dex::detail {
namespace {

using nlohmann::json;
using tenancy::Step;
using tenancy::StepKind;

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
    auto cm = get_configmap(store);
    if (!cm) return fail(cm.error());
    auto config = parse_config(*cm);
    if (!config) return fail(config.error());
    std::vector<DexUser> out;
    for (const auto& p : config->static_passwords()) out.push_back(to_user(p));
    return out;
  }

  Result<std::optional<DexUser>> find(store::ObjectStore& store,
                                      std::string_view email) const override {
    auto cm = get_configmap(store);
    if (!cm) return fail(cm.error());
    auto config = parse_config(*cm);
    if (!config) return fail(config.error());
    auto idx = config->find(email);
    if (!idx) return std::optional<DexUser>();
    return std::optional<DexUser>(to_user(config->static_passwords()[*idx]));
  }

  Result<std::vector<Step>> plan_upsert(store::ObjectStore& store,
                                        const DexUser& user) const override {
    if (auto v = validate_user(user, /*allow_hash_from_env=*/true); !v) return fail(v.error());
    auto cm = get_configmap(store);
    if (!cm) return fail(cm.error());
    auto config = parse_config(*cm);
    if (!config) return fail(config.error());
    if (!config->password_db_enabled()) {
      return make_error(ErrorCode::kRefused,
                        where() +
                            " does not set `enablePasswordDB: true`, and Dex refuses "
                            "staticPasswords without it; enable it in config.yaml or use "
                            "--dex-backend password-crd");
    }
    const auto idx = config->find(user.email);
    const StaticPassword* existing = idx ? &config->static_passwords()[*idx] : nullptr;
    const StaticPassword entry = to_entry(user, existing);
    if (existing && *existing == entry) return std::vector<Step>{};
    const std::string before = config->text();
    if (auto r = config->upsert_static_password(entry); !r)
      return fail(r.error().with_context(where()));
    if (config->text() == before) return std::vector<Step>{};
    const std::string summary =
        existing ? "update Dex user " + user.email + " in staticPasswords in " + cm_name()
                 : "add Dex user " + user.email + " to staticPasswords in " + cm_name();
    return std::vector<Step>{replace_step(store, *cm, config->text(), summary)};
  }

  Result<std::vector<Step>> plan_remove(store::ObjectStore& store,
                                        std::string_view email) const override {
    auto cm = get_configmap(store);
    if (!cm) return fail(cm.error());
    auto config = parse_config(*cm);
    if (!config) return fail(config.error());
    if (!config->find(email)) return std::vector<Step>{};
    if (auto r = config->remove_static_password(email); !r)
      return fail(r.error().with_context(where()));
    const std::string summary =
        "remove Dex user " + std::string(email) + " from staticPasswords in " + cm_name();
    return std::vector<Step>{replace_step(store, *cm, config->text(), summary)};
  }

  Result<std::vector<Step>> plan_restart(store::ObjectStore& store,
                                         const std::vector<Step>& pending) const override {
    const store::ObjectKey cm_key = configmap_key();
    const json* planned = nullptr;  // the ConfigMap as the pending steps leave it
    for (const auto& s : pending) {
      if (s.key == cm_key && (s.kind == StepKind::kReplace || s.kind == StepKind::kCreate) &&
          s.after.is_object())
        planned = &s.after;
    }
    auto current = get_configmap(store);
    if (!current && !(planned && current.error().code == ErrorCode::kNotFound))
      return fail(current.error());
    const json& cm = planned ? *planned : *current;
    auto text = config_text(cm);
    if (!text) return fail(text.error());
    bool pending_changes = false;
    if (planned) {
      auto now = current ? config_text(*current) : Result<std::string>(std::string());
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
    json after = *deployment;
    after[kTemplateAnnotations][kDeploymentConfigHashAnnotation] = sha;
    if (!store.capabilities().live) {
      Step s;
      s.kind = StepKind::kReplace;
      s.key = deployment_key();
      s.before = *deployment;
      s.after = std::move(after);
      s.summary =
          "record config hash on " + deployment_name() + " so applying the manifests restarts Dex";
      return std::vector<Step>{std::move(s)};
    }
    after[kTemplateAnnotations][kRestartedAtAnnotation] = rfc3339(clock_->wall_now());
    Step restart;
    restart.kind = StepKind::kRestartDeployment;
    restart.key = deployment_key();
    restart.before = *deployment;
    restart.after = std::move(after);
    restart.summary = "restart " + deployment_name() + " so Dex reads the new config.yaml";
    Step wait;
    wait.kind = StepKind::kWaitRollout;
    wait.key = deployment_key();
    wait.summary = "wait for the rollout of " + deployment_name();
    return std::vector<Step>{std::move(restart), std::move(wait)};
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

  Result<DexConfig> parse_config(const json& cm) const {
    auto text = config_text(cm);
    if (!text) return fail(text.error());
    auto config = DexConfig::parse(std::move(*text), loc_.config_key);
    if (!config) return fail(config.error().with_context(where()));
    return config;
  }

  Step replace_step(store::ObjectStore& store, const json& cm, const std::string& text,
                    std::string summary) const {
    Step s;
    s.kind = StepKind::kReplace;
    s.key = configmap_key();
    s.before = cm;
    s.after = cm;
    s.after["data"][loc_.config_key] = text;
    // Manifests stay free of kftenant bookkeeping; only a live ConfigMap records what was written.
    if (store.capabilities().live)
      s.after["metadata"]["annotations"][kConfigHashAnnotation] = sha256_hex(text);
    s.summary = std::move(summary);
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
