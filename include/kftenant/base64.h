// Base64 (RFC 4648) as Go's encoding/base64 does it: StdEncoding (section 4, A-Z a-z 0-9 + /,
// '=' padding) for kubeconfig `*-data` fields, Secret data and KUBERNETES_EXEC_INFO, and
// RawURLEncoding (section 5, '-' '_' instead of '+' '/', no padding) for the API server's continue
// tokens.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace kftenant::base64 {

enum class Encoding {
  kStd,     // + /, padded
  kRawUrl,  // - _, no padding
};

// Encodes `bytes`.
[[nodiscard]] std::string encode(std::string_view bytes, Encoding encoding = Encoding::kStd);

// Go's Encoding.DecodeString: the bytes, or the offset Go reports as "illegal base64 data at
// input byte N" (a character outside the alphabet, misplaced or missing padding, a truncated
// last quantum, data after the padding). Like Go, '\r' and '\n' anywhere are skipped.
[[nodiscard]] tl::expected<std::string, std::size_t> decode_go(std::string_view text,
                                                               Encoding encoding);

// Decodes standard, padded base64: decode_go(kStd) after trimming blank space around the text
// (YAML block scalars often leave some). nullopt when invalid.
[[nodiscard]] std::optional<std::string> decode(std::string_view text);

}  // namespace kftenant::base64
