// `kftenant user add|remove|passwd|list|show`.
#pragma once

#include <CLI/CLI.hpp>

#include "global_options.h"

namespace kftenant::cli {

void add_user_commands(CLI::App& app, const GlobalOptions& options, int& exit_code);

}  // namespace kftenant::cli
