// Reading and writing CSV as RFC 4180 defines it, for files administrators keep in spreadsheets.
//
// Reading goes through libcsv in strict mode, so what it accepts is exactly RFC 4180 plus the
// usual relaxations: LF as well as CRLF line ends, a UTF-8 byte order mark at the start (what
// spreadsheet programs save), blank lines skipped. Fields are kept byte for byte: no space is
// trimmed, since a trimmed password or email would be another one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"

namespace kftenant::csv {

struct Row {
  int line = 0;  // the line the row starts on, 1-based (a quoted field may span lines)
  std::vector<std::string> fields;
};

// The rows of `text` in order. kParse "line N: ..." for what RFC 4180 does not allow: a quote
// inside an unquoted field, text after a closing quote, a quoted field that never ends. A NUL
// byte anywhere is refused too (no text editor writes one; a binary file was given), and so is a
// CR that is not part of a CRLF (old Mac line ends: rows would share line numbers).
[[nodiscard]] Result<std::vector<Row>> parse(std::string_view text);

// The 1-based line (counted by LF) of the first CR in `text` that is not part of a CRLF, if any.
// parse() refuses such text; so does the YAML user-file reader, since libyaml counts a lone CR
// as a line break and its line numbers would no longer be an editor's.
[[nodiscard]] std::optional<int> lone_carriage_return_line(std::string_view text);

// One field as RFC 4180 writes it: as it is when it needs no quotes, otherwise in double quotes
// with each quote doubled. Quoted when it holds a comma, a quote, CR or LF, begins or ends with
// a space (which some readers trim), or begins with a UTF-8 byte order mark (which parse()
// drops at the start of a file).
[[nodiscard]] std::string field(std::string_view value);

// The fields joined with commas, each written as field() does, and "\n" at the end.
[[nodiscard]] std::string row(const std::vector<std::string>& fields);

}  // namespace kftenant::csv
