#include "global_options.h"

#include <cstdio>

#include "kftenant/kube/kubeconfig.h"

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
  app.add_flag("-v,--verbose", options.verbose, "Say more about what is done");
}

Result<std::unique_ptr<kube::Client>> make_client(const GlobalOptions& options) {
  kube::KubeconfigOptions kc;
  kc.explicit_path = options.kubeconfig;
  kc.context = options.context;
  auto config = kube::load_rest_config(kc);
  if (!config) return fail(config.error());
  return kube::Client::create(*config);
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
