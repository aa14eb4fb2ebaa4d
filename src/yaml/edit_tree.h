// Internal: the nodes of one YAML document with the byte positions edit_document() splices at
// (built on the MarkScanner of yaml/splice.h).
#pragma once

#include <yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"
#include "yaml/splice.h"

namespace kftenant::yaml::detail {

struct EditNode {
  enum class Kind { kScalar, kAlias, kMapping, kSequence };
  enum class Parent { kRoot, kMapping, kSequence };

  Kind kind = Kind::kScalar;
  Parent parent = Parent::kRoot;
  size_t begin = 0;   // first byte of the content (a block scalar: its '|' or '>')
  size_t end = 0;     // just past the last content byte (a block scalar: its last line, no break)
  bool flow = false;  // flow collection ([...] or {...})
  bool special = false;  // anchor, tag or alias: its value depends on text elsewhere
  bool opaque = false;   // a mapping with a merge key, a complex key, or keys we cannot locate
  yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
  bool empty = false;  // implicit null: no text at all (`key:`); begin == end == slot

  // As a mapping value: its key, resolved as yaml::parse does; as a sequence item: unused.
  std::string key;
  // Mapping value: where its key starts; sequence item: where its '-' is.
  size_t lead = 0;
  // Just after the key's ':' or the item's '-': where a re-emitted value goes.
  size_t slot = 0;

  // Collections: the column of the keys / dashes of their entries.
  size_t column = 0;
  std::vector<EditNode> children;

  // Block scalars: the indentation of their content lines, the chomping indicator ('-', '+' or
  // 0 for clip), and the end of everything they consume (trailing blank lines included, without
  // the last line break).
  size_t block_indent = 0;
  char chomping = 0;
  size_t block_full_end = 0;
};

// Builds the tree of the single document in `text` (which must parse). A stream with no
// document gives a root that is an empty scalar.
[[nodiscard]] Result<EditNode> build_edit_tree(std::string_view text, std::string_view source);

}  // namespace kftenant::yaml::detail
