#include "kftenant/kubeflow/profile.h"

#include <fmt/core.h>

#include <array>

#include "kftenant/kube/names.h"
#include "kftenant/kube/quantity.h"
#include "kftenant/quote.h"

namespace kftenant::kubeflow {
namespace {

using nlohmann::json;

constexpr std::string_view kQuotaSyntax =
    "expected KEY=VALUE[,KEY=VALUE...], e.g. cpu=4,memory=16Gi,requests.nvidia.com/gpu=1";

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// apimachinery util/validation IsDNS1123Subdomain (kube/names.h has the server's messages; the
// messages here are for people typing a quota).
bool is_dns1123_subdomain(std::string_view s) {
  return kube::is_dns1123_subdomain(s).empty();
}

// apimachinery util/validation IsQualifiedName; returns the reason, empty when valid.
std::string qualified_name_problem(std::string_view key) {
  std::string_view name = key;
  const std::size_t slash = key.find('/');
  if (slash != std::string_view::npos) {
    if (key.find('/', slash + 1) != std::string_view::npos) return "it has more than one '/'";
    const std::string_view prefix = key.substr(0, slash);
    if (!is_dns1123_subdomain(prefix)) {
      return fmt::format(
          "the prefix {} must be a DNS subdomain (lower-case letters, digits, '-' "
          "and '.')",
          quote_for_message(prefix));
    }
    name = key.substr(slash + 1);
  }
  if (name.empty()) return "the name after '/' is empty";
  if (name.size() > 63) return "the name is longer than 63 characters";
  for (char c : name) {
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') {
      return "use only letters, digits, '-', '_' and '.' (and one '/' after a prefix)";
    }
  }
  if (!is_alnum(name.front()) || !is_alnum(name.back())) {
    return "the name must start and end with a letter or digit";
  }
  return {};
}

// pkg/apis/core/helper standardQuotaResources (+ IsQuotaHugePageResourceName).
bool is_standard_quota_resource(std::string_view key) {
  static constexpr std::array<std::string_view, 19> kStandard = {
      "cpu",
      "memory",
      "ephemeral-storage",
      "requests.cpu",
      "requests.memory",
      "requests.storage",
      "requests.ephemeral-storage",
      "limits.cpu",
      "limits.memory",
      "limits.ephemeral-storage",
      "pods",
      "resourcequotas",
      "services",
      "replicationcontrollers",
      "secrets",
      "persistentvolumeclaims",
      "configmaps",
      "services.nodeports",
      "services.loadbalancers",
  };
  for (auto s : kStandard) {
    if (key == s) return true;
  }
  return starts_with(key, "hugepages-") || starts_with(key, "requests.hugepages-");
}

// helper.IsNativeResource: unprefixed, or in the kubernetes.io namespace.
bool is_native(std::string_view key) {
  return key.find('/') == std::string_view::npos ||
         key.find("kubernetes.io/") != std::string_view::npos;
}

// helper.IsIntegerResourceName: object counts and extended resources.
bool is_integer_resource(std::string_view key) {
  static constexpr std::array<std::string_view, 9> kIntegers = {"pods",
                                                                "resourcequotas",
                                                                "services",
                                                                "replicationcontrollers",
                                                                "secrets",
                                                                "persistentvolumeclaims",
                                                                "configmaps",
                                                                "services.nodeports",
                                                                "services.loadbalancers"};
  for (auto s : kIntegers) {
    if (key == s) return true;
  }
  // IsExtendedResourceName; "requests." + key is a qualified name whenever key is one.
  return !is_native(key) && !starts_with(key, "requests.");
}

// Returns the reason `key` cannot be a ResourceQuota hard key, empty when it can.
std::string quota_key_problem(std::string_view key) {
  if (std::string why = qualified_name_problem(key); !why.empty()) return why;
  const std::size_t slash = key.find('/');
  if (slash == std::string_view::npos) {
    if (!is_standard_quota_resource(key)) {
      return "it is not a resource a quota can limit; use cpu, memory, ephemeral-storage, "
             "requests.*/limits.* of those, requests.storage, pods, services, secrets, "
             "configmaps, persistentvolumeclaims, ..., or a prefixed name such as "
             "requests.nvidia.com/gpu or count/deployments.apps";
    }
    return {};
  }
  const std::string_view prefix = key.substr(0, slash);
  if (is_native(key) || prefix == "count" || starts_with(key, "requests.") ||
      ends_with(prefix, ".storageclass.storage.k8s.io")) {
    return {};
  }
  // Kubernetes accepts these but counts extended resources only under "requests." (docs:
  // concepts/policy/resource-quotas, "Resource quota for extended resources").
  std::string_view resource = key;
  if (starts_with(resource, "limits.")) resource.remove_prefix(7);
  return fmt::format(
      "a quota limits an extended resource only as requests.{} (Kubernetes "
      "ignores other forms)",
      resource);
}

Result<void> check_quota_value(std::string_view key, std::string_view value,
                               const std::string& item_text) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("quota item {}: {}", item_text, why));
  };
  auto q = kube::parse_quantity(value);
  if (!q) {
    return bad(fmt::format("{} is not a Kubernetes quantity (e.g. 4, 500m, 16Gi, 1e3): {}",
                           quote_for_message(value), q.error().message));
  }
  if (q->negative && q->approximate_value() != 0) return bad("the quantity must not be negative");
  if (is_integer_resource(key)) {
    auto milli = q->milli_value();
    if (milli && *milli % 1000 != 0) {
      return bad(fmt::format("{} counts objects or devices and must be a whole number", key));
    }
  }
  return ok();
}

