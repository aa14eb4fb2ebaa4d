// A YAML double-quoted scalar for any valid UTF-8 string. Everything that libyaml would not read
// back verbatim is escaped: '"' and '\', C0/C1 controls and DEL (not printable in YAML 1.1),
// U+2028/U+2029 (libyaml treats them as line breaks and would fold them), U+FEFF and U+FFFE/FFFF.
#include <cstdint>
#include <cstdio>
#include <string>

#include "kftenant/dex/static_passwords.h"

namespace kftenant::dex {
namespace {

// Decodes one UTF-8 sequence at s[i]; returns its length, 0 when invalid (overlong, surrogate,
// out of range, truncated).
size_t decode(std::string_view s, size_t i, uint32_t& cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  size_t len = 0;
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
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void append_escape(std::string& out, uint32_t cp) {
  char buf[12];
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
  if (cp <= 0xFF) {
    std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(cp));
  } else {
    std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(cp));
  }
  out += buf;
}

}  // namespace

Result<std::string> quote_yaml_string(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    const size_t len = decode(s, i, cp);
    if (len == 0) {
      return make_error(ErrorCode::kInvalidArgument, "value is not valid UTF-8 (byte " +
                                                         std::to_string(i) +
                                                         "); YAML text can only hold UTF-8");
    }
    if (cp == '"' || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
               cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF) {
      append_escape(out, cp);
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  out += '"';
  return out;
}

}  // namespace kftenant::dex
