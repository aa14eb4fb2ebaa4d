// Plain-scalar resolution shared by the YAML parser, emitter and editor, so that the emitter and
// the editor quote exactly the strings the parser would read as something else.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace kftenant::yaml::detail {

// Resolves an untagged plain scalar with the YAML 1.2 core schema (null, bool, int, float),
// falling back to a string.
nlohmann::json resolve_plain(std::string_view text);

// Shortest text that reads back as the same double (and as a float, not an int).
std::string format_double(double d);

// YAML 1.1 booleans (y, yes, on, off, ...): strings to us, booleans to go-yaml v2 and PyYAML.
bool yaml11_bool(std::string_view s);

// YAML 1.1 timestamps (2026-01-01, 2026-01-01T00:00:00Z, ...).
bool yaml11_timestamp(std::string_view s);

// Whether `s` holds U+0085, U+2028, U+2029 or U+FEFF, which only a double-quoted escape keeps.
bool has_unicode_specials(std::string_view s);

// What gopkg.in/yaml.v2 (v2.4.0 resolve.go `resolve`) makes of an untagged plain scalar when it
// decodes into interface{}. That is how Dex reads config.yaml (github.com/ghodss/yaml
// yamlToJSON), and sigs.k8s.io/yaml (kubectl) reads the same way. It differs from the YAML 1.2 core
// schema of resolve_plain(): y/yes/on/n/no/off are booleans; integers take Go's base prefixes
// (0x 0X 0o 0O 0b 0B, a leading 0 is octal) and underscores anywhere ("1_000"); "0018" is a float
// (not octal, but a decimal float); floats that overflow ("1e400") and timestamps stay strings.
enum class GoYamlType { kNull, kBool, kInt, kFloat, kString };
struct GoYamlScalar {
  GoYamlType type = GoYamlType::kString;
  bool boolean = false;  // kBool: its value
};
GoYamlScalar resolve_plain_go_yaml_v2(std::string_view text);

// Whether `s` can be written as a plain scalar in block context and read back as this string by
// us, by YAML 1.1 readers and by go-yaml v2 (Dex, kubectl).
bool plain_safe(std::string_view s);

// The JSON object key a scalar mapping key becomes (as sigs.k8s.io/yaml does: `1: x` -> "1").
std::string key_string(const nlohmann::json& k);

}  // namespace kftenant::yaml::detail
