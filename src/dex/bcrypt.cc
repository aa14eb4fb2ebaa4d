#include "kftenant/dex/bcrypt.h"

#include <crypt.h>
#include <fmt/core.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace kftenant::dex {
namespace {

// struct crypt_data is large (~32 KiB): keep it off the stack, and wipe it after use since it
// holds key material.
struct CryptData {
  crypt_data data{};
  ~CryptData() { explicit_bzero(&data, sizeof data); }
};

}  // namespace

Result<void> validate_password(std::string_view password) {
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("password must be {} to {} bytes long (got {} bytes)",
                                  kMinPasswordBytes, kMaxPasswordBytes, password.size()));
  }
  if (password.find('\0') != std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument, "password must not contain a NUL byte");
  }
  // A password is one line of printable text: Dex's login form cannot send a line break, and a
  // tab or escape byte is almost always a copy-paste accident (the password then works nowhere).
  if (password.find_first_of("\r\n") != std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the password contains a line break: give one line (a password file may "
                      "end with one newline, nothing more)");
  }
  for (char c : password) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f)
      return make_error(ErrorCode::kInvalidArgument,
                        "the password contains a control character (a tab, an escape or another "
                        "invisible byte): use printable characters only");
  }
  return ok();
}

Result<int> bcrypt_cost(std::string_view hash) {
  // golang.org/x/crypto/bcrypt newFromHash / decodeVersion / decodeCost.
  if (hash.size() < 59) {
    return make_error(ErrorCode::kInvalidArgument, "not a bcrypt hash: shorter than 59 bytes");
  }
  if (hash[0] != '$' || hash[1] != '2') {
    return make_error(ErrorCode::kInvalidArgument, "not a bcrypt hash: must start with $2");
  }
  std::size_t n = 2;
  if (hash[n] != '$') ++n;  // minor version letter (a, b, y, x)
  if (hash[n] != '$') return make_error(ErrorCode::kInvalidArgument, "not a bcrypt hash");
  ++n;
  if (n + 3 > hash.size() || !std::isdigit(static_cast<unsigned char>(hash[n])) ||
      !std::isdigit(static_cast<unsigned char>(hash[n + 1])) || hash[n + 2] != '$') {
    return make_error(ErrorCode::kInvalidArgument, "not a bcrypt hash: bad cost field");
  }
  const int cost = (hash[n] - '0') * 10 + (hash[n + 1] - '0');
  if (cost < 4 || cost > 31) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("not a bcrypt hash: cost {} outside 04..31", cost));
  }
  return cost;
}

Result<std::string> bcrypt_hash(std::string_view password, int cost) {
  if (cost < kMinBcryptCost || cost > kMaxBcryptCost) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("bcrypt cost {} is outside {}..{}: Dex refuses logins with "
                                  "such hashes",
                                  cost, kMinBcryptCost, kMaxBcryptCost));
  }
  if (auto valid = validate_password(password); !valid) return fail(valid.error());
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  // NULL rbytes: libxcrypt draws the salt from the OS random source.
  if (crypt_gensalt_rn("$2y$", static_cast<unsigned long>(cost), nullptr, 0, setting,
                       sizeof setting) == nullptr) {
    return make_error(ErrorCode::kInternal,
                      fmt::format("crypt_gensalt_rn($2y$) failed: {}", std::strerror(errno)));
  }
  auto data = std::make_unique<CryptData>();
  const std::string pw(password);
  const char* out = crypt_rn(pw.c_str(), setting, &data->data, sizeof data->data);
  if (out == nullptr || out[0] == '*') {
    return make_error(ErrorCode::kInternal, "bcrypt hashing failed in libxcrypt");
  }
  return std::string(out);
}

Result<bool> bcrypt_verify(std::string_view password, std::string_view hash) {
  if (auto cost = bcrypt_cost(hash); !cost) return fail(cost.error());
  auto data = std::make_unique<CryptData>();
  const std::string pw(password);
  const std::string setting(hash);
  const char* out = crypt_rn(pw.c_str(), setting.c_str(), &data->data, sizeof data->data);
  if (out == nullptr || out[0] == '*') {
    return make_error(ErrorCode::kInvalidArgument, "not a bcrypt hash libxcrypt can check");
  }
  // Constant-time comparison of equal-length strings.
  const std::size_t len = std::strlen(out);
  if (len != hash.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < len; ++i) diff |= static_cast<unsigned char>(out[i] ^ hash[i]);
  return diff == 0;
}

}  // namespace kftenant::dex
