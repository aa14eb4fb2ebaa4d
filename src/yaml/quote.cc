// A YAML double-quoted scalar for any valid UTF-8 string. Everything that libyaml would not read
// back verbatim is escaped: '"' and '\', C0/C1 controls and DEL (not printable in YAML 1.1),
// U+2028/U+2029 (libyaml treats them as line breaks and would fold them), U+FEFF and U+FFFE/FFFF.
#include <cstdint>
#include <cstdio>
#include <string>

#include "common/utf8.h"
#include "kftenant/yaml.h"

namespace kftenant::yaml {
namespace {

using utf8::append_escape;
using utf8::decode;

}  // namespace

Result<std::string> quote_string(std::string_view s) {
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

}  // namespace kftenant::yaml
