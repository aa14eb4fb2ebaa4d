#include "kftenant/store/object_store.h"

namespace kftenant::store {

std::string describe(const ObjectKey& key) {
  std::string out = key.kind;
  out += ' ';
  if (!key.ns.empty()) {
    out += key.ns;
    out += '/';
  }
  out += key.name;
  return out;
}

ObjectKey key_of(const nlohmann::json& object) {
  ObjectKey key;
  if (!object.is_object()) return key;
  auto text = [](const nlohmann::json& j, const char* field) -> std::string {
    auto it = j.find(field);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  key.api_version = text(object, "apiVersion");
  key.kind = text(object, "kind");
  if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
    key.ns = text(*meta, "namespace");
    key.name = text(*meta, "name");
  }
  return key;
}

}  // namespace kftenant::store
