#include "server/json_body.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace kftenant::server {
namespace {

using nlohmann::json;

bool is_json_content_type(std::string_view type) {
  const auto semicolon = type.find(';');
  std::string base(type.substr(0, semicolon));
  std::erase_if(base, [](unsigned char c) { return std::isspace(c); });
  std::transform(base.begin(), base.end(), base.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return base == "application/json";
}

std::string_view type_of(const json& value) {
  if (value.is_string()) return "string";
  if (value.is_boolean()) return "boolean";
  if (value.is_object()) return "object";
  if (value.is_array()) return "array";
  if (value.is_number()) return "number";
  return "null";
}

}  // namespace

Error field_error(std::string field, std::string message) {
  Error e = make_error(ErrorCode::kInvalidArgument, message).value();
  e.causes.push_back({"FieldValueInvalid", std::move(message), std::move(field)});
  return e;
}

Result<void> in_field(Result<void> checked, const std::string& field) {
  if (checked) return ok();
  return fail(field_error(field, checked.error().message));
}

json schema_property(std::string type, std::string description) {
  json p = {{"type", std::move(type)}, {"description", std::move(description)}};
  if (p["type"] == "object") p["additionalProperties"] = {{"type", "string"}};
  return p;
}

json wait_property() {
  json p = schema_property("integer",
                           "wait up to this many seconds for the profile controller to make the "
                           "namespace (0: do not wait; the default)");
  p["minimum"] = 0;
  p["maximum"] = 300;
  return p;
}

Result<JsonBody> JsonBody::parse(const ApiRequest& request, const json& schema) {
  const json& properties = schema.at("properties");
  const json required = schema.value("required", json::array());
  json value = json::object();
  if (!request.body.empty() || !required.empty()) {
    if (!is_json_content_type(request.content_type))
      return make_error(ErrorCode::kUnsupportedMediaType,
                        fmt::format("{} {} takes a JSON body: send Content-Type: application/json "
                                    "(not \"{}\")",
                                    request.method, request.path, request.content_type));
    value = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded())
      return make_error(ErrorCode::kBadRequest,
                        "the request body is not JSON: send one JSON object");
    if (!value.is_object())
      return fail(field_error(
          "", fmt::format("the request body is a JSON {}: send one JSON object", type_of(value))));
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    auto property = properties.find(it.key());
    if (property == properties.end()) {
      std::vector<std::string> known;
      for (auto p = properties.begin(); p != properties.end(); ++p) known.push_back(p.key());
      // The name is the client's: quoted so that a hostile one cannot forge a line.
      return fail(field_error(
          it.key(), fmt::format("unknown field {}: the body takes {}",
                                json(it.key()).dump(-1, ' ', true, json::error_handler_t::replace),
                                fmt::join(known, ", "))));
    }
    if (it.value().is_null()) continue;  // null: as if absent
    const std::string want = property->value("type", "string");
    if (want == "integer") {
      const json& v = it.value();
      const bool whole = v.is_number_integer() || v.is_number_unsigned();
      const double max = property->value("maximum", 1e9);
      if (!whole || v.get<double>() < property->value("minimum", 0.0) || v.get<double>() > max)
        return fail(field_error(
            it.key(), fmt::format("{} must be a whole number from {} to {}", it.key(),
                                  property->value("minimum", 0), static_cast<long long>(max))));
      continue;
    }
    if (type_of(it.value()) != want)
      return fail(field_error(
          it.key(), fmt::format("{} must be a {}, not a {}", it.key(), want, type_of(it.value()))));
    if (want == "object" && property->contains("additionalProperties")) {
      for (auto entry = it.value().begin(); entry != it.value().end(); ++entry)
        if (!entry.value().is_string())
          return fail(field_error(
              it.key() + "." + entry.key(),
              fmt::format("{}.{} must be a string (\"4\", \"8Gi\")", it.key(), entry.key())));
    }
  }
  for (const auto& name : required) {
    const std::string field = name.get<std::string>();
    if (!value.contains(field) || value[field].is_null())
      return fail(field_error(field, fmt::format("{} is required", field)));
  }
  return JsonBody(std::move(value));
}

std::optional<std::string> JsonBody::string(const std::string& field) const {
  auto it = value_.find(field);
  if (it == value_.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<bool> JsonBody::boolean(const std::string& field) const {
  auto it = value_.find(field);
  if (it == value_.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

std::optional<long long> JsonBody::integer(const std::string& field) const {
  auto it = value_.find(field);
  if (it == value_.end() || !(it->is_number_integer() || it->is_number_unsigned()))
    return std::nullopt;
  return it->get<long long>();
}

std::map<std::string, std::string> JsonBody::string_map(const std::string& field) const {
  std::map<std::string, std::string> out;
  auto it = value_.find(field);
  if (it == value_.end() || !it->is_object()) return out;
  for (auto entry = it->begin(); entry != it->end(); ++entry)
    out.emplace(entry.key(), entry.value().get<std::string>());
  return out;
}

bool JsonBody::has(const std::string& field) const {
  auto it = value_.find(field);
  return it != value_.end() && !it->is_null();
}

}  // namespace kftenant::server
