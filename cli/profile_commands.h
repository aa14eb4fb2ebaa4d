// `kftenant profile quota|share|unshare|contributors`.
#pragma once

#include <CLI/CLI.hpp>

#include "global_options.h"

namespace kftenant::cli {

void add_profile_commands(CLI::App& app, const GlobalOptions& options, int& exit_code);

}  // namespace kftenant::cli
