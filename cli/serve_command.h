// `kftenant serve`: the REST API (server/) over the cluster, reads from a watch-fed cache.
#pragma once

#include <CLI/CLI.hpp>

#include "global_options.h"

namespace kftenant::cli {

void add_serve_command(CLI::App& app, const GlobalOptions& options, int& exit_code);

// "HOST:PORT" or ":PORT" (all interfaces) into host and port (0..65535); kInvalidArgument
// naming --listen otherwise.
struct ListenAddress {
  std::string host;
  int port = 0;
};
[[nodiscard]] Result<ListenAddress> parse_listen_address(const std::string& text);

}  // namespace kftenant::cli
