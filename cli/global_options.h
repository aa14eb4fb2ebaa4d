// Options shared by every kftenant subcommand that talks to a cluster, and the Client they build.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "kftenant/error.h"
#include "kftenant/kube/client.h"
#include "kftenant/store/object_store.h"
#include "kftenant/tenancy/users.h"

namespace kftenant::cli {

struct GlobalOptions {
  std::string kubeconfig;  // --kubeconfig
  std::string context;     // --context
  std::string dex_namespace = "auth";
  std::string dex_configmap = "dex";
  std::string dex_deployment = "dex";
  std::string dex_backend = "static";  // --dex-backend static|password-crd
  std::string manifests;               // --manifests DIR: work on a kustomize tree, no cluster
  // --dex-config-file PATH (with --manifests): the file whose ConfigMap document holds the
  // config.yaml to edit, when the kustomization graph cannot decide (relative to DIR).
  std::string dex_config_file;
  // --qps/--burst: the client's request budget (kube::ClientOptions), as kubectl's.
  double qps = 50;
  int burst = 100;
  bool verbose = false;
};

// Registers --kubeconfig, --context, --dex-namespace, --dex-configmap, --dex-deployment,
// --dex-backend, --manifests, --dex-config-file, -v, and installs HelpFormatter on `app`. Call it
// before adding subcommands: CLI11 gives each subcommand a copy of its parent's formatter when it
// is added.
void add_global_options(CLI::App& app, GlobalOptions& options);

// kftenant's help layout, CLI11's with two changes:
// - A subcommand's help ends with the options of its parents that it accepts through
//   fallthrough() ("Global options"): CLI11 lists only a subcommand's own options, so
//   `kftenant user add --help` would not mention --kubeconfig, --context or --manifests.
// - An option whose value is optional (expected(0, 1)) shows as `--NAME[=TYPE]` and says it is
//   off unless given. CLI11 shows its default_str as if it were the default, but for such an
//   option default_str is only what the bare `--NAME` means (--wait: 5m, and no wait without
//   --wait).
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_opts(const CLI::Option* opt) const override;
  std::string make_option_desc(const CLI::Option* opt) const override;
  std::string make_footer(const CLI::App* app) const override;
};

// For a parse that failed because a subcommand is missing or unknown (`kftenant usr list`,
// `kftenant user lst`, `kftenant user`), a one-line message naming the word and the valid
// subcommands (with a "did you mean" for a near miss); nullopt for other parse errors, which
// CLI11 words well enough. `app` is the top-level app after app.parse() threw `error`.
[[nodiscard]] std::optional<std::string> subcommand_error(const CLI::App& app,
                                                          const CLI::ParseError& error);

// Where commands read and write: the cluster (kubeconfig) or, with --manifests, a folder.
struct Session {
  std::unique_ptr<kube::Client> client;  // null in manifests mode
  std::unique_ptr<store::ObjectStore> store;
};
// `observer`, when set, hears every event of the client's request log (serve's metrics), on
// top of what --verbose prints.
[[nodiscard]] Result<Session> open_session(const GlobalOptions& options,
                                           kube::RequestLog observer = {});

// The Dex location and backend from the options (kInvalidArgument for an unknown backend).
[[nodiscard]] Result<tenancy::TenancyContext> tenancy_context(const GlobalOptions& options);

// Loads the kubeconfig (kubectl's rules) and creates a client.
[[nodiscard]] Result<std::unique_ptr<kube::Client>> make_client(const GlobalOptions& options,
                                                                kube::RequestLog observer = {});

// Exit codes: kftenant::kExitOk... (kftenant/error.h), documented in the README.
using kftenant::kExitFailure;
using kftenant::kExitOk;
using kftenant::kExitRefused;
using kftenant::kExitUsage;

// A kInvalidArgument error (exit code 2) with `message`.
[[nodiscard]] Error usage_error(std::string message);

// Prints "kftenant: <message>" to stderr and returns the exit code for the error.
int report_error(const Error& error);

}  // namespace kftenant::cli
