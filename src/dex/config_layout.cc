// Locates the top-level keys of config.yaml and the entries of `staticPasswords` as byte ranges.
// libyaml's mark.index counts characters, not bytes, so marks are converted with a cursor that
// only moves forward in practice (linear for the whole pass; yaml/libyaml_parser.h).
#include "dex/config_layout.h"

#include <string>

#include "yaml/libyaml_parser.h"
#include "yaml/scalar.h"

namespace kftenant::dex::detail {
namespace {

using Span = DexConfig::Span;

using Event = yaml::detail::LibyamlEvent;

// An untagged scalar spelling one of the five named fields (any style: they all read as text).
bool is_known_field(const yaml_event_t& e) {
  const auto& sc = e.data.scalar;
  if (sc.tag != nullptr) return false;
  const std::string_view v(reinterpret_cast<const char*>(sc.value), sc.length);
  return v == "email" || v == "hash" || v == "hashFromEnv" || v == "username" || v == "userID";
}

size_t line_start(std::string_view text, size_t pos) {
  while (pos > 0 && text[pos - 1] != '\n') --pos;
  return pos;
}

// End of the line holding the content that ends at `pos` (after its line break, comments
// included); `pos` itself when it is already at a line start.
size_t line_end_after(std::string_view text, size_t pos) {
  if (pos == 0 || pos >= text.size() || text[pos - 1] == '\n') return pos;
  const size_t nl = text.find('\n', pos);
  return nl == std::string_view::npos ? text.size() : nl + 1;
}

bool has_other_line_breaks(std::string_view text) {
  for (size_t i = text.find('\r'); i != std::string_view::npos; i = text.find('\r', i + 1)) {
    if (i + 1 >= text.size() || text[i + 1] != '\n') return true;
  }
  return text.find("\xC2\x85") != std::string_view::npos ||
         text.find("\xE2\x80\xA8") != std::string_view::npos ||
         text.find("\xE2\x80\xA9") != std::string_view::npos;
}

class Scanner {
 public:
  Scanner(std::string_view text, std::string_view source)
      : text_(text), source_(source), parser_(text, source), offsets_(text) {}
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  Result<DexConfig::Layout> run() {
    DexConfig::Layout out;
    Event ev;
    if (auto r = next(ev); !r) return fail(r.error());  // stream start
    Event doc;
    if (auto r = next(doc); !r) return fail(r.error());
    if (doc.e.type == YAML_STREAM_END_EVENT) {
      out.root_empty = true;
      out.root_insert = text_.size();
      return out;
    }
    Event root;
    if (auto r = next(root); !r) return fail(r.error());
    if (root.e.type == YAML_SCALAR_EVENT && root.e.data.scalar.length == 0 &&
        root.e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
      out.root_empty = true;
      out.root_insert = text_.size();
      return out;
    }
    if (root.e.type != YAML_MAPPING_START_EVENT) {
      return invalid(root.e.start_mark, "the document is not a mapping (Dex's config is one)");
    }
    out.root_is_flow = root.e.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
    size_t root_end = 0;
    for (;;) {
      Event key;
      if (auto r = next(key); !r) return fail(r.error());
      if (key.e.type == YAML_MAPPING_END_EVENT) break;
      std::string name;
      size_t key_end = 0;
      if (key.e.type == YAML_SCALAR_EVENT) {
        name.assign(reinterpret_cast<const char*>(key.e.data.scalar.value),
                    key.e.data.scalar.length);
        key_end = offsets_.byte(key.e.end_mark.index);
      } else {
        size_t ignored = 0;
        if (auto r = skip(key, ignored); !r) return fail(r.error());
      }
      const size_t key_begin = offsets_.byte(key.e.start_mark.index);
      Event value;
      if (auto r = next(value); !r) return fail(r.error());
      const size_t value_begin = offsets_.byte(value.e.start_mark.index);
      size_t value_end = value_begin;
      if (name == kStaticPasswordsKey && key.e.type == YAML_SCALAR_EVENT) {
        if (out.has_key) return invalid(key.e.start_mark, "staticPasswords appears twice");
        out.has_key = true;
        out.dash_column = key_begin - line_start(text_, key_begin);
        out.key_column = out.dash_column + 2;
        size_t colon = key_end;
        while (colon < text_.size() && (text_[colon] == ' ' || text_[colon] == '\t')) ++colon;
        if (colon >= text_.size() || text_[colon] != ':')
          return invalid(key.e.start_mark, "expected ':' after staticPasswords");
        out.after_colon = colon + 1;
        in_list_ = true;
        auto listed = static_passwords(value, out, value_end);
        in_list_ = false;
        if (!listed) return fail(listed.error());
        out.value = {value_begin, value_end};
      } else {
        if (name == "enablePasswordDB" && value.e.type == YAML_SCALAR_EVENT &&
            value.e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
            value.e.data.scalar.tag == nullptr) {
          // As Dex's go-yaml v2 reads it: `true`, and also YAML 1.1's `yes`/`on`. A quoted
          // "true" is a string, which Dex refuses to load at all (check_dex_config reports it).
          const auto v = yaml::detail::resolve_plain_go_yaml_v2(
              std::string_view(reinterpret_cast<const char*>(value.e.data.scalar.value),
                               value.e.data.scalar.length));
          out.password_db = v.type == yaml::detail::GoYamlType::kBool && v.boolean;
        }
        if (auto r = skip(value, value_end); !r) return fail(r.error());
        out.top_values.push_back({name, Span{value_begin, value_end}});
      }
      root_end = std::max(root_end, value_end);
    }
    out.root_insert = line_end_after(text_, root_end);
    out.complex = complex_;
    out.block_scalars = block_scalars_;
    // Line breaks that are not "\n" to libyaml (a lone CR, NEL, LS, PS) end lines that the byte
    // arithmetic here does not see: entry spans could then cut through a line libyaml breaks.
    if (!out.irregular) out.irregular = has_other_line_breaks(text_);
    return out;
  }

