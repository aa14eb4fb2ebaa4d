#include "yaml/scalar.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <regex>

namespace kftenant::yaml::detail {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool all_of(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_oct(char c) {
  return c >= '0' && c <= '7';
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?  (YAML 1.2 core schema float)
bool is_float_syntax(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++int_digits;
  size_t frac_digits = 0;
  bool dot = false;
  if (i < s.size() && s[i] == '.') {
    dot = true;
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && (!dot || frac_digits == 0)) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

nlohmann::json parse_double(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  double d = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves d untouched on overflow; YAML readers give +-inf (or 0 on underflow).
    bool neg = !s.empty() && s[0] == '-';
    size_t e = s.find_first_of("eE");
    bool big = e == std::string_view::npos || s[e + 1] != '-';
    d = big ? (neg ? -INFINITY : INFINITY) : (neg ? -0.0 : 0.0);
  } else if (ec != std::errc() || ptr != s.data() + s.size()) {
    return std::string(s);
  }
  return d;
}

template <typename T>
bool parse_uint(std::string_view digits, int base, T& out) {
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out, base);
  return ec == std::errc() && ptr == digits.data() + digits.size();
}

// Go's strconv lower(): ASCII letters to lower case (other bytes land outside 'a'..'z').
char go_lower(char c) {
  return static_cast<char>(c | ('x' - 'X'));
}

// strconv.ParseUint(s, 0, 64) succeeds (Go 1.25 atoi.go): base prefixes 0b 0o 0x (any case), a
// leading 0 is octal, no sign, no overflow. (yaml.v2 removes underscores before calling it.)
bool go_parse_uint_base0(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  uint64_t base = 10;
  if (s[0] == '0') {
    if (s.size() >= 3 && go_lower(s[1]) == 'b') {
      base = 2;
      s.remove_prefix(2);
    } else if (s.size() >= 3 && go_lower(s[1]) == 'o') {
      base = 8;
      s.remove_prefix(2);
    } else if (s.size() >= 3 && go_lower(s[1]) == 'x') {
      base = 16;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  uint64_t n = 0;
  for (char c : s) {
    uint64_t d = 0;
    if (is_digit(c)) {
      d = static_cast<uint64_t>(c - '0');
    } else if (go_lower(c) >= 'a' && go_lower(c) <= 'z') {
      d = static_cast<uint64_t>(go_lower(c) - 'a' + 10);
    } else {
      return false;
    }
    if (d >= base) return false;
    if (n > (std::numeric_limits<uint64_t>::max() - d) / base) return false;  // ErrRange
    n = n * base + d;
  }
  out = n;
  return true;
}

// strconv.ParseInt(s, 0, 64) succeeds: an optional sign, then ParseUint, within int64.
bool go_parse_int_base0(std::string_view s) {
  if (s.empty()) return false;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t u = 0;
  if (!go_parse_uint_base0(s, u)) return false;
  const uint64_t cutoff = uint64_t{1} << 63;
  return neg ? u <= cutoff : u < cutoff;
}

// Whether strconv.ParseFloat(s, 64) of a decimal float (is_float_syntax) fails with ErrRange:
// Go reports overflow only (an underflow quietly gives 0 or a denormal).
bool go_float_overflows(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  double d = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc::result_out_of_range) return false;
  // Out of range either way: the decimal exponent of the first significant digit decides.
  size_t i = s[0] == '-' ? 1 : 0;
  int64_t lead = 0;  // digits before the point, counted from the first significant one
  bool found = false;
  int64_t frac_zeros = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    if (s[i] != '0') found = true;
    if (found) ++lead;
  }
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && is_digit(s[i]); ++i) {
      if (found) continue;
      if (s[i] != '0') {
        found = true;
      } else {
        ++frac_zeros;
      }
    }
  }
  int64_t exp = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    auto r =
        std::from_chars(s.data() + i + 1 + (s[i + 1] == '+' ? 1 : 0), s.data() + s.size(), exp);
    if (r.ec == std::errc::result_out_of_range) exp = s[i + 1] == '-' ? -1000000 : 1000000;
  }
  const int64_t e10 = (lead > 0 ? lead - 1 : -(frac_zeros + 1)) + exp;
  return found && e10 > 0;
}

