#include "testserver/store.h"

namespace kftenant::testserver {

Store::Store(size_t history_limit, int64_t base_rv)
    : history_limit_(history_limit == 0 ? 1 : history_limit), base_rv_(base_rv), rv_(base_rv) {}

std::string Store::key(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

int64_t Store::compacted_rv() const {
  return dropped_up_to_ == 0 ? base_rv_ : dropped_up_to_;
}

int64_t Store::oldest_watchable_rv() const {
  // k8s.io/apiserver/pkg/storage/cacher/watch_cache.go getAllEventsSinceLocked: a watch may
  // start at oldest-1, where oldest is the first event still buffered.
  return dropped_up_to_ == 0 ? base_rv_ : history_.front().rv - 1;
}

const ojson* Store::get(const std::string& gr, const std::string& key) const {
  auto it = objects_.find(gr);
  if (it == objects_.end()) return nullptr;
  auto jt = it->second.find(key);
  return jt == it->second.end() ? nullptr : &jt->second;
}

std::vector<std::pair<std::string, const ojson*>> Store::list(const std::string& gr,
                                                              const std::string& prefix) const {
  std::vector<std::pair<std::string, const ojson*>> out;
  auto it = objects_.find(gr);
  if (it == objects_.end()) return out;
  for (auto jt = it->second.lower_bound(prefix); jt != it->second.end(); ++jt) {
    if (jt->first.compare(0, prefix.size(), prefix) != 0) break;
    out.emplace_back(jt->first, &jt->second);
  }
  return out;
}

std::optional<std::map<std::string, ojson>> Store::snapshot(const std::string& gr,
                                                            int64_t rv) const {
  if (rv < compacted_rv() || rv > rv_) return std::nullopt;
  std::map<std::string, ojson> state;
  if (auto it = objects_.find(gr); it != objects_.end()) state = it->second;
  // Undo, newest first, every change made after `rv`.
  for (auto it = history_.rbegin(); it != history_.rend() && it->rv > rv; ++it) {
    if (it->group_resource != gr) continue;
    if (it->prev.is_null()) {
      state.erase(it->key);
    } else {
      state[it->key] = it->prev;
    }
  }
  return state;
}

std::vector<std::string> Store::resources() const {
  std::vector<std::string> out;
  for (const auto& [gr, _] : objects_) out.push_back(gr);
  return out;
}

void Store::put(const std::string& gr, const std::string& key, ojson obj, int64_t rv) {
  auto& bucket = objects_[gr];
  StoreEvent ev;
  ev.rv = rv;
  ev.group_resource = gr;
  ev.key = key;
  if (auto it = bucket.find(key); it != bucket.end()) {
    ev.type = "MODIFIED";
    ev.prev = it->second;
  } else {
    ev.type = "ADDED";
  }
  ev.object = obj;
  bucket[key] = std::move(obj);
  record(std::move(ev));
}

void Store::remove(const std::string& gr, const std::string& key, ojson final_obj, int64_t rv) {
  auto& bucket = objects_[gr];
  auto it = bucket.find(key);
  if (it == bucket.end()) return;
  StoreEvent ev;
  ev.rv = rv;
  ev.type = "DELETED";
  ev.group_resource = gr;
  ev.key = key;
  ev.prev = std::move(it->second);
  ev.object = std::move(final_obj);
  bucket.erase(it);
  record(std::move(ev));
}

void Store::drop_resource(const std::string& gr) {
  objects_.erase(gr);
}

std::vector<StoreEvent> Store::events_after(int64_t after) const {
  std::vector<StoreEvent> out;
  auto it = history_.end();
  while (it != history_.begin() && std::prev(it)->rv > after) --it;
  out.assign(it, history_.end());
  return out;
}

void Store::record(StoreEvent ev) {
  history_.push_back(std::move(ev));
  while (history_.size() > history_limit_) {
    dropped_up_to_ = history_.front().rv;
    history_.pop_front();
  }
  changed_.notify_all();
}

}  // namespace kftenant::testserver
