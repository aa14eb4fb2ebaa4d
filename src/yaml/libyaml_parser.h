// Internal: RAII wrappers around libyaml's event parser, and the conversion of libyaml marks
// (which count characters) to byte offsets. Shared by the code that needs byte positions of YAML
// nodes (yaml/edit*.cc, dex/config_layout.cc).
#pragma once

#include <yaml.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "kftenant/error.h"

namespace kftenant::yaml::detail {

// Owns one libyaml event.
struct LibyamlEvent {
  yaml_event_t e{};
  bool valid = false;
  LibyamlEvent() = default;
  LibyamlEvent(const LibyamlEvent&) = delete;
  LibyamlEvent& operator=(const LibyamlEvent&) = delete;
  ~LibyamlEvent() {
    if (valid) yaml_event_delete(&e);
  }
  // Takes over `other`'s event (the old one, if any, is released).
  void take(LibyamlEvent& other) {
    std::swap(e, other.e);
    std::swap(valid, other.valid);
  }
};

// Owns a libyaml parser reading `text` (which must outlive it).
class LibyamlParser {
 public:
  LibyamlParser(std::string_view text, std::string_view source) : source_(source) {
    yaml_parser_initialize(&p_);
    yaml_parser_set_input_string(&p_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  ~LibyamlParser() { yaml_parser_delete(&p_); }
  LibyamlParser(const LibyamlParser&) = delete;
  LibyamlParser& operator=(const LibyamlParser&) = delete;

  // The next event; kParse naming the source, line and column when the text is not YAML.
  [[nodiscard]] Result<void> next(LibyamlEvent& ev) {
    if (ev.valid) {
      yaml_event_delete(&ev.e);
      ev.valid = false;
    }
    if (!yaml_parser_parse(&p_, &ev.e)) {
      std::string problem = p_.problem ? p_.problem : "invalid YAML";
      if (p_.context) problem = std::string(p_.context) + ": " + problem;
      return make_error(ErrorCode::kParse,
                        std::string(source_) + ":" + std::to_string(p_.problem_mark.line + 1) +
                            ":" + std::to_string(p_.problem_mark.column + 1) + ": " + problem);
    }
    ev.valid = true;
    return ok();
  }

 private:
  yaml_parser_t p_{};
  std::string_view source_;
};

// Character index (libyaml mark.index) -> byte offset into the text. The cursor moves either way
// but is linear over a pass whose marks mostly increase.
class MarkOffsets {
 public:
  explicit MarkOffsets(std::string_view text) : text_(text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") base_ = bi_ = 3;  // libyaml skips a BOM uncounted
    for (char c : text) {
      if (static_cast<unsigned char>(c) >= 0x80) {
        ascii_ = false;
        break;
      }
    }
  }
  size_t byte(size_t char_index) {
    if (ascii_) return std::min(base_ + char_index, text_.size());
    while (ci_ < char_index && bi_ < text_.size()) {
      ++bi_;
      while (bi_ < text_.size() && (static_cast<unsigned char>(text_[bi_]) & 0xC0) == 0x80) ++bi_;
      ++ci_;
    }
    while (ci_ > char_index && bi_ > base_) {
      --bi_;
      while (bi_ > base_ && (static_cast<unsigned char>(text_[bi_]) & 0xC0) == 0x80) --bi_;
      --ci_;
    }
    return bi_;
  }

 private:
  std::string_view text_;
  size_t base_ = 0;
  bool ascii_ = true;
  size_t ci_ = 0;
  size_t bi_ = 0;
};

}  // namespace kftenant::yaml::detail
