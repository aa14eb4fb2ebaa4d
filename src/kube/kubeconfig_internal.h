// Internal model of kubeconfig files between reading and resolving (not a public API).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"
#include "kftenant/kube/rest_config.h"

namespace kftenant::kube::detail {

// Where a stanza was defined: messages name `file`; relative paths resolve against `dir`.
struct Origin {
  std::string file;
  std::string dir;  // absolute folder of `file`
};

// clusters[].cluster, with `*-data` already base64-decoded.
struct ClusterInfo {
  Origin origin;
  std::string server;
  std::string ca_file;  // as written (resolved against origin.dir when used)
  std::string ca_data;
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
};

// users[].user.
struct AuthInfo {
  Origin origin;
  std::string token;
  std::string token_file;
  std::string cert_file, cert_data;
  std::string key_file, key_data;
  std::string username, password;
  std::optional<ExecConfig> exec;
  bool has_auth_provider = false;
  bool has_impersonation = false;
};

// contexts[].context.
struct ContextInfo {
  Origin origin;
  std::string cluster;
  std::string user;
  std::string namespace_name;
};

// Several files merged with client-go's rule: the first definition of a name wins, and the first
// non-empty current-context wins.
struct MergedKubeconfig {
  std::map<std::string, ClusterInfo> clusters;
  std::map<std::string, AuthInfo> users;
  std::map<std::string, ContextInfo> contexts;
  std::string current_context;
  std::vector<std::string> files;  // in load order

  bool empty() const {
    return clusters.empty() && users.empty() && contexts.empty() && current_context.empty();
  }
  std::string sources() const;  // files joined with ':'
};

// Parses one file's text, checks every stanza (types, base64), and merges it into `into` with the
// first-wins rule.
[[nodiscard]] Result<void> merge_kubeconfig_text(std::string_view text, std::string_view path,
                                                 MergedKubeconfig& into);

// Picks `context` (or the current-context) and builds the RestConfig, reading referenced files.
[[nodiscard]] Result<RestConfig> resolve_kubeconfig(const MergedKubeconfig& merged,
                                                    std::string_view context);

// Reads a whole file of at most `max_bytes`. On failure returns the errno-style reason
// ("No such file or directory", "file too large") and sets *not_found for ENOENT/ENOTDIR.
[[nodiscard]] Result<std::string> read_local_file(const std::string& path,
                                                  size_t max_bytes = 16u << 20,
                                                  bool* not_found = nullptr);

// `path` resolved against `dir` unless absolute (filepath.Join as client-go's ResolvePath).
std::string resolve_path(std::string_view path, std::string_view dir);

}  // namespace kftenant::kube::detail
