#include "output.h"

#include <fmt/core.h>
#include <locale.h>
#include <wchar.h>

#include <algorithm>
#include <cwchar>

#include "kftenant/tenancy/validate.h"
#include "kftenant/yaml.h"

namespace kftenant::cli {
namespace {

// The C.UTF-8 locale, made once. It is passed to uselocale() only around the width computation,
// so the result does not depend on the process' locale (LANG/LC_ALL, or setlocale never called)
// and nothing else in the process sees a locale change. C.UTF-8 is built into glibc >= 2.35.
locale_t utf8_locale() {
  static const locale_t loc = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return loc;
}

// Terminal columns of valid UTF-8 (printable() always returns valid UTF-8), by the C library's
// wcwidth: East Asian wide and fullwidth characters (Korean, Chinese, Japanese, most emoji) take
// two columns, combining marks none. Without the locale, or for a character wcwidth does not
// know, each code point counts as one column.
std::size_t display_width(std::string_view s) {
  const locale_t loc = utf8_locale();
  if (loc == static_cast<locale_t>(0)) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
  }
  const locale_t previous = ::uselocale(loc);
  std::size_t width = 0;
  std::mbstate_t state{};
  for (std::size_t i = 0; i < s.size();) {
    wchar_t wc = 0;
    std::size_t len = std::mbrtowc(&wc, s.data() + i, s.size() - i, &state);
    if (len == static_cast<std::size_t>(-1) || len == static_cast<std::size_t>(-2) || len == 0) {
      state = std::mbstate_t{};
      ++width;  // not UTF-8 (cannot happen after printable()): one replacement column
      ++i;
      continue;
    }
    int w = ::wcwidth(wc);
    width += w < 0 ? 1 : static_cast<std::size_t>(w);
    i += len;
  }
  ::uselocale(previous);
  return width;
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
