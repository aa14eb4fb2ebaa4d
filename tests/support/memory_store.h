// An in-memory ObjectStore for unit tests: resourceVersions, conflicts, AlreadyExists and
// NotFound like the API server, a write log, and one-shot injected errors.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "kftenant/store/label_selector.h"
#include "kftenant/store/object_store.h"

namespace kftenant::testing {

class MemoryStore : public store::ObjectStore {
 public:
  // Kinds get() reports as unknown (CRD not installed) — e.g. {"dex.coreos.com/v1", "Password"}.
  std::set<std::pair<std::string, std::string>> unknown_kinds;
  bool live = true;
  // Writes performed: "create Profile alice", "replace ConfigMap auth/dex", "delete ...".
  std::vector<std::string> writes;
  // Errors returned by the next write calls (front first), before the write happens.
  std::deque<Error> next_write_errors;

  std::string description() const override { return "memory"; }
  store::StoreCapabilities capabilities() const override { return {live}; }

  // Puts an object without any checks (test setup); sets a fresh resourceVersion.
  void seed(nlohmann::json object) {
    stamp(object);
    // The key first: json's operator= takes its argument by value, and C++17 evaluates the
    // right operand (moving `object` away) before the left one.
    const Index key = index(store::key_of(object));
    objects_[key] = std::move(object);
  }
  const nlohmann::json* peek(const store::ObjectKey& key) const {
    auto it = objects_.find(index(key));
    return it == objects_.end() ? nullptr : &it->second;
  }

  Result<nlohmann::json> get(const store::ObjectKey& key) override {
    if (auto e = unknown(key.api_version, key.kind)) return fail(*e);
    auto it = objects_.find(index(key));
    if (it == objects_.end())
      return make_error(ErrorCode::kNotFound, store::describe(key) + " not found");
    return it->second;
  }

  Result<std::vector<nlohmann::json>> list(const std::string& api_version, const std::string& kind,
                                           const std::string& ns,
                                           const std::string& label_selector) override {
    if (auto e = unknown(api_version, kind)) return fail(*e);
    auto selector = store::parse_label_selector(label_selector);
    if (!selector) return fail(selector.error());
    std::vector<nlohmann::json> out;
    for (const auto& [k, v] : objects_) {
      if (std::get<0>(k) == api_version && std::get<1>(k) == kind &&
          (ns.empty() || std::get<2>(k) == ns) && selector->matches_object(v))
        out.push_back(v);
    }
    return out;
  }

  Result<nlohmann::json> create(const nlohmann::json& object) override {
    if (auto e = injected()) return fail(*e);
    auto key = store::key_of(object);
    if (auto e = unknown(key.api_version, key.kind)) return fail(*e);
    if (objects_.count(index(key)))
      return make_error(ErrorCode::kAlreadyExists, store::describe(key) + " already exists");
    nlohmann::json stored = object;
    stamp(stored);
    objects_[index(key)] = stored;
    writes.push_back("create " + store::describe(key));
    return stored;
  }

  Result<nlohmann::json> replace(const nlohmann::json& object) override {
    if (auto e = injected()) return fail(*e);
    auto key = store::key_of(object);
    auto it = objects_.find(index(key));
    if (it == objects_.end())
      return make_error(ErrorCode::kNotFound, store::describe(key) + " not found");
    auto rv = object.value("/metadata/resourceVersion"_json_pointer, std::string());
    if (rv.empty())
      return make_error(ErrorCode::kInvalid, store::describe(key) + ": resourceVersion required");
    if (rv != it->second["metadata"]["resourceVersion"].get<std::string>())
      return make_error(ErrorCode::kConflict, store::describe(key) + " was modified");
    nlohmann::json stored = object;
    stamp(stored);
    it->second = stored;
    writes.push_back("replace " + store::describe(key));
    return stored;
  }

  // As an API server's PATCH: applied to the stored object at once (no resourceVersion needed).
  Result<nlohmann::json> patch(const store::ObjectKey& key, store::PatchType type,
                               const nlohmann::json& patch) override {
    if (auto e = injected()) return fail(*e);
    if (auto e = unknown(key.api_version, key.kind)) return fail(*e);
    auto it = objects_.find(index(key));
    if (it == objects_.end())
      return make_error(ErrorCode::kNotFound, store::describe(key) + " not found");
    auto patched = store::apply_patch(it->second, type, patch);
    if (!patched) return patched;
    stamp(*patched);
    it->second = *patched;
    writes.push_back("patch " + store::describe(key));
    return patched;
  }

  Result<void> remove(const store::ObjectKey& key, std::optional<std::string> rv) override {
    if (auto e = injected()) return fail(*e);
    auto it = objects_.find(index(key));
    if (it == objects_.end())
      return make_error(ErrorCode::kNotFound, store::describe(key) + " not found");
    if (rv && *rv != it->second["metadata"]["resourceVersion"].get<std::string>())
      return make_error(ErrorCode::kConflict, store::describe(key) + " was modified");
    objects_.erase(it);
    writes.push_back("delete " + store::describe(key));
    return ok();
  }

 private:
  using Index = std::tuple<std::string, std::string, std::string, std::string>;
  std::map<Index, nlohmann::json> objects_;
  long next_rv_ = 1000;

  static Index index(const store::ObjectKey& k) { return {k.api_version, k.kind, k.ns, k.name}; }
  void stamp(nlohmann::json& object) {
    object["metadata"]["resourceVersion"] = std::to_string(++next_rv_);
  }
  std::optional<Error> unknown(const std::string& api_version, const std::string& kind) const {
    if (!unknown_kinds.count({api_version, kind})) return std::nullopt;
    Error e;
    e.code = ErrorCode::kNotFound;
    e.reason = store::kKindNotServedReason;
    e.message = "the server doesn't have a resource type " + kind + " (" + api_version + ")";
    return e;
  }
  std::optional<Error> injected() {
    if (next_write_errors.empty()) return std::nullopt;
    Error e = next_write_errors.front();
    next_write_errors.pop_front();
    return e;
  }
};

}  // namespace kftenant::testing
