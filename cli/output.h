// How commands print results: kubectl-style tables for people, JSON or YAML for scripts (-o).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"

namespace kftenant::cli {

enum class OutputFormat { kTable, kJson, kYaml };

// "table", "json", "yaml" (the -o/--output values); a usage error naming the input otherwise.
[[nodiscard]] Result<OutputFormat> parse_output_format(std::string_view text);

// A kubectl-style table: headers upper-cased, every column left-aligned and as wide as its widest
// cell (in terminal columns, by wcwidth in C.UTF-8 whatever the process' locale: a Korean
// syllable or an emoji takes two, a combining accent none), columns separated by 3 spaces, no
// trailing spaces, one '\n' after each line. Cells are shown through tenancy::printable, so a
// control character or escape sequence in a name cannot move the cursor or break the layout.
// Rows shorter than the headers are padded with empty cells; extra cells are dropped. No rows:
// the header line only.
[[nodiscard]] std::string render_table(const std::vector<std::string>& headers,
                                       const std::vector<std::vector<std::string>>& rows);

// `value` as JSON (2-space indent, invalid UTF-8 replaced by U+FFFD, trailing newline).
[[nodiscard]] std::string render_json(const nlohmann::json& value);
// `value` as YAML (yaml::emit, block style).
[[nodiscard]] std::string render_yaml(const nlohmann::json& value);
// render_json for kJson, render_yaml for kYaml and kTable (a value has no table form; commands
// print their own tables with render_table).
[[nodiscard]] std::string render_value(const nlohmann::json& value, OutputFormat format);

}  // namespace kftenant::cli
