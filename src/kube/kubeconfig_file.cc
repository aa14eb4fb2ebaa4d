// Reading one kubeconfig file into the internal model and merging it with the files before it.
// Every stanza is checked, selected or not, because client-go decodes the whole file strictly
// (a bad base64 value anywhere makes kubectl fail too).
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "kftenant/base64.h"
#include "kftenant/yaml.h"
#include "kube/kubeconfig_internal.h"

namespace kftenant::kube::detail {
namespace {

using nlohmann::json;

std::string type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::object:
      return "a mapping";
    case json::value_t::array:
      return "a list";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::null:
      return "null";
    default:
      return "a number";
  }
}

// Typed access to one stanza's fields with messages "kubeconfig FILE: STANZA.FIELD: problem".
class Fields {
 public:
  Fields(const json& obj, std::string_view file, std::string stanza)
      : obj_(obj), file_(file), stanza_(std::move(stanza)) {}

  tl::unexpected<Error> error(std::string_view field, std::string_view problem) const {
    std::string where = stanza_;
    if (!field.empty()) where += (where.empty() ? "" : ".") + std::string(field);
    return make_error(ErrorCode::kConfig, "kubeconfig " + std::string(file_) + ": " + where + ": " +
                                              std::string(problem));
  }

  const json* get(const char* key) const {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  Result<std::string> str(const char* key) const {
    const json* v = get(key);
    if (!v) return std::string();
    if (!v->is_string())
      return error(key, "must be a string, not " + type_name(*v) + " (quote the value)");
    return v->get<std::string>();
  }

  Result<bool> boolean(const char* key) const {
    const json* v = get(key);
    if (!v) return false;
    if (!v->is_boolean()) return error(key, "must be true or false, not " + type_name(*v));
    return v->get<bool>();
  }

  Result<std::string> data(const char* key) const {
    auto text = str(key);
    if (!text || text->empty()) return text;
    auto decoded = base64::decode(*text);
    if (!decoded) return error(key, "not valid base64");
    return *decoded;
  }

  Result<std::vector<std::string>> strings(const char* key) const {
    std::vector<std::string> out;
    const json* v = get(key);
    if (!v) return out;
    if (!v->is_array()) return error(key, "must be a list of strings, not " + type_name(*v));
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string()) {
        return error(std::string(key) + "[" + std::to_string(i) + "]",
                     "must be a string, not " + type_name((*v)[i]));
      }
      out.push_back((*v)[i].get<std::string>());
    }
    return out;
  }

  const std::string& stanza() const { return stanza_; }
  std::string_view file() const { return file_; }

 private:
  const json& obj_;
  std::string_view file_;
  std::string stanza_;
};

#define KFT_TRY_ASSIGN(lhs, expr)     \
  do {                                \
    auto _r = (expr);                 \
    if (!_r) return fail(_r.error()); \
    lhs = std::move(*_r);             \
  } while (0)

Result<ClusterInfo> read_cluster(const Fields& f) {
  ClusterInfo c;
  KFT_TRY_ASSIGN(c.server, f.str("server"));
  KFT_TRY_ASSIGN(c.ca_file, f.str("certificate-authority"));
  KFT_TRY_ASSIGN(c.ca_data, f.data("certificate-authority-data"));
  KFT_TRY_ASSIGN(c.insecure_skip_tls_verify, f.boolean("insecure-skip-tls-verify"));
  KFT_TRY_ASSIGN(c.tls_server_name, f.str("tls-server-name"));
  return c;
}

Result<ExecConfig> read_exec(const json& obj, const Fields& parent) {
  Fields f(obj, parent.file(), parent.stanza() + ".exec");
  ExecConfig e;
  KFT_TRY_ASSIGN(e.api_version, f.str("apiVersion"));
  KFT_TRY_ASSIGN(e.command, f.str("command"));
  KFT_TRY_ASSIGN(e.args, f.strings("args"));
  KFT_TRY_ASSIGN(e.install_hint, f.str("installHint"));
  KFT_TRY_ASSIGN(e.provide_cluster_info, f.boolean("provideClusterInfo"));
  KFT_TRY_ASSIGN(e.interactive_mode, f.str("interactiveMode"));
  if (const json* env = f.get("env")) {
    if (!env->is_array())
      return f.error("env", "must be a list of {name, value}, not " + type_name(*env));
    for (size_t i = 0; i < env->size(); ++i) {
      const json& item = (*env)[i];
      std::string field = "env[" + std::to_string(i) + "]";
      if (!item.is_object()) return f.error(field, "must be a mapping with name and value");
      Fields ef(item, parent.file(), f.stanza() + "." + field);
      std::string name, value;
      KFT_TRY_ASSIGN(name, ef.str("name"));
      KFT_TRY_ASSIGN(value, ef.str("value"));
      e.env.emplace_back(std::move(name), std::move(value));
    }
  }
  return e;
}

