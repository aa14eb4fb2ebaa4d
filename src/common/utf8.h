// Strict UTF-8 decoding, shared by the validators and the YAML quoting (internal header).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace kftenant::utf8 {

// Decodes one code point at s[i] into `cp`; returns its length in bytes, or 0 when the bytes
// there are not UTF-8 (overlong form, surrogate, beyond U+10FFFF, stray or missing
// continuation byte).
inline std::size_t decode(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = byte(0);
  std::size_t len = 0;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(k) & 0x3F);
  }
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// Code points that must not appear in names shown to people or written into YAML: C0 controls
// (tab and newline included), DEL, C1 controls, line/paragraph separators (YAML line breaks),
// bidirectional embeddings/overrides/isolates (they reorder what is displayed) and U+FEFF.
inline bool is_forbidden_in_text(std::uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

// Appends the backslash escape of `cp`: \0 \t \n \r, else \xNN up to U+00FF, \uNNNN up to
// U+FFFF, \UNNNNNNNN beyond. Valid in a YAML double-quoted scalar, and how messages show an
// invisible character.
inline void append_escape(std::string& out, std::uint32_t cp) {
  switch (cp) {
    case '\0':
      out += "\\0";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    default:
      break;
  }
  char buf[12];
  const char* format = cp <= 0xFF ? "\\x%02X" : cp <= 0xFFFF ? "\\u%04X" : "\\U%08X";
  std::snprintf(buf, sizeof buf, format, static_cast<unsigned>(cp));
  out += buf;
}

}  // namespace kftenant::utf8
