// libFuzzer target: arbitrary bytes as one YAML document, edited by yaml::edit_document. The last
// input byte picks the edit (set a top-level key to a value derived from the input, remove a key,
// append to / change a nested value). Whatever edit_document returns must read back as the new
// value; an error is fine only when the input does not parse.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kftenant/yaml.h"
#include "kftenant/yaml_edit.h"

namespace {

using nlohmann::json;

json derived_value(std::string_view text, uint8_t choice) {
  switch (choice % 6) {
    case 0:
      return "new-value";
    case 1:
      return 42;
    case 2:
      return json{{"nested", {{"list", {1, "two", nullptr}}}}};
    case 3:
      return std::string(text.substr(0, 16));  // may be multi-line, odd or invalid UTF-8
    case 4:
      return json::array({"a", json{{"b", "line1\nline2\n"}}});
    default:
      return nullptr;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t choice = data[size - 1];
  std::string_view text(reinterpret_cast<const char*>(data), size - 1);
  auto old_value = kftenant::yaml::parse(text, "fuzz.yaml");
  if (!old_value) {
    if (kftenant::yaml::edit_document(text, json{{"a", 1}}, "fuzz.yaml")) __builtin_trap();
    return 0;
  }
  json value = old_value->is_object() ? *old_value : json::object();
  const json derived = derived_value(text, choice >> 2);
  std::string first_key = value.empty() ? "key" : value.begin().key();
  switch (choice & 3) {
    case 0:
      value["kftenant-new"] = derived;
      break;
    case 1:
      value.erase(first_key);
      break;
    case 2:
      value[first_key] = derived;
      break;
    default:
      if (value[first_key].is_array()) {
        value[first_key].push_back(derived);
      } else if (value[first_key].is_object()) {
        value[first_key]["added"] = derived;
      } else {
        value[first_key] = json::array({derived});
      }
      break;
  }
  auto edited = kftenant::yaml::edit_document(text, value, "fuzz.yaml");
  if (!edited) return 0;  // e.g. a string that is not UTF-8: no text can hold it
  auto back = kftenant::yaml::parse(*edited, "edited.yaml");
  if (!back || !kftenant::yaml::same_data(*back, value)) __builtin_trap();
  return 0;
}
