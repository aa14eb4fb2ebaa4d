// Plain-scalar resolution shared by the YAML parser and emitter, so that the emitter quotes exactly
// the strings the parser would read as something else.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace kftenant::yaml::detail {

// Resolves an untagged plain scalar with the YAML 1.2 core schema (null, bool, int, float),
// falling back to a string.
nlohmann::json resolve_plain(std::string_view text);

// Shortest text that reads back as the same double (and as a float, not an int).
std::string format_double(double d);

}  // namespace kftenant::yaml::detail