Result<AuthInfo> read_user(const Fields& f) {
  AuthInfo u;
  KFT_TRY_ASSIGN(u.token, f.str("token"));
  KFT_TRY_ASSIGN(u.token_file, f.str("tokenFile"));
  KFT_TRY_ASSIGN(u.cert_file, f.str("client-certificate"));
  KFT_TRY_ASSIGN(u.cert_data, f.data("client-certificate-data"));
  KFT_TRY_ASSIGN(u.key_file, f.str("client-key"));
  KFT_TRY_ASSIGN(u.key_data, f.data("client-key-data"));
  KFT_TRY_ASSIGN(u.username, f.str("username"));
  KFT_TRY_ASSIGN(u.password, f.str("password"));
  if (const json* exec = f.get("exec")) {
    if (!exec->is_object()) return f.error("exec", "must be a mapping, not " + type_name(*exec));
    KFT_TRY_ASSIGN(u.exec, read_exec(*exec, f));
  }
  u.has_auth_provider = f.get("auth-provider") != nullptr;
  u.has_impersonation = f.get("as") != nullptr || f.get("as-uid") != nullptr ||
                        f.get("as-groups") != nullptr || f.get("as-user-extra") != nullptr;
  return u;
}

Result<ContextInfo> read_context(const Fields& f) {
  ContextInfo c;
  KFT_TRY_ASSIGN(c.cluster, f.str("cluster"));
  KFT_TRY_ASSIGN(c.user, f.str("user"));
  KFT_TRY_ASSIGN(c.namespace_name, f.str("namespace"));
  return c;
}

// Reads the list `key` (clusters/users/contexts) of named stanzas whose body is under `inner`.
template <typename T, typename ReadFn>
Result<void> read_named_list(const json& root, std::string_view file, const Origin& origin,
                             const char* key, const char* inner, ReadFn read,
                             std::map<std::string, T>& into) {
  Fields top(root, file, "");
  const json* list = top.get(key);
  if (!list) return ok();
  if (!list->is_array()) return top.error(key, "must be a list, not " + type_name(*list));
  std::set<std::string> seen;  // names within this file
  for (size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    std::string index = std::string(key) + "[" + std::to_string(i) + "]";
    if (!item.is_object())
      return top.error(index, "must be a mapping with name and " + std::string(inner));
    Fields named(item, file, index);
    auto name = named.str("name");
    if (!name) return fail(name.error());
    // client-go (tools/clientcmd/api/v1/conversion.go) refuses a name defined twice in one file.
    if (!seen.insert(*name).second) {
      return top.error(std::string(key) + "[" + *name + "]", "defined twice in this file");
    }
    static const json kEmpty = json::object();
    const json* body = named.get(inner);
    if (body && !body->is_object()) {
      return top.error(std::string(key) + "[" + *name + "]." + inner,
                       "must be a mapping, not " + type_name(*body));
    }
    Fields f(body ? *body : kEmpty, file, std::string(key) + "[" + *name + "]");
    auto value = read(f);
    if (!value) return fail(value.error());
    value->origin = origin;
    into.emplace(*name, std::move(*value));  // first definition across files wins
  }
  return ok();
}

#undef KFT_TRY_ASSIGN

}  // namespace

std::string MergedKubeconfig::sources() const {
  std::string out;
  for (const auto& f : files) out += (out.empty() ? "" : ":") + f;
  return out;
}

Result<void> merge_kubeconfig_text(std::string_view text, std::string_view path,
                                   MergedKubeconfig& into) {
  auto doc = yaml::parse(text, path);
  if (!doc) {
    Error e = doc.error();
    e.message = "kubeconfig " + e.message;  // "kubeconfig FILE:LINE:COL: problem"
    return fail(std::move(e));
  }
  into.files.emplace_back(path);
  if (doc->is_null()) return ok();  // an empty file is a valid, empty config
  if (!doc->is_object()) {
    return make_error(ErrorCode::kConfig,
                      "kubeconfig " + std::string(path) +
                          ": expected a mapping with clusters, users and contexts");
  }
  Origin origin;
  origin.file = std::string(path);
  std::error_code ec;
  auto abs = std::filesystem::absolute(std::filesystem::path(path), ec);
  origin.dir = (ec ? std::filesystem::path(path) : abs).parent_path().lexically_normal().string();

  // Read everything first, so that a bad file contributes nothing.
  MergedKubeconfig file;
  if (auto r =
          read_named_list(*doc, path, origin, "clusters", "cluster", read_cluster, file.clusters);
      !r)
    return r;
  if (auto r = read_named_list(*doc, path, origin, "users", "user", read_user, file.users); !r)
    return r;
  if (auto r =
          read_named_list(*doc, path, origin, "contexts", "context", read_context, file.contexts);
      !r)
    return r;
  Fields top(*doc, path, "");
  auto current = top.str("current-context");
  if (!current) return fail(current.error());

  for (auto& [name, c] : file.clusters) into.clusters.emplace(name, std::move(c));
  for (auto& [name, u] : file.users) into.users.emplace(name, std::move(u));
  for (auto& [name, c] : file.contexts) into.contexts.emplace(name, std::move(c));
  if (into.current_context.empty()) into.current_context = *current;
  return ok();
}

}  // namespace kftenant::kube::detail
