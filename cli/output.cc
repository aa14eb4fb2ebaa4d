#include "output.h"

#include <fmt/core.h>

#include <algorithm>

#include "kftenant/tenancy/validate.h"
#include "kftenant/yaml.h"

namespace kftenant::cli {
namespace {

// Code points in valid UTF-8 (printable() always returns valid UTF-8): bytes that are not
// continuation bytes. East Asian wide characters count as one; good enough for names.
std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace

Result<OutputFormat> parse_output_format(std::string_view text) {
  if (text == "table") return OutputFormat::kTable;
  if (text == "json") return OutputFormat::kJson;
  if (text == "yaml") return OutputFormat::kYaml;
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("invalid output format {}: use -o table, -o json or -o yaml",
                                tenancy::quote_for_message(text)));
}

std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows) {
  const std::size_t columns = headers.size();
  if (columns == 0) return {};
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size() + 1);
  std::vector<std::string> header_cells;
  for (const auto& h : headers) header_cells.push_back(tenancy::printable(upper(h)));
  cells.push_back(std::move(header_cells));
  for (const auto& row : rows) {
    std::vector<std::string> line(columns);
    for (std::size_t i = 0; i < columns && i < row.size(); ++i)
      line[i] = tenancy::printable(row[i]);
    cells.push_back(std::move(line));
  }

  std::vector<std::size_t> width(columns, 0);
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < columns; ++i) width[i] = std::max(width[i], display_width(line[i]));
  }

  std::string out;
  for (const auto& line : cells) {
    std::string text;
    for (std::size_t i = 0; i < columns; ++i) {
      text += line[i];
      if (i + 1 < columns) text.append(width[i] - display_width(line[i]) + 3, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text;
    out += '\n';
  }
  return out;
}

std::string render_json(const nlohmann::json& value) {
  return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string render_yaml(const nlohmann::json& value) {
  return yaml::emit(value);
}

std::string render_value(const nlohmann::json& value, OutputFormat format) {
  return format == OutputFormat::kJson ? render_json(value) : render_yaml(value);
}

}  // namespace kftenant::cli
