// kftenant command line: parses arguments and hands off to the library. Thin by design.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "kftenant/version.h"

int main(int argc, char** argv) {
  CLI::App app{"kftenant: safe, fast and boring Kubeflow multi-user management"};
  app.set_version_flag("--version", std::string("kftenant ") + kftenant::kVersion);
  app.require_subcommand(1);

  auto* version = app.add_subcommand("version", "Print the kftenant version");
  version->callback([] { std::printf("kftenant %s\n", kftenant::kVersion); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;  // usage errors exit 2
  }
  return 0;
}
