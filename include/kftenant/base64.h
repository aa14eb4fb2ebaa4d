// Standard base64 (RFC 4648 section 4, alphabet A-Z a-z 0-9 + /, '=' padding), as Go's
// encoding/base64.StdEncoding: kubeconfig `*-data` fields, Secret data, KUBERNETES_EXEC_INFO.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kftenant::base64 {

// Encodes `bytes` with padding.
[[nodiscard]] std::string encode(std::string_view bytes);

// Decodes standard, padded base64. Strict like Go's StdEncoding: wrong alphabet, missing or
// misplaced padding and truncated input are rejected. Like Go, '\r' and '\n' anywhere are ignored;
// so is leading and trailing blank space (YAML block scalars often leave some). nullopt when
// invalid.
[[nodiscard]] std::optional<std::string> decode(std::string_view text);

}  // namespace kftenant::base64
