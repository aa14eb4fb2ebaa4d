// edit_document(): walks the old document's EditNode tree next to the old and the new JSON value,
// collects splices (byte range -> replacement) for what differs, applies them, and verifies the
// result by parsing it. See kftenant/yaml_edit.h for the rules.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kftenant/yaml.h"
#include "kftenant/yaml_edit.h"
#include "yaml/edit_tree.h"
#include "yaml/scalar.h"

namespace kftenant::yaml {
namespace {

using detail::EditNode;
using nlohmann::json;

using detail::spaces;
// Splice texts use "\n" line breaks; they are converted for CRLF documents when applied.
using detail::Splice;

// Drops one trailing "\n".
std::string chop(std::string s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// Prefixes every line after the first with `indent` spaces (empty lines stay empty, so that block
// scalar content does not gain trailing spaces).
std::string indent_rest(std::string_view s, size_t indent) {
  std::string out;
  size_t pos = 0;
  bool first = true;
  while (pos <= s.size()) {
    size_t nl = s.find('\n', pos);
    std::string_view line = s.substr(pos, nl == std::string_view::npos ? s.npos : nl - pos);
    if (!first) {
      out += '\n';
      if (!line.empty()) out += spaces(indent);
    }
    out += line;
    first = false;
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

// Plain scalar text for a non-string scalar, as yaml::emit writes it.
std::string scalar_text(const json& v) {
  switch (v.type()) {
    case json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
      return std::to_string(v.get<int64_t>());
    case json::value_t::number_unsigned:
      return std::to_string(v.get<uint64_t>());
    case json::value_t::number_float:
      return detail::format_double(v.get<double>());
    default:
      return "null";
  }
}

// Whether `s` can be a single-quoted scalar on one line.
bool single_quotable(std::string_view s) {
  if (detail::has_unicode_specials(s)) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::string single_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  out += '\'';
  return out;
}

// Whether `s` can be the content of a literal block scalar (any printable text; no line made of
// spaces only, which a reader would take for indentation).
bool literal_able(std::string_view s) {
  if (s.empty() || detail::has_unicode_specials(s)) return false;
  if (s.find_first_not_of('\n') == std::string_view::npos) return false;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string_view::npos) nl = s.size();
    std::string_view line = s.substr(pos, nl - pos);
    if (!line.empty() && line.find_first_not_of(' ') == std::string_view::npos) return false;
    pos = nl + 1;
  }
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
  }
  return s.front() != '\t';
}

class Editor {
 public:
  Editor(std::string_view text) : text_(text) {}

  void edit(const EditNode& n, const json& old_value, const json& new_value) {
    if (same_data(old_value, new_value)) return;
    const size_t checkpoint = splices_.size();
    bool done = false;
    if (!n.special && !n.flow && !n.opaque) {
      if (n.kind == EditNode::Kind::kMapping && new_value.is_object() && !new_value.empty()) {
        done = edit_mapping(n, old_value, new_value);
      } else if (n.kind == EditNode::Kind::kSequence && new_value.is_array() &&
                 !new_value.empty()) {
        done = edit_sequence(n, old_value, new_value);
      } else if (n.kind == EditNode::Kind::kScalar && !n.empty && !new_value.is_structured()) {
        done = replace_scalar(n, new_value);
      }
    }
    if (!done) {
      splices_.resize(checkpoint);
      reemit(n, new_value);
    }
  }

  // The text with the splices applied (CRLF documents get CRLF in the inserted text); nullopt
  // when two of them overlap.
  std::optional<std::string> apply() const {
    return detail::apply_splices(text_, splices_, text_.find("\r\n") != std::string_view::npos);
  }

