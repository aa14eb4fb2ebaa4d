// DexConfig: parse, splice one entry, verify by re-parsing. See kftenant/dex/static_passwords.h.
#include "kftenant/dex/static_passwords.h"

#include <algorithm>
#include <utility>

#include "dex/config_layout.h"
#include "kftenant/yaml.h"
#include "kftenant/yaml_edit.h"
#include "yaml/splice.h"

namespace kftenant::dex {
namespace {

using detail::Edit;
using detail::kStaticPasswordsKey;
using detail::Layout;
using detail::Span;
using nlohmann::json;
using yaml::detail::at_line_start;
using yaml::detail::spaces;

// The line break new lines get: the document's own.
std::string newline_of(std::string_view text) {
  return std::string(yaml::detail::newline_of(text));
}

constexpr const char* kKnown[] = {"email", "hash", "hashFromEnv", "username", "userID"};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string field_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();  // numbers/bools written unquoted
}

StaticPassword from_json(const json& j) {
  StaticPassword p;
  for (const auto& [k, v] : j.items()) {
    if (k == "email")
      p.email = field_text(v);
    else if (k == "hash")
      p.hash = field_text(v);
    else if (k == "hashFromEnv")
      p.hash_from_env = field_text(v);
    else if (k == "username")
      p.username = field_text(v);
    else if (k == "userID")
      p.user_id = field_text(v);
    else
      p.extra[k] = v;
  }
  return p;
}

json to_json(const StaticPassword& p) {
  json j = json::object();
  j["email"] = p.email;
  if (!p.hash.empty()) j["hash"] = p.hash;
  if (!p.hash_from_env.empty()) j["hashFromEnv"] = p.hash_from_env;
  if (!p.username.empty()) j["username"] = p.username;
  if (!p.user_id.empty()) j["userID"] = p.user_id;
  for (const auto& [k, v] : p.extra.items()) j[k] = v;
  return j;
}

// A JSON value as YAML flow text (strings double-quoted through quote_yaml_string).
Result<std::string> flow_value(const json& v) {
  if (v.is_string()) return quote_yaml_string(v.get_ref<const std::string&>());
  if (v.is_array() || v.is_object()) {
    std::string out = v.is_array() ? "[" : "{";
    bool first = true;
    for (const auto& [k, item] : v.items()) {
      if (!first) out += ", ";
      first = false;
      if (v.is_object()) {
        auto key = quote_yaml_string(k);
        if (!key) return fail(key.error());
        out += *key + ": ";
      }
      auto val = flow_value(item);
      if (!val) return fail(val.error());
      out += *val;
    }
    return out + (v.is_array() ? "]" : "}");
  }
  return v.dump();  // null, bool, numbers
}

// The entry's "key: value" pairs in Dex's field order, then extras.
Result<std::vector<std::string>> fields(const StaticPassword& p) {
  if (p.email.empty())
    return make_error(ErrorCode::kInvalidArgument, "staticPasswords entry needs an email");
  if (!p.extra.is_object())
    return make_error(ErrorCode::kInvalidArgument,
                      "staticPasswords extra fields must be a mapping");
  std::vector<std::string> out;
  const std::pair<const char*, const std::string*> known[] = {{"email", &p.email},
                                                              {"hash", &p.hash},
                                                              {"hashFromEnv", &p.hash_from_env},
                                                              {"username", &p.username},
                                                              {"userID", &p.user_id}};
  for (const auto& [k, v] : known) {
    if (v->empty() && std::string_view(k) != "email") continue;
    auto q = quote_yaml_string(*v);
    if (!q) return fail(q.error().with_context(std::string("staticPasswords ") + k));
    out.push_back(std::string(k) + ": " + *q);
  }
  for (const auto& [k, v] : p.extra.items()) {
    for (const char* known_key : kKnown) {
      if (k == known_key)
        return make_error(ErrorCode::kInvalidArgument,
                          "staticPasswords extra field '" + k + "' duplicates a named field");
    }
    auto key = quote_yaml_string(k);
    if (!key) return fail(key.error().with_context("staticPasswords field name"));
    auto val = flow_value(v);
    if (!val) return fail(val.error().with_context("staticPasswords " + k));
    out.push_back(*key + ": " + *val);
  }
  return out;
}

// Equal entries, with NaN equal to NaN in extra fields (an `x: .nan` would otherwise make an
// entry differ from itself and refuse every verified edit).
bool same_entry(const StaticPassword& a, const StaticPassword& b) {
  return a.email == b.email && a.hash == b.hash && a.hash_from_env == b.hash_from_env &&
         a.username == b.username && a.user_id == b.user_id && yaml::same_data(a.extra, b.extra);
}

// Block entry lines, each ending with `nl`.
std::string block_entry(const std::vector<std::string>& f, const Layout& l, const std::string& nl) {
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) {
    if (i == 0) {
      out += spaces(l.dash_column) + "-" + spaces(l.key_column - l.dash_column - 1);
    } else {
      out += spaces(l.key_column);
    }
    out += f[i] + nl;
  }
  return out;
}

