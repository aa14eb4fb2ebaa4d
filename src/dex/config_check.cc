// check_dex_config: reads config.yaml the way Dex v2.45.1 does and applies Dex's own rules. See
// kftenant/dex/config_check.h. Paths without a repository are in github.com/dexidp/dex at tag
// v2.45.1; Dex builds with Go 1.25, github.com/ghodss/yaml v1.0.0, gopkg.in/yaml.v2 v2.4.0 and
// golang.org/x/crypto v0.48.0 (go.mod).
//
// How Dex loads the file (cmd/dex/serve.go runServe): ghodss/yaml.Unmarshal(data, &Config) =
//   1. gopkg.in/yaml.v2 Unmarshal into interface{} (decode.go; scalars resolved by resolve.go, see
//      yaml::detail::resolve_plain_go_yaml_v2; duplicate keys: the last wins; merge keys `<<` are
//      applied in place, in order; anchors/aliases expanded);
//   2. ghodss/yaml convertToJSONableObject: map keys become strings (a null key is an error), and
//      a number or boolean headed for a Go string field becomes a string, but only down to a type
//      with its own UnmarshalJSON (staticPasswords entries, storage, signer, connectors, the
//      logger level), below which values stay what YAML made of them;
//   3. encoding/json Unmarshal: struct fields are matched by name ignoring case (for several
//      spellings the last in sorted key order wins), a value of the wrong JSON type is an error,
//      null leaves a field alone, and a type's UnmarshalJSON is called even for null.
// Every error of these steps, then of Config.Validate and of runServe's later checks, makes
// `dex serve` exit.
#include "kftenant/dex/config_check.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dex/config_layout.h"
#include "kftenant/base64.h"
#include "kftenant/dex/bcrypt.h"
#include "yaml/libyaml_parser.h"
#include "yaml/scalar.h"

namespace kftenant::dex {
namespace {

using Severity = ConfigProblem::Severity;
using yaml::detail::GoYamlType;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

std::string without_underscores(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out += c;
  }
  return out;
}

// At most `max` bytes of `s` (cut at a UTF-8 boundary), for values quoted in messages.
std::string shorten(std::string_view s, size_t max = 40);

// ---- Go library behaviour, copied ---------------------------------------------------------------

// strconv.Atoi: an optional sign, then decimal digits, within int64.
std::optional<int64_t> go_atoi(std::string_view s) {
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  if (digits.empty()) return std::nullopt;
  for (char c : digits) {
    if (!is_digit(c)) return std::nullopt;
  }
  int64_t v = 0;
  std::string_view with_sign = s[0] == '+' ? digits : s;
  auto [ptr, ec] = std::from_chars(with_sign.data(), with_sign.data() + with_sign.size(), v);
  if (ec != std::errc() || ptr != with_sign.data() + with_sign.size()) return std::nullopt;
  return v;
}

// golang.org/x/crypto bcrypt.Cost (bcrypt/bcrypt.go newFromHash, decodeVersion, decodeCost): at
// least 59 bytes, '$', a major version byte <= '2', an optional minor byte (anything but '$',
// and the byte after it is not checked), two bytes strconv.Atoi reads as 4..31 (a sign counts),
// one more byte. `prefix` is set to the length of that "$2a$10$" part.
std::optional<int> go_bcrypt_cost(std::string_view h, size_t* prefix = nullptr) {
  if (h.size() < 59 || h[0] != '$' || static_cast<unsigned char>(h[1]) > '2') return std::nullopt;
  const size_t n = h[2] != '$' ? 4 : 3;
  const auto cost = go_atoi(h.substr(n, 2));
  if (!cost || *cost < 4 || *cost > 31) return std::nullopt;
  if (prefix) *prefix = n + 3;
  return static_cast<int>(*cost);
}

// Whether any password can match a hash go_bcrypt_cost accepted: CompareHashAndPassword compares
// the stored text after the 22-byte salt with bcrypt's 31-byte output, and decodes the salt with
// bcrypt's base64 alphabet (an error there is a failed login too; server/server.go Login).
bool bcrypt_can_match(std::string_view h, size_t prefix) {
  if (h.size() != prefix + 22 + 31) return false;
  for (size_t i = prefix; i < prefix + 22; ++i) {
    const char c = h[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c);
    if (!alpha && c != '.' && c != '/') return false;
  }
  return true;
}

// encoding/base64 StdEncoding.DecodeString: padded standard alphabet; '\r' and '\n' are skipped
// and nothing else is (kftenant's base64::decode also trims blanks, which Go does not).
std::optional<std::string> go_std_base64(std::string_view s) {
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' ||
                    c == '/' || c == '=' || c == '\r' || c == '\n';
    if (!ok) return std::nullopt;
  }
  return base64::decode(s);
}

// time.ParseDuration (Go src/time/format.go): [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ or "0", units ns us
// µs μs ms s m h, at most 1<<63-1 ns.
bool go_parse_duration(std::string_view s) {
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return true;
  if (s.empty()) return false;
  uint64_t d = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0]))) return false;
    uint64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {  // leadingInt
      if (v > kLimit / 10) return false;
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (v > kLimit) return false;
    }
    const bool pre = i > 0;
    s.remove_prefix(i);
    bool post = false;
    uint64_t f = 0;
    double scale = 1;
    if (!s.empty() && s[0] == '.') {  // leadingFraction
      s.remove_prefix(1);
      size_t j = 0;
      bool overflow = false;
      for (; j < s.size() && is_digit(s[j]); ++j) {
        if (overflow) continue;
        if (f > (kLimit - 1) / 10) {
          overflow = true;
          continue;
        }
        const uint64_t y = f * 10 + static_cast<uint64_t>(s[j] - '0');
        if (y > kLimit) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return false;
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !is_digit(s[u])) ++u;
    if (u == 0) return false;  // missing unit
    const std::string_view unit_name = s.substr(0, u);
    s.remove_prefix(u);
    static const std::pair<std::string_view, uint64_t> kUnits[] = {
        {"ns", 1},           {"us", 1000},      {"\xC2\xB5s", 1000},  // U+00B5 micro sign
        {"\xCE\xBCs", 1000},                                          // U+03BC Greek mu
        {"ms", 1000000},     {"s", 1000000000}, {"m", 60000000000},  {"h", 3600000000000}};
    uint64_t unit = 0;
    for (const auto& [name, ns] : kUnits) {
      if (name == unit_name) unit = ns;
    }
    if (unit == 0) return false;
    if (v > kLimit / unit) return false;
    v *= unit;
    if (f > 0) {
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > kLimit) return false;
    }
    d += v;
    if (d > kLimit) return false;
  }
  return neg || d <= kLimit - 1;
}

// log/slog Level.UnmarshalJSON -> Level.parse: NAME or NAME+N / NAME-N, NAME one of DEBUG INFO
// WARN ERROR in any case.
bool go_slog_level(std::string_view s) {
  std::string_view name = s;
  if (const size_t i = s.find_first_of("+-"); i != std::string_view::npos) {
    name = s.substr(0, i);
    if (!go_atoi(s.substr(i))) return false;
  }
  const std::string upper = [&] {
    std::string out(name);
    for (char& c : out) c = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    return out;
  }();
  return upper == "DEBUG" || upper == "INFO" || upper == "WARN" || upper == "ERROR";
}

