// The JSON bodies of the write endpoints, checked against the schema the route declares (the
// same schema the OpenAPI document shows, so what is documented is what is accepted):
//   - a Content-Type other than application/json (parameters such as charset allowed): 415;
//   - a body that is not JSON: 400;
//   - not an object, an unknown field, a field of the wrong type, a required field missing:
//     422 naming the field.
// A schema is the subset of JSON Schema the endpoints need: {"type": "object", "properties":
// {name: {"type": "string" | "boolean" | "integer" ("minimum", "maximum") | "object" (any
// values; of strings only with "additionalProperties": {"type": "string"})}}, "required": [...]}.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kftenant/error.h"
#include "server/route_table.h"

namespace kftenant::server {

class JsonBody {
 public:
  // An empty body with no required field is an empty object (DELETE without a body).
  [[nodiscard]] static Result<JsonBody> parse(const ApiRequest& request,
                                              const nlohmann::json& schema);

  // The field's value when given (type already checked); nullopt when absent or null.
  [[nodiscard]] std::optional<std::string> string(const std::string& field) const;
  [[nodiscard]] std::optional<bool> boolean(const std::string& field) const;
  [[nodiscard]] std::optional<long long> integer(const std::string& field) const;
  [[nodiscard]] std::map<std::string, std::string> string_map(const std::string& field) const;
  [[nodiscard]] bool has(const std::string& field) const;
  // The whole body, for the nested fields of an "object" property.
  [[nodiscard]] const nlohmann::json& value() const { return value_; }

 private:
  explicit JsonBody(nlohmann::json value) : value_(std::move(value)) {}
  nlohmann::json value_;
};

// A kInvalidArgument (422) error naming `field`.
[[nodiscard]] Error field_error(std::string field, std::string message);
// A check's error, now naming `field` (ok stays ok).
[[nodiscard]] Result<void> in_field(Result<void> checked, const std::string& field);

// One property of a schema: {"type", "description"} ("object": of strings). wait_property: the
// "waitSeconds" of the endpoints that can wait for the profile controller (0..300).
[[nodiscard]] nlohmann::json schema_property(std::string type, std::string description);
[[nodiscard]] nlohmann::json wait_property();

}  // namespace kftenant::server