std::string flow_entry(const std::vector<std::string>& f) {
  std::string out = "{";
  for (size_t i = 0; i < f.size(); ++i) out += (i ? ", " : "") + f[i];
  return out + "}";
}

// With anchors/aliases/tags the event pass cannot resolve values: take them from yaml::parse.
// A known field written as a plain number or boolean keeps its text as written, as the event
// pass reads it: otherwise `userID: 0792` would read "792" while the document has a tag and
// "0792" once an edit removed it (fuzz_dex_config found that).
Result<json> resolve_entries(std::string_view text, std::string_view source, Layout& layout) {
  yaml::PlainTexts written;
  auto doc = yaml::parse(text, source, nullptr, &written);
  if (!doc) return fail(doc.error());
  layout.passwords.clear();
  if (doc->is_object()) {
    if (auto it = doc->find(kStaticPasswordsKey); it != doc->end() && it->is_array()) {
      for (size_t i = 0; i < it->size(); ++i) {
        StaticPassword p = from_json((*it)[i]);
        const std::string prefix = "/" + std::string(kStaticPasswordsKey) + "/" + std::to_string(i);
        for (auto [name, field] : {std::pair{"email", &p.email},
                                   {"hash", &p.hash},
                                   {"hashFromEnv", &p.hash_from_env},
                                   {"username", &p.username},
                                   {"userID", &p.user_id}}) {
          if (auto w = written.find(prefix + "/" + name); w != written.end()) *field = w->second;
        }
        layout.passwords.push_back(std::move(p));
      }
    }
  }
  return doc;
}

}  // namespace

const Layout& detail::layout_of(const DexConfig& config) {
  return config.layout();
}

DexConfig::DexConfig() : layout_(std::make_unique<Layout>()) {}
DexConfig::DexConfig(const DexConfig& other)
    : text_(other.text_),
      source_(other.source_),
      password_db_(other.password_db_),
      layout_(std::make_unique<Layout>(other.layout())) {}
DexConfig::DexConfig(DexConfig&& other) noexcept = default;
DexConfig& DexConfig::operator=(const DexConfig& other) {
  if (this != &other) *this = DexConfig(other);
  return *this;
}
DexConfig& DexConfig::operator=(DexConfig&& other) noexcept = default;
DexConfig::~DexConfig() = default;

const Layout& DexConfig::layout() const {
  static const Layout empty;
  return layout_ ? *layout_ : empty;
}

const std::vector<StaticPassword>& DexConfig::static_passwords() const {
  return layout().passwords;
}

Result<DexConfig> DexConfig::parse(std::string text, std::string source_name) {
  // One libyaml pass gives both the layout and the entries. yaml::parse runs only for its
  // better error message, or when anchors/aliases/tags need its full resolution.
  auto layout = detail::scan_layout(text, source_name);
  if (!layout && layout.error().code == ErrorCode::kParse) {
    auto doc = yaml::parse(text, source_name);
    if (!doc) return fail(doc.error());
  }
  if (!layout) return fail(layout.error());
  if (layout->root_is_flow) {
    return make_error(ErrorCode::kStoredData,
                      source_name +
                          ": a flow-style ({...}) top-level mapping cannot be edited in "
                          "place; write config.yaml in block style");
  }
  if (layout->complex) {
    if (auto r = resolve_entries(text, source_name, *layout); !r) return fail(r.error());
  }
  DexConfig c;
  c.text_ = std::move(text);
  c.source_ = std::move(source_name);
  c.password_db_ = layout->password_db;
  c.layout_ = std::make_unique<Layout>(std::move(*layout));
  return c;
}

std::optional<size_t> DexConfig::find(std::string_view email) const {
  std::optional<size_t> found;
  const auto& entries = layout().passwords;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (iequals(entries[i].email, email)) found = i;
  }
  return found;
}

