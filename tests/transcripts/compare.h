// Structural comparison of a recorded (expected) and a normalised actual answer, producing short
// human-readable differences ("metadata.generation: expected 2, got 1") so that a failing replay
// reads as a to-do list.
#pragma once

#include <string>
#include <vector>

#include "transcripts/normalize.h"

namespace kftenant::transcripts {

// Every difference between two JSON documents, by path. Key-order-only differences of an object
// are reported as one "key order" line (the real server's order is part of the contract).
[[nodiscard]] std::vector<std::string> diff_json(const Json& expected, const Json& actual);

// Walks both documents in step and calls normalizer.alias_rv(N, M) wherever the recording has
// "<rv:N>" and the normalised actual answer "<rv:M>" at the same place.
void align_rvs(const Json& expected, const Json& actual, Normalizer& normalizer);

// Differences between two texts (YAML, plain text): the first differing line, or "" if equal.
[[nodiscard]] std::string diff_text(const std::string& expected, const std::string& actual);

// Compact JSON, cut to `max` characters with "..." when longer.
[[nodiscard]] std::string compact(const Json& value, size_t max = 240);
[[nodiscard]] std::string shorten(const std::string& text, size_t max = 240);

}  // namespace kftenant::transcripts