// The string at `pointer`, empty when absent or not a string (never throws).
std::string string_at(const json& object, const char* pointer) {
  const json::json_pointer p(pointer);
  if (!object.is_object() || !object.contains(p)) return {};
  const json& v = object.at(p);
  return v.is_string() ? v.get<std::string>() : std::string();
}

// Fetches an object; nullopt when it (or its kind) does not exist.
Result<std::optional<json>> get_optional(store::ObjectStore& store, const store::ObjectKey& key) {
  auto got = store.get(key);
  if (got) return std::optional<json>(std::move(*got));
  if (got.error().code == ErrorCode::kNotFound) return std::optional<json>();
  return fail(got.error());
}

}  // namespace

json build_profile(const ProfileSpecInput& input) {
  json profile = {
      {"apiVersion", kProfileApiVersion},
      {"kind", "Profile"},
      {"metadata", {{"name", input.name}}},
      {"spec", {{"owner", {{"kind", "User"}, {"name", input.owner_email}}}}},
  };
  if (!input.quota_hard.empty()) {
    json hard = json::object();
    for (const auto& [k, v] : input.quota_hard) hard[k] = v;
    profile["spec"]["resourceQuotaSpec"] = {{"hard", hard}};
  }
  return profile;
}

std::optional<std::string> profile_owner(const json& profile) {
  const json::json_pointer kind_ptr("/spec/owner/kind");
  const json::json_pointer name_ptr("/spec/owner/name");
  if (!profile.is_object() || !profile.contains(kind_ptr) || !profile.contains(name_ptr)) {
    return std::nullopt;
  }
  const json& kind = profile.at(kind_ptr);
  const json& name = profile.at(name_ptr);
  if (!kind.is_string() || kind.get<std::string>() != "User" || !name.is_string()) {
    return std::nullopt;
  }
  return name.get<std::string>();
}

