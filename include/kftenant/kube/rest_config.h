// RestConfig: everything needed to talk to one API server as one identity, resolved from a
// kubeconfig context or from the in-cluster service-account files. All paths in the kubeconfig
// are already resolved and file contents already read (PEM is kept in memory, never in temp files),
// except `token_file`, which is re-read on use because projected service-account tokens rotate.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kftenant::kube {

// users[].user.exec of a kubeconfig (client.authentication.k8s.io/v1 or v1beta1).
struct ExecConfig {
  std::string api_version;  // "client.authentication.k8s.io/v1" or ".../v1beta1"
  std::string command;      // resolved against the kubeconfig folder when it contains a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string install_hint;
  bool provide_cluster_info = false;
  std::string interactive_mode;  // Never | IfAvailable | Always (v1 requires it)
};

struct RestConfig {
  // Cluster.
  std::string server;  // e.g. "https://127.0.0.1:6443", without a trailing '/'
  std::string ca_pem;  // certificate-authority(-data) contents; empty = system trust store
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;

  // User (at most one of token / token_file / basic / exec is normally set; cert may combine).
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;
  std::string token_file;  // re-read on every request that needs it (rotation)
  std::string username;    // basic auth
  std::string password;
  std::optional<ExecConfig> exec;

  // Context.
  std::string namespace_name = "default";
  std::string context_name;  // empty for in-cluster
  std::string user_name;     // the context's users[] entry; empty for in-cluster or no user
  std::string source;        // where this came from (kubeconfig path(s) or "in-cluster"), for messages

  // Client behaviour (client-go defaults).
  double qps = 5.0;
  int burst = 10;
};

}  // namespace kftenant::kube