// ---- The document as Dex's loader reads it ----------------------------------------------------

struct Member;

// One node after gopkg.in/yaml.v2 (into interface{}) and ghodss/yaml's key conversion.
struct GoNode {
  enum class Kind : uint8_t { kNull, kBool, kInt, kFloat, kString, kSeq, kMap };
  Kind kind = Kind::kNull;
  bool boolean = false;         // kBool
  bool plain = false;           // a plain (unquoted) scalar
  std::string text;             // scalars: the value (strings) or the text as written (others)
  size_t offset = 0;            // byte offset of the node in the text
  std::vector<Member> members;  // kMap, in yaml.v2's order of assignment (the last of a key wins)
  std::vector<GoNode> items;    // kSeq
};

struct Member {
  std::string key;
  size_t key_offset = 0;
  GoNode value;
};

size_t count_nodes(const GoNode& n) {
  size_t c = 1;
  for (const auto& m : n.members) c += 1 + count_nodes(m.value);
  for (const auto& i : n.items) c += count_nodes(i);
  return c;
}

// Builds the GoNode tree from libyaml events. Problems of the YAML -> JSON conversion (which Dex
// reports as "error converting YAML to JSON") are collected in `errors`.
class Loader {
 public:
  struct LoadError {
    size_t offset;
    std::string message;
  };

  explicit Loader(std::string_view text) : parser_(text, "config.yaml"), offsets_(text) {}

  Result<GoNode> run() {
    yaml::detail::LibyamlEvent ev;
    if (auto r = parser_.next(ev); !r) return fail(r.error());  // stream start
    yaml::detail::LibyamlEvent doc;
    if (auto r = parser_.next(doc); !r) return fail(r.error());
    GoNode root;
    if (doc.e.type == YAML_STREAM_END_EVENT) return root;  // no document: null
    yaml::detail::LibyamlEvent first;
    if (auto r = parser_.next(first); !r) return fail(r.error());
    if (auto r = build(first, root, 0); !r) return fail(r.error());
    return root;
  }

  std::vector<LoadError> errors;
  bool aborted = false;  // excessive aliasing or too large: the tree is incomplete

 private:
  static constexpr int kMaxDepth = 512;
  static constexpr size_t kMaxNodes = 1'000'000;

  Result<void> next(yaml::detail::LibyamlEvent& ev) { return parser_.next(ev); }

  void error(size_t offset, std::string message) { errors.push_back({offset, std::move(message)}); }

  // gopkg.in/yaml.v2 decode.go unmarshal: "document contains excessive aliasing" once more than
  // 100 nodes came from aliases and their share of all decoded nodes passes allowedAliasRatio
  // (99% up to 400,000 nodes, down to 10% at 4,000,000).
  bool count(size_t nodes, bool from_alias) {
    decoded_ += nodes;
    if (from_alias) aliased_ += nodes;
    const double d = static_cast<double>(decoded_);
    const double allowed = decoded_ <= 400000    ? 0.99
                           : decoded_ >= 4000000 ? 0.10
                                                 : 0.99 - 0.89 * ((d - 400000) / 3600000);
    if (aliased_ > 100 && decoded_ > 1000 && static_cast<double>(aliased_) / d > allowed) {
      error(0, "the document contains excessive aliasing (gopkg.in/yaml.v2 refuses it)");
      aborted = true;
    } else if (decoded_ > kMaxNodes) {
      aborted = true;  // not a ConfigMap-sized document (1 MiB): stop (check_dex_config warns)
    }
    return !aborted;
  }

