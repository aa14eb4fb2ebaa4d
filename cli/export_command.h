// `kftenant export [-o csv|yaml] [--with-hashes] [--out FILE]`: the users as a file `kftenant
// import` reads back (tenancy/export.h).
#pragma once

#include <CLI/CLI.hpp>

#include "global_options.h"

namespace kftenant::cli {

void add_export_command(CLI::App& app, const GlobalOptions& options, int& exit_code);

}  // namespace kftenant::cli
