#include "kftenant/store/cached_store.h"

#include "kftenant/store/label_selector.h"

namespace kftenant::store {

CachedStore::~CachedStore() {
  for (auto& [kind, informer] : informers_) informer->stop();
}

Result<void> CachedStore::cache(const std::string& api_version, const std::string& kind,
                                kube::InformerOptions options) {
  if (!options.label_selector.empty() || !options.field_selector.empty())
    return make_error(ErrorCode::kInvalidArgument,
                      "a cache of " + kind + " holds every object: drop the selector");
  if (informers_.count({api_version, kind})) return ok();
  // The table or discovery; a CRD's kind the server does not serve yet is still in the table
  // when the client knows it (Profile, Password), and its informer retries until it is served.
  auto ref = client_.resolve(api_version, kind);
  if (!ref) return fail(ref.error());
  options.ns.clear();
  auto informer = std::make_unique<kube::Informer>(client_, *ref, options);
  informer->start();
  informers_.emplace(Kind{api_version, kind}, std::move(informer));
  return ok();
}

Result<void> CachedStore::cache_object(const ObjectKey& key, kube::InformerOptions options) {
  if (!options.label_selector.empty() || !options.field_selector.empty())
    return make_error(ErrorCode::kInvalidArgument,
                      "a cache of " + key.kind + " " + key.name + " selects it by name itself");
  if (object_informers_.count(object_of(key))) return ok();
  auto ref = client_.resolve(key.api_version, key.kind);
  if (!ref) return fail(ref.error());
  options.ns = ref->namespaced ? key.ns : "";
  options.field_selector = "metadata.name=" + key.name;
  auto informer = std::make_unique<kube::Informer>(client_, *ref, options);
  informer->start();
  object_informers_.emplace(object_of(key), std::move(informer));
  return ok();
}

std::optional<uint64_t> CachedStore::version() const {
  uint64_t version = writes_.load();
  for (kube::Informer* informer : all_informers()) {
    if (!informer->synced() || informer->last_error()) return std::nullopt;
    version += informer->changes();
  }
  return version;
}

std::vector<kube::Informer*> CachedStore::all_informers() const {
  std::vector<kube::Informer*> out;
  for (const auto& [kind, informer] : informers_) out.push_back(informer.get());
  for (const auto& [object, informer] : object_informers_) out.push_back(informer.get());
  return out;
}

kube::Informer* CachedStore::object_informer_of(const ObjectKey& key) const {
  if (object_informers_.empty()) return nullptr;
  auto it = object_informers_.find(object_of(key));
  return it == object_informers_.end() ? nullptr : it->second.get();
}

bool CachedStore::synced() const {
  for (kube::Informer* informer : all_informers())
    if (!informer->synced()) return false;
  return true;
}

bool CachedStore::wait_for_sync(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (kube::Informer* informer : all_informers()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    if (!informer->wait_for_sync(left)) return false;
  }
  return true;
}

std::vector<const kube::Informer*> CachedStore::informers() const {
  std::vector<const kube::Informer*> out;
  for (kube::Informer* informer : all_informers()) out.push_back(informer);
  return out;
}

kube::Informer* CachedStore::informer_of(const std::string& api_version,
                                         const std::string& kind) const {
  auto it = informers_.find({api_version, kind});
  return it == informers_.end() ? nullptr : it->second.get();
}

kube::Informer* CachedStore::answering(const std::string& api_version,
                                       const std::string& kind) const {
  kube::Informer* informer = informer_of(api_version, kind);
  if (!informer || !informer->synced() || informer->last_error()) return nullptr;
  return informer;
}

Result<nlohmann::json> CachedStore::get(const ObjectKey& key) {
  kube::Informer* informer = answering(key.api_version, key.kind);
  if (!informer) {
    informer = object_informer_of(key);
    if (!informer || !informer->synced() || informer->last_error()) {
      ++read_through_;
      return inner_.get(key);
    }
  }
  ++answered_;
  const bool namespaced = informer->resource().namespaced;
  if (auto object = informer->get(namespaced ? key.ns : "", key.name)) return std::move(*object);
  // As the API server says it (apimachinery errors.NewNotFound).
  Error e = make_error(ErrorCode::kNotFound,
                       informer->resource().group_resource() + " \"" + key.name + "\" not found")
                .value();
  e.http_status = 404;
  e.reason = "NotFound";
  return fail(std::move(e));
}

Result<std::vector<nlohmann::json>> CachedStore::list(const std::string& api_version,
                                                      const std::string& kind,
                                                      const std::string& ns,
                                                      const std::string& label_selector) {
  kube::Informer* informer = answering(api_version, kind);
  auto selector = parse_label_selector(label_selector);
  // A selector the API server would refuse: let it, so the caller gets its exact 400.
  if (!informer || !selector) {
    ++read_through_;
    return inner_.list(api_version, kind, ns, label_selector);
  }
  ++answered_;
  std::vector<nlohmann::json> out;
  for (auto& object : informer->list(informer->resource().namespaced ? ns : "")) {
    LabelMap labels;
    const auto& meta = object.value("metadata", nlohmann::json::object());
    if (auto it = meta.find("labels"); it != meta.end() && it->is_object())
      for (auto label = it->begin(); label != it->end(); ++label)
        if (label.value().is_string())
          labels.emplace(label.key(), label.value().get<std::string>());
    if (selector->matches(labels)) out.push_back(std::move(object));
  }
  return out;
}

void CachedStore::observe(const Result<nlohmann::json>& written) {
  if (!written) return;
  const ObjectKey key = key_of(*written);
  if (kube::Informer* informer = informer_of(key.api_version, key.kind))
    informer->observe_write(*written);
  if (kube::Informer* informer = object_informer_of(key)) informer->observe_write(*written);
  // Counted after the copy took it, whether or not a cached kind: a view built from reads past
  // the cache (a kind not cached) must not outlive the write either.
  ++writes_;
}

Result<nlohmann::json> CachedStore::create(const nlohmann::json& object) {
  auto created = inner_.create(object);
  observe(created);
  return created;
}

Result<nlohmann::json> CachedStore::replace(const nlohmann::json& object) {
  auto replaced = inner_.replace(object);
  observe(replaced);
  return replaced;
}

Result<nlohmann::json> CachedStore::patch(const ObjectKey& key, PatchType type,
                                          const nlohmann::json& patch) {
  auto patched = inner_.patch(key, type, patch);
  observe(patched);
  return patched;
}

Result<void> CachedStore::remove(const ObjectKey& key,
                                 std::optional<std::string> resource_version) {
  auto removed = inner_.remove(key, std::move(resource_version));
  // A 404 is a delete someone else made: the object is gone either way.
  const bool gone = removed || (removed.error().code == ErrorCode::kNotFound &&
                                !is_kind_not_served(removed.error()));
  for (kube::Informer* informer : {informer_of(key.api_version, key.kind), object_informer_of(key)})
    if (informer && gone)
      informer->observe_delete(informer->resource().namespaced ? key.ns : "", key.name);
  ++writes_;
  return removed;
}

}  // namespace kftenant::store