  // Consumes the rest of a collection whose start event was just read.
  Result<void> skip_rest() {
    int depth = 1;
    while (depth > 0) {
      yaml::detail::LibyamlEvent ev;
      if (auto r = next(ev); !r) return r;
      const auto t = ev.e.type;
      if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) ++depth;
      if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) --depth;
    }
    return ok();
  }

  void scalar(const yaml_event_t& e, GoNode& out) {
    using K = GoNode::Kind;
    const auto& sc = e.data.scalar;
    const std::string_view v(reinterpret_cast<const char*>(sc.value), sc.length);
    const std::string_view tag = sc.tag ? reinterpret_cast<const char*>(sc.tag) : "";
    out.text.assign(v);
    out.plain = sc.style == YAML_PLAIN_SCALAR_STYLE;
    const auto resolved = [&](yaml::detail::GoYamlScalar r) {
      switch (r.type) {
        case GoYamlType::kNull:
          out.kind = K::kNull;
          break;
        case GoYamlType::kBool:
          out.kind = K::kBool;
          out.boolean = r.boolean;
          break;
        case GoYamlType::kInt:
          out.kind = K::kInt;
          break;
        case GoYamlType::kFloat:
          out.kind = K::kFloat;
          break;
        case GoYamlType::kString:
          out.kind = K::kString;
          break;
      }
    };
    if (tag.empty()) {
      // decode.go scalar: an untagged non-plain scalar is a string; a plain one is resolved.
      if (out.plain) {
        resolved(yaml::detail::resolve_plain_go_yaml_v2(v));
      } else {
        out.kind = K::kString;
      }
      return;
    }
    constexpr std::string_view kPrefix = "tag:yaml.org,2002:";
    const std::string_view short_tag =
        tag.substr(0, kPrefix.size()) == kPrefix ? tag.substr(kPrefix.size()) : std::string_view();
    out.kind = K::kString;
    if (short_tag == "binary") {
      auto bytes = go_std_base64(v);
      if (!bytes) {
        error(out.offset, "a !!binary value is not valid base64 (gopkg.in/yaml.v2 refuses it)");
      } else {
        out.text = std::move(*bytes);
      }
    } else if (short_tag == "int" || short_tag == "float" || short_tag == "bool" ||
               short_tag == "null") {
      // resolve.go resolve(tag, in): the text must resolve to that type (an int is a float too).
      const auto r = yaml::detail::resolve_plain_go_yaml_v2(v);
      const bool fits =
          (short_tag == "int" && r.type == GoYamlType::kInt) ||
          (short_tag == "float" && (r.type == GoYamlType::kFloat || r.type == GoYamlType::kInt)) ||
          (short_tag == "bool" && r.type == GoYamlType::kBool) ||
          (short_tag == "null" && r.type == GoYamlType::kNull);
      if (fits) {
        resolved(r);
        if (short_tag == "float") out.kind = K::kFloat;
      } else {
        error(out.offset, "a scalar tagged !!" + std::string(short_tag) +
                              " does not read as one (gopkg.in/yaml.v2: \"cannot decode\")");
      }
    }
    // !!str, !!timestamp, "!" and application tags: the text, as a string (resolvableTag).
  }

  Result<void> build(yaml::detail::LibyamlEvent& ev, GoNode& out, int depth) {
    using K = GoNode::Kind;
    const yaml_event_t& e = ev.e;
    out.offset = offsets_.byte(e.start_mark.index);
    if (aborted) {
      if (e.type == YAML_SEQUENCE_START_EVENT || e.type == YAML_MAPPING_START_EVENT)
        return skip_rest();
      return ok();
    }
    const yaml_char_t* anchor = nullptr;
    switch (e.type) {
      case YAML_ALIAS_EVENT: {
        const std::string name(reinterpret_cast<const char*>(e.data.alias.anchor));
        auto it = anchors_.find(name);
        if (it == anchors_.end()) {
          error(out.offset, "the alias *" + name + " has no anchor before it");
          return ok();
        }
        if (!count(it->second.second, true)) return ok();
        const size_t at = out.offset;
        out = it->second.first;
        out.offset = at;
        return ok();
      }
      case YAML_SCALAR_EVENT:
        if (!count(1, false)) return ok();
        anchor = e.data.scalar.anchor;
        scalar(e, out);
        break;
      case YAML_SEQUENCE_START_EVENT: {
        if (!count(1, false)) return skip_rest();
        anchor = e.data.sequence_start.anchor;
        if (depth > kMaxDepth) return skip_rest();
        out.kind = K::kSeq;
        for (;;) {
          yaml::detail::LibyamlEvent item;
          if (auto r = next(item); !r) return r;
          if (item.e.type == YAML_SEQUENCE_END_EVENT) break;
          GoNode child;
          if (auto r = build(item, child, depth + 1); !r) return r;
          out.items.push_back(std::move(child));
        }
        break;
      }
      case YAML_MAPPING_START_EVENT: {
        if (!count(1, false)) return skip_rest();
        anchor = e.data.mapping_start.anchor;
        if (depth > kMaxDepth) return skip_rest();
        out.kind = K::kMap;
        out.members.reserve(4);  // a staticPasswords entry's usual size: one allocation
        for (;;) {
          yaml::detail::LibyamlEvent key_ev;
          if (auto r = next(key_ev); !r) return r;
          if (key_ev.e.type == YAML_MAPPING_END_EVENT) break;
          const auto& ks = key_ev.e.data.scalar;
          // decode.go isMerge: a plain untagged "<<" key.
          const bool merge =
              key_ev.e.type == YAML_SCALAR_EVENT && ks.tag == nullptr &&
              ks.style == YAML_PLAIN_SCALAR_STYLE &&
              std::string_view(reinterpret_cast<const char*>(ks.value), ks.length) == "<<";
          GoNode key;
          if (auto r = build(key_ev, key, depth + 1); !r) return r;
          yaml::detail::LibyamlEvent value_ev;
          if (auto r = next(value_ev); !r) return r;
          GoNode value;
          if (auto r = build(value_ev, value, depth + 1); !r) return r;
          if (merge) {
            this->merge(out, std::move(value), key.offset);
            continue;
          }
          std::string name;
          switch (key.kind) {
            case K::kString:
            case K::kInt:
            case K::kFloat:
              name = std::move(key.text);  // ghodss/yaml formats numbers; the text is close enough
              break;
            case K::kBool:
              name = key.boolean ? "true" : "false";
              break;
            case K::kNull:
              error(key.offset, "a mapping key is null (ghodss/yaml: \"Unsupported map key\")");
              continue;
            default:
              error(key.offset,
                    "a mapping key is a list or mapping (gopkg.in/yaml.v2: \"invalid map key\")");
              continue;
          }
          out.members.push_back({std::move(name), key.offset, std::move(value)});
        }
        break;
      }
      default:
        return ok();
    }
    if (anchor != nullptr) {
      auto& slot = anchors_[reinterpret_cast<const char*>(anchor)];
      slot.first = out;
      slot.second = count_nodes(out);
    }
    return ok();
  }

  // decode.go merge: a mapping (or an alias of one) is applied in place; a list of them from the
  // last to the first, so that the first wins; anything else fails ("map merge requires map or
  // sequence of maps as the value").
  void merge(GoNode& into, GoNode value, size_t key_offset) {
    const auto bad = [&] {
      error(key_offset, "a merge key \"<<\" needs a mapping or a list of mappings");
    };
    if (value.kind == GoNode::Kind::kMap) {
      for (auto& m : value.members) into.members.push_back(std::move(m));
    } else if (value.kind == GoNode::Kind::kSeq) {
      for (auto it = value.items.rbegin(); it != value.items.rend(); ++it) {
        if (it->kind != GoNode::Kind::kMap) return bad();
      }
      for (auto it = value.items.rbegin(); it != value.items.rend(); ++it) {
        for (auto& m : it->members) into.members.push_back(std::move(m));
      }
    } else {
      bad();
    }
  }

  yaml::detail::LibyamlParser parser_;
  yaml::detail::MarkOffsets offsets_;
  std::unordered_map<std::string, std::pair<GoNode, size_t>> anchors_;  // node, its node count
  size_t decoded_ = 0;
  size_t aliased_ = 0;
};

// The member encoding/json assigns to the struct field `name`: keys equal to it ignoring case
// (Go folds case; ASCII here), the greatest key in byte order (json.Marshal sorts the keys of the
// map, and every match overwrites the field in turn), of which the last written (yaml.v2).
struct Field {
  const Member* member = nullptr;
  bool exact = true;  // the key is spelled `name`
  explicit operator bool() const { return member != nullptr; }
  const GoNode& value() const { return member->value; }
};

Field field(const GoNode* map, std::string_view name) {
  Field f;
  if (map == nullptr || map->kind != GoNode::Kind::kMap) return f;
  for (const auto& m : map->members) {
    if (!ascii_iequals(m.key, name)) continue;
    if (f.member == nullptr || m.key >= f.member->key) f.member = &m;
  }
  if (f.member) f.exact = f.member->key == name;
  return f;
}

// "a number", "a boolean", ... : what the node is to Dex, for messages.
std::string_view kind_name(const GoNode& n) {
  switch (n.kind) {
    case GoNode::Kind::kNull:
      return "null";
    case GoNode::Kind::kBool:
      return "a boolean";
    case GoNode::Kind::kInt:
    case GoNode::Kind::kFloat:
      return "a number";
    case GoNode::Kind::kString:
      return "a string";
    case GoNode::Kind::kSeq:
      return "a list";
    case GoNode::Kind::kMap:
      return "a mapping";
  }
  return "a value";
}

bool is_scalar_non_string(const GoNode& n) {
  return n.kind == GoNode::Kind::kBool || n.kind == GoNode::Kind::kInt ||
         n.kind == GoNode::Kind::kFloat;
}

// A string field below a type with its own UnmarshalJSON: a string, or null ("").
std::optional<std::string_view> json_string(const Field& f) {
  if (!f || f.value().kind == GoNode::Kind::kNull) return std::string_view();
  if (f.value().kind == GoNode::Kind::kString) return std::string_view(f.value().text);
  return std::nullopt;
}

// A string field of Config's own structs: numbers and booleans become strings (ghodss/yaml
// convertToJSONableObject; the number's text is used, which ghodss re-formats, e.g. 0x10 -> "16").
std::optional<std::string> coerced_string(const Field& f) {
  if (!f || f.value().kind == GoNode::Kind::kNull) return std::string();
  const GoNode& n = f.value();
  if (n.kind == GoNode::Kind::kString) return n.text;
  if (n.kind == GoNode::Kind::kBool) return std::string(n.boolean ? "true" : "false");
  if (n.kind == GoNode::Kind::kFloat) {
    // strconv.FormatFloat(v, 'g', -1, 32): `tlsMinVersion: 1.20` is "1.2" to Dex.
    char buf[64];
    std::string digits = without_underscores(n.text);
    if (!digits.empty() && digits[0] == '+') digits.erase(0, 1);
    double d = 0;
    auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), d);
    if (parsed.ec != std::errc()) return n.text;  // .inf, .nan: not a version string anyway
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<float>(d));
    if (ec == std::errc()) return std::string(buf, ptr);
    return n.text;
  }
  if (n.kind == GoNode::Kind::kInt) return n.text;
  return std::nullopt;
}

