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

Result<void> PrefetchedStore::pin(const ObjectKey& key) {
  auto object = inner_.get(key);
  std::optional<nlohmann::json> copy;
  if (object) {
    copy = std::move(*object);
  } else if (object.error().code != ErrorCode::kNotFound || is_kind_not_served(object.error())) {
    return fail(object.error());
  }
  std::lock_guard lock(mutex_);
  pinned_.insert_or_assign(name_of(key), std::move(copy));
  return ok();
}

namespace {
// As the API server says it (apimachinery NewNotFound), with the kind for the resource.
Error not_found(const ObjectKey& key) {
  Error e = make_error(ErrorCode::kNotFound, describe(key) + " not found").value();
  e.http_status = 404;
  e.reason = "NotFound";
  return e;
}
}  // namespace

Result<nlohmann::json> PrefetchedStore::get(const ObjectKey& key) {
  {
    std::lock_guard lock(mutex_);
    const Name name = name_of(key);
    if (auto pinned = pinned_.find(name); pinned != pinned_.end()) {
      ++answered_;
      if (pinned->second) return *pinned->second;
      return fail(not_found(key));
    }
    if (listed_.count({key.api_version, key.kind}) && live_.insert(name).second) {
      ++answered_;
      if (auto it = objects_.find(name); it != objects_.end()) return it->second;
      return fail(not_found(key));
    }
  }
  return inner_.get(key);
}

void PrefetchedStore::forget(const ObjectKey& key) {
  std::lock_guard lock(mutex_);
  const Name name = name_of(key);
  objects_.erase(name);
  pinned_.erase(name);
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
