// Internal: the one splice-and-verify core under yaml::edit_document (yaml/edit*.cc) and
// DexConfig (dex/static_passwords.cc, dex/config_layout.cc): byte positions from libyaml marks,
// line arithmetic next to them, and the splicing of byte ranges. Lines are counted by '\n' (a
// "\r\n" line ends with its '\r'); has_other_line_breaks() tells when that is not what libyaml
// sees, so that callers can refuse their shortcuts.
#pragma once

#include <yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"
#include "yaml/libyaml_parser.h"

namespace kftenant::yaml::detail {

// Where the line holding `pos` starts.
size_t line_start(std::string_view text, size_t pos);
// The column of `pos` (bytes since its line start).
size_t column_of(std::string_view text, size_t pos);
// Just after the first line break at or after `pos` (content ending at `pos`: the end of its
// line); text.size() when there is none.
size_t after_line(std::string_view text, size_t pos);
// Like after_line, but `pos` itself when it already is at a line start (0 and text.size()
// included): the end of the whole lines of content that ends at `pos`.
size_t line_end_after(std::string_view text, size_t pos);
// The end of the content of the line starting at `ls` (before its "\r\n" / "\n").
size_t line_content_end(std::string_view text, size_t ls);
// Whether `pos` is at a line start.
bool at_line_start(std::string_view text, size_t pos);
// Whether only spaces/tabs precede `pos` on its line.
bool first_on_line(std::string_view text, size_t pos);
// Just after the ':' that follows a key ending at `key_end` (blanks between); npos when there is
// none on that line.
size_t colon_after(std::string_view text, size_t key_end);
// The '-' of the next block sequence item at or after `from` (past blanks, line breaks and
// comments: the end of the previous item, or the sequence's start mark); npos when the text there
// is something else.
size_t next_dash(std::string_view text, size_t from);
// The document's line break: "\r\n" when its first line ends so, else "\n".
std::string_view newline_of(std::string_view text);
// Whether `text` holds line breaks other than "\n" and "\r\n" (a lone CR, NEL, LS, PS): libyaml
// breaks lines there, the line arithmetic above does not.
bool has_other_line_breaks(std::string_view text);
std::string spaces(size_t n);
// Whether a plain scalar's text is a YAML null ("", ~, null, Null, NULL).
bool plain_null(std::string_view v);

// Bytes [begin, end) of a document become `text`.
struct Splice {
  size_t begin = 0;
  size_t end = 0;
  std::string text;
};
// `text` with every splice applied; with `crlf`, each "\n" of the inserted text is written
// "\r\n". Splices at the same position stay in their order. nullopt when two ranges overlap.
[[nodiscard]] std::optional<std::string> apply_splices(std::string_view text,
                                                       std::vector<Splice> splices, bool crlf);
// One splice, the bytes of `with` as they are.
[[nodiscard]] std::string splice(std::string_view text, size_t begin, size_t end,
                                 std::string_view with);

// A scalar event's value.
std::string_view scalar_value(const yaml_event_t& e);
// Whether the event is an alias or carries an anchor or a tag: a value that depends on text
// elsewhere (or on a tag's resolution), which byte ranges alone cannot vouch for.
bool is_special(const yaml_event_t& e);
// Whether the event is a literal or folded (| >) scalar.
bool is_block_scalar(const yaml_event_t& e);

// One libyaml event pass with byte positions: the event loop of the EditNode tree builder and of
// Dex's layout scanner. It remembers whether any event so far was special (is_special).
class MarkScanner {
 public:
  MarkScanner(std::string_view text, std::string_view source)
      : text_(text), source_(source), parser_(text, source), offsets_(text) {}
  MarkScanner(const MarkScanner&) = delete;
  MarkScanner& operator=(const MarkScanner&) = delete;

  // The next event (kParse when the text is not YAML).
  [[nodiscard]] Result<void> next(LibyamlEvent& ev);
  // A mark's byte offset (marks count characters).
  size_t byte(const yaml_mark_t& mark) { return offsets_.byte(mark.index); }
  // For the end event of a collection: just past its ']' / '}' when it is a flow one, else npos
  // (a block collection's end mark lies at the next token).
  size_t flow_end(const yaml_event_t& e);
  // Consumes the node starting with `first`; `end` = the byte end of its last content (scalars,
  // aliases and flow collections).
  [[nodiscard]] Result<void> skip(const LibyamlEvent& first, size_t& end);

  std::string_view text() const { return text_; }
  std::string_view source() const { return source_; }
  bool special_seen() const { return special_seen_; }

 private:
  std::string_view text_;
  std::string_view source_;
  LibyamlParser parser_;
  MarkOffsets offsets_;
  bool special_seen_ = false;
};

}  // namespace kftenant::yaml::detail
