// YAML <-> JSON, through libyaml. Used for kubeconfig files, YAML request bodies and
// `Accept: application/yaml` answers. (Dex's config.yaml is never re-emitted through here: it is
// edited in place so that every other byte is kept.)
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"

namespace kftenant::yaml {

// Where the nodes of a parsed document start: JSON pointer (RFC 6901, "" for the root,
// "/users/3/email") → line, 1-based. An alias is listed where it is used; what its value holds,
// and what a merge key ("<<") brings in, is not: look up the nearest listed parent.
using LineIndex = std::map<std::string, int>;

// JSON pointer → the text as written of each plain, untagged scalar that read as a number or a
// boolean (`0012`, `1e3`, `True`), for a caller that must keep what was written rather than the
// value (Dex's config: kftenant reads its fields as written). Like LineIndex, what an alias or a
// merge key brings in is not listed.
using PlainTexts = std::map<std::string, std::string>;

// Parses exactly one YAML document (an empty input gives null). Plain scalars follow the YAML 1.2
// core schema as sigs.k8s.io/yaml reads them (null/~, true/false, integers, floats); quoted or
// block scalars are strings. Anchors and aliases are resolved. Errors name `source` and the line.
// With `lines`, it is filled with where each node starts, so that a caller checking the values
// can name the line of a wrong one. With `plain_texts`, it is filled as its type says.
[[nodiscard]] Result<nlohmann::json> parse(std::string_view text,
                                           std::string_view source = "<input>",
                                           LineIndex* lines = nullptr,
                                           PlainTexts* plain_texts = nullptr);

// Parses a multi-document stream ("---" separated); empty documents are skipped.
[[nodiscard]] Result<std::vector<nlohmann::json>> parse_all(std::string_view text,
                                                            std::string_view source = "<input>");

// Emits block-style YAML with keys in the json object's order; strings that would read back as
// another type (e.g. "123", "true", "") are quoted.
[[nodiscard]] std::string emit(const nlohmann::json& value);

// `s` as a YAML double-quoted scalar that reads back as exactly `s` (any valid UTF-8): quotes,
// backslashes, controls, DEL, U+2028/2029, U+FEFF and U+FFFE/FFFF escaped. kInvalidArgument for
// invalid UTF-8.
[[nodiscard]] Result<std::string> quote_string(std::string_view s);

}  // namespace kftenant::yaml