std::string shorten(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return std::string(s.substr(0, cut)) + "...";
}

class Checker {
 public:
  explicit Checker(const DexConfig& config) : config_(config), text_(config.text()) {
    for (size_t i = text_.find('\n'); i != std::string_view::npos; i = text_.find('\n', i + 1))
      newlines_.push_back(i);
  }

  std::vector<ConfigProblem> run() {
    Loader loader(text_);
    auto root = loader.run();
    if (!root) {  // DexConfig::parse accepted the text, so libyaml should too
      add(Severity::kFatal, std::nullopt, 0, "",
          "config.yaml does not parse as YAML (" + root.error().message + ")");
      return std::move(problems_);
    }
    for (const auto& e : loader.errors) {
      add(Severity::kFatal, std::nullopt, line_of(e.offset), "",
          e.message + ": Dex cannot load config.yaml and exits at startup; rewrite that part");
    }
    if (loader.aborted && loader.errors.empty()) {
      add(Severity::kWarning, std::nullopt, 0, "",
          "config.yaml is too large to check completely (over 1,000,000 YAML nodes)");
    }
    if (root->kind != GoNode::Kind::kMap && root->kind != GoNode::Kind::kNull) {
      add(Severity::kFatal, std::nullopt, 1, "",
          "config.yaml is not a mapping: Dex cannot load it and exits at startup");
    } else {
      root_ = &*root;
      check_static_passwords();
      check_top_level();
    }
    std::stable_sort(problems_.begin(), problems_.end(),
                     [](const ConfigProblem& a, const ConfigProblem& b) {
                       if (a.severity != b.severity) return a.severity < b.severity;
                       return a.line < b.line;
                     });
    return std::move(problems_);
  }

 private:
  size_t line_of(size_t offset) const {
    return 1 + static_cast<size_t>(std::lower_bound(newlines_.begin(), newlines_.end(), offset) -
                                   newlines_.begin());
  }

  size_t key_line(const Field& f) const { return f ? line_of(f.member->key_offset) : 0; }

  void add(Severity s, std::optional<size_t> entry, size_t line, std::string email,
           std::string message) {
    problems_.push_back({s, entry, line, std::move(email), std::move(message)});
  }

  // ---- staticPasswords ----------------------------------------------------------------------

  struct EntryInfo {
    bool loaded = false;     // no field of the wrong type: Dex reads the entry
    std::string_view email;  // as Dex reads it (into the tree)
    bool email_ok = false;
    std::string_view user_id;
    bool user_id_ok = false;
    size_t line = 0;
  };

  std::string entry_name(size_t i) const {
    const auto& e = entries_[i];
    if (e.email_ok && !e.email.empty()) return "staticPasswords entry " + std::string(e.email);
    return "staticPasswords entry " + std::to_string(i + 1) + " (line " + std::to_string(e.line) +
           ")";
  }

  std::string entry_email(size_t i) const {
    if (entries_[i].email_ok) return std::string(entries_[i].email);
    return entries_match_ ? config_.static_passwords()[i].email : std::string();
  }

  void entry_problem(Severity s, size_t i, size_t line, std::string message) {
    add(s, entries_match_ ? std::optional<size_t>(i) : std::nullopt, line ? line : entries_[i].line,
        entry_email(i), std::move(message));
  }

  void check_static_passwords() {
    const Field list = field(root_, "staticPasswords");
    if (!list || list.value().kind != GoNode::Kind::kSeq) return;
    const auto& items = list.value().items;
    const auto& layout = detail::layout_of(config_);
    entries_.resize(items.size());
    // The list Dex reads is DexConfig's unless it is spelled in another case (warned about).
    entries_match_ = list.exact && items.size() == config_.static_passwords().size() &&
                     items.size() == layout.entries.size();
    // First what each entry is to Dex (its email and userID are needed for the messages).
    for (size_t i = 0; i < items.size(); ++i) {
      EntryInfo& info = entries_[i];
      info.line = entries_match_ ? line_of(layout.entries[i].begin) : line_of(items[i].offset);
      const Field email = field(&items[i], "email");
      if (auto v = json_string(email)) {
        info.email = *v;
        info.email_ok = true;
      }
      if (auto v = json_string(field(&items[i], "userID"))) {
        info.user_id = *v;
        info.user_id_ok = true;
      }
    }
    for (size_t i = 0; i < items.size(); ++i) check_entry(i, items[i]);
    check_duplicates();
  }

