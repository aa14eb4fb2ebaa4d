// `kftenant import FILE`: many users at once from a CSV or YAML file (tenancy/onboard.h).
#pragma once

#include <CLI/CLI.hpp>

#include "global_options.h"

namespace kftenant::cli {

void add_import_command(CLI::App& app, const GlobalOptions& options, int& exit_code);

}  // namespace kftenant::cli
