// `kftenant doctor`: prints tenancy::run_doctor (doctor.h in the library) for the cluster or the
// manifests folder: what the installation has, what is missing and how to fix it, and what is
// wrong with its users. Exit 0 when healthy, 1 otherwise.
#pragma once

#include <CLI/CLI.hpp>

#include "global_options.h"

namespace kftenant::cli {

void add_doctor_command(CLI::App& app, const GlobalOptions& options, int& exit_code);

}  // namespace kftenant::cli
