// Label and field selectors of LIST/WATCH/DELETE-collection requests, parsed exactly like
// kube-apiserver 1.26 so that a bad selector gets the real 400 message.
//
// Label selectors are store::LabelSelector (k8s.io/apimachinery/pkg/labels/selector.go); field
// selectors k8s.io/apimachinery/pkg/fields/selector.go, restricted
// to the two fields every resource supports (metadata.name, metadata.namespace), which is what
// the server accepts for the resources the test server serves.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"
#include "kftenant/store/label_selector.h"

namespace kftenant::testserver {

// Label selectors are the library's (store/label_selector.h): one parser for the manifests
// store, plan views and this server.
using store::LabelMap;
using store::LabelRequirement;
using store::LabelSelector;

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
