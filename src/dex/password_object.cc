#include "kftenant/dex/password_object.h"

#include <array>
#include <cstdint>

namespace kftenant::dex {

std::string normalize_email(std::string_view email) {
  std::string out(email);
  // strings.ToLower on ASCII; non-ASCII bytes are kept (email validation rejects them anyway).
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string password_object_name(std::string_view email) {
  static constexpr std::array<std::uint8_t, 8> kFnv64OffsetBasis = {0xcb, 0xf2, 0x9c, 0xe4,
                                                                    0x84, 0x22, 0x23, 0x25};
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string bytes = normalize_email(email);
  bytes.append(kFnv64OffsetBasis.begin(), kFnv64OffsetBasis.end());

  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 0x1f]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 0x1f]);
  return out;  // no '=' padding: Dex trims it
}

}  // namespace kftenant::dex
