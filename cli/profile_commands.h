// `kftenant profile quota|share|unshare|contributors`.
#pragma once

#include <CLI/CLI.hpp>

#include "global_options.h"
#include "kftenant/kubeflow/contributor.h"

namespace kftenant::cli {

// --userid-header / --userid-prefix: how KFAM's bindings name a user (profiles-config).
void add_contributor_flags(CLI::App* command, kubeflow::ContributorOptions& contributor);

void add_profile_commands(CLI::App& app, const GlobalOptions& options, int& exit_code);

}  // namespace kftenant::cli