  // cmd/dex/config.go `func (p *password) UnmarshalJSON`.
  void check_entry(size_t i, const GoNode& e) {
    EntryInfo& info = entries_[i];
    const auto name = [&] { return entry_name(i); };  // only when there is a problem
    if (e.kind != GoNode::Kind::kMap) {
      // null calls UnmarshalJSON too and leaves every field empty: no hash.
      entry_problem(Severity::kFatal, i, 0,
                    name() + " is " + std::string(kind_name(e)) +
                        ", not a mapping: Dex cannot load it and exits at startup; write the "
                        "entry as email/hash/username/userID fields or remove it");
      return;
    }
    bool loaded = true;
    // The data struct UnmarshalJSON decodes into: field, Go type.
    static constexpr std::string_view kStrings[] = {
        "email", "username", "name", "preferredUsername", "userID", "hash", "hashFromEnv"};
    for (const auto& m : e.members) {
      for (std::string_view known : {"email", "username", "name", "preferredUsername", "userID",
                                     "hash", "hashFromEnv", "emailVerified", "groups"}) {
        if (m.key != known && ascii_iequals(m.key, known)) {
          entry_problem(Severity::kWarning, i, line_of(m.key_offset),
                        name() + ": field \"" + m.key + "\" is read by Dex as \"" +
                            std::string(known) +
                            "\" (Go's JSON field matching ignores case), but kftenant and most "
                            "tools do not see it as that field; rename it to \"" +
                            std::string(known) + "\"");
        }
      }
    }
    for (std::string_view key : kStrings) {
      const Field f = field(&e, key);
      if (!f || json_string(f)) continue;
      loaded = false;
      const GoNode& v = f.value();
      const bool secret = key == "hash" || key == "hashFromEnv";
      std::string what = std::string(key) + " is " + std::string(kind_name(v)) + " to Dex";
      std::string fix = "quote the value";
      if (is_scalar_non_string(v) && v.plain) {
        what += secret ? " (unquoted)" : " (unquoted " + shorten(v.text) + ")";
        if (!secret && v.text.find('"') == std::string::npos && v.text.size() <= 40)
          fix = "quote it: " + std::string(key) + ": \"" + v.text + "\"";
      } else if (!is_scalar_non_string(v)) {
        fix = "make it a single string";
      }
      entry_problem(
          Severity::kFatal, i, key_line(f),
          name() + ": " + what + ", and Dex cannot load an entry whose " + std::string(key) +
              " is not a string (\"json: cannot unmarshal\"): it exits at startup; " + fix);
    }
    if (const Field f = field(&e, "emailVerified");
        f && f.value().kind != GoNode::Kind::kNull && f.value().kind != GoNode::Kind::kBool) {
      loaded = false;
      entry_problem(Severity::kFatal, i, key_line(f),
                    name() + ": emailVerified is " + std::string(kind_name(f.value())) +
                        " to Dex, which needs a boolean and exits at startup; write "
                        "emailVerified: true or false, unquoted");
    }
    if (const Field f = field(&e, "groups"); f && f.value().kind != GoNode::Kind::kNull) {
      bool good = f.value().kind == GoNode::Kind::kSeq;
      if (good) {
        for (const auto& g : f.value().items) {
          if (g.kind != GoNode::Kind::kString && g.kind != GoNode::Kind::kNull) good = false;
        }
      }
      if (!good) {
        loaded = false;
        entry_problem(Severity::kFatal, i, key_line(f),
                      name() + ": groups must be a list of strings for Dex (it is " +
                          std::string(kind_name(f.value())) +
                          (f.value().kind == GoNode::Kind::kSeq ? " with a non-string item" : "") +
                          "), else Dex exits at startup; quote every group name");
      }
    }
    info.loaded = loaded;
    if (!loaded) return;

    if (info.email_ok && info.email.empty()) {
      entry_problem(Severity::kWarning, i, 0,
                    name() +
                        " has no email: Dex accepts it (users are keyed by email) and would "
                        "log it in for an empty login name; add an email or remove the entry");
    }
    const Field hash_field = field(&e, "hash");
    const std::string_view hash = *json_string(hash_field);
    const std::string_view from_env = *json_string(field(&e, "hashFromEnv"));
    if (hash.empty()) {
      if (from_env.empty()) {
        entry_problem(Severity::kFatal, i, 0,
                      name() +
                          " has neither hash nor hashFromEnv: Dex fails with \"no password hash "
                          "provided\" and exits at startup; set its password (kftenant user "
                          "passwd) or remove the entry");
      }
      return;  // hashFromEnv alone: the Deployment's environment decides
    }
    const size_t hash_line = key_line(hash_field);
    if (!from_env.empty()) {
      entry_problem(Severity::kWarning, i, hash_line,
                    name() +
                        " sets both hash and hashFromEnv: Dex uses hash and ignores hashFromEnv; "
                        "remove the one that is not meant");
    }
    // A raw bcrypt string, else (backwards compatibility) base64 of one.
    std::string decoded;
    std::string_view bcrypt = hash;
    size_t prefix = 0;
    std::optional<int> cost = go_bcrypt_cost(hash, &prefix);
    bool base64_form = false;
    if (!cost) {
      if (auto bytes = go_std_base64(hash)) {
        decoded = std::move(*bytes);
        cost = go_bcrypt_cost(decoded, &prefix);
        bcrypt = decoded;
        base64_form = true;
      }
    }
    if (!cost) {
      entry_problem(Severity::kFatal, i, hash_line,
                    name() +
                        ": hash is neither a bcrypt hash ($2a$/$2b$/$2y$, a cost 04..31, 60 "
                        "characters) nor base64 of one: Dex fails with \"malformed bcrypt hash\" "
                        "and exits at startup; set the password again (kftenant user passwd)");
      return;
    }
    // Login time: server/server.go passwordDB.Login -> server/api.go checkCost, then
    // bcrypt.CompareHashAndPassword.
    if (*cost < kMinBcryptCost || *cost > kMaxBcryptCost) {
      entry_problem(Severity::kUnusable, i, hash_line,
                    name() + ": the bcrypt cost " + std::to_string(*cost) +
                        (base64_form ? " (of the base64-decoded hash)" : "") + " is outside " +
                        std::to_string(kMinBcryptCost) + ".." + std::to_string(kMaxBcryptCost) +
                        ": Dex starts but refuses every login of this user (HTTP 500 \"Login "
                        "error\" on the form); set the password again with a cost in that range "
                        "(kftenant user passwd)");
      return;
    }
    if (!bcrypt_can_match(bcrypt, prefix)) {
      entry_problem(Severity::kUnusable, i, hash_line,
                    name() +
                        ": hash starts like a bcrypt hash but no password can match it (a "
                        "bcrypt hash is 60 characters, its salt in bcrypt's alphabet): Dex "
                        "starts but every login of this user fails; set the password again "
                        "(kftenant user passwd)");
    }
  }

  // storage/static.go WithStaticPasswords: keyed by strings.ToLower(email), the last wins and each
  // duplicate is logged at ERROR. (ASCII case only here; Go also folds other letters.)
  void check_duplicates() {
    // Groups of entries with equal keys, each in file order: sorted by a hash of the key (no
    // copied strings), then split by real equality inside each run of equal hashes.
    const auto grouped = [&](auto key, bool fold) {
      std::vector<std::pair<uint64_t, size_t>> order;
      for (size_t i = 0; i < entries_.size(); ++i) {
        const std::string_view* k = key(i);
        if (k == nullptr) continue;
        uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
        for (char c : *k)
          h = (h ^ static_cast<unsigned char>(fold ? ascii_lower(c) : c)) * 0x100000001b3ULL;
        order.emplace_back(h, i);
      }
      std::sort(order.begin(), order.end());
      const auto equal = [&](size_t a, size_t b) {
        return fold ? ascii_iequals(*key(a), *key(b)) : *key(a) == *key(b);
      };
      std::vector<std::vector<size_t>> out;
      for (size_t i = 0; i < order.size();) {
        size_t j = i + 1;
        while (j < order.size() && order[j].first == order[i].first) ++j;
        std::vector<bool> taken(j - i, false);
        for (size_t a = i; a < j; ++a) {
          if (taken[a - i]) continue;
          std::vector<size_t> group{order[a].second};
          for (size_t b = a + 1; b < j; ++b) {
            if (!taken[b - i] && equal(order[a].second, order[b].second)) {
              taken[b - i] = true;
              group.push_back(order[b].second);
            }
          }
          out.push_back(std::move(group));
        }
        i = j;
      }
      return out;
    };
    std::vector<bool> effective(entries_.size(), false);
    std::vector<std::vector<size_t>> groups;
    for (auto& group : grouped(
             [&](size_t i) -> const std::string_view* {
               return entries_[i].loaded && entries_[i].email_ok ? &entries_[i].email : nullptr;
             },
             true)) {
      effective[group.back()] = true;
      if (group.size() > 1) groups.push_back(std::move(group));
    }
    std::sort(groups.begin(), groups.end());
    const auto lines = [&](const std::vector<size_t>& group, size_t except) {
      std::string out;
      for (size_t j : group) {
        if (j == except) continue;
        if (!out.empty()) out += ", ";
        out += std::to_string(entries_[j].line);
      }
      return out;
    };
    for (const auto& group : groups) {
      const size_t last = group.back();
      for (size_t i : group) {
        const std::string others = lines(group, i);
        const std::string plural = group.size() > 2 ? "s " : " ";
        std::string message = entry_name(i) + " and the entr" + (group.size() > 2 ? "ies" : "y") +
                              " at line" + plural + others +
                              " have the same email ignoring case: Dex logs \"attempting to "
                              "create StaticPasswords with the same email id\" and ";
        if (i == last) {
          message +=
              "uses this entry, the last one; remove the others or give them their own "
              "emails";
        } else {
          message += "uses only the last one (line " + std::to_string(entries_[last].line) +
                     "), so this entry's password never works; remove it or give it its own "
                     "email";
        }
        entry_problem(Severity::kWarning, i, 0, std::move(message));
      }
    }
    // Entries Dex uses that share a userID: server/server.go Login puts UserID in the identity,
    // and the ID token's `sub` encodes it (with the connector id, "local").
    for (const auto& group : grouped(
             [&](size_t i) -> const std::string_view* {
               return effective[i] && entries_[i].user_id_ok ? &entries_[i].user_id : nullptr;
             },
             false)) {
      if (group.size() < 2) continue;
      const std::string_view user_id = entries_[group[0]].user_id;
      for (size_t i : group) {
        std::string others;
        for (size_t j : group) {
          if (j == i) continue;
          if (!others.empty()) others += ", ";
          others += (entries_[j].email_ok ? std::string(entries_[j].email) : std::string("?")) +
                    " (line " + std::to_string(entries_[j].line) + ")";
        }
        std::string message =
            user_id.empty()
                ? entry_name(i) + " has no userID, like " + others +
                      ": Dex puts the userID in the \"sub\" claim, so these users get the same "
                      "(empty) subject; give each user its own userID"
                : entry_name(i) + " shares userID \"" + shorten(user_id) + "\" with " + others +
                      ": Dex puts the userID in the \"sub\" claim, so these users get the same "
                      "subject; give each user its own userID";
        entry_problem(Severity::kWarning, i, key_line(field(entry_node(i), "userID")),
                      std::move(message));
      }
    }
  }

