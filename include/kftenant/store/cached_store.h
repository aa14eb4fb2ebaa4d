// CachedStore: an ObjectStore whose reads of chosen kinds come from watch-fed informers
// (kube::Informer), for a long-running process (the REST server, the profile controller) that
// reads the same objects on every request and must not cost the API server a GET for each.
//
// cache() starts an informer for a kind across all namespaces. From the moment it has synced,
// get() and list() of that kind are answered from memory exactly as the API server answers them:
// a missing object is the API server's NotFound ("profiles.kubeflow.org \"x\" not found"), a
// list is ordered by namespace then name and filtered by namespace and label selector with the
// API server's selector rules (label_selector.h; a bad selector is the same 400). Before the
// first sync, and while the informer's watch is refused (last_error(): RBAC revoked, CRD
// removed), reads of the kind go to the underlying store instead: a cache that cannot follow
// the cluster never answers for it.
//
// Writes go to the underlying store. What it returns (the object as stored, or the fact of a
// delete) is handed to the informer at once, so this process's next read sees its own write
// (read-your-writes) even before the watch event arrives; another replica's writes arrive by
// the watch, within its latency. Every conflict rule of the underlying store holds: a replace
// with a stale resourceVersion still gets its 409 from the API server.
//
// Call cache() before sharing the store between threads; after that every method is safe to
// call from several threads (the underlying store must be too: ClusterStore is).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "kftenant/kube/client.h"
#include "kftenant/kube/informer.h"
#include "kftenant/store/object_store.h"

namespace kftenant::store {

class CachedStore : public ObjectStore {
 public:
  // `inner` (usually a ClusterStore over `client`) and `client` must outlive the store.
  CachedStore(ObjectStore& inner, kube::Client& client) : inner_(inner), client_(client) {}
  ~CachedStore() override;  // stops the informers
  CachedStore(const CachedStore&) = delete;
  CachedStore& operator=(const CachedStore&) = delete;

  // Starts caching the kind, every object of it in every namespace (so a miss is a real
  // NotFound). `options` tunes the watch (timeouts, backoff); a label or field selector in it is
  // refused (kInvalidArgument), since the cache would then answer for objects it does not hold.
  // An error when the client does not know the kind at all; a kind it knows but the server does
  // not serve now (a CRD not yet installed) is read through until its informer syncs.
  [[nodiscard]] Result<void> cache(const std::string& api_version, const std::string& kind,
                                   kube::InformerOptions options = {});

  // Caches one object (a ConfigMap every request reads, of a kind too common to cache whole):
  // an informer of its namespace with a field selector on its name. get() of exactly that key is
  // answered from it (NotFound included) once synced; every other read of the kind goes to the
  // underlying store. Writes of it are read back at once, as for a cached kind.
  [[nodiscard]] Result<void> cache_object(const ObjectKey& key, kube::InformerOptions options = {});

  // Whether every cached kind has synced (what a /readyz answers); waits up to `timeout`.
  [[nodiscard]] bool synced() const;
  [[nodiscard]] bool wait_for_sync(std::chrono::milliseconds timeout) const;

  // The informers, for metrics (size, sync age, lists made, last error).
  [[nodiscard]] std::vector<const kube::Informer*> informers() const;
  // Reads answered from memory so far (for tests and benchmarks).
  [[nodiscard]] size_t answered_from_cache() const { return answered_.load(); }
  // Reads passed to the underlying store so far: a kind not cached, or cached but not answering
  // (not synced, watch refused), or a label selector the cache cannot parse.
  [[nodiscard]] size_t read_through() const { return read_through_.load(); }

  // A number that moves whenever what the cache answers may have changed, so that something
  // derived from its reads (the REST API's user views) can be kept until it does: each change
  // an informer's copy takes (kube::Informer::changes(): a watch event, a difference found by a
  // re-list, a write read back) and each write made through this store. It moves once the
  // change is visible to reads (a value read before reading the cache is never newer than what
  // those reads saw). nullopt
  // while a cached kind cannot answer (not synced, watch refused): its reads go to the API
  // server then, and nothing derived from them may be kept. Reads of kinds not cached at all
  // are not covered: compare read_through() around the reads to know whether there were any.
  [[nodiscard]] std::optional<uint64_t> version() const;

  std::string description() const override { return inner_.description() + " (cached)"; }
  StoreCapabilities capabilities() const override { return inner_.capabilities(); }
  Result<std::string> check_reachable() override { return inner_.check_reachable(); }
  Result<nlohmann::json> get(const ObjectKey& key) override;
  Result<std::vector<nlohmann::json>> list(const std::string& api_version, const std::string& kind,
                                           const std::string& ns,
                                           const std::string& label_selector = "") override;
  Result<bool> serves(const std::string& api_version, const std::string& kind) override {
    return inner_.serves(api_version, kind);
  }
  Result<nlohmann::json> create(const nlohmann::json& object) override;
  Result<nlohmann::json> replace(const nlohmann::json& object) override;
  Result<nlohmann::json> patch(const ObjectKey& key, PatchType type,
                               const nlohmann::json& patch) override;
  Result<void> remove(const ObjectKey& key,
                      std::optional<std::string> resource_version = {}) override;
  std::vector<std::string> changed_files() const override { return inner_.changed_files(); }
  std::optional<std::string> file_of(const ObjectKey& key) override { return inner_.file_of(key); }
  Result<void> check_create(const nlohmann::json& object) override {
    return inner_.check_create(object);
  }
  Result<std::vector<std::string>> files_to_change(const ObjectKey& key,
                                                   const nlohmann::json& before,
                                                   const nlohmann::json& after) override {
    return inner_.files_to_change(key, before, after);
  }
  Result<std::vector<AccessRequest>> denied(const std::vector<AccessRequest>& requests) override {
    return inner_.denied(requests);
  }

 private:
  using Kind = std::pair<std::string, std::string>;  // apiVersion, kind

  using Object = std::tuple<std::string, std::string, std::string, std::string>;
  [[nodiscard]] static Object object_of(const ObjectKey& key) {
    return {key.api_version, key.kind, key.ns, key.name};
  }
  // The informer holding this one object (cache_object), or null.
  [[nodiscard]] kube::Informer* object_informer_of(const ObjectKey& key) const;
  [[nodiscard]] std::vector<kube::Informer*> all_informers() const;

  // The informer of the kind, when it is cached at all.
  [[nodiscard]] kube::Informer* informer_of(const std::string& api_version,
                                            const std::string& kind) const;
  // The informer when it may answer reads now (synced, watch not refused).
  [[nodiscard]] kube::Informer* answering(const std::string& api_version,
                                          const std::string& kind) const;
  void observe(const Result<nlohmann::json>& written);

  ObjectStore& inner_;
  kube::Client& client_;
  std::map<Kind, std::unique_ptr<kube::Informer>> informers_;           // fixed once shared
  std::map<Object, std::unique_ptr<kube::Informer>> object_informers_;  // likewise
  std::atomic<size_t> answered_{0};
  std::atomic<size_t> read_through_{0};
  std::atomic<uint64_t> writes_{0};  // made through this store (version())
};

}  // namespace kftenant::store
