// The object store of the test API server: an etcd-like multi-version key/value store.
//
// Objects are filed per resource (group_resource) under etcd-style keys ("<ns>/<name>" or
// "<name>"), so lists come back in etcd's key order. Every write takes the next value of one
// global revision counter (the resourceVersion) and appends an event to a bounded history. The
// history serves watches from a resourceVersion and rebuilds the state at an older revision for
// consistent paging (continue tokens); revisions older than the history are "compacted" (410).
//
// Not thread-safe by itself: every call is made with lock() held. Watchers wait on changed().
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kftenant::testserver {

using ojson = nlohmann::ordered_json;

// One committed change. For DELETED, `object` is the last state carrying the deletion's own new
// resourceVersion (as the real server's DELETED watch events do).
struct StoreEvent {
  int64_t rv = 0;
  std::string type;  // ADDED, MODIFIED, DELETED
  std::string group_resource;
  std::string key;
  ojson prev;    // null when the object did not exist before
  ojson object;  // the new state (DELETED: the final state)
};

class Store {
 public:
  // `base_rv` is the revision of the (empty) store at start: watches and continue tokens older
  // than it are expired, as on a long-running real cluster.
  Store(size_t history_limit, int64_t base_rv);

  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mu_); }
  std::condition_variable& changed() { return changed_; }

  // etcd key of an object: "<ns>/<name>" (namespaced) or "<name>".
  static std::string key(const std::string& ns, const std::string& name);

  [[nodiscard]] int64_t current_rv() const { return rv_; }
  // The oldest revision whose state can still be rebuilt (older ones are compacted).
  [[nodiscard]] int64_t compacted_rv() const;
  // The oldest revision a watch may start from (the real watch cache's oldest-1).
  [[nodiscard]] int64_t oldest_watchable_rv() const;

  [[nodiscard]] const ojson* get(const std::string& gr, const std::string& key) const;
  // Current objects of a resource whose key starts with `prefix` ("" = all, "<ns>/" = one ns).
  [[nodiscard]] std::vector<std::pair<std::string, const ojson*>> list(
      const std::string& gr, const std::string& prefix = "") const;
  // The state of a resource at revision `rv` (key → object); nullopt when compacted.
  [[nodiscard]] std::optional<std::map<std::string, ojson>> snapshot(const std::string& gr,
                                                                     int64_t rv) const;
  [[nodiscard]] std::vector<std::string> resources() const;

  // Takes the next revision (to be written into the object before put/remove).
  int64_t next_rv() { return ++rv_; }
  // Stores `obj` (whose metadata.resourceVersion is the new revision `rv`).
  void put(const std::string& gr, const std::string& key, ojson obj, int64_t rv);
  // Removes the object; `final_obj` (carrying revision `rv`) goes into the DELETED event.
  void remove(const std::string& gr, const std::string& key, ojson final_obj, int64_t rv);
  // Drops every object of a resource without events (a CRD's resources disappearing).
  void drop_resource(const std::string& gr);

  // Events with rv > after, oldest first.
  [[nodiscard]] std::vector<StoreEvent> events_after(int64_t after) const;

 private:
  void record(StoreEvent ev);

  std::mutex mu_;
  std::condition_variable changed_;
  size_t history_limit_;
  int64_t base_rv_;
  int64_t rv_;
  std::map<std::string, std::map<std::string, ojson>> objects_;  // gr → key → object
  std::deque<StoreEvent> history_;
  int64_t dropped_up_to_ = 0;  // rv of the newest event dropped from history (0: none)
};

}  // namespace kftenant::testserver
