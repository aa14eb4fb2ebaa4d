// Internal: where things are in a Dex config.yaml (byte offsets from libyaml marks), and the one
// splice DexConfig makes per edit. Not part of the public API (kftenant/dex/static_passwords.h):
// src/dex, and tests and fuzz targets that check byte-exactness, include it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kftenant/dex/static_passwords.h"
#include "yaml/splice.h"

namespace kftenant::dex::detail {

inline constexpr std::string_view kStaticPasswordsKey = "staticPasswords";

struct Span {
  size_t begin = 0;  // byte offsets into DexConfig::text()
  size_t end = 0;
};

// Recomputed (or, on the fast path, updated in place) after every edit.
struct Layout {
  bool root_is_flow = false;
  bool root_empty = false;                               // empty document (or only comments)
  size_t root_insert = 0;                                // where a new top-level key is appended
  std::vector<std::pair<std::string, Span>> top_values;  // other keys' value text
  bool has_key = false;                                  // `staticPasswords` present
  size_t after_colon = 0;                                // just after `staticPasswords:`'s colon
  Span value;                                            // its value's content
  bool value_is_sequence = false;
  bool flow = false;
  size_t dash_column = 0;  // block style: column of "-" and of the entries' keys
  size_t key_column = 2;
  std::vector<Span> entries;              // block: whole lines; flow: "{...}"
  std::vector<StaticPassword> passwords;  // their values
  bool password_db = false;               // `enablePasswordDB: true`
  bool complex = false;                   // anchors, aliases or tags: verify with a full parse
  // A literal/folded (| >) scalar inside staticPasswords: such a scalar takes in the blank and
  // indented comment lines that follow it, so an edit next to it is verified by a re-scan.
  bool block_scalars = false;
  // An entry whose "-" was not found where a block list puts it, or line breaks other than
  // "\n" / "\r\n" (a lone CR, NEL, LS, PS): edits are verified by a full re-scan only.
  bool irregular = false;
};

// The one splice of DexConfig::text() an edit makes (bytes [begin, end) become `text`), and what
// it does to the list: entry `index` is removed (changed == nullptr), replaced by `changed`, or
// `changed` is inserted at `index` (insert).
struct Edit : yaml::detail::Splice {
  size_t index = 0;
  const StaticPassword* changed = nullptr;
  bool insert = false;
  size_t field_lines = 0;  // lines of `text` holding the new entry's fields (block entries)
  // `text` is the old entry's lines edited in place (comments, blank lines and plain scalars
  // kept), not block_entry's one-field-per-line text: apply_local checks it differently.
  bool in_place = false;
};

// One pass of the yaml layer's MarkScanner over `text`. The text must already parse (callers run
// yaml::parse first for the user-facing error); structural problems are kStoredData.
[[nodiscard]] Result<Layout> scan_layout(std::string_view text, std::string_view source);

// The current layout of `config` (for src/dex, e.g. check_dex_config, and for tests).
const Layout& layout_of(const DexConfig& config);

}  // namespace kftenant::dex::detail
