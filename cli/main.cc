// kftenant command line: parses arguments and hands off to the library. Thin by design.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "doctor.h"
#include "export_command.h"
#include "global_options.h"
#include "import_command.h"
#include "kftenant/version.h"
#include "profile_commands.h"
#include "serve_command.h"
#include "tenants_command.h"
#include "user_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"kftenant: safe, fast and boring Kubeflow multi-user management"};
  app.set_version_flag("--version", std::string("kftenant ") + kftenant::kVersion);
  app.require_subcommand(1);
  app.fallthrough();  // global options (--kubeconfig, --manifests, ...) also after the subcommand

  kftenant::cli::GlobalOptions options;
  kftenant::cli::add_global_options(app, options);  // first: subcommands copy its help formatter
  int exit_code = 0;

  auto* version = app.add_subcommand("version", "Print the kftenant version");
  version->callback([] { std::printf("kftenant %s\n", kftenant::kVersion); });

  kftenant::cli::add_doctor_command(app, options, exit_code);
  kftenant::cli::add_user_commands(app, options, exit_code);
  kftenant::cli::add_profile_commands(app, options, exit_code);
  kftenant::cli::add_import_command(app, options, exit_code);
  kftenant::cli::add_export_command(app, options, exit_code);
  kftenant::cli::add_tenants_commands(app, options, exit_code);
  kftenant::cli::add_serve_command(app, options, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (auto message = kftenant::cli::subcommand_error(app, e)) {
      return kftenant::cli::report_error(kftenant::cli::usage_error(std::move(*message)));
    }
    int rc = app.exit(e);
    return rc == 0 ? 0 : kftenant::cli::kExitUsage;
  }
  return exit_code;
}