  const GoNode* entry_node(size_t i) const {
    const Field list = field(root_, "staticPasswords");
    return &list.value().items[i];
  }

  // ---- Top level: Config, Config.Validate and runServe ---------------------------------------

  void fatal(size_t line, std::string message) {
    add(Severity::kFatal, std::nullopt, line, "", std::move(message));
  }

  // A field of Config's own types that must be a mapping (or null, which leaves it empty);
  // `bad` is set when it is something else (reported).
  const GoNode* struct_field(const GoNode* parent, std::string_view name, std::string_view path,
                             bool* bad = nullptr) {
    const Field f = field(parent, name);
    if (!f || f.value().kind == GoNode::Kind::kNull) return nullptr;
    if (f.value().kind != GoNode::Kind::kMap) {
      fatal(key_line(f), std::string(path) + " is " + std::string(kind_name(f.value())) +
                             " to Dex, which needs a mapping there (\"json: cannot unmarshal\") "
                             "and exits at startup");
      if (bad) *bad = true;
      return nullptr;
    }
    return &f.value();
  }

  // A string field of Config's own types (numbers and booleans are turned into strings);
  // nullopt (reported) when it is a list or a mapping.
  std::optional<std::string> config_string(const GoNode* parent, std::string_view name,
                                           std::string_view path) {
    const Field f = field(parent, name);
    auto v = coerced_string(f);
    if (!v) {
      fatal(key_line(f), std::string(path) + " is " + std::string(kind_name(f.value())) +
                             " to Dex, which needs a string there and exits at startup");
    }
    return v;
  }

  // A string field below a type with its own UnmarshalJSON (no number-to-string conversion).
  std::string plain_string(const GoNode* parent, std::string_view name, std::string_view path) {
    const Field f = field(parent, name);
    auto v = json_string(f);  // a view into the tree
    if (!v) {
      fatal(key_line(f), std::string(path) + " is " + std::string(kind_name(f.value())) +
                             " to Dex, which needs a string there (\"json: cannot unmarshal\") "
                             "and exits at startup; quote it");
      return "";
    }
    return std::string(*v);
  }

  bool config_bool(const GoNode* parent, std::string_view name, std::string_view path) {
    const Field f = field(parent, name);
    if (!f || f.value().kind == GoNode::Kind::kNull) return false;
    if (f.value().kind == GoNode::Kind::kBool) return f.value().boolean;
    fatal(key_line(f), std::string(path) + " is " + std::string(kind_name(f.value())) +
                           " to Dex, which needs a boolean there (\"json: cannot unmarshal\") and "
                           "exits at startup; write true or false, unquoted");
    return false;
  }

  void duration(const GoNode* parent, std::string_view name, std::string_view path) {
    const Field f = field(parent, name);
    const std::string v = config_string(parent, name, path).value_or("");
    if (!v.empty() && !go_parse_duration(v)) {
      fatal(key_line(f), std::string(path) + " \"" + shorten(v) +
                             "\" is not a Go duration (e.g. 24h, 10m, 1h30m): Dex exits at "
                             "startup (\"invalid config value\")");
    }
  }

  void check_top_level() {
    const GoNode* root = root_;
    const Field issuer = field(root, "issuer");
    const Field sp = field(root, "staticPasswords");
    const Field db = field(root, "enablePasswordDB");
    // Config's fields (cmd/dex/config.go `type Config`), which Go's JSON matching finds in any
    // case.
    static constexpr std::string_view kConfigFields[] = {
        "issuer",           "storage",        "web",        "telemetry",
        "oauth2",           "grpc",           "expiry",     "logger",
        "frontend",         "signer",         "connectors", "staticClients",
        "enablePasswordDB", "staticPasswords"};
    static const std::vector<Member> kNone;
    for (const auto& m : root ? root->members : kNone) {  // (a reference: no copy of the tree)
      for (std::string_view known : kConfigFields) {
        if (m.key != known && ascii_iequals(m.key, known)) {
          add(Severity::kWarning, std::nullopt, line_of(m.key_offset), "",
              "top-level key \"" + m.key + "\" is read by Dex as \"" + std::string(known) +
                  "\" (Go's JSON field matching ignores case), but kftenant and most tools do "
                  "not see it as that key; rename it to \"" +
                  std::string(known) + "\"");
        }
      }
    }

    // Config.Validate (cmd/dex/config.go), in its order. The `dex serve` flags --web-http-addr,
    // --web-https-addr and --grpc-addr override web.http, web.https and grpc.addr first
    // (applyConfigOverrides); Kubeflow's Deployment passes none.
    if (const auto v = config_string(root, "issuer", "issuer"); v && v->empty()) {
      fatal(key_line(issuer),
            "no issuer: Dex fails with \"no issuer specified in config file\" and exits at "
            "startup; set issuer: to Dex's public URL");
    }
    const bool password_db = config_bool(root, "enablePasswordDB", "enablePasswordDB");
    const size_t entries =
        sp && sp.value().kind == GoNode::Kind::kSeq ? sp.value().items.size() : 0;
    if (!password_db && entries > 0) {
      fatal(db ? key_line(db) : key_line(sp),
            "staticPasswords has " + std::to_string(entries) +
                (entries == 1 ? " entry" : " entries") +
                " but enablePasswordDB is not true: Dex fails with \"cannot specify static "
                "passwords without enabling password db\" and exits at startup; set "
                "enablePasswordDB: true");
    }
    check_storage();
    {
      const size_t line = key_line(field(root, "web"));
      bool bad = false;
      const GoNode* web = struct_field(root, "web", "web", &bad);
      const auto http = config_string(web, "http", "web.http");
      const auto https = config_string(web, "https", "web.https");
      if (!bad && http && https && http->empty() && https->empty()) {
        fatal(line,
              "neither web.http nor web.https is set: Dex fails with \"must supply a "
              "HTTP/HTTPS address to listen on\" and exits at startup; set web.http (e.g. "
              "0.0.0.0:5556)");
      }
      const bool tls = https && !https->empty();
      if (const auto cert = config_string(web, "tlsCert", "web.tlsCert");
          tls && cert && cert->empty())
        fatal(line,
              "web.https without web.tlsCert: Dex fails with \"no cert specified for "
              "HTTPS\" and exits at startup");
      if (const auto key = config_string(web, "tlsKey", "web.tlsKey"); tls && key && key->empty())
        fatal(line,
              "web.https without web.tlsKey: Dex fails with \"no private key specified "
              "for HTTPS\" and exits at startup");
      tls_versions(web, "web", line);
    }
    {
      const size_t line = key_line(field(root, "grpc"));
      const GoNode* grpc = struct_field(root, "grpc", "grpc");
      const std::string addr = config_string(grpc, "addr", "grpc.addr").value_or("");
      const std::string cert = config_string(grpc, "tlsCert", "grpc.tlsCert").value_or("");
      const std::string key = config_string(grpc, "tlsKey", "grpc.tlsKey").value_or("");
      const std::string ca = config_string(grpc, "tlsClientCA", "grpc.tlsClientCA").value_or("");
      if ((!cert.empty() || !key.empty()) && addr.empty())
        fatal(line,
              "grpc.tlsCert/tlsKey without grpc.addr: Dex fails with \"no address "
              "specified for gRPC\" and exits at startup");
      if (cert.empty() != key.empty())
        fatal(line,
              "only one of grpc.tlsCert and grpc.tlsKey is set: Dex fails with \"must "
              "specific both a gRPC TLS cert and key\" and exits at startup");
      if (cert.empty() && !ca.empty())
        fatal(line,
              "grpc.tlsClientCA without grpc.tlsCert: Dex fails with \"cannot specify "
              "gRPC TLS client CA without a gRPC TLS cert\" and exits at startup");
      tls_versions(grpc, "grpc", line);
      (void)config_bool(grpc, "reflection", "grpc.reflection");
    }
    check_logger();
    check_static_clients();
    check_connectors();
    check_signer_and_expiry();
  }

