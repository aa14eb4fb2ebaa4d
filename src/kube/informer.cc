// Informer: list, then watch, into a map; see informer.h.
#include "kftenant/kube/informer.h"

#include <charconv>

#include "kftenant/kube/status_error.h"

namespace kftenant::kube {
namespace {

using nlohmann::json;

std::string meta_string(const json& object, const char* field) {
  if (!object.is_object()) return "";
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  auto it = meta->find(field);
  return it != meta->end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<uint64_t> as_number(const std::string& rv) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(rv.data(), rv.data() + rv.size(), n);
  if (ec != std::errc() || end != rv.data() + rv.size() || rv.empty()) return std::nullopt;
  return n;
}

// Whether a state at version `a` may be taken over one at `b`: not when both are numbers and
// `a` is not newer (see the header comment on resourceVersions).
bool not_older(const std::string& a, const std::string& b) {
  auto x = as_number(a), y = as_number(b);
  return !x || !y || *x >= *y;
}
bool newer(const std::string& a, const std::string& b) {
  auto x = as_number(a), y = as_number(b);
  return !x || !y || *x > *y;
}

}  // namespace

Informer::Informer(Client& client, ResourceRef ref, InformerOptions options)
    : client_(client), ref_(std::move(ref)), options_(std::move(options)) {}

Informer::~Informer() {
  stop();
}

void Informer::on_change(InformerHandler handler) {
  handlers_.push_back(std::move(handler));
}

void Informer::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void Informer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  synced_cv_.notify_all();
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

bool Informer::synced() const {
  std::lock_guard lock(mu_);
  return synced_;
}

bool Informer::wait_for_sync(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  synced_cv_.wait_for(lock, timeout, [&] { return synced_ || stopping_; });
  return synced_;
}

std::optional<json> Informer::get(std::string_view ns, std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(Key(ns, name));
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::vector<json> Informer::list(std::string_view ns) const {
  std::lock_guard lock(mu_);
  std::vector<json> out;
  if (ns.empty()) {
    out.reserve(objects_.size());
    for (const auto& [key, object] : objects_) out.push_back(object);
    return out;
  }
  for (auto it = objects_.lower_bound(Key(ns, "")); it != objects_.end() && it->first.first == ns;
       ++it)
    out.push_back(it->second);
  return out;
}

size_t Informer::size() const {
  std::lock_guard lock(mu_);
  return objects_.size();
}

std::string Informer::resource_version() const {
  std::lock_guard lock(mu_);
  return resource_version_;
}

std::optional<std::chrono::steady_clock::time_point> Informer::last_heard() const {
  std::lock_guard lock(mu_);
  return last_heard_;
}

std::optional<Error> Informer::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

int Informer::lists() const {
  std::lock_guard lock(mu_);
  return lists_;
}

uint64_t Informer::changes() const {
  std::lock_guard lock(mu_);
  return changes_;
}

void Informer::queue_locked(InformerEvent event) {
  // Counted with the change, under the lock reads take: see changes().
  ++changes_;
  pending_.push_back(std::move(event));
}

void Informer::observe_write(const json& stored) {
  const std::string name = meta_string(stored, "name");
  if (name.empty()) return;
  {
    std::lock_guard lock(mu_);
    upsert_locked(stored, /*from_watch=*/false);
  }
  notify();
}

void Informer::observe_delete(std::string_view ns, std::string_view name) {
  {
    std::lock_guard lock(mu_);
    const Key key(ref_.namespaced ? ns : "", name);
    auto it = objects_.find(key);
    // Events up to the last version we knew of it were sent before the delete.
    deleted_[key] =
        it != objects_.end() ? meta_string(it->second, "resourceVersion") : resource_version_;
    if (it != objects_.end()) {
      queue_locked({InformerEvent::Type::kDeleted, std::move(it->second), nullptr});
      objects_.erase(it);
    }
  }
  notify();
}

void Informer::run(std::stop_token stop) {
  auto wait = options_.retry_initial;
  while (!stop.stop_requested()) {
    WatchOptions wo;
    wo.initial_list = true;
    wo.label_selector = options_.label_selector;
    wo.field_selector = options_.field_selector;
    wo.timeout_seconds = options_.watch_timeout_seconds;
    wo.max_consecutive_failures = 0;  // transient failures: reconnect for as long as it takes
    const int lists_before = lists();
    auto watched = client_.watch(
        ref_, ref_.namespaced ? options_.ns : "", wo,
        [this](const WatchEvent& event) { return take(event); }, stop);
    if (stop.stop_requested()) break;
    if (lists() > lists_before) wait = options_.retry_initial;  // it worked for a while
    {
      std::lock_guard lock(mu_);
      last_error_ =
          watched ? make_error(ErrorCode::kInternal, "the watch ended").value() : watched.error();
    }
    std::unique_lock lock(mu_);
    synced_cv_.wait_for(lock, stop, wait, [] { return false; });
    wait = std::min(wait * 2, options_.retry_max);
  }
}

bool Informer::take(const WatchEvent& event) {
  {
    std::lock_guard lock(mu_);
    last_heard_ = std::chrono::steady_clock::now();
    switch (event.type) {
      case WatchEventType::kRelist:
        replace_all_locked(event.object);
        break;
      case WatchEventType::kAdded:
      case WatchEventType::kModified:
        upsert_locked(event.object, /*from_watch=*/true);
        break;
      case WatchEventType::kDeleted:
        erase_locked(event.object);
        break;
      case WatchEventType::kBookmark:
        break;
      case WatchEventType::kError:
        last_error_ = error_from_status(event.object, 500);
        return true;  // Client::watch reconnects
    }
    if (event.type != WatchEventType::kRelist) {
      const std::string rv = meta_string(event.object, "resourceVersion");
      if (!rv.empty()) {
        resource_version_ = rv;
        // Our deletes the stream has passed: no older event of those objects can follow.
        std::erase_if(deleted_, [&](const auto& d) { return !newer(d.second, rv); });
      }
    }
  }
  if (event.type == WatchEventType::kRelist) synced_cv_.notify_all();
  notify();
  return true;
}

Informer::Key Informer::key_of(const json& object) const {
  return Key(ref_.namespaced ? meta_string(object, "namespace") : "", meta_string(object, "name"));
}

void Informer::replace_all_locked(const json& list) {
  const std::string list_rv = meta_string(list, "resourceVersion");
  std::map<Key, json> fresh;
  if (auto items = list.find("items"); items != list.end() && items->is_array()) {
    for (const auto& item : *items) {
      json object = item;
      // A List of a built-in kind leaves apiVersion and kind out of its items.
      if (!object.contains("apiVersion")) object["apiVersion"] = ref_.api_version();
      if (!object.contains("kind")) object["kind"] = ref_.kind;
      Key key = key_of(object);
      if (auto d = deleted_.find(key);
          d != deleted_.end() && !newer(meta_string(object, "resourceVersion"), d->second))
        continue;  // we deleted it after this state
      fresh.emplace(std::move(key), std::move(object));
    }
  }
  // Our own writes made after the list was taken stay.
  for (auto& [key, object] : objects_) {
    const std::string rv = meta_string(object, "resourceVersion");
    if (!list_rv.empty() && !rv.empty() && !not_older(list_rv, rv)) {
      fresh[key] = object;
    }
  }
  for (auto& [key, object] : objects_) {
    if (!fresh.count(key))
      queue_locked({InformerEvent::Type::kDeleted, std::move(object), nullptr});
  }
  for (auto& [key, object] : fresh) {
    auto old = objects_.find(key);
    if (old == objects_.end()) {
      queue_locked({InformerEvent::Type::kAdded, object, nullptr});
    } else if (old->second != object) {
      queue_locked({InformerEvent::Type::kUpdated, object, std::move(old->second)});
    }
  }
  objects_ = std::move(fresh);
  resource_version_ = list_rv;
  synced_ = true;
  last_error_.reset();
  ++lists_;
}

void Informer::upsert_locked(json object, bool from_watch) {
  if (!object.contains("apiVersion")) object["apiVersion"] = ref_.api_version();
  if (!object.contains("kind")) object["kind"] = ref_.kind;
  const Key key = key_of(object);
  const std::string rv = meta_string(object, "resourceVersion");
  if (auto d = deleted_.find(key); d != deleted_.end()) {
    if (from_watch && !newer(rv, d->second)) return;  // in flight before our delete
    deleted_.erase(d);
  }
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    queue_locked({InformerEvent::Type::kAdded, object, nullptr});
    objects_.emplace(key, std::move(object));
    return;
  }
  // Our own write of it may be newer than what the stream has reached (and the stream may be
  // newer than a write's answer that took a while to be handed over).
  if (!not_older(rv, meta_string(it->second, "resourceVersion"))) return;
  if (it->second == object) return;
  queue_locked({InformerEvent::Type::kUpdated, object, it->second});
  it->second = std::move(object);
}

void Informer::erase_locked(const json& object) {
  const Key key = key_of(object);
  deleted_.erase(key);
  auto it = objects_.find(key);
  if (it == objects_.end()) return;
  // Recreated by us after this delete (observe_write of a newer version).
  if (!not_older(meta_string(object, "resourceVersion"),
                 meta_string(it->second, "resourceVersion")))
    return;
  queue_locked({InformerEvent::Type::kDeleted, std::move(it->second), nullptr});
  objects_.erase(it);
}

// Handlers run one at a time and in the order the cache changed: whichever thread finds nobody
// draining drains the queue; a thread that appends while another drains leaves its events to it
// (the drainer looks again after letting go, so none is stranded).
void Informer::notify() {
  for (;;) {
    bool expected = false;
    if (!draining_.compare_exchange_strong(expected, true)) return;
    for (;;) {
      InformerEvent event;
      {
        std::lock_guard lock(mu_);
        if (pending_.empty()) break;
        event = std::move(pending_.front());
        pending_.pop_front();
      }
      for (const auto& handler : handlers_) handler(event);
    }
    draining_.store(false);
    std::lock_guard lock(mu_);
    if (pending_.empty()) return;
  }
}

}  // namespace kftenant::kube
