#include "kftenant/kube/quantity.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace kftenant::kube {
namespace {

TEST(Quantity, AcceptsTheApiServersGrammar) {
  for (const char* q : {"0",   "1",   "100m", "0.5",  ".5",  "1.", "2Gi",  "5Gi",  "1Ki", "1Ei",
                        "1e3", "1E3", "1e-3", "1e+3", "-1",  "+1", "1.5M", "500u", "3n",  "7k",
                        "1T",  "1P",  "1E",   "012",  "1.G", "+",  "-",    "."}) {
    EXPECT_TRUE(is_valid_quantity(q)) << q;
  }
}

TEST(Quantity, RejectsWithTheApiServersMessages) {
  const std::string format_wrong =
      "quantities must match the regular expression "
      "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
  for (const char* q :
       {"", "1 ", " 1", "1.1.M", "1+1.0M", "aoeu", "2GB", "1KiB", "1e1.5", "1,5", "0.1am"}) {
    auto r = parse_quantity(q);
    ASSERT_FALSE(r.has_value()) << q;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message, format_wrong) << q;
  }
  for (const char* q : {"1K", "1i", "1mi", ".5i", "-3.01i", "1e", "1e-", "1e+", "1Gii", "1kk",
                        "1e99999999999999999999"}) {
    auto r = parse_quantity(q);
    ASSERT_FALSE(r.has_value()) << q;
    EXPECT_EQ(r.error().message, "unable to parse quantity's suffix") << q;
  }
}

TEST(Quantity, Parts) {
  auto q = parse_quantity("-1.50Mi");
  ASSERT_TRUE(q.has_value());
  EXPECT_TRUE(q->negative);
  EXPECT_EQ(q->integer_digits, "1");
  EXPECT_EQ(q->fraction_digits, "50");
  EXPECT_EQ(q->base, 2);
  EXPECT_EQ(q->exponent, 20);
  EXPECT_EQ(q->format, QuantityFormat::kBinarySI);
  auto e = parse_quantity("12e6");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->format, QuantityFormat::kDecimalExponent);
  EXPECT_EQ(e->exponent, 6);
  EXPECT_EQ(parse_quantity("007")->integer_digits, "7");
}

TEST(Quantity, MilliValue) {
  struct Case {
    const char* text;
    int64_t milli;
  } cases[] = {{"0", 0},
               {"1", 1000},
               {"100m", 100},
               {"0.5", 500},
               {"1.5", 1500},
               {"2Ki", 2048000},
               {"1Mi", 1048576000},
               {"1e3", 1000000},
               {"1e-3", 1},
               {"1n", 1},
               {"0.1m", 1},
               {"-1.5", -1500},
               {"-1n", -1},
               {"5Gi", 5368709120000},
               {"1.5k", 1500000},
               {"2", 2000}};
  for (const auto& c : cases) {
    auto q = parse_quantity(c.text);
    ASSERT_TRUE(q.has_value()) << c.text;
    EXPECT_EQ(q->milli_value(), c.milli) << c.text;
  }
  EXPECT_EQ(parse_quantity("10E")->milli_value(), std::nullopt);  // 10^22 milli
  EXPECT_DOUBLE_EQ(static_cast<double>(parse_quantity("1.5Gi")->approximate_value()),
                   1.5 * 1024 * 1024 * 1024);
}

// ---- properties --------------------------------------------------------------------------------

const std::vector<std::string> kSuffixes = {"",  "n", "u",  "m",  "k",  "M",  "G",  "T",
                                            "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};

rc::Gen<std::string> digits(int min) {
  return rc::gen::map(
      rc::gen::container<std::string>(rc::gen::inRange('0', static_cast<char>('9' + 1))),
      [min](std::string s) {
        while (static_cast<int>(s.size()) < min) s += '7';
        return s.substr(0, 12);
      });
}

// <sign><digits>[.<digits>]<suffix> per the grammar in quantity.go.
rc::Gen<std::string> valid_quantity() {
  return rc::gen::apply(
      [](std::string sign, std::string whole, bool has_fraction, std::string fraction,
         std::string suffix, bool exponent_form, int exponent) {
        std::string s = sign + whole;
        if (has_fraction) s += "." + fraction;
        if (exponent_form) return s + "e" + std::to_string(exponent);
        return s + suffix;
      },
      rc::gen::element<std::string>("", "+", "-"), digits(1), rc::gen::arbitrary<bool>(), digits(0),
      rc::gen::elementOf(kSuffixes), rc::gen::arbitrary<bool>(), rc::gen::inRange(-20, 21));
}

RC_GTEST_PROP(QuantityProperties, GeneratedValidQuantitiesParse, ()) {
  std::string q = *valid_quantity();
  auto r = parse_quantity(q);
  RC_ASSERT(r.has_value());
  RC_ASSERT(r->negative == (q[0] == '-'));
}

RC_GTEST_PROP(QuantityProperties, MilliValueMatchesApproximation, ()) {
  // Without a fraction and with a small suffix the milli value is exact.
  std::string whole = (*digits(1)).substr(0, 6);
  std::string suffix = *rc::gen::element<std::string>("", "k", "m", "Ki", "Mi");
  auto q = parse_quantity(whole + suffix);
  RC_ASSERT(q.has_value());
  auto milli = q->milli_value();
  RC_ASSERT(milli.has_value());
  long double expected = q->approximate_value() * 1000;
  RC_ASSERT(static_cast<long double>(*milli) >= expected - 1);
  RC_ASSERT(static_cast<long double>(*milli) <= expected + 1);
}

// Mutations that break the grammar: a character outside it, a doubled decimal point, a unit
// with the wrong case, or a trailing byte unit.
RC_GTEST_PROP(QuantityProperties, MutationsAreRejected, ()) {
  std::string q = *valid_quantity();
  int kind = *rc::gen::inRange(0, 4);
  std::string mutated;
  switch (kind) {
    case 0: {
      char bad = *rc::gen::element(' ', '/', '_', '#', 'x', 'B', 'Z', ',');
      size_t pos = *rc::gen::inRange<size_t>(0, q.size() + 1);
      mutated = q.substr(0, pos) + bad + q.substr(pos);
      break;
    }
    case 1:
      mutated = q + "B";
      break;
    case 2:
      mutated = *digits(1) + "." + *digits(1) + "." + *digits(1);
      break;
    default:
      mutated = *digits(1) + *rc::gen::element<std::string>("K", "kI", "ki", "MI", "gi", "Ki2i");
      break;
  }
  RC_ASSERT_FALSE(is_valid_quantity(mutated));
}

}  // namespace
}  // namespace kftenant::kube