 private:
  Result<void> next(Event& ev) {
    if (auto r = parser_.next(ev); !r) return r;
    if (in_list_ && ev.e.type == YAML_SCALAR_EVENT &&
        (ev.e.data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
         ev.e.data.scalar.style == YAML_FOLDED_SCALAR_STYLE))
      block_scalars_ = true;
    const yaml_event_t& e = ev.e;
    // Anchors, aliases and explicit tags can make a value depend on text elsewhere: the caller
    // then verifies with a full yaml::parse instead of comparing text spans.
    if (e.type == YAML_ALIAS_EVENT ||
        (e.type == YAML_SCALAR_EVENT && (e.data.scalar.anchor || e.data.scalar.tag)) ||
        (e.type == YAML_SEQUENCE_START_EVENT &&
         (e.data.sequence_start.anchor || e.data.sequence_start.tag)) ||
        (e.type == YAML_MAPPING_START_EVENT &&
         (e.data.mapping_start.anchor || e.data.mapping_start.tag)))
      complex_ = true;
    return ok();
  }

  // Builds the JSON value of the node starting with `first` (scalars resolved like yaml::parse
  // for untagged nodes; anything tagged or aliased sets complex_ and is re-read by yaml::parse).
  Result<nlohmann::json> build(const Event& first, size_t& end, int depth) {
    const yaml_event_t& e = first.e;
    if (depth > 512) return invalid(e.start_mark, "staticPasswords is nested too deeply");
    switch (e.type) {
      case YAML_SCALAR_EVENT: {
        end = offsets_.byte(e.end_mark.index);
        const std::string_view v(reinterpret_cast<const char*>(e.data.scalar.value),
                                 e.data.scalar.length);
        if (e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) return yaml::detail::resolve_plain(v);
        return nlohmann::json(std::string(v));
      }
      case YAML_ALIAS_EVENT:
        end = offsets_.byte(e.end_mark.index);
        return nlohmann::json();
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        const bool seq = e.type == YAML_SEQUENCE_START_EVENT;
        nlohmann::json out = seq ? nlohmann::json::array() : nlohmann::json::object();
        for (;;) {
          Event item;
          if (auto r = next(item); !r) return fail(r.error());
          if (item.e.type == YAML_SEQUENCE_END_EVENT || item.e.type == YAML_MAPPING_END_EVENT) {
            const size_t at = offsets_.byte(item.e.start_mark.index);
            if (at < text_.size() && (text_[at] == ']' || text_[at] == '}'))
              end = offsets_.byte(item.e.end_mark.index);
            return out;
          }
          auto v = build(item, end, depth + 1);
          if (!v) return v;
          if (seq) {
            out.push_back(std::move(*v));
            continue;
          }
          Event value;
          if (auto r = next(value); !r) return fail(r.error());
          auto val = build(value, end, depth + 1);
          if (!val) return val;
          out[v->is_string() ? v->get<std::string>() : v->dump()] = std::move(*val);
        }
      }
      default:
        return invalid(e.start_mark, "unexpected YAML event");
    }
  }

