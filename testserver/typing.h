// How the test API server decodes, defaults and encodes objects like kube-apiserver does:
// - built-in kinds: only their Go struct's fields survive (unknown ones → Warning header, or a
//   400 with fieldValidation=Strict), string maps are type-checked, defaults are applied
//   (Deployment, Namespace, Secret...), and keys come out in Go struct order with Go maps sorted;
// - custom resources: pruned against the CRD's structural schema (unless
//   x-kubernetes-preserve-unknown-fields), `required` checked, keys sorted.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "testserver/resources.h"
#include "testserver/validation.h"

namespace kftenant::testserver {

// Outcome of decoding a request body into a typed object.
struct DecodeResult {
  ojson object;
  std::vector<std::string> warnings;  // "unknown field \"spec\"" (without the 299 prefix)
  std::optional<ojson> error;         // a Status body when the body must be refused
};

// Decodes a built-in object or custom resource as it would be stored: drops (or, when `strict`,
// refuses) unknown fields, checks field types the real decoder checks.
// `version` is the request's API version (for messages).
[[nodiscard]] DecodeResult decode_object(const ResourceType& info, const std::string& version,
                                         ojson body, bool strict);

// Validation of the typed object beyond its name (CR `required` fields, Deployment selector...);
// empty when valid.
[[nodiscard]] std::vector<FieldError> validate_fields(const ResourceType& info, const ojson& obj);
// What an update may not change (Secret type, a binding's roleRef), as ValidateXUpdate does.
[[nodiscard]] std::vector<FieldError> validate_update(const ResourceType& info, const ojson& old,
                                                      const ojson& neu);

// Defaults applied on create and update (SetDefaults_* of the built-in types).
void apply_defaults(const ResourceType& info, ojson& obj);

// Key order of the answer: Go struct order for built-ins (maps sorted), sorted for custom
// resources. `kind_override` names the type for non-stored kinds (Scale, ...).
[[nodiscard]] ojson canonical(const ResourceType& info, const ojson& obj);
[[nodiscard]] ojson canonical_kind(const std::string& kind, const ojson& obj);
// Recursively sorted copy.
[[nodiscard]] ojson sorted(const ojson& value);

// Conversions between the two json flavours (keys keep their order).
[[nodiscard]] nlohmann::json to_json(const ojson& v);
[[nodiscard]] ojson to_ojson(const nlohmann::json& v);

}  // namespace kftenant::testserver
