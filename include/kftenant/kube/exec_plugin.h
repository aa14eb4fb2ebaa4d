// Exec credential plugins (users[].user.exec), run as kubectl runs them
// (k8s.io/client-go/plugin/pkg/client/auth/exec/exec.go): the command with its args, the current
// environment plus exec.env plus KUBERNETES_EXEC_INFO, stdin from /dev/null (never interactive),
// and an ExecCredential JSON document on stdout.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "kftenant/error.h"
#include "kftenant/kube/rest_config.h"

namespace kftenant::kube {

// The plugin's answer (ExecCredential.status).
struct ExecCredential {
  std::string token;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expiration;  // nullopt = no expiry given
};

struct ExecPluginOptions {
  std::chrono::milliseconds timeout{60'000};  // the plugin is killed after this
  size_t max_output_bytes = 1u << 20;         // stdout larger than this is an error
};

// Runs `exec` (from the kubeconfig user of `cluster`). Errors (kConfig) name the command: not found
// (with the kubeconfig's installHint, or kubectl's pointer to the documentation), the exit code or
// signal, a timeout, bad or incomplete output. For a failed run the message ends with the tail of
// the plugin's stderr (its last 20 lines within the last 4 KiB), one indented line each, control
// characters escaped: the one multi-line kftenant error, because plugins explain themselves over
// several lines.
[[nodiscard]] Result<ExecCredential> run_exec_plugin(const ExecConfig& exec,
                                                     const RestConfig& cluster,
                                                     const ExecPluginOptions& options = {});

// The KUBERNETES_EXEC_INFO value: an ExecCredential with spec.interactive=false and, when
// provideClusterInfo is set, spec.cluster (server, certificate-authority-data, ...).
[[nodiscard]] std::string exec_info_json(const ExecConfig& exec, const RestConfig& cluster);

// Parses and checks a plugin's stdout against the configured apiVersion (exposed for tests).
[[nodiscard]] Result<ExecCredential> parse_exec_credential(std::string_view output,
                                                           std::string_view api_version,
                                                           std::string_view command);

// Parses an RFC 3339 timestamp ("2024-01-02T03:04:05Z", fractional seconds and offsets allowed).
[[nodiscard]] std::optional<std::chrono::system_clock::time_point> parse_rfc3339(
    std::string_view text);

}  // namespace kftenant::kube
