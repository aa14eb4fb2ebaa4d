// Label and field selectors of LIST/WATCH/DELETE-collection requests, parsed exactly like
// kube-apiserver 1.26 so that a bad selector gets the real 400 message.
//
// Label selectors follow k8s.io/apimachinery/pkg/labels/selector.go (lexer, parser, error texts,
// key/value validation); field selectors k8s.io/apimachinery/pkg/fields/selector.go, restricted
// to the two fields every resource supports (metadata.name, metadata.namespace), which is what
// the server accepts for the resources the test server serves.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"

namespace kftenant::testserver {

using LabelMap = std::map<std::string, std::string, std::less<>>;

// One requirement: key, operator, values (sorted, de-duplicated like Go's sets.String).
struct LabelRequirement {
  enum class Op {
    kIn,
    kNotIn,
    kEquals,
    kDoubleEquals,
    kNotEquals,
    kExists,
    kDoesNotExist,
    kGt,
    kLt
  };
  std::string key;
  Op op = Op::kExists;
  std::vector<std::string> values;
  [[nodiscard]] bool matches(const LabelMap& labels) const;
};

// AND of requirements; empty matches everything.
class LabelSelector {
 public:
  // Parses `text`. Errors: code kBadRequest, message exactly the server's, e.g.
  // "unable to parse requirement: found '!', expected: identifier".
  [[nodiscard]] static Result<LabelSelector> parse(std::string_view text);

  [[nodiscard]] bool matches(const LabelMap& labels) const;
  // Matches an object's metadata.labels (absent or non-object labels = no labels).
  [[nodiscard]] bool matches_object(const nlohmann::json& object) const;
  [[nodiscard]] bool matches_object(const nlohmann::ordered_json& object) const;
  [[nodiscard]] bool empty() const { return requirements_.empty(); }
  [[nodiscard]] const std::vector<LabelRequirement>& requirements() const { return requirements_; }

 private:
  std::vector<LabelRequirement> requirements_;  // sorted by key, as the Go parser does
};

// One field requirement: field op value, op one of =, ==, !=.
struct FieldRequirement {
  std::string field;  // "metadata.name" or "metadata.namespace"
  bool negated = false;
  std::string value;
};

class FieldSelector {
 public:
  // Parses `text` (fields.ParseSelector: comma-separated `f=v`, `f==v`, `f!=v`, with `\` escapes)
  // and rejects any field but metadata.name / metadata.namespace with the server's message:
  // "\"data.i\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
  // (built-in kinds, DefaultMetaV1FieldSelectorConversion), or for custom resources
  // (`custom_resource`) "field label not supported: spec.x" (the CRD handler's conversion).
  // Errors have code kBadRequest.
  [[nodiscard]] static Result<FieldSelector> parse(std::string_view text,
                                                   bool custom_resource = false);

  // metadata.name / metadata.namespace of `object` (missing = "").
  [[nodiscard]] bool matches_object(const nlohmann::json& object) const;
  [[nodiscard]] bool matches_object(const nlohmann::ordered_json& object) const;
  [[nodiscard]] bool matches(std::string_view name, std::string_view ns) const;
  [[nodiscard]] bool empty() const { return requirements_.empty(); }
  [[nodiscard]] const std::vector<FieldRequirement>& requirements() const { return requirements_; }

 private:
  std::vector<FieldRequirement> requirements_;
};

}  // namespace kftenant::testserver
