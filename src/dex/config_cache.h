// A small memo of DexConfig::parse and check_dex_config by config.yaml text, for planners that
// run many times over the same or growing text: `kftenant import` composes one planner per row,
// and each reads config.yaml (parse + Dex's checks, for the account list) and then edits it
// (parse again + the checks of the result). Keyed by the whole text (and source name), so an
// answer is exactly what the uncached call would give; both functions are pure.
#pragma once

#include <string>
#include <vector>

#include "kftenant/dex/config_check.h"
#include "kftenant/dex/static_passwords.h"

namespace kftenant::dex::detail {

// DexConfig::parse(text, source_name), answered from the memo when the same text was parsed
// recently.
[[nodiscard]] Result<DexConfig> parse_config_cached(std::string text, std::string source_name);

// Records `config` (made by editing a parsed config) as what DexConfig::parse of its text gives:
// the next planner of a composed plan reads the text this one wrote, and the edit already holds
// its parse (an edit is verified to read as the parse would: static_passwords.cc).
void remember_parsed_config(const DexConfig& config);

// check_dex_config(config), answered from the memo when the same text was checked recently.
[[nodiscard]] std::vector<ConfigProblem> check_config_cached(const DexConfig& config);

}  // namespace kftenant::dex::detail
