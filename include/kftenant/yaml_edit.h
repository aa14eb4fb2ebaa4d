// In-place editing of one YAML document, keeping every byte that does not have to change.
//
// Hand-maintained manifests (a kustomize tree, Dex's config.yaml inside its ConfigMap) carry
// comments, blank lines, quoting and key order that matter to the people who review the diff.
// Re-emitting a document would lose all of that, so edit_document() computes the difference
// between what the text says and what it should say, and splices only the bytes of the values
// that changed:
//   - a changed scalar: only its bytes. Plain stays plain and single-quoted stays single-quoted
//     when the new string allows it; a block literal (`|`, `|-`, `|+`, e.g. `config.yaml: |`)
//     stays a block literal with the same indentation when the new text can be one (the
//     chomping indicator is the one that reproduces its trailing newlines), so unchanged lines of
//     the embedded text keep their bytes; otherwise double-quoted (any UTF-8 string).
//   - a key added to a block mapping: a new entry after the last one, at the siblings' column;
//     a key removed: its lines (key, value and the comment lines indented inside it);
//   - block sequence items appended, inserted, removed or changed the same way;
//   - anything else (flow collections, anchors/aliases, tags, merge keys, a type change, an
//     emptied collection): the smallest enclosing value re-emitted with yaml::emit at its place.
// The result is always verified: it must parse (yaml::parse) to exactly the new value. When it
// does not, the whole document is re-emitted with yaml::emit (comments lost) and verified again;
// if even that does not read back, the answer is an error, never text. A CRLF document gets CRLF
// on the lines written into it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "kftenant/error.h"

namespace kftenant::yaml {

// Returns text that parses to exactly `new_value`, made from `document_text` (ONE document:
// block-style YAML, possibly with comments, without a `---` separator line of a multi-document
// stream) by changing as few bytes as possible. `document_text` that does not parse is kParse
// naming `source`; a `new_value` that no YAML text can hold (e.g. invalid UTF-8 in a string) is
// kInvalidArgument. An unchanged value returns the text unchanged.
[[nodiscard]] Result<std::string> edit_document(std::string_view document_text,
                                                const nlohmann::json& new_value,
                                                std::string_view source = "<input>");

// Whether two JSON values are the same YAML data: like ==, but NaN equals NaN and an integer
// equals the float with the same value only when both are floats or both integers.
[[nodiscard]] bool same_data(const nlohmann::json& a, const nlohmann::json& b);

}  // namespace kftenant::yaml