namespace {

// One `key=value` of a quota: the key as stored (a bare extended resource becomes
// requests.<name>), or the error naming `item_text`.
Result<std::string> checked_quota_key(std::string_view raw_key, std::string_view value,
                                      const std::string& item_text) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("quota item {}: {}; {}", item_text, why, kQuotaSyntax));
  };
  // A bare extended resource (`nvidia.com/gpu`, as people write it in pod limits) is only
  // ever counted by a quota as requests.<name>: write it that way instead of storing a key
  // Kubernetes accepts and ignores.
  std::string key(raw_key);
  if (raw_key.find('/') != std::string_view::npos && !is_native(raw_key) &&
      !starts_with(raw_key, "requests.") && !starts_with(raw_key, "limits.") &&
      raw_key.substr(0, raw_key.find('/')) != "count" &&
      !ends_with(raw_key.substr(0, raw_key.find('/')), ".storageclass.storage.k8s.io") &&
      qualified_name_problem(raw_key).empty())
    key = "requests." + key;
  if (key.empty()) return bad("the resource name before '=' is empty");
  if (value.empty()) return bad("the quantity after '=' is empty");
  if (std::string why = quota_key_problem(key); !why.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("quota item {}: invalid resource name {}: {}", item_text,
                                  quote_for_message(key), why));
  }
  if (auto r = check_quota_value(key, value, item_text); !r) return fail(r.error());
  return key;
}

}  // namespace

Result<void> validate_quota(const std::map<std::string, std::string>& hard) {
  for (const auto& [key, value] : hard) {
    const std::string item_text = quote_for_message(key + "=" + value);
    auto stored = checked_quota_key(key, value, item_text);
    if (!stored) return fail(stored.error());
    if (*stored != key)
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("quota item {}: Kubernetes counts {} only as {}; write that",
                                    item_text, quote_for_message(key), quote_for_message(*stored)));
  }
  return ok();
}

Result<std::map<std::string, std::string>> parse_quota(std::string_view text) {
  if (trim(text).empty()) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("empty quota: {}", kQuotaSyntax));
  }
  std::map<std::string, std::string> hard;
  std::size_t start = 0;
  for (int index = 1;; ++index) {
    const std::size_t comma = text.find(',', start);
    const std::string_view item = trim(text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    const std::string item_text = quote_for_message(item);
    auto bad = [&](const std::string& why) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("quota item {}: {}; {}", item_text, why, kQuotaSyntax));
    };
    if (item.empty()) {
      return make_error(
          ErrorCode::kInvalidArgument,
          fmt::format("quota item {} is empty (a stray ','); {}", index, kQuotaSyntax));
    }
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return bad("it has no '='");
    const std::string_view raw_key = trim(item.substr(0, eq));
    const std::string_view value = trim(item.substr(eq + 1));
    auto key = checked_quota_key(raw_key, value, item_text);
    if (!key) return fail(key.error());
    if (!hard.emplace(*key, std::string(value)).second) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("quota item {}: {} is given more than once", item_text,
                                    quote_for_message(*key)));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return hard;
}

Result<ProfileReadiness> check_profile_ready(store::ObjectStore& store, std::string_view profile,
                                             std::string_view owner) {
  ProfileReadiness out;
  const std::string ns(profile);
  auto namespace_object = get_optional(store, {"v1", "Namespace", "", ns});
  if (!namespace_object) return fail(namespace_object.error());
  if (!*namespace_object) {
    out.missing.push_back(fmt::format("namespace {} (not created yet)", ns));
    return out;
  }
  const json& namespace_json = **namespace_object;
  const std::string phase = string_at(namespace_json, "/status/phase");
  if (phase != "Active") {
    out.missing.push_back(fmt::format("namespace {} is not Active ({})", ns,
                                      phase.empty() ? "no phase yet" : "phase " + phase));
  }
  const std::string owner_annotation = string_at(namespace_json, "/metadata/annotations/owner");
  if (owner_annotation.empty()) {
    out.missing.push_back(fmt::format("namespace {} has no owner annotation", ns));
  } else if (owner_annotation != owner) {
    out.missing.push_back(
        fmt::format("namespace {} is owned by {} (annotation owner)", ns, owner_annotation));
  }

  auto binding =
      get_optional(store, {"rbac.authorization.k8s.io/v1", "RoleBinding", ns, kOwnerRoleBinding});
  if (!binding) return fail(binding.error());
  if (!*binding) {
    out.missing.push_back(fmt::format("RoleBinding {}/{}", ns, kOwnerRoleBinding));
  } else {
    const json& rb = **binding;
    bool bound = false;
    if (rb.is_object() && rb.contains("subjects") && rb["subjects"].is_array()) {
      for (const auto& s : rb["subjects"]) bound = bound || string_at(s, "/name") == owner;
    }
    if (!bound) {
      out.missing.push_back(
          fmt::format("RoleBinding {}/{} does not bind {} yet", ns, kOwnerRoleBinding, owner));
    }
  }

  auto policy = get_optional(
      store, {"security.istio.io/v1beta1", "AuthorizationPolicy", ns, kOwnerAuthorizationPolicy});
  if (!policy) return fail(policy.error());
  if (!*policy) {
    out.missing.push_back(fmt::format("AuthorizationPolicy {}/{}", ns, kOwnerAuthorizationPolicy));
  }
  out.ready = out.missing.empty();
  return out;
}

