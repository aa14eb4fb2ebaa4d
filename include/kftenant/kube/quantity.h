// Kubernetes resource quantities ("500m", "2Gi", "1e3"), parsed with the grammar and the
// acceptance rules of k8s.io/apimachinery/pkg/api/resource/quantity.go (ParseQuantity):
//
//   <quantity>        ::= <signedNumber><suffix>
//   <signedNumber>    ::= <number> | <sign><number>       <sign> ::= "+" | "-"
//   <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//   <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
//   <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
//   <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
//   <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>   (an integer exponent)
//
// Used to validate ResourceQuota `spec.hard` and Profile `resourceQuotaSpec.hard` before they
// reach the API server, so a typo ("2GB") is reported with the field that holds it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kftenant/error.h"

namespace kftenant::kube {

// How the quantity was written; Kubernetes re-emits a quantity in the same format.
enum class QuantityFormat { kDecimalSI, kBinarySI, kDecimalExponent };

// A parsed quantity: sign × <integer>.<fraction> × base^exponent (base 10 or 2).
struct Quantity {
  bool negative = false;
  std::string integer_digits;   // leading zeros stripped, "0" when none
  std::string fraction_digits;  // as written, possibly empty
  int base = 10;                // 10 (decimal SI / exponent) or 2 (binary SI)
  int64_t exponent = 0;         // power of `base` the suffix stands for (Ki → 10, m → -3)
  QuantityFormat format = QuantityFormat::kDecimalSI;

  // Approximate value as a floating-point number (may round; for display and comparisons only).
  [[nodiscard]] long double approximate_value() const;
  // Exact value in thousandths, rounded away from zero like Quantity.MilliValue; nullopt when
  // it does not fit in int64.
  [[nodiscard]] std::optional<int64_t> milli_value() const;
};

// Parses `text`. Errors (code kInvalidArgument) carry the API server's messages:
//   "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
//   "unable to parse quantity's suffix"
[[nodiscard]] Result<Quantity> parse_quantity(std::string_view text);

// True when the API server would accept `text` as a quantity.
[[nodiscard]] bool is_valid_quantity(std::string_view text);

}  // namespace kftenant::kube
