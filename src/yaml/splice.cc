// The splice-and-verify core's byte helpers and event pass. See yaml/splice.h.
#include "yaml/splice.h"

#include <algorithm>
#include <utility>

namespace kftenant::yaml::detail {

size_t line_start(std::string_view text, size_t pos) {
  while (pos > 0 && text[pos - 1] != '\n') --pos;
  return pos;
}

size_t column_of(std::string_view text, size_t pos) {
  return pos - line_start(text, pos);
}

size_t after_line(std::string_view text, size_t pos) {
  const size_t nl = text.find('\n', pos);
  return nl == std::string_view::npos ? text.size() : nl + 1;
}

size_t line_end_after(std::string_view text, size_t pos) {
  if (pos >= text.size() || at_line_start(text, pos)) return pos;
  return after_line(text, pos);
}

size_t line_content_end(std::string_view text, size_t ls) {
  size_t nl = text.find('\n', ls);
  if (nl == std::string_view::npos) nl = text.size();
  if (nl > ls && text[nl - 1] == '\r') --nl;
  return nl;
}

bool at_line_start(std::string_view text, size_t pos) {
  return pos == 0 || text[pos - 1] == '\n';
}

bool first_on_line(std::string_view text, size_t pos) {
  for (size_t i = line_start(text, pos); i < pos; ++i) {
    if (text[i] != ' ' && text[i] != '\t') return false;
  }
  return true;
}

size_t colon_after(std::string_view text, size_t key_end) {
  size_t i = key_end;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  return i < text.size() && text[i] == ':' ? i + 1 : std::string_view::npos;
}

size_t next_dash(std::string_view text, size_t from) {
  size_t i = from;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else {
      break;
    }
  }
  return i < text.size() && text[i] == '-' ? i : std::string_view::npos;
}

std::string_view newline_of(std::string_view text) {
  const size_t nl = text.find('\n');
  return nl != std::string_view::npos && nl > 0 && text[nl - 1] == '\r' ? "\r\n" : "\n";
}

bool has_other_line_breaks(std::string_view text) {
  for (size_t i = text.find('\r'); i != std::string_view::npos; i = text.find('\r', i + 1)) {
    if (i + 1 >= text.size() || text[i + 1] != '\n') return true;
  }
  return text.find("\xC2\x85") != std::string_view::npos ||
         text.find("\xE2\x80\xA8") != std::string_view::npos ||
         text.find("\xE2\x80\xA9") != std::string_view::npos;
}

std::string spaces(size_t n) {
  return std::string(n, ' ');
}

bool plain_null(std::string_view v) {
  return v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL";
}

std::optional<std::string> apply_splices(std::string_view text, std::vector<Splice> splices,
                                         bool crlf) {
  std::vector<std::pair<size_t, size_t>> ranges;
  ranges.reserve(splices.size());
  for (const auto& s : splices) ranges.emplace_back(s.begin, s.end);
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) return std::nullopt;
  }
  std::stable_sort(splices.begin(), splices.end(),
                   [](const Splice& a, const Splice& b) { return a.begin < b.begin; });
  std::string out;
  out.reserve(text.size() + 256);
  size_t at = 0;
  for (const auto& s : splices) {
    out.append(text.substr(at, s.begin - at));
    if (crlf) {
      for (char c : s.text) {
        if (c == '\n') out += '\r';
        out += c;
      }
    } else {
      out += s.text;
    }
    at = std::max(at, s.end);
  }
  out.append(text.substr(at));
  return out;
}

std::string splice(std::string_view text, size_t begin, size_t end, std::string_view with) {
  std::string out;
  out.reserve(text.size() + with.size());
  out.append(text.substr(0, begin));
  out.append(with);
  out.append(text.substr(end));
  return out;
}

std::string_view scalar_value(const yaml_event_t& e) {
  return {reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length};
}

bool is_special(const yaml_event_t& e) {
  switch (e.type) {
    case YAML_ALIAS_EVENT:
      return true;
    case YAML_SCALAR_EVENT:
      return e.data.scalar.anchor != nullptr || e.data.scalar.tag != nullptr;
    case YAML_SEQUENCE_START_EVENT:
      return e.data.sequence_start.anchor != nullptr || e.data.sequence_start.tag != nullptr;
    case YAML_MAPPING_START_EVENT:
      return e.data.mapping_start.anchor != nullptr || e.data.mapping_start.tag != nullptr;
    default:
      return false;
  }
}

bool is_block_scalar(const yaml_event_t& e) {
  return e.type == YAML_SCALAR_EVENT && (e.data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                                         e.data.scalar.style == YAML_FOLDED_SCALAR_STYLE);
}

Result<void> MarkScanner::next(LibyamlEvent& ev) {
  if (auto r = parser_.next(ev); !r) return r;
  if (is_special(ev.e)) special_seen_ = true;
  return ok();
}

size_t MarkScanner::flow_end(const yaml_event_t& e) {
  const size_t at = byte(e.start_mark);
  if (at < text_.size() && (text_[at] == ']' || text_[at] == '}')) return byte(e.end_mark);
  return std::string_view::npos;
}

Result<void> MarkScanner::skip(const LibyamlEvent& first, size_t& end) {
  int depth = 0;
  const yaml_event_t* e = &first.e;
  LibyamlEvent cur;
  for (;;) {
    switch (e->type) {
      case YAML_SCALAR_EVENT:
      case YAML_ALIAS_EVENT:
        end = byte(e->end_mark);
        break;
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT:
        ++depth;
        break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        --depth;
        if (const size_t f = flow_end(*e); f != std::string_view::npos) end = f;
        break;
      default:
        break;
    }
    if (depth == 0) return ok();
    if (auto r = next(cur); !r) return r;
    e = &cur.e;
  }
}

}  // namespace kftenant::yaml::detail
