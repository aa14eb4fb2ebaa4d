// Options shared by every kftenant subcommand that talks to a cluster, and the Client they build.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
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
  bool verbose = false;
};

// Registers --kubeconfig, --context, --dex-namespace, --dex-configmap, --dex-deployment, -v.
void add_global_options(CLI::App& app, GlobalOptions& options);

// Where commands read and write: the cluster (kubeconfig) or, with --manifests, a folder.
struct Session {
  std::unique_ptr<kube::Client> client;  // null in manifests mode
  std::unique_ptr<store::ObjectStore> store;
};
[[nodiscard]] Result<Session> open_session(const GlobalOptions& options);

// The Dex location and backend from the options (kInvalidArgument for an unknown backend).
[[nodiscard]] Result<tenancy::TenancyContext> tenancy_context(const GlobalOptions& options);

// Loads the kubeconfig (kubectl's rules) and creates a client.
[[nodiscard]] Result<std::unique_ptr<kube::Client>> make_client(const GlobalOptions& options);

// Exit codes, documented in the README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRefused = 3;

// A kInvalidArgument error (exit code 2) with `message`.
[[nodiscard]] Error usage_error(std::string message);

// Prints "kftenant: <message>" to stderr and returns the exit code for the error.
int report_error(const Error& error);

}  // namespace kftenant::cli
