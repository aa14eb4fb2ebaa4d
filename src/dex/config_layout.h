// Internal: where things are in a Dex config.yaml (byte offsets from libyaml marks).
#pragma once

#include <string_view>

#include "kftenant/dex/static_passwords.h"

namespace kftenant::dex::detail {

inline constexpr std::string_view kStaticPasswordsKey = "staticPasswords";

// One libyaml event pass over `text`. The text must already parse (callers run yaml::parse
// first for the user-facing error); structural problems are kStoredData.
[[nodiscard]] Result<DexConfig::Layout> scan_layout(std::string_view text, std::string_view source);

}  // namespace kftenant::dex::detail