  void tls_versions(const GoNode* parent, std::string_view where, size_t line) {
    const std::string min =
        config_string(parent, "tlsMinVersion", std::string(where) + ".tlsMinVersion").value_or("");
    const std::string max =
        config_string(parent, "tlsMaxVersion", std::string(where) + ".tlsMaxVersion").value_or("");
    for (const auto& [v, name] :
         {std::pair{min, "tlsMinVersion"}, std::pair{max, "tlsMaxVersion"}}) {
      if (!v.empty() && v != "1.2" && v != "1.3") {
        fatal(line, std::string(where) + "." + name + " \"" + shorten(v) +
                        "\" is not 1.2 or 1.3: Dex fails with \"supported TLS versions are: 1.2, "
                        "1.3\" and exits at startup");
      }
    }
    if (!min.empty() && !max.empty() && min > max) {
      fatal(line, std::string(where) +
                      ".tlsMinVersion is above tlsMaxVersion: Dex fails with "
                      "\"TLSMinVersion greater than TLSMaxVersion\" and exits at "
                      "startup");
    }
  }

  // cmd/dex/config.go `func (s *Storage) UnmarshalJSON` (called for null too) and Validate.
  void check_storage() {
    const Field f = field(root_, "storage");
    if (!f) {
      fatal(0,
            "no storage: Dex fails with \"no storage supplied in config file\" and exits at "
            "startup; Kubeflow uses storage: {type: kubernetes, config: {inCluster: true}}");
      return;
    }
    const GoNode& s = f.value();
    if (s.kind != GoNode::Kind::kMap && s.kind != GoNode::Kind::kNull) {
      fatal(key_line(f), "storage is " + std::string(kind_name(s)) +
                             " to Dex, which needs a mapping (\"parse storage\") and exits at "
                             "startup");
      return;
    }
    const std::string type = plain_string(&s, "type", "storage.type");
    static constexpr std::string_view kTypes[] = {"etcd",    "kubernetes", "memory",
                                                  "sqlite3", "postgres",   "mysql"};
    if (std::find(std::begin(kTypes), std::end(kTypes), type) == std::end(kTypes)) {
      fatal(key_line(f), "storage.type \"" + shorten(type) +
                             "\" is not one Dex knows (etcd, kubernetes, memory, sqlite3, "
                             "postgres, mysql): Dex fails with \"unknown storage type\" and exits "
                             "at startup");
    }
    raw_config(&s, "storage.config");
  }

  // A `config` that Dex unmarshals into map[string]interface{} for environment expansion
  // (DEX_EXPAND_ENV, on by default): a mapping or null.
  void raw_config(const GoNode* parent, std::string_view path) {
    const Field c = field(parent, "config");
    if (c && c.value().kind != GoNode::Kind::kMap && c.value().kind != GoNode::Kind::kNull) {
      fatal(key_line(c), std::string(path) + " is " + std::string(kind_name(c.value())) +
                             " to Dex, which needs a mapping there and exits at startup");
    }
  }

  // cmd/dex/config.go Logger: Level is a log/slog Level (its UnmarshalJSON wants a string, even
  // for null), Format is checked by cmd/dex/logger.go newLogger.
  void check_logger() {
    const GoNode* logger = struct_field(root_, "logger", "logger");
    if (logger == nullptr) return;
    if (const Field level = field(logger, "level")) {
      const GoNode& v = level.value();
      if (v.kind != GoNode::Kind::kString || !go_slog_level(v.text)) {
        fatal(key_line(level),
              "logger.level is not one of debug, info, warn, error (as a string): Dex fails "
              "to read it and exits at startup");
      }
    }
    const std::string format =
        ascii_lower(config_string(logger, "format", "logger.format").value_or(""));
    if (!format.empty() && format != "text" && format != "json") {
      fatal(key_line(field(logger, "format")),
            "logger.format \"" + shorten(format) +
                "\" is not text or json: Dex fails with \"log format is not one of the "
                "supported values\" and exits at startup");
    }
  }

  // cmd/dex/serve.go runServe, after opening the storage (storage.Client: no UnmarshalJSON).
  void check_static_clients() {
    const Field f = field(root_, "staticClients");
    if (!f || f.value().kind == GoNode::Kind::kNull) return;
    if (f.value().kind != GoNode::Kind::kSeq) {
      fatal(key_line(f), "staticClients is " + std::string(kind_name(f.value())) +
                             " to Dex, which needs a list and exits at startup");
      return;
    }
    const auto& clients = f.value().items;
    for (size_t i = 0; i < clients.size(); ++i) {
      const GoNode& c = clients[i];
      const size_t line = line_of(c.offset);
      const std::string where = "staticClients entry " + std::to_string(i + 1);
      if (c.kind != GoNode::Kind::kMap && c.kind != GoNode::Kind::kNull) {
        fatal(line, where + " is " + std::string(kind_name(c)) +
                        " to Dex, which needs a mapping and exits at startup");
        continue;
      }
      const GoNode* m = c.kind == GoNode::Kind::kMap ? &c : nullptr;
      const auto name = config_string(m, "name", where + " name");
      const auto id = config_string(m, "id", where + " id");
      const auto id_env = config_string(m, "idEnv", where + " idEnv");
      const auto secret = config_string(m, "secret", where + " secret");
      const auto secret_env = config_string(m, "secretEnv", where + " secretEnv");
      if (!name || !id || !id_env || !secret || !secret_env) continue;  // reported
      const bool is_public = config_bool(m, "public", where + " public");
      const auto bad = [&](std::string_view dex_says) {
        fatal(line, where + ": Dex fails with \"invalid config: " + std::string(dex_says) +
                        "\" and exits at startup");
      };
      if (name->empty()) {
        bad("Name field is required for a client");
      } else if (id->empty() && id_env->empty()) {
        bad("ID or IDEnv field is required for a client");
      } else if (!id_env->empty() && !id->empty()) {
        bad("ID and IDEnv fields are exclusive for client");
      } else if (secret->empty() && secret_env->empty() && !is_public) {
        bad("Secret or SecretEnv field is required for client");
      } else if (!secret_env->empty() && !secret->empty()) {
        bad("Secret and SecretEnv fields are exclusive for client");
      }
    }
  }

