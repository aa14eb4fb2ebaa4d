#include "kftenant/csv.h"

#include <csv.h>
#include <fmt/format.h>

namespace kftenant::csv {
namespace {

// What libcsv's callbacks fill in.
struct Collector {
  std::vector<Row> rows;
  std::vector<std::string> fields;
  int row_start = 0;     // line of the row being read; 0 when between rows
  int current_line = 0;  // the line being fed to libcsv
  void field(const char* data, std::size_t size) {
    if (row_start == 0) row_start = current_line;
    fields.emplace_back(data ? std::string(data, size) : std::string());
  }
  void end_row() {
    if (row_start == 0) row_start = current_line;
    rows.push_back({row_start, std::move(fields)});
    fields.clear();
    row_start = 0;
  }
};

void on_field(void* data, std::size_t size, void* collector) {
  static_cast<Collector*>(collector)->field(static_cast<const char*>(data), size);
}
void on_row(int, void* collector) {
  static_cast<Collector*>(collector)->end_row();
}

// libcsv trims spaces and tabs around unquoted fields unless told that nothing is a space.
int no_space(unsigned char) {
  return 0;
}

struct Parser {
  csv_parser p{};
  bool ready = false;
  Parser() { ready = csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) == 0; }
  ~Parser() {
    if (ready) csv_free(&p);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
};

Error parse_error(int line, const char* what) {
  return make_error(ErrorCode::kParse, fmt::format("line {}: {}", line, what)).value();
}

}  // namespace

Result<std::vector<Row>> parse(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    int line = 1;
    for (std::size_t i = 0; i < nul; ++i) line += text[i] == '\n';
    return fail(parse_error(line, "a NUL byte: this is not a text file"));
  }
  // A CR alone ends a row for libcsv (old Mac line ends), which would put several rows on one
  // line number; no field kftenant reads may hold one either.
  if (auto line = lone_carriage_return_line(text))
    return fail(parse_error(*line,
                            "a carriage return without a line feed: save the file with LF "
                            "or CRLF line ends"));
  Parser parser;
  if (!parser.ready) return make_error(ErrorCode::kInternal, "libcsv could not be initialised");
  csv_set_space_func(&parser.p, no_space);
  Collector out;
  // Fed a line at a time so that each row knows the line it starts on: a row starts on the line
  // whose bytes give it its first field (or its end, for a row of one empty field).
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    ++out.current_line;
    const std::string_view line = text.substr(pos, end - pos);
    // Between rows, a line that holds anything but its line end starts the next row now: the
    // field callback comes only when the field ends, which for a quoted field may be lines later.
    if (out.row_start == 0 && line.find_first_not_of("\r\n") != std::string_view::npos)
      out.row_start = out.current_line;
    if (csv_parse(&parser.p, line.data(), line.size(), on_field, on_row, &out) != line.size())
      return fail(parse_error(out.current_line,
                              csv_error(&parser.p) == CSV_EPARSE
                                  ? "a quote inside an unquoted field or text after a closing "
                                    "quote; quote the whole field and double the quotes in it "
                                    "(\"a \"\"b\"\" c\")"
                                  : csv_strerror(csv_error(&parser.p))));
    pos = end;
  }
  if (csv_fini(&parser.p, on_field, on_row, &out) != 0)
    return fail(parse_error(out.row_start ? out.row_start : out.current_line,
                            "a quoted field that is never closed: add the closing quote"));
  return std::move(out.rows);
}

std::optional<int> lone_carriage_return_line(std::string_view text) {
  for (std::size_t i = text.find('\r'); i != std::string_view::npos; i = text.find('\r', i + 1)) {
    if (i + 1 < text.size() && text[i + 1] == '\n') continue;
    int line = 1;
    for (std::size_t k = 0; k < i; ++k) line += text[k] == '\n';
    return line;
  }
  return std::nullopt;
}

std::string field(std::string_view value) {
  // A leading UTF-8 byte order mark is quoted too: at the start of a file a reader drops it.
  const bool quote = value.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!value.empty() && (value.front() == ' ' || value.back() == ' ')) ||
                     value.substr(0, 3) == "\xEF\xBB\xBF";
  if (!quote) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string row(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += field(fields[i]);
  }
  out += '\n';
  return out;
}

}  // namespace kftenant::csv