  // One entry's fields. Known fields keep the scalar's text as written (so an unquoted
  // `userID: 0012` reads "0012"); null forms are absent; other fields go to `extra`.
  Result<StaticPassword> entry_fields(size_t& end) {
    StaticPassword p;
    for (;;) {
      Event key;
      if (auto r = next(key); !r) return fail(r.error());
      if (key.e.type == YAML_MAPPING_END_EVENT) {
        const size_t at = offsets_.byte(key.e.start_mark.index);
        if (at < text_.size() && text_[at] == '}') end = offsets_.byte(key.e.end_mark.index);
        return p;
      }
      std::string name;
      if (key.e.type == YAML_SCALAR_EVENT && is_known_field(key.e)) {
        // The common case, without a JSON detour: such a key reads as its own text.
        name.assign(reinterpret_cast<const char*>(key.e.data.scalar.value),
                    key.e.data.scalar.length);
        end = offsets_.byte(key.e.end_mark.index);
      } else {
        auto k = build(key, end, 2);
        if (!k) return fail(k.error());
        name = k->is_string() ? k->get<std::string>() : k->dump();
      }
      Event value;
      if (auto r = next(value); !r) return fail(r.error());
      std::string* field = name == "email"         ? &p.email
                           : name == "hash"        ? &p.hash
                           : name == "hashFromEnv" ? &p.hash_from_env
                           : name == "username"    ? &p.username
                           : name == "userID"      ? &p.user_id
                                                   : nullptr;
      if (field && value.e.type == YAML_SCALAR_EVENT) {
        end = offsets_.byte(value.e.end_mark.index);
        const auto& sc = value.e.data.scalar;
        std::string v(reinterpret_cast<const char*>(sc.value), sc.length);
        if (sc.style == YAML_PLAIN_SCALAR_STYLE &&
            (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL"))
          v.clear();
        *field = std::move(v);
        continue;
      }
      auto val = build(value, end, 2);
      if (!val) return fail(val.error());
      if (field) {
        *field = val->dump();
      } else {
        p.extra[name] = std::move(*val);
      }
    }
  }

  tl::unexpected<Error> invalid(const yaml_mark_t& mark, std::string_view what) const {
    return make_error(
        ErrorCode::kStoredData,
        std::string(source_) + ":" + std::to_string(mark.line + 1) + ": " + std::string(what));
  }

  // Consumes the node starting with `first`; `end` = byte end of its last content (scalars,
  // aliases and flow collections; a block collection's end mark lies at the next token).
  Result<void> skip(const Event& first, size_t& end) {
    int depth = 0;
    const yaml_event_t* e = &first.e;
    Event cur;
    for (;;) {
      switch (e->type) {
        case YAML_SCALAR_EVENT:
        case YAML_ALIAS_EVENT:
          end = offsets_.byte(e->end_mark.index);
          break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
          ++depth;
          break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
          --depth;
          // Flow collection ends point just past ']' / '}'; block ones do not.
          const size_t at = offsets_.byte(e->start_mark.index);
          if (at < text_.size() && (text_[at] == ']' || text_[at] == '}'))
            end = offsets_.byte(e->end_mark.index);
          break;
        }
        default:
          break;
      }
      if (depth == 0) return ok();
      Event n;
      if (auto r = next(n); !r) return fail(r.error());
      cur.take(n);
      e = &cur.e;
    }
  }

  // The "-" of the block sequence item whose content starts at `begin`: before it on the same
  // line, or alone (with at most a comment) on an earlier line, with only blank and comment lines
  // between ("- # note\n  email: a"). npos when there is none.
  size_t dash_before(size_t begin) const {
    size_t i = begin;
    while (i > 0 && (text_[i - 1] == ' ' || text_[i - 1] == '\t')) --i;
    if (i > 0 && text_[i - 1] == '-') return i - 1;
    if (i > 0 && text_[i - 1] != '\n') return std::string_view::npos;
    while (i > 0) {
      const size_t ls = line_start(text_, i - 1);  // the previous line: [ls, i)
      size_t c = ls;
      while (c < i && (text_[c] == ' ' || text_[c] == '\t')) ++c;
      if (c == i || text_[c] == '\n' || text_[c] == '\r' || text_[c] == '#') {
        i = ls;  // blank or comment line
        continue;
      }
      if (text_[c] != '-') return std::string_view::npos;
      const size_t after = c + 1;
      if (after >= i || text_[after] == ' ' || text_[after] == '\t' || text_[after] == '\r' ||
          text_[after] == '\n')
        return c;  // "-", then blanks and maybe a comment
      return std::string_view::npos;
    }
    return std::string_view::npos;
  }

  Result<void> static_passwords(const Event& value, DexConfig::Layout& out, size_t& end) {
    if (value.e.type == YAML_SCALAR_EVENT) {
      const std::string_view v(reinterpret_cast<const char*>(value.e.data.scalar.value),
                               value.e.data.scalar.length);
      const bool plain = value.e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
      if (plain && v.empty()) {
        end = out.after_colon;  // `staticPasswords:` with nothing after it
        return ok();
      }
      if (plain && (v == "~" || v == "null" || v == "Null" || v == "NULL")) {
        end = offsets_.byte(value.e.end_mark.index);
        return ok();
      }
    }
    if (value.e.type != YAML_SEQUENCE_START_EVENT) {
      return invalid(value.e.start_mark,
                     "staticPasswords must be a list of entries (email, hash, username, userID)");
    }
    out.value_is_sequence = true;
    out.flow = value.e.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
    bool first = true;
    for (;;) {
      Event item;
      if (auto r = next(item); !r) return fail(r.error());
      if (item.e.type == YAML_SEQUENCE_END_EVENT) {
        if (out.flow) end = offsets_.byte(item.e.end_mark.index);
        return ok();
      }
      if (item.e.type != YAML_MAPPING_START_EVENT) {
        return invalid(item.e.start_mark, "each staticPasswords entry must be a mapping");
      }
      const size_t begin = offsets_.byte(item.e.start_mark.index);
      size_t last = begin;
      auto entry = entry_fields(last);
      if (!entry) return fail(entry.error());
      out.passwords.push_back(std::move(*entry));
      if (out.flow) {
        out.entries.push_back({begin, last});
        end = last;
        continue;
      }
      // Block style: the entry is the whole lines from its "-" to its last content.
      size_t dash = dash_before(begin);
      if (dash == std::string_view::npos) {
        out.irregular = true;  // cannot happen in a block list; never trust the fast path then
        dash = begin;
      }
      const size_t ls = line_start(text_, dash);
      if (first) {
        out.dash_column = dash - ls;
        const size_t key_ls = line_start(text_, begin);
        out.key_column = key_ls == ls ? begin - ls : out.dash_column + 2;
        if (out.key_column <= out.dash_column) out.key_column = out.dash_column + 2;
        first = false;
      }
      const size_t stop = line_end_after(text_, last);
      out.entries.push_back({ls, stop});
      end = stop;
    }
  }

  std::string_view text_;
  std::string_view source_;
  yaml::detail::LibyamlParser parser_;
  yaml::detail::MarkOffsets offsets_;
  bool complex_ = false;
  bool in_list_ = false;  // inside the staticPasswords value
  bool block_scalars_ = false;
};

}  // namespace

Result<DexConfig::Layout> scan_layout(std::string_view text, std::string_view source) {
  Scanner s(text, source);
  return s.run();
}

}  // namespace kftenant::dex::detail
