// PrefetchedStore: an ObjectStore whose get() of chosen kinds is answered from one LIST made up
// front. A bulk operation that plans one object per row (import: a GET of each row's Profile
// and of its Namespace) then costs one paged LIST per kind instead of a GET per row, which
// matters under the client's rate limit (1,000 rows: 2 requests instead of 2,000).
//
// Only the FIRST get() of each object is answered from the LIST (as of the LIST): the read a
// planner makes. Any later get() of it — a plan re-made after a conflict, a wait polling for the
// profile controller's namespace — and every get() after a write of it (or a failed write, e.g.
// kAlreadyExists because someone created it since the LIST) is the underlying store's, live.
// Writes, list() and everything else go to the underlying store.
// Safe to use from several threads when the underlying store is.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <tuple>

#include "kftenant/store/object_store.h"

namespace kftenant::store {

// From about this many objects of a kind read one by one, one LIST is cheaper than the GETs
// (below it, listing every namespace of a big cluster costs more than a few GETs).
inline constexpr size_t kPrefetchFromObjects = 32;

class PrefetchedStore : public ObjectStore {
 public:
  explicit PrefetchedStore(ObjectStore& inner) : inner_(inner) {}

  // LISTs every object of the kind (all namespaces) and answers get() of that kind from it from
  // now on. A kind the LIST fails for (not served, forbidden: a GET may still be allowed) stays
  // read through; the error is returned for the caller to ignore or report.
  [[nodiscard]] Result<void> prefetch(const std::string& api_version, const std::string& kind);

  // Reads `key` once and answers every get() of it from that copy (absent: kNotFound) until it
  // is written through this store: for one object that every row reads and the operation does
  // not write (Dex's ConfigMap while Password objects are created: one GET instead of one per
  // row). An error reading it is returned and the key stays read through.
  [[nodiscard]] Result<void> pin(const ObjectKey& key);

  std::string description() const override { return inner_.description(); }
  StoreCapabilities capabilities() const override { return inner_.capabilities(); }
  Result<std::string> check_reachable() override { return inner_.check_reachable(); }
  Result<nlohmann::json> get(const ObjectKey& key) override;
  Result<std::vector<nlohmann::json>> list(const std::string& api_version, const std::string& kind,
                                           const std::string& ns,
                                           const std::string& label_selector = "") override {
    return inner_.list(api_version, kind, ns, label_selector);
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
  Result<bool> serves(const std::string& api_version, const std::string& kind) override {
    return inner_.serves(api_version, kind);
  }
  Result<std::vector<std::string>> files_to_change(const ObjectKey& key,
                                                   const nlohmann::json& before,
                                                   const nlohmann::json& after) override {
    return inner_.files_to_change(key, before, after);
  }
  Result<std::vector<AccessRequest>> denied(const std::vector<AccessRequest>& requests) override {
    return inner_.denied(requests);
  }

  // get() calls answered from a LIST, for tests and benchmarks.
  [[nodiscard]] size_t answered_from_list() const;

 private:
  using Kind = std::pair<std::string, std::string>;                             // apiVersion, kind
  using Name = std::tuple<std::string, std::string, std::string, std::string>;  // + ns, name
  static Name name_of(const ObjectKey& key) {
    return {key.api_version, key.kind, key.ns, key.name};
  }
  void forget(const ObjectKey& key);

  ObjectStore& inner_;
  mutable std::mutex mutex_;
  std::set<Kind> listed_;
  std::map<Name, nlohmann::json> objects_;                // of the listed kinds, as of the LIST
  std::set<Name> live_;                                   // written since: read through
  std::map<Name, std::optional<nlohmann::json>> pinned_;  // pin(): the copy, nullopt = absent
  size_t answered_ = 0;
};

}  // namespace kftenant::store
