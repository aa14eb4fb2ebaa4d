// PlanView: the store as it will be once the steps planned so far are applied.
//
// Planners read through a view and never write. record() adds steps; later reads see them as if
// they had run: a planned create or replace answers get() with the planned object (a create has
// no resourceVersion yet), a planned delete answers kNotFound, list() shows planned objects in
// place of (or next to) the stored ones. So a second planner that edits the Dex ConfigMap edits
// what the first one left, and merge_steps can fold both into one write.
//
// Reads of the store itself are cached for the life of the view (one request per object and
// planning pass). A view over another view reads through it (sees its steps too) and shares its
// cache; stored() always answers from the store under all views.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include "kftenant/plan/plan.h"
#include "kftenant/store/object_store.h"

namespace kftenant::plan {

class PlanView final : public store::ObjectStore {
 public:
  explicit PlanView(store::ObjectStore& inner);
  // A view of a view is made from it as an ObjectStore& (PlanView
  // nested(static_cast<ObjectStore&>(view))); copies would duplicate planned state and are not
  // allowed.
  PlanView(const PlanView&) = delete;
  PlanView& operator=(const PlanView&) = delete;

  // Later reads see `steps` applied, in order (creates, replaces and restarts set the object to
  // `after`; deletes remove it; waits change nothing).
  void record(const std::vector<Step>& steps);
  void record(const Step& step);

  // The object as the store under every view holds it, before any planned step (kNotFound when
  // absent there). What a planner compares with to know whether the plan changes something.
  [[nodiscard]] Result<nlohmann::json> stored(const store::ObjectKey& key);

  std::string description() const override { return inner_.description(); }
  Result<std::string> check_reachable() override { return inner_.check_reachable(); }
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
  Result<void> check_create(const nlohmann::json& object) override {
    return inner_.check_create(object);
  }
  Result<bool> serves(const std::string& api_version, const std::string& kind) override {
    return inner_.serves(api_version, kind);
  }

  Result<nlohmann::json> get(const store::ObjectKey& key) override;
  Result<std::vector<nlohmann::json>> list(const std::string& api_version, const std::string& kind,
                                           const std::string& ns,
                                           const std::string& label_selector = "") override;

  // Planners do not write: kInternal, naming the object.
  Result<nlohmann::json> create(const nlohmann::json& object) override;
  Result<nlohmann::json> replace(const nlohmann::json& object) override;
  Result<void> remove(const store::ObjectKey& key,
                      std::optional<std::string> resource_version = {}) override;
  Result<nlohmann::json> patch(const store::ObjectKey& key, store::PatchType type,
                               const nlohmann::json& patch) override;

 private:
  using Index = std::tuple<std::string, std::string, std::string, std::string>;
  static Index index_of(const store::ObjectKey& key) {
    return {key.api_version, key.kind, key.ns, key.name};
  }
  Result<nlohmann::json> read_inner(const store::ObjectKey& key);
  Result<std::vector<nlohmann::json>> list_inner(const std::string& api_version,
                                                 const std::string& kind, const std::string& ns,
                                                 const std::string& label_selector);

  store::ObjectStore& inner_;
  PlanView* parent_ = nullptr;  // inner_ when it is a view
  // Reads of the store (root view only).
  std::map<Index, Result<nlohmann::json>> gets_;
  std::map<Index, Result<std::vector<nlohmann::json>>> lists_;
  // Planned state by object: the object, or nullopt for planned away. Insertion order kept in
  // planned_order_ so that list() shows new objects in the order they were planned.
  std::map<Index, std::optional<nlohmann::json>> planned_;
  std::vector<Index> planned_order_;
};

}  // namespace kftenant::plan