 private:
  // The value `v` as written after a mapping key's ':' (" x", " |-\n  text", "\n  a: 1") for a
  // key at `column`.
  std::string render_in_mapping(const json& v, size_t column) const {
    if (v.is_array() && !v.empty()) {
      // A block sequence under a key, at the key's column or indented as the document does.
      const size_t at = column + (indented_sequences_ ? 2 : 0);
      return "\n" + spaces(at) + indent_rest(chop(emit(v)), at);
    }
    std::string text = chop(emit(json::object({{"k", v}})));
    return indent_rest(std::string_view(text).substr(2), column);
  }

  // The value `v` as written after a sequence item's '-' at `column`.
  std::string render_in_sequence(const json& v, size_t column) const {
    std::string text = chop(emit(json::array({v})));
    return indent_rest(std::string_view(text).substr(1), column);
  }

  std::string render_key(const std::string& key) const {
    if (detail::plain_safe(key)) return key;
    auto quoted = quote_string(key);
    return quoted ? *quoted : json(key).dump();
  }

  void reemit(const EditNode& n, const json& v) {
    switch (n.parent) {
      case EditNode::Parent::kMapping: {
        // The key's column: the mapping's column is where its keys are.
        const size_t column = detail::column_of(text_, n.lead);
        splices_.push_back({n.slot, n.end, render_in_mapping(v, column)});
        break;
      }
      case EditNode::Parent::kSequence: {
        const size_t column = detail::column_of(text_, n.lead);
        splices_.push_back({n.slot, n.end, render_in_sequence(v, column)});
        break;
      }
      case EditNode::Parent::kRoot:
        splices_.push_back({n.begin, n.end, chop(emit(v))});
        break;
    }
  }

  // The whole lines of the entry starting at `lead` (a key or a '-') whose content ends at `end`,
  // with the comment lines after it that are indented deeper than `lead`.
  std::pair<size_t, size_t> entry_lines(size_t lead, size_t end) const {
    const size_t column = detail::column_of(text_, lead);
    size_t stop = detail::after_line(text_, end);
    while (stop < text_.size()) {
      size_t i = stop;
      while (i < text_.size() && text_[i] == ' ') ++i;
      if (i - stop <= column || i >= text_.size() || text_[i] != '#') break;
      stop = detail::after_line(text_, i + 1);
    }
    return {detail::line_start(text_, lead), stop};
  }

  // Where new entries go after the collection's last entry ending at `end`, and the line break to
  // write first when that line has none.
  std::pair<size_t, std::string> append_point(size_t end) const {
    const size_t at = detail::after_line(text_, end);
    const bool needs_break = at == text_.size() && !detail::at_line_start(text_, at);
    return {at, needs_break ? "\n" : ""};
  }

  bool edit_mapping(const EditNode& n, const json& old_value, const json& new_value) {
    if (!old_value.is_object()) return false;
    bool any_kept = false;
    for (size_t i = 0; i < n.children.size(); ++i) {
      const EditNode& c = n.children[i];
      auto it = new_value.find(c.key);
      if (it != new_value.end()) {
        any_kept = true;
        edit(c, old_value.at(c.key), *it);
        continue;
      }
      if (detail::first_on_line(text_, c.lead)) {
        auto [b, e] = entry_lines(c.lead, c.end);
        splices_.push_back({b, e, ""});
      } else if (i + 1 < n.children.size() &&
                 detail::first_on_line(text_, n.children[i + 1].lead)) {
        // The first entry of a mapping in a sequence item ("- a: 1"): the next key moves up.
        splices_.push_back({c.lead, n.children[i + 1].lead, ""});
      } else {
        return false;
      }
    }
    if (!any_kept) return false;
    std::string added;
    for (auto it = new_value.begin(); it != new_value.end(); ++it) {
      if (old_value.contains(it.key())) continue;
      added += spaces(n.column) + render_key(it.key()) + ":" +
               render_in_mapping(it.value(), n.column) + "\n";
    }
    if (!added.empty()) {
      auto [at, lead] = append_point(n.end);
      splices_.push_back({at, at, lead + added});
    }
    return true;
  }

