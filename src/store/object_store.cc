#include "kftenant/store/object_store.h"

#include "manifest_merge.h"

namespace kftenant::store {

size_t configmap_data_bytes(const nlohmann::json& configmap) {
  size_t n = 0;
  for (const char* field : {"data", "binaryData"}) {
    auto it = configmap.find(field);
    if (it == configmap.end() || !it->is_object()) continue;
    for (const auto& [key, value] : it->items())
      if (value.is_string()) n += value.get_ref<const std::string&>().size();
  }
  return n;
}

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

Result<nlohmann::json> apply_patch(const nlohmann::json& object, PatchType type,
                                   const nlohmann::json& patch) {
  const std::string what = describe(key_of(object));
  switch (type) {
    case PatchType::kMerge: {
      if (!patch.is_object())
        return make_error(ErrorCode::kInvalid, "a merge patch of " + what + " must be an object");
      nlohmann::json out = object;
      out.merge_patch(patch);
      return out;
    }
    case PatchType::kStrategicMerge: {
      if (!patch.is_object())
        return make_error(ErrorCode::kInvalid,
                          "a strategic merge patch of " + what + " must be an object");
      const std::string api_version = object.value("apiVersion", std::string());
      const auto slash = api_version.find('/');
      const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
      auto merged = detail::strategic_merge(object, patch, detail::builtin_group(group));
      if (merged.deleted)
        return make_error(ErrorCode::kInvalid,
                          "a patch of " + what + " may not delete it ($patch: delete)");
      return std::move(merged.value);
    }
    case PatchType::kJsonPatch: {
      if (!patch.is_array())
        return make_error(ErrorCode::kInvalid, "a JSON patch of " + what + " must be an array");
      try {
        return object.patch(patch);
      } catch (const nlohmann::json::exception& e) {
        return make_error(ErrorCode::kInvalid,
                          "the JSON patch does not apply to " + what + ": " + e.what());
      }
    }
  }
  return make_error(ErrorCode::kInternal, "unknown patch type");
}

Result<bool> ObjectStore::serves(const std::string& api_version, const std::string& kind) {
  auto objects = list(api_version, kind, "");
  if (objects) return true;
  if (objects.error().code == ErrorCode::kNotFound) return false;
  return fail(objects.error());
}

Result<nlohmann::json> ObjectStore::patch(const ObjectKey& key, PatchType type,
                                          const nlohmann::json& patch) {
  // Read-modify-write: each attempt carries the resourceVersion it read, so a concurrent write is
  // a 409 and the patch goes onto the newer object. Eight concurrent writers fit.
  constexpr int kAttempts = 8;
  for (int attempt = 1;; ++attempt) {
    auto current = get(key);
    if (!current) return current;
    auto patched = apply_patch(*current, type, patch);
    if (!patched) return patched;
    if (*patched == *current) return current;
    auto stored = replace(*patched);
    if (stored || stored.error().code != ErrorCode::kConflict || attempt == kAttempts)
      return stored;
  }
}

}  // namespace kftenant::store
