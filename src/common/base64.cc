#include "kftenant/base64.h"

#include <array>
#include <cstdint>

namespace kftenant::base64 {
namespace {

constexpr std::string_view kStdAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> make_table(std::string_view alphabet) {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (size_t i = 0; i < alphabet.size(); ++i)
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr std::array<int8_t, 256> kStdTable = make_table(kStdAlphabet);
constexpr std::array<int8_t, 256> kUrlTable = make_table(kUrlAlphabet);

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_newline(char c) {
  return c == '\r' || c == '\n';
}

}  // namespace

std::string encode(std::string_view bytes, Encoding encoding) {
  const std::string_view alphabet = encoding == Encoding::kStd ? kStdAlphabet : kUrlAlphabet;
  const bool pad = encoding == Encoding::kStd;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                 uint32_t(uint8_t(bytes[i + 2]));
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

// golang.org/src/encoding/base64/base64.go, Encoding.decodeQuantum (non-strict): quanta of four
// characters, newlines skipped, the error offsets as Go computes them.
tl::expected<std::string, std::size_t> decode_go(std::string_view s, Encoding encoding) {
  const auto& table = encoding == Encoding::kStd ? kStdTable : kUrlTable;
  const bool padded = encoding == Encoding::kStd;
  std::string out;
  out.reserve(s.size() / 4 * 3 + 3);
  size_t si = 0;
  while (si < s.size()) {
    uint32_t v[4] = {0, 0, 0, 0};
    size_t dlen = 4;
    for (size_t j = 0; j < 4; ++j) {
      if (si == s.size()) {
        if (j == 0) return out;
        if (j == 1 || padded) return tl::unexpected(si - j);
        dlen = j;
        break;
      }
      const char in = s[si++];
      if (const int8_t d = table[static_cast<unsigned char>(in)]; d >= 0) {
        v[j] = static_cast<uint32_t>(d);
        continue;
      }
      if (is_newline(in)) {
        --j;
        continue;
      }
      if (!padded || in != '=') return tl::unexpected(si - 1);
      // Padding: only in the third or fourth place, "==" after two characters.
      if (j < 2) return tl::unexpected(si - 1);
      if (j == 2) {
        while (si < s.size() && is_newline(s[si])) ++si;
        if (si == s.size()) return tl::unexpected(s.size());
        if (s[si] != '=') return tl::unexpected(si - 1);
        ++si;
      }
      while (si < s.size() && is_newline(s[si])) ++si;
      if (si < s.size()) return tl::unexpected(si);  // data after the padding
      dlen = j;
      break;
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>((n >> 16) & 0xff);
    if (dlen > 2) out += static_cast<char>((n >> 8) & 0xff);
    if (dlen > 3) out += static_cast<char>(n & 0xff);
    if (dlen < 4) break;
  }
  return out;
}

std::optional<std::string> decode(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  auto decoded = decode_go(text, Encoding::kStd);
  if (!decoded) return std::nullopt;
  return std::move(*decoded);
}

}  // namespace kftenant::base64