Result<std::vector<std::string>> describe_namespace_contents(store::ObjectStore& store,
                                                             std::string_view ns) {
  struct Counted {
    const char* api_version;
    const char* kind;
    const char* label;  // singular; plural adds "s"
  };
  static constexpr std::array<Counted, 7> kKinds = {{
      {"v1", "Pod", "Pod"},
      {"v1", "PersistentVolumeClaim", "PersistentVolumeClaim"},
      {"kubeflow.org/v1", "Notebook", "Notebook"},
      {"serving.kserve.io/v1beta1", "InferenceService", "InferenceService"},
      {"kubeflow.org/v1beta1", "Experiment", "Katib Experiment"},
      {"argoproj.io/v1alpha1", "Workflow", "pipeline run (Argo Workflow)"},
      {"tensorboard.kubeflow.org/v1alpha1", "Tensorboard", "Tensorboard"},
  }};
  std::vector<std::string> out;
  for (const auto& k : kKinds) {
    auto items = store.list(k.api_version, k.kind, std::string(ns));
    if (!items) {
      if (items.error().code == ErrorCode::kNotFound) continue;  // kind not installed
      return fail(
          items.error().with_context(fmt::format("counting {}s in namespace {}", k.kind, ns)));
    }
    const std::size_t n = items->size();
    if (n == 0) continue;
    std::string label = k.label;
    if (n > 1) {
      // "pipeline run (Argo Workflow)" → "pipeline runs (Argo Workflows)"
      const std::size_t paren = label.find(" (");
      if (paren == std::string::npos) {
        label += "s";
      } else {
        label.insert(paren, "s");
        label.insert(label.size() - 1, "s");
      }
    }
    out.push_back(fmt::format("{} {}", n, label));
  }
  return out;
}

plan::Step profile_ready_wait(std::string profile, std::string owner,
                              std::chrono::milliseconds timeout) {
  auto check = std::make_shared<plan::ReadyCheck>();
  check->action = "wait-profile";
  check->waiting_for = "the Kubeflow profile controller";
  check->hint =
      "is the profile controller running? `kubectl -n kubeflow get deploy profiles-deployment`";
  // What check_profile_ready reads.
  check->reads = {
      {"get", {"v1", "Namespace", "", profile}, {}},
      {"get", {"rbac.authorization.k8s.io/v1", "RoleBinding", profile, kOwnerRoleBinding}, {}},
      {"get",
       {"security.istio.io/v1beta1", "AuthorizationPolicy", profile, kOwnerAuthorizationPolicy},
       {}}};
  check->poll = [profile, owner](store::ObjectStore& store) {
    return check_profile_ready(store, profile, owner);
  };
  return plan::Step::wait_ready(
      {kProfileApiVersion, "Profile", "", profile}, std::move(check),
      fmt::format("wait for the profile controller: namespace {} (owner {}), RoleBinding {}, "
                  "AuthorizationPolicy {}",
                  profile, owner, kOwnerRoleBinding, kOwnerAuthorizationPolicy),
      timeout);
}

}  // namespace kftenant::kubeflow