std::vector<size_t> DexConfig::find_all(std::string_view email) const {
  std::vector<size_t> out;
  const auto& entries = layout().passwords;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (iequals(entries[i].email, email)) out.push_back(i);
  }
  return out;
}

size_t DexConfig::entry_line(size_t index) const {
  if (index >= layout().entries.size()) return 0;
  const auto begin = text_.begin();
  const auto at = begin + static_cast<std::ptrdiff_t>(layout().entries[index].begin);
  return 1 + static_cast<size_t>(std::count(begin, at, '\n'));
}

std::vector<size_t> DexConfig::entry_lines() const {
  std::vector<size_t> lines;
  lines.reserve(layout().entries.size());
  size_t line = 1, counted_to = 0;
  for (const auto& entry : layout().entries) {
    // Entries are in text order; count only the newlines since the previous one.
    const size_t at = std::max(entry.begin, counted_to);
    line += static_cast<size_t>(std::count(text_.begin() + static_cast<std::ptrdiff_t>(counted_to),
                                           text_.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    counted_to = at;
    lines.push_back(line);
  }
  return lines;
}

Result<void> DexConfig::upsert_static_password(const StaticPassword& entry) {
  if (auto idx = find(entry.email)) return replace_static_password_at(*idx, entry);
  auto f = fields(entry);
  if (!f) return fail(f.error());
  const std::string nl = newline_of(text_);
  const Layout& l = layout();
  Edit edit;
  edit.index = l.passwords.size();
  edit.changed = &entry;
  edit.insert = true;
  edit.field_lines = l.flow ? 0 : f->size();
  if (l.value_is_sequence && !l.entries.empty()) {
    edit.begin = edit.end = l.entries.back().end;
    edit.text = l.flow ? ", " + flow_entry(*f)
                       : (!at_line_start(text_, edit.begin) ? nl : "") + block_entry(*f, l, nl);
  } else if (l.has_key) {
    // `staticPasswords:`, `staticPasswords: ~` or `[]`: the value becomes a block list.
    std::string add = block_entry(*f, l, nl);
    add.resize(add.size() - nl.size());  // the rest of the original line follows
    edit.begin = l.after_colon;
    edit.end = l.value.end;
    edit.text = nl + add;
  } else {
    Layout fresh = l;
    fresh.key_column = fresh.dash_column + 2;
    edit.begin = edit.end = l.root_insert;
    edit.text = (!at_line_start(text_, edit.begin) ? nl : "") + std::string(kStaticPasswordsKey) +
                ":" + nl + block_entry(*f, fresh, nl);
  }
  return apply(std::move(edit));
}

Result<std::string> DexConfig::edited_entry_text(size_t index, const StaticPassword& entry) const {
  // The entry's whole lines are a document of their own: a one-item block list (at the list's
  // column; a root node may be indented). yaml::edit_document then changes only what differs
  // between the value those lines hold and the wanted one, keeping every other byte.
  const Span span = layout().entries[index];
  const std::string_view old_text =
      std::string_view(text_).substr(span.begin, span.end - span.begin);
  auto doc = yaml::parse(old_text, source_);
  if (!doc || !doc->is_array() || doc->size() != 1 || !(*doc)[0].is_object()) {
    return make_error(ErrorCode::kInternal, source_ + ": the entry does not read on its own");
  }
  // The wanted value starts from the lines' own reading (YAML 1.2 core, as edit_document reads
  // them: an unquoted `userID: 0012` is the number 12 there), and only the fields that differ in
  // kftenant's reading (named fields as written: "0012") are set, so untouched fields keep their
  // bytes whatever the two readings make of them. New values are strings; edit_document writes
  // them plain or single-quoted only when every reader (go-yaml included) reads them back as that
  // string (yaml::detail::plain_safe), else double-quoted.
  nlohmann::json item = std::move((*doc)[0]);
  const StaticPassword& old = layout().passwords[index];
  const std::pair<const char*, std::pair<const std::string*, const std::string*>> named[] = {
      {"email", {&old.email, &entry.email}},
      {"hash", {&old.hash, &entry.hash}},
      {"hashFromEnv", {&old.hash_from_env, &entry.hash_from_env}},
      {"username", {&old.username, &entry.username}},
      {"userID", {&old.user_id, &entry.user_id}}};
  for (const auto& [key, values] : named) {
    const auto& [was, now] = values;
    if (*was == *now) continue;
    if (now->empty()) {
      item.erase(key);
    } else {
      item[key] = *now;
    }
  }
  for (const auto& [k, v] : old.extra.items()) {
    if (!entry.extra.contains(k)) item.erase(k);
  }
  for (const auto& [k, v] : entry.extra.items()) {
    auto it = old.extra.find(k);
    if (it == old.extra.end() || !yaml::same_data(*it, v)) item[k] = v;
  }
  return yaml::edit_document(old_text, json::array({std::move(item)}), source_);
}

Result<void> DexConfig::replace_static_password_at(size_t index, const StaticPassword& entry) {
  auto f = fields(entry);  // validates the entry (email, UTF-8, extras) as for a new one
  if (!f) return fail(f.error());
  if (index >= layout().passwords.size()) {
    return make_error(ErrorCode::kNotFound, source_ + ": no staticPasswords entry " +
                                                std::to_string(index) + " (there are " +
                                                std::to_string(layout().passwords.size()) + ")");
  }
  if (yaml::same_data(to_json(layout().passwords[index]), to_json(entry)))
    return ok();  // same data for Dex
  if (!layout().flow) {
    // In place first. Anything it cannot do exactly (an entry that does not read on its own, an
    // edit whose verification fails) falls back to re-emitting the entry, verified the same way.
    if (auto with = edited_entry_text(index, entry)) {
      const Span span = layout().entries[index];
      Edit edit;
      edit.begin = span.begin;
      edit.end = span.end;
      edit.text = std::move(*with);
      edit.index = index;
      edit.changed = &entry;
      edit.in_place = true;
      if (apply(std::move(edit))) return ok();
    }
  }
  return reemit_entry(index, entry);
}

Result<void> DexConfig::reemit_entry(size_t index, const StaticPassword& entry) {
  auto f = fields(entry);
  if (!f) return fail(f.error());
  const Layout& l = layout();
  const Span span = l.entries[index];
  Edit edit;
  edit.begin = span.begin;
  edit.end = span.end;
  edit.text = l.flow ? flow_entry(*f) : block_entry(*f, l, newline_of(text_));
  edit.index = index;
  edit.changed = &entry;
  edit.field_lines = l.flow ? 0 : f->size();
  return apply(std::move(edit));
}

Result<void> DexConfig::remove_static_password(std::string_view email) {
  auto idx = find(email);
  if (!idx) {
    return make_error(ErrorCode::kNotFound,
                      source_ + ": no staticPasswords entry for " + std::string(email));
  }
  return remove_static_password_at(*idx);
}

Result<void> DexConfig::remove_static_password_at(size_t i) {
  const Layout& l = layout();
  if (i >= l.entries.size()) {
    return make_error(ErrorCode::kNotFound, source_ + ": no staticPasswords entry " +
                                                std::to_string(i) + " (there are " +
                                                std::to_string(l.entries.size()) + ")");
  }
  Edit edit;
  edit.index = i;
  if (!l.flow) {
    edit.begin = l.entries[i].begin;
    edit.end = l.entries[i].end;
  } else if (l.entries.size() == 1) {
    edit.begin = l.value.begin;
    edit.end = l.value.end;
    edit.text = "[]";
  } else if (i > 0) {
    edit.begin = l.entries[i - 1].end;
    edit.end = l.entries[i].end;
  } else {
    edit.begin = l.entries[0].begin;
    edit.end = l.entries[1].begin;
  }
  return apply(std::move(edit));
}

Result<void> DexConfig::apply(Edit edit) {
  auto local = apply_local(edit);
  if (!local) return fail(local.error());
  if (*local) return ok();
  return apply_full(yaml::detail::splice(text_, edit.begin, edit.end, edit.text), edit);
}

// Why verifying only the edited entry is enough (the fast path).
//
// Preconditions (else the full re-scan below runs): the document has no anchors, aliases or
// tags (so no value can refer to text elsewhere); staticPasswords is a block list with at least
// one other entry left and no literal/folded scalar (`|`, `>`: they take in the blank and
// indented comment lines after them, so removing or inserting an entry next to one could change
// its value); the edit replaces, removes or appends one entry's whole lines, starting at a line
// start.
//
// Then the new text is P + N + S where P and S are the old bytes before and after the edited
// entry's lines. libyaml reads P exactly as before. At the end of P it stands at a line start
// between two entries of a block list: every token of the previous entry (or of the key line)
// is closed (quoted scalars and flow collections end at their closing character; a plain
// scalar cannot continue through a comment line or past a line at the "-" column), and the next
// token decides how far the indentation unrolls. The old text had the same state at the end of the
// old entry (S followed it and read as the next entry or the next top-level key, at a column <= the
// "-"). N is emitted by block_entry: one field per line, each value a double-quoted scalar or a
// flow collection. Parsing "staticPasswords:\n" + N on its own proves that N is exactly one entry
// with exactly the intended values, and that every field is closed on its own line (as many
// lines as fields); so after N libyaml is again between two entries at a line start, and S reads
// exactly as before: the following entries and every other top-level value are unchanged, byte
// for byte (S is the old bytes). A removal (N empty) joins two such between-entries states.
//
// An in-place replacement (edit.in_place: the old entry's lines with some values rewritten by
// yaml::edit_document) may hold comments, blank lines and plain scalars, even ones continued on
// the next line, so its lines are not counted. What replaces that count: the window scan must
// show N as exactly one entry whose "-" is at the list's column (and, for the first entry, whose
// keys are at the list's key column, which the layout takes from it), ending on N's last line,
// with no anchor, alias, tag or literal/folded scalar. Every token of N then closes inside N:
// quoted scalars and flow collections at their closing character, which the scan saw; a plain
// scalar can only continue on lines indented deeper than the entry's keys, and the first token
// of S (the next entry's "-" or a top-level key, after comment or blank lines) is at a column
// <= the "-", so it ends the scalar there, as EOF does in the window. The entry's mapping sits at
// the same columns in the window and in the document, so N reads the same in both, and libyaml
// is between two entries at the start of S, as it was after the old entry.
Result<bool> DexConfig::apply_local(const Edit& edit) {
  const Layout& l = layout();
  if (l.complex || l.block_scalars || l.irregular || l.flow || !l.value_is_sequence ||
      l.entries.empty())
    return false;
  const bool removal = edit.changed == nullptr;
  if (removal && l.entries.size() < 2) return false;  // the list would become null
  if (!at_line_start(text_, edit.begin)) return false;
  if (edit.insert) {
    if (edit.index != l.entries.size() || edit.begin != l.entries.back().end) return false;
  } else if (edit.index >= l.entries.size() || edit.begin != l.entries[edit.index].begin ||
             edit.end != l.entries[edit.index].end) {
    return false;
  }
  StaticPassword added;
  if (!removal) {
    // N alone, under a header at column 0 (the column only matters for multi-line scalars,
    // which N cannot contain once each field is shown to fill exactly one line).
    const std::string header = std::string(kStaticPasswordsKey) + ":" + newline_of(text_);
    const std::string window = header + edit.text;
    if (edit.text.empty() || edit.text.back() != '\n') return false;
    if (!edit.in_place) {
      size_t lines = 0;
      for (char c : edit.text) lines += c == '\n';
      if (lines != edit.field_lines) return false;
    }
    auto w = detail::scan_layout(window, source_);
    if (!w || w->complex || w->block_scalars || w->irregular || !w->top_values.empty() ||
        w->entries.size() != 1 || w->entries[0].begin != header.size() ||
        w->entries[0].end != window.size() ||
        !yaml::same_data(to_json(w->passwords[0]), to_json(*edit.changed)))
      return false;  // let the full re-scan decide (and report)
    if (edit.in_place &&
        (w->dash_column != l.dash_column || (edit.index == 0 && w->key_column != l.key_column)))
      return false;
    added = std::move(w->passwords[0]);
  }
  // Adopt: splice the text, shift the offsets behind the edit, update the entry lists in place.
  const std::ptrdiff_t delta = static_cast<std::ptrdiff_t>(edit.text.size()) -
                               static_cast<std::ptrdiff_t>(edit.end - edit.begin);
  const auto shift = [&](size_t& x) {
    if (x >= edit.end) x = static_cast<size_t>(static_cast<std::ptrdiff_t>(x) + delta);
  };
  const bool last_edited = edit.end == l.entries.back().end;
  text_.replace(edit.begin, edit.end - edit.begin, edit.text);
  Layout& m = *layout_;
  for (auto& [name, span] : m.top_values) {
    shift(span.begin);
    shift(span.end);
  }
  for (size_t i = edit.insert ? edit.index : edit.index + 1; i < m.entries.size(); ++i) {
    shift(m.entries[i].begin);
    shift(m.entries[i].end);
  }
  const Span new_span{edit.begin, edit.begin + edit.text.size()};
  if (removal) {
    m.entries.erase(m.entries.begin() + static_cast<std::ptrdiff_t>(edit.index));
    m.passwords.erase(m.passwords.begin() + static_cast<std::ptrdiff_t>(edit.index));
  } else if (edit.insert) {
    m.entries.push_back(new_span);
    m.passwords.push_back(std::move(added));
  } else {
    m.entries[edit.index] = new_span;
    m.passwords[edit.index] = std::move(added);
  }
  // The list's value ends with its last entry, and a new top-level key would go right after
  // it when it was the last key: what a re-scan gives.
  const size_t old_value_end = m.value.end;
  const bool root_after_list = m.root_insert == old_value_end;
  shift(m.value.end);
  if (removal && last_edited) m.value.end = m.entries.back().end;
  if (root_after_list) {
    m.root_insert = m.value.end;
  } else {
    shift(m.root_insert);
  }
  return true;
}

Result<void> DexConfig::apply_full(std::string new_text, const Edit& edit) {
  const size_t index = edit.index;
  const StaticPassword* changed = edit.changed;
  const bool insert = edit.insert;
  const auto broken = [&](std::string_view why) {
    return make_error(ErrorCode::kInternal,
                      source_ + ": editing staticPasswords would " + std::string(why) +
                          "; nothing was changed (please report this config.yaml shape)");
  };
  auto next = detail::scan_layout(new_text, source_);
  if (!next) return broken("produce YAML that does not parse (" + next.error().message + ")");
  // Every other top-level key keeps its exact value text, in the same order.
  const auto& a = layout().top_values;
  const auto& b = next->top_values;
  if (a.size() != b.size()) return broken("change the set of top-level keys");
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string_view old_value =
        std::string_view(text_).substr(a[i].second.begin, a[i].second.end - a[i].second.begin);
    const std::string_view new_value =
        std::string_view(new_text).substr(b[i].second.begin, b[i].second.end - b[i].second.begin);
    if (a[i].first != b[i].first || old_value != new_value)
      return broken("change the text of '" + a[i].first + "'");
  }
  if (next->complex || layout().complex) {
    // Aliases may point into the edited block: compare fully resolved documents.
    Layout old_layout = layout();
    auto old_doc = resolve_entries(text_, source_, old_layout);
    auto doc = resolve_entries(new_text, source_, *next);
    if (!old_doc || !doc) return broken("produce YAML that does not parse");
    if (!doc->is_object()) return broken("leave a document that is not a mapping");
    json others = *doc;
    json old_others = old_doc->is_object() ? *old_doc : json::object();
    if (auto it = others.find(kStaticPasswordsKey); it != others.end()) {
      if (!it->is_array() && !it->is_null())
        return broken("leave staticPasswords that is not a list");
    }
    others.erase(std::string(kStaticPasswordsKey));
    old_others.erase(std::string(kStaticPasswordsKey));
    // Compared as text: NaN != NaN would refuse a document that has a .nan somewhere.
    if (others.dump() != old_others.dump()) return broken("change another top-level key");
  }
  // The entries must be exactly the old ones with the one edit applied: every other entry the
  // same data and the same bytes. The new entry is compared through its JSON form, as an absent
  // field and an empty one are the same to Dex.
  const auto& was = layout().passwords;
  const auto& now = next->passwords;
  const size_t expected_size = was.size() + (insert ? 1 : 0) - (changed ? 0 : 1);
  if (now.size() != expected_size || next->entries.size() != expected_size ||
      layout().entries.size() != was.size())
    return broken("not give the intended number of entries");
  const auto entry_text = [](std::string_view text, const Span& s) {
    return text.substr(s.begin, s.end - s.begin);
  };
  for (size_t i = 0; i < now.size(); ++i) {
    bool same = false;
    if (i == index && changed) {
      same = yaml::same_data(to_json(now[i]), to_json(*changed));
    } else {
      // Before the edit: the same position; after it, shifted by an insertion or a removal.
      const size_t old_i = i < index ? i : insert ? i - 1 : changed ? i : i + 1;
      same = same_entry(now[i], was[old_i]) &&
             entry_text(new_text, next->entries[i]) == entry_text(text_, layout().entries[old_i]);
    }
    if (!same) return broken("not give the intended staticPasswords list");
  }
  text_ = std::move(new_text);
  layout_ = std::make_unique<Layout>(std::move(*next));
  return ok();
}

}  // namespace kftenant::dex
