// Text from outside (emails, names, file contents) made safe to put in an error message or on a
// terminal: nothing in it can move the cursor, start an escape sequence or hide itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kftenant {

// `text` for an error message or a terminal: double-quoted, with '"' and '\' backslash-escaped,
// control characters shown as \n \t \r \0 \xNN (C1 and other invisible code points as \uNNNN) and
// bytes that are not UTF-8 as \xNN. Inputs longer than 80 bytes are cut, with the full length
// appended ("…" (300 bytes)). Never pass a password.
[[nodiscard]] std::string quote_for_message(std::string_view text);

// Like quote_for_message without the quotes and without cutting: safe to print in a table cell
// (nothing moves the cursor or starts an escape sequence).
[[nodiscard]] std::string printable(std::string_view text);

// How a code point is named in a message: "control character \n", "invisible character
// \u200B", "character U+0430".
[[nodiscard]] std::string describe_code_point(std::uint32_t cp);

}  // namespace kftenant
