// Text made safe for messages and terminals (kftenant/quote.h).
#include "kftenant/quote.h"

#include <fmt/core.h>

#include <cstdint>

#include "common/utf8.h"

namespace kftenant {
namespace {

constexpr std::size_t kMessageCutBytes = 80;

// Escapes `text` for display; `quote` additionally escapes '"'.
std::string escape(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::uint32_t cp = 0;
    const std::size_t len = utf8::decode(text, i, cp);
    if (len == 0) {
      out += fmt::format("\\x{:02X}", static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    if (cp == '\\' || (quote && cp == '"')) {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (utf8::is_forbidden_in_text(cp)) {
      utf8::append_escape(out, cp);
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

}  // namespace

std::string describe_code_point(std::uint32_t cp) {
  std::string escaped;
  utf8::append_escape(escaped, cp);
  if (utf8::is_forbidden_in_text(cp)) {
    return (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ? "control character "
                                                    : "invisible character ") +
           escaped;
  }
  return fmt::format("character U+{:04X}", cp);
}

std::string printable(std::string_view text) {
  return escape(text, /*quote=*/false);
}

std::string quote_for_message(std::string_view text) {
  if (text.size() <= kMessageCutBytes) return "\"" + escape(text, /*quote=*/true) + "\"";
  // Cut on a code point boundary: back up over continuation bytes.
  std::size_t cut = kMessageCutBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("\"{}…\" ({} bytes)", escape(text.substr(0, cut), /*quote=*/true),
                     text.size());
}

}  // namespace kftenant
