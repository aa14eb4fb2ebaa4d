#include "global_options.h"

#include <cstdio>

#include "kftenant/kube/kubeconfig.h"
#include "kftenant/store/cluster_store.h"
#include "kftenant/store/manifest_store.h"

namespace kftenant::cli {

void add_global_options(CLI::App& app, GlobalOptions& options) {
  app.add_option("--kubeconfig", options.kubeconfig,
                 "Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)");
  app.add_option("--context", options.context, "The kubeconfig context to use");
  app.add_option("--dex-namespace", options.dex_namespace, "Namespace of Dex")
      ->capture_default_str();
  app.add_option("--dex-configmap", options.dex_configmap, "ConfigMap holding Dex's config.yaml")
      ->capture_default_str();
  app.add_option("--dex-deployment", options.dex_deployment, "Deployment running Dex")
      ->capture_default_str();
  app.add_option("--dex-backend", options.dex_backend,
                 "Where Dex users are stored: static (staticPasswords in config.yaml, what "
                 "Kubeflow ships) or password-crd (dex.coreos.com/v1 Password objects, no restart)")
      ->capture_default_str();
  app.add_option("--manifests", options.manifests,
                 "Edit a kustomize manifests folder (GitOps) instead of a cluster");
  app.add_flag("-v,--verbose", options.verbose, "Say more about what is done");
}

Result<std::unique_ptr<kube::Client>> make_client(const GlobalOptions& options) {
  kube::KubeconfigOptions kc;
  kc.explicit_path = options.kubeconfig;
  kc.context = options.context;
  auto config = kube::load_rest_config(kc);
  if (!config) return fail(config.error());
  // One command makes a handful of requests plus rollout polls; client-go's library default
  // (5 QPS, burst 10) would make the tail of `user add` wait on the limiter for no benefit.
  // Interactive kubectl allows a similar budget.
  kube::ClientOptions client_options;
  client_options.qps = 50;
  client_options.burst = 100;
  return kube::Client::create(*config, client_options);
}

Result<Session> open_session(const GlobalOptions& options) {
  Session session;
  if (!options.manifests.empty()) {
    auto store = store::ManifestStore::open(options.manifests);
    if (!store) return fail(store.error());
    session.store = std::move(*store);
    return session;
  }
  auto client = make_client(options);
  if (!client) return fail(client.error());
  session.client = std::move(*client);
  session.store = std::make_unique<store::ClusterStore>(*session.client);
  return session;
}

Result<tenancy::TenancyContext> tenancy_context(const GlobalOptions& options) {
  tenancy::TenancyContext context;
  auto backend = dex::parse_backend(options.dex_backend);
  if (!backend) return fail(backend.error());
  context.backend = *backend;
  context.dex.ns = options.dex_namespace;
  context.dex.configmap = options.dex_configmap;
  context.dex.deployment = options.dex_deployment;
  return context;
}

Error usage_error(std::string message) {
  Error e;
  e.code = ErrorCode::kInvalidArgument;
  e.message = std::move(message);
  return e;
}

int report_error(const Error& error) {
  std::fprintf(stderr, "kftenant: %s\n", error.message.c_str());
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      return kExitUsage;
    case ErrorCode::kRefused:
      return kExitRefused;
    default:
      return kExitFailure;
  }
}

}  // namespace kftenant::cli
