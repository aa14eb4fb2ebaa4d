// Port of parseQuantityString/ParseQuantity from
// kubernetes/apimachinery pkg/api/resource/quantity.go and suffixHandler.interpret from
// pkg/api/resource/suffix.go. Quirks kept on purpose: "1." and ".5" are numbers, a bare sign
// ("+", "-") parses as zero, "1.G" is accepted.
#include "kftenant/kube/quantity.h"

#include <cmath>
#include <limits>

namespace kftenant::kube {

namespace {

constexpr std::string_view kFormatWrong =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr std::string_view kSuffixWrong = "unable to parse quantity's suffix";

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

struct Scanned {
  bool positive = true;
  std::string_view num;
  std::string_view denom;
  std::string_view suffix;
};

// parseQuantityString; nullopt = ErrFormatWrong.
std::optional<Scanned> scan(std::string_view str) {
  Scanned out;
  size_t pos = 0;
  const size_t end = str.size();
  if (pos < end) {
    if (str[0] == '-') {
      out.positive = false;
      ++pos;
    } else if (str[0] == '+') {
      ++pos;
    }
  }
  while (pos < end && str[pos] == '0') ++pos;  // leading zeros
  if (pos >= end) {
    out.num = "0";
    return out;
  }
  size_t i = pos;
  while (i < end && is_digit(str[i])) ++i;
  out.num = str.substr(pos, i - pos);
  if (out.num.empty()) out.num = "0";
  pos = i;
  if (pos >= end) return out;
  if (str[pos] == '.') {
    ++pos;
    i = pos;
    while (i < end && is_digit(str[i])) ++i;
    out.denom = str.substr(pos, i - pos);
    pos = i;
    if (pos >= end) return out;
  }
  const size_t suffix_start = pos;
  constexpr std::string_view kSuffixChars = "eEinumkKMGTP";
  while (pos < end && kSuffixChars.find(str[pos]) != std::string_view::npos) ++pos;
  if (pos >= end) {
    out.suffix = str.substr(suffix_start);
    return out;
  }
  if (str[pos] == '-' || str[pos] == '+') ++pos;
  while (pos < end && is_digit(str[pos])) ++pos;
  if (pos < end) return std::nullopt;  // a non-digit after the exponent
  out.suffix = str.substr(suffix_start);
  return out;
}

struct Interpreted {
  int base;
  int64_t exponent;
  QuantityFormat format;
};

// strconv.ParseInt(s, 10, 64).
std::optional<int64_t> parse_int64(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  __int128 v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
    if (v > static_cast<__int128>(std::numeric_limits<int64_t>::max()) + 1) return std::nullopt;
  }
  if (neg) v = -v;
  if (v > std::numeric_limits<int64_t>::max() || v < std::numeric_limits<int64_t>::min())
    return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<Interpreted> interpret(std::string_view s) {
  struct Entry {
    std::string_view suffix;
    int base;
    int exponent;
  };
  static constexpr Entry kDecimal[] = {{"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"", 10, 0},
                                       {"k", 10, 3},  {"M", 10, 6},  {"G", 10, 9},  {"T", 10, 12},
                                       {"P", 10, 15}, {"E", 10, 18}};
  static constexpr Entry kBinary[] = {{"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30},
                                      {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60}};
  for (const auto& e : kDecimal)
    if (e.suffix == s) return Interpreted{e.base, e.exponent, QuantityFormat::kDecimalSI};
  for (const auto& e : kBinary)
    if (e.suffix == s) return Interpreted{e.base, e.exponent, QuantityFormat::kBinarySI};
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    auto exp = parse_int64(s.substr(1));
    if (!exp) return std::nullopt;
    // Go truncates the exponent to int32.
    return Interpreted{10, static_cast<int32_t>(*exp), QuantityFormat::kDecimalExponent};
  }
  return std::nullopt;
}

}  // namespace

Result<Quantity> parse_quantity(std::string_view text) {
  if (text.empty()) return make_error(ErrorCode::kInvalidArgument, std::string(kFormatWrong));
  auto scanned = scan(text);
  if (!scanned) return make_error(ErrorCode::kInvalidArgument, std::string(kFormatWrong));
  auto suffix = interpret(scanned->suffix);
  if (!suffix) return make_error(ErrorCode::kInvalidArgument, std::string(kSuffixWrong));
  Quantity q;
  q.negative = !scanned->positive;
  q.integer_digits = std::string(scanned->num);
  q.fraction_digits = std::string(scanned->denom);
  q.base = suffix->base;
  q.exponent = suffix->exponent;
  q.format = suffix->format;
  return q;
}

bool is_valid_quantity(std::string_view text) {
  return parse_quantity(text).has_value();
}

long double Quantity::approximate_value() const {
  long double v = 0;
  for (char c : integer_digits) v = v * 10 + (c - '0');
  long double scale = 0.1L;
  for (char c : fraction_digits) {
    v += (c - '0') * scale;
    scale /= 10;
  }
  v *= std::pow(static_cast<long double>(base), static_cast<long double>(exponent));
  return negative ? -v : v;
}

std::optional<int64_t> Quantity::milli_value() const {
  // value × 1000 = digits × base^exponent × 1000 / 10^len(fraction), exact in 128 bits. Dividing
  // step by step with ceiling is exact too: ceil(ceil(a/b)/c) == ceil(a/(b*c)) for a, b, c > 0.
  using i128 = __int128;
  constexpr i128 kLimit = static_cast<i128>(1) << 100;
  i128 v = 0;
  for (char c : integer_digits + fraction_digits) {
    v = v * 10 + (c - '0');
    if (v > kLimit) return std::nullopt;
  }
  if (v == 0) return 0;
  v *= 1000;
  auto ceil_div = [](i128 a, i128 b) { return a / b + (a % b != 0 ? 1 : 0); };
  if (exponent >= 0) {
    for (int64_t i = 0; i < exponent; ++i) {
      v *= base;
      if (v > kLimit) return std::nullopt;
    }
  } else {
    for (int64_t i = 0; i < -exponent && v > 1; ++i) v = ceil_div(v, base);
  }
  for (size_t i = 0; i < fraction_digits.size() && v > 1; ++i) v = ceil_div(v, 10);
  if (v > std::numeric_limits<int64_t>::max()) return std::nullopt;
  return negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
}

}  // namespace kftenant::kube
