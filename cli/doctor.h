// `kftenant doctor`: checks that the cluster has what kftenant and Kubeflow's multi-user setup
// need (API access, Dex's namespace, ConfigMap and Deployment, the Profile and Dex Password CRDs,
// the kubeflow-* ClusterRoles), and says how to fix what is missing.
#pragma once

#include <CLI/CLI.hpp>

#include "global_options.h"

namespace kftenant::cli {

void add_doctor_command(CLI::App& app, const GlobalOptions& options, int& exit_code);

}  // namespace kftenant::cli
