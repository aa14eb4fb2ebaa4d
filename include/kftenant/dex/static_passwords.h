// Dex's `staticPasswords` list, edited in place inside config.yaml.
//
// Kubeflow administrators hand-maintain config.yaml (comments, quoting such as
// `userID: "15841185641784"`, `hashFromEnv` entries, staticClients). DexConfig therefore never
// re-emits the document: it locates the top-level `staticPasswords` value with libyaml marks and
// splices only the bytes of the entry being added, replaced or removed. Every edit is verified by
// re-parsing the result; a result that would not read back exactly as intended is an error, never
// returned text. See ../shared/reference/dex-contract.md §1 (fields, case-insensitive lookup).
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"
#include "kftenant/yaml.h"

namespace kftenant::dex {

// One `staticPasswords` entry (cmd/dex/config.go `password`). An empty string means the field is
// absent. Fields other than the five below (name, preferredUsername, emailVerified, groups, ...)
// live in `extra` (a JSON object) and are written back when the entry is emitted.
struct StaticPassword {
  std::string email;
  std::string hash;
  std::string hash_from_env;
  std::string username;
  std::string user_id;
  nlohmann::json extra = nlohmann::json::object();

  friend bool operator==(const StaticPassword&, const StaticPassword&) = default;
};

class DexConfig;
namespace detail {
struct Layout;  // dex/config_layout.h (private)
struct Edit;
const Layout& layout_of(const DexConfig& config);
}  // namespace detail

// A parsed view of config.yaml text that can be edited in place.
class DexConfig {
 public:
  DexConfig();  // an empty document
  DexConfig(const DexConfig& other);
  DexConfig(DexConfig&& other) noexcept;
  DexConfig& operator=(const DexConfig& other);
  DexConfig& operator=(DexConfig&& other) noexcept;
  ~DexConfig();

  // Parses `text`. A document that is not YAML is kParse naming `source_name` and the line; a
  // document that is not a mapping, or a `staticPasswords` that is not a list of mappings, is
  // kStoredData (the stored config must be fixed; not a usage error).
  [[nodiscard]] static Result<DexConfig> parse(std::string text, std::string source_name);

  // The entries in file order. A successful edit replaces the list: copy what must outlive it.
  [[nodiscard]] const std::vector<StaticPassword>& static_passwords() const;

  // `enablePasswordDB: true` (Dex refuses staticPasswords without it), read as Dex reads it:
  // an unquoted true, or YAML 1.1's yes/on.
  [[nodiscard]] bool password_db_enabled() const { return password_db_; }

  // Index of the entry Dex would use for `email`: matched case-insensitively (ASCII), the last one
  // when there are duplicates (storage/static.go: last entry wins).
  [[nodiscard]] std::optional<size_t> find(std::string_view email) const;

  // Every entry whose email equals `email` case-insensitively (ASCII), in file order. A
  // hand-made config can hold case variants (`a@x` and `A@x`); Dex uses the last one, but each
  // holds a hash. find() is the last element (or nullopt when this is empty).
  [[nodiscard]] std::vector<size_t> find_all(std::string_view email) const;

  // The 1-based line of text() where entry `index` starts (its "-" line in a block list, its "{"
  // in a flow list), for messages such as "config.yaml line 12: ..."; 0 when `index` is out of
  // range. Lines are counted by '\n' (a CRLF document counts the same).
  [[nodiscard]] size_t entry_line(size_t index) const;
  // entry_line of every entry, in one pass over the text (entry_line each would be quadratic).
  [[nodiscard]] std::vector<size_t> entry_lines() const;

  // Adds `entry`, or replaces the entry find(entry.email) returns (replace_static_password_at).
  // New entries are appended in the list's style, each value double-quoted and escaped, so any
  // valid UTF-8 string stays data; invalid UTF-8 or an empty email is kInvalidArgument. Untouched
  // entries keep their exact bytes.
  [[nodiscard]] Result<void> upsert_static_password(const StaticPassword& entry);

  // Replaces entry `index` (kNotFound when out of range) by `entry`, whatever its email. Only the
  // bytes that must change do: a changed value is rewritten in place (plain or single-quoted
  // when it stays that, else double-quoted; always so that it reads back as the same string, to
  // go-yaml as well), a field that appears is added on its own line at the entry's key column
  // after the entry's other keys (several new ones in name order), one that disappears loses its
  // lines. Comments (trailing and on lines of their own), blank
  // lines, key order and the style of untouched values stay. A flow-style list (`[{...}]`), or
  // an entry whose shape the in-place edit cannot keep (anchors, aliases), gets the whole entry
  // re-emitted as upsert writes new ones. An `entry` equal to the current one changes nothing.
  [[nodiscard]] Result<void> replace_static_password_at(size_t index, const StaticPassword& entry);

  // Removes the entry find(email) returns (remove_static_password_at); kNotFound when there is
  // none.
  [[nodiscard]] Result<void> remove_static_password(std::string_view email);

  // Removes entry `index`: its lines in a block list (comment lines before it stay), its item in
  // a flow list. kNotFound when out of range.
  [[nodiscard]] Result<void> remove_static_password_at(size_t index);

  // The (edited) document.
  [[nodiscard]] const std::string& text() const { return text_; }

  // The name given to parse(), for messages.
  [[nodiscard]] const std::string& source_name() const { return source_; }

 private:
  friend const detail::Layout& detail::layout_of(const DexConfig& config);

  std::string text_;
  std::string source_;
  bool password_db_ = false;
  // Where things are in text_ (dex/config_layout.h). Copies copy it; null only in a moved-from
  // DexConfig, which reads as an empty one.
  std::unique_ptr<detail::Layout> layout_;

  const detail::Layout& layout() const;
  // The entry's lines with only the changed values rewritten (yaml::edit_document on the entry
  // as a one-item list); an error when that cannot keep the rest (the caller re-emits instead).
  Result<std::string> edited_entry_text(size_t index, const StaticPassword& entry) const;
  // Replaces entry `index` by block_entry/flow_entry text (what upsert writes for a new entry).
  Result<void> reemit_entry(size_t index, const StaticPassword& entry);
  // Verifies the edited text (locally when the edit allows it, see apply_local) and adopts it.
  Result<void> apply(detail::Edit edit);
  // The fast path for one whole-line entry edit inside a block list: true when it verified and
  // adopted the edit, false when the edit needs the full re-scan.
  Result<bool> apply_local(const detail::Edit& edit);
  Result<void> apply_full(std::string new_text, const detail::Edit& edit);
};

// Emits `s` as a YAML double-quoted scalar that reads back as exactly `s` (any valid UTF-8);
// kInvalidArgument for invalid UTF-8. (yaml::quote_string, named for what config.yaml needs.)
[[nodiscard]] inline Result<std::string> quote_yaml_string(std::string_view s) {
  return yaml::quote_string(s);
}

}  // namespace kftenant::dex
