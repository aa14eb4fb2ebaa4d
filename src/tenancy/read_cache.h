// A planning pass reads the same objects several times (the Dex ConfigMap to find the user, to
// edit it, to decide on a restart). ReadCache answers repeated reads from memory for the length
// of one pass, so each object costs one request; any write empties it.
#pragma once

#include <map>
#include <tuple>

#include "kftenant/store/object_store.h"

namespace kftenant::tenancy {

class ReadCache : public store::ObjectStore {
 public:
  explicit ReadCache(store::ObjectStore& inner) : inner_(inner) {}

  std::string description() const override { return inner_.description(); }
  store::StoreCapabilities capabilities() const override { return inner_.capabilities(); }
  std::vector<std::string> changed_files() const override { return inner_.changed_files(); }
  std::optional<std::string> file_of(const store::ObjectKey& key) override {
    return inner_.file_of(key);
  }
  Result<std::vector<std::string>> files_to_change(const store::ObjectKey& key,
                                                   const nlohmann::json& before,
                                                   const nlohmann::json& after) override {
    return inner_.files_to_change(key, before, after);
  }
  Result<std::vector<store::AccessRequest>> denied(
      const std::vector<store::AccessRequest>& requests) override {
    return inner_.denied(requests);
  }

  Result<nlohmann::json> get(const store::ObjectKey& key) override {
    auto index = std::make_tuple(key.api_version, key.kind, key.ns, key.name);
    auto it = gets_.find(index);
    if (it == gets_.end()) it = gets_.emplace(index, inner_.get(key)).first;
    return it->second;
  }
  Result<std::vector<nlohmann::json>> list(const std::string& api_version, const std::string& kind,
                                           const std::string& ns,
                                           const std::string& label_selector) override {
    auto index = std::make_tuple(api_version, kind, ns, label_selector);
    auto it = lists_.find(index);
    if (it == lists_.end())
      it = lists_.emplace(index, inner_.list(api_version, kind, ns, label_selector)).first;
    return it->second;
  }
  Result<nlohmann::json> create(const nlohmann::json& object) override {
    clear();
    return inner_.create(object);
  }
  Result<nlohmann::json> replace(const nlohmann::json& object) override {
    clear();
    return inner_.replace(object);
  }
  Result<void> remove(const store::ObjectKey& key,
                      std::optional<std::string> resource_version) override {
    clear();
    return inner_.remove(key, std::move(resource_version));
  }

 private:
  using Index = std::tuple<std::string, std::string, std::string, std::string>;
  store::ObjectStore& inner_;
  std::map<Index, Result<nlohmann::json>> gets_;
  std::map<Index, Result<std::vector<nlohmann::json>>> lists_;
  void clear() {
    gets_.clear();
    lists_.clear();
  }
};

}  // namespace kftenant::tenancy
