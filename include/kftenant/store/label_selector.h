// Label selectors, parsed exactly as kube-apiserver 1.26 parses them
// (k8s.io/apimachinery/pkg/labels/selector.go: lexer, parser, error texts, key and value
// validation) and matched in memory: by the manifests store (which has no API server to ask), by
// a PlanView listing objects that are only planned, and by the test API server, so that a bad
// selector gets the real server's 400 message everywhere.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"

namespace kftenant::store {

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
  // Parses `text` (`k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a)`, `k>1`, `k<1`,
  // comma separated). Errors: code kBadRequest, message exactly the server's, e.g.
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

// LabelSelector::parse for callers that match in memory: a selector that does not parse is
// kInvalidArgument naming it, with the server's message. Parse once, then match each object.
[[nodiscard]] Result<LabelSelector> parse_label_selector(std::string_view selector);

// Whether `labels` (metadata.labels, an object or null) satisfy `selector` (LabelSelector's
// syntax; empty matches all). kInvalidArgument naming the selector and the server's message for
// one that does not parse.
[[nodiscard]] Result<bool> labels_match(const nlohmann::json& labels, std::string_view selector);

}  // namespace kftenant::store
