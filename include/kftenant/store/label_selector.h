// Label selectors, matched in memory: by the manifests store (which has no API server to ask) and
// by a PlanView listing objects that are only planned.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "kftenant/error.h"

namespace kftenant::store {

// Whether `labels` (metadata.labels, an object or null) satisfy `selector` (`k=v`, `k==v`, `k!=v`,
// `k`, `!k`, comma separated; empty matches all). kInvalidArgument for a selector we cannot read
// (set-based terms such as `k in (a,b)`).
[[nodiscard]] Result<bool> labels_match(const nlohmann::json& labels, std::string_view selector);

}  // namespace kftenant::store