// Go's strconv underscoreOK: underscores only between digits (or after a base prefix).
bool go_underscore_ok(std::string_view s) {
  char saw = '^';
  size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' &&
      (go_lower(s[1]) == 'b' || go_lower(s[1]) == 'o' || go_lower(s[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = go_lower(s[1]) == 'x';
  }
  for (; i < s.size(); ++i) {
    if (is_digit(s[i]) || (hex && go_lower(s[i]) >= 'a' && go_lower(s[i]) <= 'f')) {
      saw = '0';
      continue;
    }
    if (s[i] == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

std::string without_underscores(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != '_') out += c;
  }
  return out;
}

}  // namespace

GoYamlScalar resolve_plain_go_yaml_v2(std::string_view s) {
  using T = GoYamlType;
  // resolveMap (looked up only when the first byte has a hint, which all of these have).
  static constexpr std::string_view kTrue[] = {"y",  "Y",  "yes",  "Yes",  "YES", "on",
                                               "On", "ON", "true", "True", "TRUE"};
  static constexpr std::string_view kFalse[] = {"n",   "N",   "no",    "No",    "NO",   "off",
                                                "Off", "OFF", "false", "False", "FALSE"};
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return {T::kNull};
  const char c = s[0];
  // resolveTable: only these first bytes can start anything but a string.
  if (std::string_view("yYnNtTfFoO~+-.0123456789").find(c) == std::string_view::npos)
    return {T::kString};
  for (auto w : kTrue) {
    if (s == w) return {T::kBool, true};
  }
  for (auto w : kFalse) {
    if (s == w) return {T::kBool, false};
  }
  std::string_view unsigned_part = s;
  if (s[0] == '+' || s[0] == '-') unsigned_part.remove_prefix(1);
  if (unsigned_part == ".inf" || unsigned_part == ".Inf" || unsigned_part == ".INF")
    return {T::kFloat};
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return {T::kFloat};
  if (c == '.') {
    // strconv.ParseFloat(in, 64) on the text as written (underscores between digits allowed).
    if (s.find('_') != std::string_view::npos && !go_underscore_ok(s)) return {T::kString};
    const std::string plain = without_underscores(s);
    if (is_float_syntax(plain) && !go_float_overflows(plain)) return {T::kFloat};
    return {T::kString};
  }
  if (!(is_digit(c) || c == '+' || c == '-')) return {T::kString};
  // Timestamps (4 digits then '-') stay strings in interface{}, and no such text is a number.
  const std::string plain = without_underscores(s);
  if (go_parse_int_base0(plain)) return {T::kInt};
  uint64_t u = 0;
  if (go_parse_uint_base0(plain, u)) return {T::kInt};
  if (is_float_syntax(plain) && !go_float_overflows(plain)) return {T::kFloat};
  return {T::kString};
}

nlohmann::json resolve_plain(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  char c = s[0];
  if (!(is_digit(c) || c == '-' || c == '+' || c == '.')) return std::string(s);

  if (s.size() > 2 && s[0] == '0' && s[1] == 'x' && all_of(s.substr(2), is_hex)) {
    uint64_t u = 0;
    if (parse_uint(s.substr(2), 16, u)) {
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return static_cast<int64_t>(u);
      return u;
    }
    return std::string(s);  // does not fit: keep the text rather than lose precision
  }
  if (s.size() > 2 && s[0] == '0' && s[1] == 'o' && all_of(s.substr(2), is_oct)) {
    uint64_t u = 0;
    if (parse_uint(s.substr(2), 8, u)) {
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return static_cast<int64_t>(u);
      return u;
    }
    return std::string(s);
  }
  {
    std::string_view digits = s;
    bool neg = false;
    if (digits[0] == '-' || digits[0] == '+') {
      neg = digits[0] == '-';
      digits.remove_prefix(1);
    }
    if (all_of(digits, is_digit)) {
      if (neg) {
        int64_t v = 0;
        std::string_view with_sign = s[0] == '-' ? s : digits;
        auto [ptr, ec] = std::from_chars(with_sign.data(), with_sign.data() + with_sign.size(), v);
        if (ec == std::errc() && ptr == with_sign.data() + with_sign.size()) return v;
      } else {
        uint64_t u = 0;
        if (parse_uint(digits, 10, u)) {
          if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            return static_cast<int64_t>(u);
          return u;
        }
      }
      return parse_double(s);  // too large for 64 bits: a float, as go-yaml does
    }
  }
  std::string_view rest = s;
  bool neg = false;
  if (rest[0] == '-' || rest[0] == '+') {
    neg = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest == ".inf" || rest == ".Inf" || rest == ".INF") {
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::numeric_limits<double>::quiet_NaN();
  if (is_float_syntax(s)) return parse_double(s);
  return std::string(s);
}

std::string format_double(double d) {
  if (std::isnan(d)) return ".nan";
  if (std::isinf(d)) return d > 0 ? ".inf" : "-.inf";
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, ec == std::errc() ? ptr : buf);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

bool yaml11_bool(std::string_view s) {
  // YAML 1.1 booleans: we read them as strings, but other readers (go-yaml v2, PyYAML) do not.
  static constexpr std::string_view kWords[] = {"y",  "Y",   "yes", "Yes", "YES", "n",
                                                "N",  "no",  "No",  "NO",  "on",  "On",
                                                "ON", "off", "Off", "OFF"};
  for (auto w : kWords) {
    if (s == w) return true;
  }
  return false;
}

// U+0085, U+2028, U+2029 are line breaks to a YAML 1.1 reader and U+FEFF a byte order mark: only an
// escape in double quotes keeps them.
bool has_unicode_specials(std::string_view s) {
  return s.find("\xc2\x85") != std::string_view::npos ||
         s.find("\xe2\x80\xa8") != std::string_view::npos ||
         s.find("\xe2\x80\xa9") != std::string_view::npos ||
         s.find("\xef\xbb\xbf") != std::string_view::npos;
}

// YAML 1.1 timestamps (https://yaml.org/type/timestamp.html): go-yaml quotes such strings (yaml.v2
// resolve.go parseTimestamp), so `creationTimestamp: "2026-01-01T00:00:00Z"` as in the real
// server's YAML; other readers would turn them into dates.
bool yaml11_timestamp(std::string_view s) {
  static const std::regex kTimestamp(
      "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
      "(([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\\.[0-9]*)?"
      "([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?");
  if (s.size() < 8 || s.size() > 64 || s[0] < '0' || s[0] > '9') return false;
  return std::regex_match(s.begin(), s.end(), kTimestamp);
}

// Whether `s` can be written as a plain scalar in block context and read back as this string.
bool plain_safe(std::string_view s) {
  if (s.empty() || s == "<<" || yaml11_bool(s) || yaml11_timestamp(s) || has_unicode_specials(s))
    return false;
  if (!detail::resolve_plain(s).is_string()) return false;
  if (resolve_plain_go_yaml_v2(s).type != GoYamlType::kString) return false;
  char first = s.front(), last = s.back();
  if (first == ' ' || first == '\t' || last == ' ' || last == '\t' || last == ':') return false;
  if (std::string_view("#,[]{}&*!|>'\"%@`").find(first) != std::string_view::npos) return false;
  if (first == '-' || first == '?' || first == ':') {
    if (s.size() == 1 || s[1] == ' ' || s.substr(0, 3) == "---") return false;
  }
  if (s.substr(0, 3) == "...") return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;  // control characters (incl. line breaks)
    if (c == ':' && i + 1 < s.size() && (s[i + 1] == ' ' || s[i + 1] == '\t')) return false;
    if (c == '#' && i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t')) return false;
  }
  return true;
}

std::string key_string(const nlohmann::json& k) {
  if (k.is_string()) return k.get<std::string>();
  if (k.is_null()) return "null";
  if (k.is_number_float()) return format_double(k.get<double>());
  return k.dump();  // bool, integers
}

}  // namespace kftenant::yaml::detail
