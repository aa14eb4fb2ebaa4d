// From merged kubeconfig files to the RestConfig of one context, with client-go's checks
// (k8s.io/client-go/tools/clientcmd/client_config.go and validation.go).
#include <cstring>

#include "kube/kubeconfig_internal.h"

namespace kftenant::kube::detail {
namespace {

constexpr std::string_view kExecV1 = "client.authentication.k8s.io/v1";
constexpr std::string_view kExecV1beta1 = "client.authentication.k8s.io/v1beta1";

template <typename Map>
std::string available(const Map& m) {
  if (m.empty()) return "none defined";
  std::string out;
  for (const auto& [name, _] : m) out += (out.empty() ? "" : ", ") + name;
  return out;
}

tl::unexpected<Error> config_error(const Origin& o, std::string_view msg) {
  return make_error(ErrorCode::kConfig, "kubeconfig " + o.file + ": " + std::string(msg));
}

// Reads a file named by a stanza; `field` and `stanza` go into the message.
Result<std::string> read_referenced(const std::string& path, std::string_view field,
                                    std::string_view stanza, const Origin& origin) {
  auto content = read_local_file(path);
  if (!content) {
    return make_error(ErrorCode::kIo, "cannot read " + std::string(field) + " " + path +
                                          " (referenced by " + std::string(stanza) + " in " +
                                          origin.file + "): " + content.error().message);
  }
  return content;
}

Result<void> resolve_cluster(const std::string& name, const ClusterInfo& c,
                             const std::string& context_name, RestConfig& out) {
  std::string stanza = "clusters[" + name + "]";
  if (c.server.empty()) {
    return config_error(
        c.origin, "cluster \"" + name + "\" (context \"" + context_name + "\") has no server");
  }
  out.server = c.server;
  // client-go's DefaultServerURL accepts a bare host[:port]; kftenant always speaks TLS then.
  if (out.server.find("://") == std::string::npos) out.server = "https://" + out.server;
  while (out.server.size() > 1 && out.server.back() == '/') out.server.pop_back();
  if (!c.ca_data.empty()) {
    out.ca_pem = c.ca_data;  // data overrides the file, as client_config.go does
  } else if (!c.ca_file.empty()) {
    auto pem = read_referenced(resolve_path(c.ca_file, c.origin.dir), "certificate-authority",
                               stanza, c.origin);
    if (!pem) return fail(pem.error());
    out.ca_pem = std::move(*pem);
  }
  out.insecure_skip_tls_verify = c.insecure_skip_tls_verify;
  if (out.insecure_skip_tls_verify && !out.ca_pem.empty()) {
    // k8s.io/client-go/transport/transport.go: "specifying a root certificates file with the
    // insecure flag is not allowed".
    return config_error(c.origin,
                        stanza +
                            ": certificate-authority and insecure-skip-tls-verify cannot both be "
                            "set; remove one of them");
  }
  out.tls_server_name = c.tls_server_name;
  return ok();
}

Result<void> resolve_exec(const std::string& stanza, const ExecConfig& exec, const Origin& origin,
                          RestConfig& out) {
  ExecConfig e = exec;
  std::string where = stanza + ".exec";
  if (e.command.empty())
    return config_error(origin, where + ".command: must be set to use an exec plugin");
  if (e.api_version.empty()) {
    return config_error(origin, where + ".apiVersion: must be set to use an exec plugin (e.g. " +
                                    std::string(kExecV1) + ")");
  }
  if (e.api_version != kExecV1 && e.api_version != kExecV1beta1) {
    return config_error(origin, where + ".apiVersion: \"" + e.api_version +
                                    "\" is not supported (use " + std::string(kExecV1) + " or " +
                                    std::string(kExecV1beta1) + ")");
  }
  for (size_t i = 0; i < e.env.size(); ++i) {
    if (e.env[i].first.empty()) {
      return config_error(origin, where + ".env[" + std::to_string(i) + "].name: must be set");
    }
  }
  // v1beta1 defaults interactiveMode to IfAvailable; v1 requires it
  // (tools/clientcmd/api/v1/defaults.go, tools/clientcmd/validation.go).
  if (e.interactive_mode.empty() && e.api_version == kExecV1beta1)
    e.interactive_mode = "IfAvailable";
  if (e.interactive_mode.empty()) {
    return config_error(origin, where + ".interactiveMode: must be set for " +
                                    std::string(kExecV1) + " (Never, IfAvailable or Always)");
  }
  if (e.interactive_mode != "Never" && e.interactive_mode != "IfAvailable" &&
      e.interactive_mode != "Always") {
    return config_error(origin, where + ".interactiveMode: \"" + e.interactive_mode +
                                    "\" is not one of Never, IfAvailable, Always");
  }
  // tools/clientcmd/loader.go GetAuthInfoFileReferences: only commands with a path separator are
  // resolved against the kubeconfig folder; others are looked up in $PATH.
  if (e.command.find('/') != std::string::npos) e.command = resolve_path(e.command, origin.dir);
  out.exec = std::move(e);
  return ok();
}

Result<void> resolve_user(const std::string& name, const AuthInfo& u, RestConfig& out) {
  std::string stanza = "users[" + name + "]";
  const Origin& o = u.origin;
  if (u.has_auth_provider) {
    return config_error(o,
                        stanza +
                            ".auth-provider: auth-provider plugins are not supported; use an exec "
                            "credential plugin (users[].user.exec) instead");
  }
  if (u.has_impersonation) {
    return config_error(
        o, stanza + ".as: impersonation is not supported by kftenant; remove as/as-groups");
  }
  bool basic = !u.username.empty() || !u.password.empty();
  // tools/clientcmd/validation.go validateAuthInfo and transport/round_trippers.go
  // HTTPWrappersForConfig: a bearer token (or token file) and basic auth exclude each other.
  if (basic && (!u.token.empty() || !u.token_file.empty())) {
    return config_error(
        o, stanza +
               ": more than one authentication method found (token and username/password); "
               "only one is allowed");
  }
  bool has_cert = !u.cert_file.empty() || !u.cert_data.empty();
  bool has_key = !u.key_file.empty() || !u.key_data.empty();
  if (!u.cert_file.empty() && !u.cert_data.empty()) {
    return config_error(
        o, stanza + ": client-certificate-data and client-certificate are both set; keep one");
  }
  if (!u.key_file.empty() && !u.key_data.empty()) {
    return config_error(o, stanza + ": client-key-data and client-key are both set; keep one");
  }
  if (has_cert && !has_key) {
    return config_error(
        o, stanza + ": client-key or client-key-data must be set to use client-certificate");
  }
  if (has_key && !has_cert) {
    return config_error(
        o,
        stanza + ": client-certificate or client-certificate-data must be set to use client-key");
  }
  if (!u.cert_data.empty()) {
    out.client_cert_pem = u.cert_data;
  } else if (!u.cert_file.empty()) {
    auto pem = read_referenced(resolve_path(u.cert_file, o.dir), "client-certificate", stanza, o);
    if (!pem) return fail(pem.error());
    out.client_cert_pem = std::move(*pem);
  }
  if (!u.key_data.empty()) {
    out.client_key_pem = u.key_data;
  } else if (!u.key_file.empty()) {
    auto pem = read_referenced(resolve_path(u.key_file, o.dir), "client-key", stanza, o);
    if (!pem) return fail(pem.error());
    out.client_key_pem = std::move(*pem);
  }
  out.token = u.token;
  if (!u.token_file.empty()) {
    out.token_file = resolve_path(u.token_file, o.dir);
    // client_config.go reads tokenFile up front when there is no token, so a missing file fails
    // here, with the stanza named, rather than on the first request.
    if (u.token.empty()) {
      auto content = read_referenced(out.token_file, "tokenFile", stanza, o);
      if (!content) return fail(content.error());
    }
  }
  out.username = u.username;
  out.password = u.password;
  if (u.exec) {
    if (auto r = resolve_exec(stanza, *u.exec, o, out); !r) return r;
  }
  return ok();
}

}  // namespace

Result<RestConfig> resolve_kubeconfig(const MergedKubeconfig& merged, std::string_view requested) {
  std::string sources = merged.sources();
  std::string context_name(requested.empty() ? merged.current_context : requested);
  if (context_name.empty()) {
    return make_error(ErrorCode::kConfig,
                      "kubeconfig " + sources +
                          ": no current-context is set; choose one with --context (available: " +
                          available(merged.contexts) + ")");
  }
  auto ctx_it = merged.contexts.find(context_name);
  if (ctx_it == merged.contexts.end()) {
    // A context the caller asked for by name (--context) that is not there is a bad argument; a
    // current-context naming a missing context is a broken kubeconfig.
    return make_error(requested.empty() ? ErrorCode::kConfig : ErrorCode::kInvalidArgument,
                      "context \"" + context_name + "\" not found in " + sources +
                          " (available: " + available(merged.contexts) + ")");
  }
  const ContextInfo& ctx = ctx_it->second;
  RestConfig out;
  out.context_name = context_name;
  out.source = sources;
  out.namespace_name = ctx.namespace_name.empty() ? "default" : ctx.namespace_name;

  if (ctx.cluster.empty()) {
    return config_error(ctx.origin, "contexts[" + context_name + "].cluster: not set");
  }
  auto cl_it = merged.clusters.find(ctx.cluster);
  if (cl_it == merged.clusters.end()) {
    return make_error(ErrorCode::kConfig, "cluster \"" + ctx.cluster + "\" (context \"" +
                                              context_name + "\") not found in " + sources +
                                              " (available: " + available(merged.clusters) + ")");
  }
  if (auto r = resolve_cluster(ctx.cluster, cl_it->second, context_name, out); !r)
    return fail(r.error());

  // A context without a user is anonymous (client-go allows it).
  if (!ctx.user.empty()) {
    auto u_it = merged.users.find(ctx.user);
    if (u_it == merged.users.end()) {
      return make_error(ErrorCode::kConfig, "user \"" + ctx.user + "\" (context \"" + context_name +
                                                "\") not found in " + sources +
                                                " (available: " + available(merged.users) + ")");
    }
    if (auto r = resolve_user(ctx.user, u_it->second, out); !r) return fail(r.error());
    out.user_name = ctx.user;
  }
  return out;
}

}  // namespace kftenant::kube::detail
