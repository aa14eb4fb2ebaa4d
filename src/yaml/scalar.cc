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

}  // namespace

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
