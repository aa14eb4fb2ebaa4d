// Internal: SHA-256 as lower-case hex (OpenSSL EVP), e.g. to fingerprint a config.yaml.
#pragma once

#include <string>
#include <string_view>

namespace kftenant {

// The 64-character lower-case hex SHA-256 of `bytes`.
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

}  // namespace kftenant
