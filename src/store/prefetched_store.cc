#include "kftenant/store/prefetched_store.h"

namespace kftenant::store {

Result<void> PrefetchedStore::prefetch(const std::string& api_version, const std::string& kind) {
  auto items = inner_.list(api_version, kind, "");
  if (!items) return fail(items.error());
  std::lock_guard lock(mutex_);
  for (auto& item : *items) {
    ObjectKey key = key_of(item);
    key.api_version = api_version;
    key.kind = kind;
    objects_.insert_or_assign(name_of(key), std::move(item));
  }
  listed_.insert({api_version, kind});
  return ok();
}

Result<nlohmann::json> PrefetchedStore::get(const ObjectKey& key) {
  {
    std::lock_guard lock(mutex_);
    const Name name = name_of(key);
    if (listed_.count({key.api_version, key.kind}) && live_.insert(name).second) {
      ++answered_;
      if (auto it = objects_.find(name); it != objects_.end()) return it->second;
      // As the API server says it (apimachinery NewNotFound), with the kind for the resource.
      Error e = make_error(ErrorCode::kNotFound, describe(key) + " not found").value();
      e.http_status = 404;
      e.reason = "NotFound";
      return fail(std::move(e));
    }
  }
  return inner_.get(key);
}

void PrefetchedStore::forget(const ObjectKey& key) {
  std::lock_guard lock(mutex_);
  const Name name = name_of(key);
  objects_.erase(name);
  live_.insert(name);
}

// Each write marks its object live whatever its outcome: after a success the LIST's copy is
// stale, after a failure (conflict, already exists) the LIST was.
Result<nlohmann::json> PrefetchedStore::create(const nlohmann::json& object) {
  forget(key_of(object));
  return inner_.create(object);
}

Result<nlohmann::json> PrefetchedStore::replace(const nlohmann::json& object) {
  forget(key_of(object));
  return inner_.replace(object);
}

Result<nlohmann::json> PrefetchedStore::patch(const ObjectKey& key, PatchType type,
                                              const nlohmann::json& patch) {
  forget(key);
  return inner_.patch(key, type, patch);
}

Result<void> PrefetchedStore::remove(const ObjectKey& key,
                                     std::optional<std::string> resource_version) {
  forget(key);
  return inner_.remove(key, std::move(resource_version));
}

size_t PrefetchedStore::answered_from_list() const {
  std::lock_guard lock(mutex_);
  return answered_;
}

}  // namespace kftenant::store
