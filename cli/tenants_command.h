// `kftenant apply -f FILE|DIR` (tenancy/apply_tenants.h) and `kftenant hash` (a bcrypt hash for
// a Tenants file, from a password that never travels in argv).
#pragma once

#include <CLI/CLI.hpp>

#include "global_options.h"

namespace kftenant::cli {

void add_tenants_commands(CLI::App& app, const GlobalOptions& options, int& exit_code);

}  // namespace kftenant::cli
