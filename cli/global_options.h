// Options shared by every kftenant subcommand that talks to a cluster, and the Client they build.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "kftenant/error.h"
#include "kftenant/kube/client.h"

namespace kftenant::cli {

struct GlobalOptions {
  std::string kubeconfig;  // --kubeconfig
  std::string context;     // --context
  std::string dex_namespace = "auth";
  std::string dex_configmap = "dex";
  std::string dex_deployment = "dex";
  bool verbose = false;
};

// Registers --kubeconfig, --context, --dex-namespace, --dex-configmap, --dex-deployment, -v.
void add_global_options(CLI::App& app, GlobalOptions& options);

// Loads the kubeconfig (kubectl's rules) and creates a client.
[[nodiscard]] Result<std::unique_ptr<kube::Client>> make_client(const GlobalOptions& options);

// Exit codes, documented in the README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRefused = 3;

// Prints "kftenant: <message>" to stderr and returns the exit code for the error.
int report_error(const Error& error);

}  // namespace kftenant::cli