  // cmd/dex/config.go `func (c *Connector) UnmarshalJSON` (server/server.go ConnectorsConfig)
  // and runServe's "ID, Type and Name fields are required for a connector".
  void check_connectors() {
    const Field f = field(root_, "connectors");
    if (!f || f.value().kind == GoNode::Kind::kNull) return;
    if (f.value().kind != GoNode::Kind::kSeq) {
      fatal(key_line(f), "connectors is " + std::string(kind_name(f.value())) +
                             " to Dex, which needs a list and exits at startup");
      return;
    }
    static constexpr std::string_view kTypes[] = {
        "keystone",  "mockCallback",    "mockPassword",    "ldap",      "gitea",
        "github",    "gitlab",          "google",          "oidc",      "oauth",
        "saml",      "authproxy",       "linkedin",        "microsoft", "bitbucket-cloud",
        "openshift", "atlassian-crowd", "samlExperimental"};
    const auto& connectors = f.value().items;
    for (size_t i = 0; i < connectors.size(); ++i) {
      const GoNode& c = connectors[i];
      const size_t line = line_of(c.offset);
      const std::string where = "connectors entry " + std::to_string(i + 1);
      if (c.kind != GoNode::Kind::kMap && c.kind != GoNode::Kind::kNull) {
        fatal(line, where + " is " + std::string(kind_name(c)) +
                        " to Dex, which needs a mapping and exits at startup");
        continue;
      }
      const GoNode* m = c.kind == GoNode::Kind::kMap ? &c : nullptr;
      const std::string type = plain_string(m, "type", where + " type");
      const std::string id = plain_string(m, "id", where + " id");
      const std::string name = plain_string(m, "name", where + " name");
      if (std::find(std::begin(kTypes), std::end(kTypes), type) == std::end(kTypes)) {
        fatal(line, where + ": type \"" + shorten(type) +
                        "\" is not a connector type Dex knows: it fails with \"unknown "
                        "connector type\" and exits at startup");
        continue;
      }
      raw_config(m, where + " config");
      if (id.empty() || name.empty()) {
        fatal(line, where +
                        ": Dex fails with \"invalid config: ID, Type and Name fields are "
                        "required for a connector\" and exits at startup");
      }
    }
  }

  // cmd/dex/config.go `func (s *Signer) UnmarshalJSON` (called for null too), runServe's signer
  // switch and expiry durations, server/signer/local.go LocalConfig.Open,
  // server/refreshhandlers.go NewRefreshTokenPolicy.
  void check_signer_and_expiry() {
    const GoNode* expiry = struct_field(root_, "expiry", "expiry");
    if (const Field f = field(root_, "signer")) {
      const GoNode& s = f.value();
      if (s.kind != GoNode::Kind::kMap && s.kind != GoNode::Kind::kNull) {
        fatal(key_line(f), "signer is " + std::string(kind_name(s)) +
                               " to Dex, which needs a mapping (\"parse signer\") and exits at "
                               "startup");
      } else {
        const GoNode* m = s.kind == GoNode::Kind::kMap ? &s : nullptr;
        const std::string type = plain_string(m, "type", "signer.type");
        if (type != "local" && type != "vault") {
          fatal(key_line(f), "signer.type \"" + shorten(type) +
                                 "\" is not local or vault: Dex fails with \"unknown signer "
                                 "type\" and exits at startup (leave signer out for the default)");
        } else {
          raw_config(m, "signer.config");
          const Field config = field(m, "config");
          if (type == "local") {
            const GoNode* c =
                config && config.value().kind == GoNode::Kind::kMap ? &config.value() : nullptr;
            const std::string period =
                plain_string(c, "keysRotationPeriod", "signer.config.keysRotationPeriod");
            if (period.empty()) {
              fatal(key_line(f),
                    "signer.config.keysRotationPeriod is not set: Dex fails with "
                    "\"signer.config.keysRotationPeriod must be specified\" and "
                    "exits at startup");
            } else if (!go_parse_duration(period)) {
              fatal(key_line(f), "signer.config.keysRotationPeriod \"" + shorten(period) +
                                     "\" is not a Go duration (e.g. 6h): Dex exits at startup");
            }
          }
        }
      }
    } else {
      duration(expiry, "signingKeys", "expiry.signingKeys");  // the default local signer's period
    }
    duration(expiry, "idTokens", "expiry.idTokens");
    duration(expiry, "authRequests", "expiry.authRequests");
    duration(expiry, "deviceRequests", "expiry.deviceRequests");
    if (const GoNode* refresh = struct_field(expiry, "refreshTokens", "expiry.refreshTokens")) {
      duration(refresh, "validIfNotUsedFor", "expiry.refreshTokens.validIfNotUsedFor");
      duration(refresh, "absoluteLifetime", "expiry.refreshTokens.absoluteLifetime");
      duration(refresh, "reuseInterval", "expiry.refreshTokens.reuseInterval");
      (void)config_bool(refresh, "disableRotation", "expiry.refreshTokens.disableRotation");
    }
  }

  const DexConfig& config_;
  std::string_view text_;
  std::vector<size_t> newlines_;
  const GoNode* root_ = nullptr;
  std::vector<EntryInfo> entries_;
  bool entries_match_ = false;  // entries_[i] is config_.static_passwords()[i]
  std::vector<ConfigProblem> problems_;
};

}  // namespace

std::vector<ConfigProblem> check_dex_config(const DexConfig& config) {
  return Checker(config).run();
}

bool has_fatal(const std::vector<ConfigProblem>& problems) {
  return std::any_of(problems.begin(), problems.end(), [](const ConfigProblem& p) {
    return p.severity == ConfigProblem::Severity::kFatal;
  });
}

std::string_view severity_name(ConfigProblem::Severity severity) {
  switch (severity) {
    case ConfigProblem::Severity::kFatal:
      return "fatal";
    case ConfigProblem::Severity::kUnusable:
      return "unusable";
    case ConfigProblem::Severity::kWarning:
      return "warning";
  }
  return "problem";
}

std::string describe(const ConfigProblem& problem, std::string_view source) {
  std::string out(source);
  if (problem.line > 0) out += " line " + std::to_string(problem.line);
  out += ": ";
  out += severity_name(problem.severity);
  out += ": ";
  out += problem.message;
  return out;
}

}  // namespace kftenant::dex