  bool remove_item(const EditNode& item) {
    if (!detail::first_on_line(text_, item.lead)) return false;
    auto [b, e] = entry_lines(item.lead, item.end);
    splices_.push_back({b, e, ""});
    return true;
  }

  std::string item_text(const json& v, size_t column) const {
    return spaces(column) + "-" + render_in_sequence(v, column) + "\n";
  }

  bool edit_sequence(const EditNode& n, const json& old_value, const json& new_value) {
    if (!old_value.is_array() || old_value.size() != n.children.size()) return false;
    const size_t old_n = old_value.size(), new_n = new_value.size();
    size_t prefix = 0;
    while (prefix < old_n && prefix < new_n && same_data(old_value[prefix], new_value[prefix]))
      ++prefix;
    size_t suffix = 0;
    while (suffix < old_n - prefix && suffix < new_n - prefix &&
           same_data(old_value[old_n - 1 - suffix], new_value[new_n - 1 - suffix]))
      ++suffix;
    const size_t old_mid = old_n - prefix - suffix, new_mid = new_n - prefix - suffix;
    const size_t paired = std::min(old_mid, new_mid);
    for (size_t i = 0; i < paired; ++i) {
      edit(n.children[prefix + i], old_value[prefix + i], new_value[prefix + i]);
    }
    for (size_t i = paired; i < old_mid; ++i) {
      if (!remove_item(n.children[prefix + i])) return false;
    }
    if (new_mid > paired) {
      std::string added;
      for (size_t i = paired; i < new_mid; ++i) added += item_text(new_value[prefix + i], n.column);
      const size_t next = prefix + paired;  // the old item the new ones go before
      if (next < old_n && old_mid == paired) {
        const EditNode& before = n.children[next];
        if (!detail::first_on_line(text_, before.lead)) return false;
        const size_t at = detail::line_start(text_, before.lead);
        splices_.push_back({at, at, added});
      } else if (next >= old_n) {
        auto [at, lead] = append_point(n.end);
        splices_.push_back({at, at, lead + added});
      } else {
        return false;
      }
    }
    return true;
  }

  bool replace_scalar(const EditNode& n, const json& v) {
    if (!v.is_string()) {
      splices_.push_back({n.begin, n.end, scalar_text(v)});
      return true;
    }
    const std::string& s = v.get_ref<const std::string&>();
    const bool block = n.style == YAML_LITERAL_SCALAR_STYLE || n.style == YAML_FOLDED_SCALAR_STYLE;
    if (block && literal_able(s) && n.parent != EditNode::Parent::kRoot) {
      return replace_block(n, s);
    }
    if (n.style == YAML_PLAIN_SCALAR_STYLE && detail::plain_safe(s)) {
      splices_.push_back({n.begin, n.end, s});
      return true;
    }
    if (n.style == YAML_SINGLE_QUOTED_SCALAR_STYLE && single_quotable(s)) {
      splices_.push_back({n.begin, n.end, single_quote(s)});
      return true;
    }
    auto quoted = quote_string(s);
    if (!quoted) return false;
    splices_.push_back({n.begin, n.end, *quoted});
    return true;
  }

