// Locates the top-level keys of config.yaml and the entries of `staticPasswords` as byte ranges,
// on the yaml layer's MarkScanner and line helpers (yaml/splice.h), the same ones the EditNode
// tree of yaml::edit_document is built on.
//
// Why not the EditNode tree itself: the tree holds positions, not values, so a layout built from
// it needs yaml::parse (a JSON tree of the whole document) plus a second event pass for the tree.
// On bench_dex_config's 5,000-entry config, yaml::parse alone takes ~1.4x this whole scan (which
// reads the entries' fields straight from the events; ~15 ms vs ~10.5 ms, the bare libyaml event
// pass being ~7 ms), so parse + tree would make DexConfig::parse about twice as slow. Dex therefore
// keeps this lean walker, on the shared scanner, helpers and dash finding.
#include "dex/config_layout.h"

#include <string>

#include "yaml/scalar.h"
#include "yaml/splice.h"

namespace kftenant::dex::detail {
namespace {

using Event = yaml::detail::LibyamlEvent;
using yaml::detail::line_end_after;
using yaml::detail::line_start;
using yaml::detail::scalar_value;

// An untagged scalar spelling one of the five named fields (any style: they all read as text).
bool is_known_field(const yaml_event_t& e) {
  if (e.data.scalar.tag != nullptr) return false;
  const std::string_view v = scalar_value(e);
  return v == "email" || v == "hash" || v == "hashFromEnv" || v == "username" || v == "userID";
}

class Scanner {
 public:
  Scanner(std::string_view text, std::string_view source)
      : text_(text), source_(source), scan_(text, source) {}
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  Result<Layout> run() {
    Layout out;
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
        name = scalar_value(key.e);
        key_end = scan_.byte(key.e.end_mark);
      } else {
        size_t ignored = 0;
        if (auto r = scan_.skip(key, ignored); !r) return fail(r.error());
      }
      const size_t key_begin = scan_.byte(key.e.start_mark);
      Event value;
      if (auto r = next(value); !r) return fail(r.error());
      const size_t value_begin = scan_.byte(value.e.start_mark);
      size_t value_end = value_begin;
      if (name == kStaticPasswordsKey && key.e.type == YAML_SCALAR_EVENT) {
        if (out.has_key) return invalid(key.e.start_mark, "staticPasswords appears twice");
        out.has_key = true;
        out.dash_column = key_begin - line_start(text_, key_begin);
        out.key_column = out.dash_column + 2;
        out.after_colon = yaml::detail::colon_after(text_, key_end);
        if (out.after_colon == std::string_view::npos)
          return invalid(key.e.start_mark, "expected ':' after staticPasswords");
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
          const auto v = yaml::detail::resolve_plain_go_yaml_v2(scalar_value(value.e));
          out.password_db = v.type == yaml::detail::GoYamlType::kBool && v.boolean;
        }
        if (auto r = scan_.skip(value, value_end); !r) return fail(r.error());
        out.top_values.push_back({name, Span{value_begin, value_end}});
      }
      root_end = std::max(root_end, value_end);
    }
    out.root_insert = line_end_after(text_, root_end);
    out.complex = scan_.special_seen();
    out.block_scalars = block_scalars_;
    // Line breaks that are not "\n" to libyaml (a lone CR, NEL, LS, PS) end lines that the byte
    // arithmetic here does not see: entry spans could then cut through a line libyaml breaks.
    if (!out.irregular) out.irregular = yaml::detail::has_other_line_breaks(text_);
    return out;
  }

 private:
  // The next event; literal/folded scalars inside the list are noted for the fast path.
  Result<void> next(Event& ev) {
    if (auto r = scan_.next(ev); !r) return r;
    if (in_list_ && yaml::detail::is_block_scalar(ev.e)) block_scalars_ = true;
    return ok();
  }

  // Builds the JSON value of the node starting with `first` (scalars resolved like yaml::parse
  // for untagged nodes; anything tagged or aliased marks the scan special_seen() and is re-read
  // by yaml::parse).
  Result<nlohmann::json> build(const Event& first, size_t& end, int depth) {
    const yaml_event_t& e = first.e;
    if (depth > 512) return invalid(e.start_mark, "staticPasswords is nested too deeply");
    switch (e.type) {
      case YAML_SCALAR_EVENT: {
        end = scan_.byte(e.end_mark);
        const std::string_view v = scalar_value(e);
        if (e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) return yaml::detail::resolve_plain(v);
        return nlohmann::json(std::string(v));
      }
      case YAML_ALIAS_EVENT:
        end = scan_.byte(e.end_mark);
        return nlohmann::json();
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        const bool seq = e.type == YAML_SEQUENCE_START_EVENT;
        nlohmann::json out = seq ? nlohmann::json::array() : nlohmann::json::object();
        for (;;) {
          Event item;
          if (auto r = next(item); !r) return fail(r.error());
          if (item.e.type == YAML_SEQUENCE_END_EVENT || item.e.type == YAML_MAPPING_END_EVENT) {
            flow_end(item.e, end);
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
        flow_end(key.e, end);
        return p;
      }
      std::string name;
      if (key.e.type == YAML_SCALAR_EVENT && is_known_field(key.e)) {
        // The common case, without a JSON detour: such a key reads as its own text.
        name = scalar_value(key.e);
        end = scan_.byte(key.e.end_mark);
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
        end = scan_.byte(value.e.end_mark);
        const std::string_view v = scalar_value(value.e);
        if (value.e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && yaml::detail::plain_null(v)) {
          field->clear();
        } else {
          field->assign(v);
        }
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

  // A collection's end event: `end` moves past its ']' / '}' when it is a flow one.
  void flow_end(const yaml_event_t& e, size_t& end) {
    if (const size_t f = scan_.flow_end(e); f != std::string_view::npos) end = f;
  }

  Result<void> static_passwords(const Event& value, Layout& out, size_t& end) {
    if (value.e.type == YAML_SCALAR_EVENT) {
      const std::string_view v = scalar_value(value.e);
      const bool plain = value.e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
      if (plain && v.empty()) {
        end = out.after_colon;  // `staticPasswords:` with nothing after it
        return ok();
      }
      if (plain && yaml::detail::plain_null(v)) {
        end = scan_.byte(value.e.end_mark);
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
    size_t cursor = scan_.byte(value.e.start_mark);  // where the next "-" is looked for
    for (;;) {
      Event item;
      if (auto r = next(item); !r) return fail(r.error());
      if (item.e.type == YAML_SEQUENCE_END_EVENT) {
        if (out.flow) end = scan_.byte(item.e.end_mark);
        return ok();
      }
      if (item.e.type != YAML_MAPPING_START_EVENT) {
        return invalid(item.e.start_mark, "each staticPasswords entry must be a mapping");
      }
      const size_t begin = scan_.byte(item.e.start_mark);
      size_t last = begin;
      auto entry = entry_fields(last);
      if (!entry) return fail(entry.error());
      out.passwords.push_back(std::move(*entry));
      if (out.flow) {
        out.entries.push_back({begin, last});
        end = last;
        continue;
      }
      // Block style: the entry is the whole lines from its "-" (found as the EditNode tree of
      // yaml::edit_document finds it) to its last content.
      size_t dash = yaml::detail::next_dash(text_, cursor);
      cursor = last;
      if (dash == std::string_view::npos || dash >= begin) {
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
  yaml::detail::MarkScanner scan_;
  bool in_list_ = false;  // inside the staticPasswords value
  bool block_scalars_ = false;
};

}  // namespace

Result<Layout> scan_layout(std::string_view text, std::string_view source) {
  Scanner s(text, source);
  return s.run();
}

}  // namespace kftenant::dex::detail
