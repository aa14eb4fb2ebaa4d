// The pod's own service account, as k8s.io/client-go/rest/config.go InClusterConfig and
// tools/clientcmd/client_config.go inClusterClientConfig.Namespace.
#include <cstdlib>

#include "kftenant/kube/kubeconfig.h"
#include "kube/kubeconfig_internal.h"

namespace kftenant::kube {
namespace {

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

}  // namespace

Result<RestConfig> load_in_cluster_config(const InClusterOptions& options) {
  std::string host = options.host ? *options.host : env("KUBERNETES_SERVICE_HOST").value_or("");
  std::string port = options.port ? *options.port : env("KUBERNETES_SERVICE_PORT").value_or("");
  if (host.empty() || port.empty()) {
    return make_error(
        ErrorCode::kConfig,
        "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set "
        "(kftenant is not running in a pod; use a kubeconfig)");
  }
  RestConfig cfg;
  // net.JoinHostPort: an IPv6 literal goes in brackets.
  bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  cfg.server = "https://" + (ipv6 ? "[" + host + "]" : host) + ":" + port;

  std::string token_file = options.root + "/token";
  auto token = detail::read_local_file(token_file);
  if (!token) {
    return make_error(ErrorCode::kConfig, "in-cluster config: cannot read service-account token " +
                                              token_file + ": " + token.error().message);
  }
  cfg.token_file = token_file;  // re-read on use: projected tokens rotate

  std::string ca_file = options.root + "/ca.crt";
  auto ca = detail::read_local_file(ca_file);
  if (!ca) {
    return make_error(ErrorCode::kConfig,
                      "in-cluster config: cannot read " + ca_file + ": " + ca.error().message);
  }
  cfg.ca_pem = std::move(*ca);

  auto ns = detail::read_local_file(options.root + "/namespace");
  std::string ns_name = ns ? trim(*ns) : "";
  cfg.namespace_name = ns_name.empty() ? "default" : ns_name;
  cfg.source = "in-cluster";
  return cfg;
}

}  // namespace kftenant::kube
