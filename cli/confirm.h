// Asking a person before something is destroyed: what goes (from the plan that would run), then
// a yes/no question on the terminal.
#pragma once

#include <string>

#include "kftenant/tenancy/removal_preview.h"

namespace kftenant::cli {

// Prints on stderr one line per profile the plan deletes (with what its namespace holds) and per
// profile whose access `who` loses (none when `who` is empty: a plan of several people's access,
// such as a prune, says whose in its notes).
void print_removal_preview(const tenancy::RemovalPreview& preview, const std::string& who);

// Asks `question` on /dev/tty; true only for an answer starting with y or Y. False without a
// terminal.
[[nodiscard]] bool ask_confirmation(const std::string& question);

}  // namespace kftenant::cli
