// Finding and reading kubeconfig files the way kubectl does, and the in-cluster fallback.
//
// Rules copied from client-go (k8s.io/client-go/tools/clientcmd/loader.go and client_config.go):
// --kubeconfig alone if given (it must exist); else every file listed in $KUBECONFIG
// (':'-separated, empty entries and missing files skipped), merged so that the FIRST file to define
// a cluster, user or context name, or to set current-context, wins; else ~/.kube/config. With no
// kubeconfig at all the in-cluster service-account config is used when KUBERNETES_SERVICE_HOST/PORT
// are set. Relative paths in a stanza resolve against the folder of the file that defined that
// stanza.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "kftenant/error.h"
#include "kftenant/kube/rest_config.h"

namespace kftenant::kube {

struct KubeconfigOptions {
  std::string explicit_path;                  // --kubeconfig
  std::string context;                        // --context ("" = the current-context)
  std::optional<std::string> kubeconfig_env;  // $KUBECONFIG; nullopt = read the environment
  std::optional<std::string> home;            // $HOME; nullopt = read the environment
};

// Loads, merges and resolves the kubeconfig for `options` (see above). Errors (kConfig, kIo,
// kParse) name the file and field at fault; tokens and keys never appear in messages. A
// `context` that the kubeconfig files do not define is kInvalidArgument (the caller named
// something that is not there; the message lists the contexts there are), while a
// current-context that names a missing context stays kConfig (the files are at fault).
[[nodiscard]] Result<RestConfig> load_rest_config(const KubeconfigOptions& options);

// Resolves one kubeconfig document given as text: `path` is used in messages and as the base of
// relative paths. Referenced files (certificate-authority, client-certificate, client-key,
// tokenFile) are read. `context` "" selects the current-context. Pure apart from those reads: for
// tests/fuzzing.
[[nodiscard]] Result<RestConfig> parse_kubeconfig(std::string_view text, std::string_view path,
                                                  std::string_view context = "");

struct InClusterOptions {
  std::string root = "/var/run/secrets/kubernetes.io/serviceaccount";  // token, ca.crt, namespace
  std::optional<std::string> host;  // nullopt = $KUBERNETES_SERVICE_HOST
  std::optional<std::string> port;  // nullopt = $KUBERNETES_SERVICE_PORT
};

// The pod's service-account config (k8s.io/client-go/rest/config.go InClusterConfig): server
// https://host:port, ca.crt, the token as token_file (re-read as it rotates), namespace from the
// namespace file ("default" if absent). kConfig error when host/port are not set.
[[nodiscard]] Result<RestConfig> load_in_cluster_config(const InClusterOptions& options = {});

}  // namespace kftenant::kube