  // A literal block with the old content indentation; the chomping indicator is the old one when
  // it reproduces the new text's trailing line breaks.
  bool replace_block(const EditNode& n, const std::string& s) {
    size_t trailing = 0;
    while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
    char chomping = trailing == 0 ? '-' : trailing == 1 ? 0 : '+';
    if (n.chomping == '+' && trailing >= 1) chomping = '+';
    const size_t parent_column = detail::column_of(text_, n.lead);
    const size_t indent = n.block_indent > 0 ? n.block_indent : parent_column + 2;
    std::string header = "|";
    if (s.front() == ' ') {
      // A first line starting with spaces hides the indentation: state it, relative to the
      // parent collection's column as libyaml counts it.
      if (indent <= parent_column || indent - parent_column > 9) return false;
      header += std::to_string(indent - parent_column);
    }
    if (chomping) header += chomping;
    size_t h = n.begin + 1;  // past the old indicators; a comment after them stays
    while (h < text_.size() &&
           (text_[h] == '+' || text_[h] == '-' || (text_[h] >= '1' && text_[h] <= '9')))
      ++h;
    splices_.push_back({n.begin, h, header});

    std::string_view body = s;
    if (chomping != '-') body.remove_suffix(1);  // written by the line break after the range
    std::string lines;
    size_t pos = 0;
    for (;;) {
      const size_t nl = body.find('\n', pos);
      const std::string_view line =
          body.substr(pos, nl == std::string_view::npos ? body.npos : nl - pos);
      if (!line.empty()) lines += spaces(indent) + std::string(line);
      if (nl == std::string_view::npos) break;
      lines += '\n';
      pos = nl + 1;
    }
    const size_t content_begin = detail::after_line(text_, h);
    const bool keep = n.chomping == '+' || chomping == '+';
    const size_t end = keep ? n.block_full_end : n.end;
    if (end < content_begin) {
      // No old content lines: the new ones go right after the header line.
      const bool header_has_break = content_begin > 0 && text_[content_begin - 1] == '\n';
      splices_.push_back(
          {content_begin, content_begin, (header_has_break ? "" : "\n") + lines + "\n"});
      return true;
    }
    if (end == text_.size()) lines += '\n';  // the old text had no final line break
    splices_.push_back({content_begin, end, lines});
    return true;
  }

  std::string_view text_;
  std::vector<Splice> splices_;

 public:
  bool indented_sequences_ = false;
};

// Whether the document writes block sequences under keys indented ("key:\n  - a").
bool detect_indented_sequences(std::string_view text, const EditNode& n) {
  if (n.kind == EditNode::Kind::kMapping && !n.flow) {
    for (const auto& c : n.children) {
      if (c.kind == EditNode::Kind::kSequence && !c.flow && !c.children.empty() &&
          detail::first_on_line(text, c.children.front().lead)) {
        const size_t key_column = detail::column_of(text, c.lead);
        return c.column > key_column;
      }
    }
  }
  for (const auto& c : n.children) {
    if (detect_indented_sequences(text, c)) return true;
  }
  return false;
}

Result<std::string> verified(std::string text, const json& new_value, std::string_view source) {
  auto back = parse(text, source);
  if (!back || !same_data(*back, new_value)) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(source) +
                          ": the new value cannot be written as YAML that reads "
                          "back the same (invalid UTF-8?)");
  }
  return text;
}

}  // namespace

bool same_data(const json& a, const json& b) {
  const bool af = a.is_number_float(), bf = b.is_number_float();
  if (af || bf) {
    if (af != bf) return false;
    const double x = a.get<double>(), y = b.get<double>();
    return x == y || (std::isnan(x) && std::isnan(y));
  }
  if (a.is_number() && b.is_number()) return a == b;
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !same_data(it.value(), *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!same_data(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

Result<std::string> edit_document(std::string_view document_text, const json& new_value,
                                  std::string_view source) {
  auto old_value = parse(document_text, source);
  if (!old_value) return fail(old_value.error());
  if (same_data(*old_value, new_value)) return std::string(document_text);
  if (!old_value->is_null()) {
    auto tree = detail::build_edit_tree(document_text, source);
    if (tree) {
      Editor editor(document_text);
      editor.indented_sequences_ = detect_indented_sequences(document_text, *tree);
      editor.edit(*tree, *old_value, new_value);
      if (auto text = editor.apply()) {
        auto back = parse(*text, source);
        if (back && same_data(*back, new_value)) return std::move(*text);
      }
    }
  }
  // Last resort: the whole document from the value (comments are lost).
  return verified(emit(new_value), new_value, source);
}

}  // namespace kftenant::yaml
