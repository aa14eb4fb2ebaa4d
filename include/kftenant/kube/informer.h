// Informer: an in-memory copy of one collection (a kind, in one namespace or in all), kept in
// sync by a watch, as client-go's SharedInformer keeps its indexer (kubernetes/client-go
// tools/cache/shared_informer.go, reflector.go).
//
// start() runs one thread that lists the collection, then watches from the list's
// resourceVersion (Client::watch with initial_list: a stream that ends is resumed from the last
// version seen; a 410 re-lists). A re-list replaces the copy: objects missing from the new list
// are reported deleted. When the watch is refused for good (403, the CRD removed) the informer
// keeps its copy, records the error (last_error()) and tries again with backoff (1 s doubling to
// 30 s), as the reflector does, until stop().
//
// Reads (get, list, size) never touch the API server and return copies; any thread may call
// them. Handlers hear every change in the order the copy took it, one at a time, with no lock
// held (so they may read the informer): on the informer's thread, or on the thread of an
// observe_write()/observe_delete() that changed it. What a controller's work queue needs.
//
// Read-your-writes. A writer that wants its next read to see its own write hands the object the
// API server returned to observe_write() (or the key of a deleted object to observe_delete()).
// The copy takes it at once, and ignores watch events for that object that are older, so a read
// right after the write never sees the state before it. "Older" compares resourceVersions as
// numbers: the Kubernetes API calls them opaque, but every kube-apiserver serves etcd's revision
// (a decimal integer) and nothing else; a version that is not a number is always taken.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "kftenant/error.h"
#include "kftenant/kube/client.h"
#include "kftenant/kube/resource.h"

namespace kftenant::kube {

struct InformerOptions {
  std::string ns;  // "" = every namespace (and the only choice for a cluster-scoped kind)
  std::string label_selector;
  std::string field_selector;
  int watch_timeout_seconds = 0;  // per watch connection, sent as timeoutSeconds; 0 = server's
  // Backoff after the watch is refused for good: first wait, doubled up to the cap.
  std::chrono::milliseconds retry_initial{1000};
  std::chrono::milliseconds retry_max{30000};
};

struct InformerEvent {
  enum class Type { kAdded, kUpdated, kDeleted };
  Type type = Type::kAdded;
  nlohmann::json object;  // the new state; for kDeleted the last state the cache held
  nlohmann::json old;     // kUpdated: the state before; null otherwise
};

using InformerHandler = std::function<void(const InformerEvent&)>;

class Informer {
 public:
  // `client` must outlive the informer.
  Informer(Client& client, ResourceRef ref, InformerOptions options = {});
  ~Informer();  // stop()
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Adds a handler; call before start() (handlers added later may miss events).
  void on_change(InformerHandler handler);

  // Starts the thread (once; later calls do nothing).
  void start();
  // Stops the thread and waits for it: an open watch is cut within about a second.
  void stop();

  // Whether the first list is in: from then on reads answer for the whole collection.
  [[nodiscard]] bool synced() const;
  // Waits until synced() (true) or `timeout` passes or stop() is called (false).
  [[nodiscard]] bool wait_for_sync(std::chrono::milliseconds timeout) const;

  // The object, when the copy holds it.
  [[nodiscard]] std::optional<nlohmann::json> get(std::string_view ns, std::string_view name) const;
  // Every object (of `ns` when given), ordered by namespace then name.
  [[nodiscard]] std::vector<nlohmann::json> list(std::string_view ns = "") const;
  [[nodiscard]] size_t size() const;

  // The resourceVersion of the last list or event taken ("" before the first list).
  [[nodiscard]] std::string resource_version() const;
  // When the watch last told us something (a list, an event or a bookmark); nullopt before the
  // first list. What a /metrics "sync age" reads.
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> last_heard() const;
  // Why the watch is not running now (refused: 403, kind not served...), or nullopt while it is.
  [[nodiscard]] std::optional<Error> last_error() const;
  // Lists made so far (1 after the first sync; each 410 or refused-and-retried watch adds one).
  [[nodiscard]] int lists() const;
  // Changes the copy has taken so far (each one the handlers hear of), counted under the lock
  // the copy is changed and read under: a value read before reading the copy is never newer
  // than what those reads see, and any later change moves it. Handlers run after the change,
  // possibly on another thread, so counting in a handler would lag (the first list's changes,
  // for one, are heard after synced() turns true).
  [[nodiscard]] uint64_t changes() const;

  // Read-your-writes (see the header comment): `stored` is the object as the API server returned
  // it from a create, replace or patch.
  void observe_write(const nlohmann::json& stored);
  // The object was deleted (the DELETE succeeded or answered 404).
  void observe_delete(std::string_view ns, std::string_view name);

  [[nodiscard]] const ResourceRef& resource() const { return ref_; }
  [[nodiscard]] const InformerOptions& options() const { return options_; }

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name

  void run(std::stop_token stop);
  bool take(const WatchEvent& event);  // the watch's handler; always true (keep watching)
  [[nodiscard]] Key key_of(const nlohmann::json& object) const;
  // Change the copy under mu_ and queue what handlers must hear in pending_.
  void replace_all_locked(const nlohmann::json& list);
  void upsert_locked(nlohmann::json object, bool from_watch);
  void erase_locked(const nlohmann::json& deleted);
  // Calls the handlers with the queued events, without mu_ held.
  void notify();
  void queue_locked(InformerEvent event);  // into pending_, counted in changes_

  Client& client_;
  const ResourceRef ref_;
  const InformerOptions options_;
  std::vector<InformerHandler> handlers_;

  mutable std::mutex mu_;
  mutable std::condition_variable_any synced_cv_;
  std::map<Key, nlohmann::json> objects_;
  // Objects this process deleted, with the last resourceVersion it knew: a watch event no newer
  // than that (already in flight when we deleted) must not bring the object back.
  std::map<Key, std::string> deleted_;
  bool synced_ = false;
  bool stopping_ = false;
  std::string resource_version_;
  std::optional<std::chrono::steady_clock::time_point> last_heard_;
  std::optional<Error> last_error_;
  int lists_ = 0;
  uint64_t changes_ = 0;
  std::deque<InformerEvent> pending_;  // changes handlers have not heard yet
  std::atomic<bool> draining_{false};  // a thread is calling handlers

  std::jthread thread_;
};

}  // namespace kftenant::kube
