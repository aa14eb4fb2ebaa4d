// WATCH streams: HTTP 200, chunked, one compact JSON event per line and per chunk (08-watch).
#include <openssl/ssl.h>
#include <sys/socket.h>

#include "testserver/server_impl.h"
#include "testserver/typing.h"

namespace kftenant::testserver {
namespace {

using Clock = std::chrono::steady_clock;

std::string event_line(const std::string& type, const ojson& object) {
  ojson ev = ojson::object();
  ev["type"] = type;
  ev["object"] = object;
  return ev.dump() + "\n";
}

}  // namespace

void ApiServer::Impl::serve_watch(const Route& r, const ListQuery& q, const httplib::Request& req,
                                  httplib::Response& res, bool drop_after_initial) {
  auto info = r.info;
  auto sel = parse_selectors(r, q);
  auto handle = std::make_shared<WatchHandle>();
  handle->path = req.path;
  std::string prefix = info->namespaced && !r.ns.empty() ? r.ns + "/" : "";
  auto matches = [sel = *sel, prefix, gr = info->group_resource()](
                     const std::string& ev_gr, const std::string& key, const ojson& obj) {
    return ev_gr == gr && key.compare(0, prefix.size(), prefix) == 0 &&
           sel.labels.matches_object(obj) && sel.fields.matches_object(obj);
  };

  std::vector<std::string> initial;
  int64_t start_rv = 0;
  bool expired = false;
  {
    auto lock = store.lock();
    if (q.resource_version.empty() || q.resource_version == "0") {
      for (const auto& [key, obj] : store.list(info->group_resource(), prefix)) {
        if (matches(info->group_resource(), key, *obj)) {
          initial.push_back(event_line("ADDED", present(*info, r.version, *obj)));
        }
      }
      start_rv = store.current_rv();
    } else {
      int64_t rv = 0;
      try {
        rv = std::stoll(q.resource_version);
      } catch (...) {
        rv = -1;
      }
      int64_t oldest = store.oldest_watchable_rv();
      if (rv < oldest) {
        initial.push_back(event_line(
            "ERROR", too_old_resource_version(q.resource_version, std::to_string(oldest))));
        expired = true;
      }
      start_rv = rv;
    }
  }
  {
    std::lock_guard<std::mutex> lock(fault_mu);
    open_watch_handles.push_back(handle);
  }
  if (consume_end_watch_rule(req.path)) handle->end = true;

  int fd = req.ssl ? SSL_get_fd(const_cast<SSL*>(req.ssl)) : -1;
  auto deadline = q.timeout_seconds ? Clock::now() + std::chrono::seconds(*q.timeout_seconds)
                                    : Clock::time_point::max();
  bool bookmarks = q.bookmarks && !expired;
  auto interval = opts.bookmark_interval;
  std::string version = r.version;

  res.status = 200;
  res.set_chunked_content_provider(
      "application/json",
      [this, info, version, handle, initial, start_rv, expired, deadline, bookmarks, interval,
       matches, drop_after_initial, fd](size_t, httplib::DataSink& sink) {
        auto write = [&](const std::string& line) { return sink.write(line.data(), line.size()); };
        for (const auto& line : initial) {
          if (!write(line)) return false;
        }
        if (drop_after_initial && fd >= 0) {
          ::shutdown(fd, SHUT_RDWR);
          return false;
        }
        if (expired) {
          sink.done();
          return true;
        }
        int64_t last_rv = start_rv;
        auto next_bookmark = bookmarks ? Clock::now() + interval : Clock::time_point::max();
        // The real server sends a last bookmark about 2 s before the watch times out.
        auto final_bookmark = bookmarks && deadline != Clock::time_point::max() &&
                                      deadline - std::chrono::seconds(2) > Clock::now()
                                  ? deadline - std::chrono::seconds(2)
                                  : Clock::time_point::max();
        while (!handle->end && !stopping && Clock::now() < deadline) {
          std::vector<std::string> lines;
          {
            auto lock = store.lock();
            // Ended meanwhile: nothing committed after the end reaches this stream (tests that
            // end a watch and then write rely on that); the client resumes from what it got.
            if (handle->end) break;
            auto events = store.events_after(last_rv);
            if (events.empty()) {
              auto wake = std::min({deadline, next_bookmark, final_bookmark,
                                    Clock::now() + std::chrono::milliseconds(200)});
              store.changed().wait_until(lock, wake);
              if (handle->end) break;
              events = store.events_after(last_rv);
            }
            for (const auto& ev : events) {
              last_rv = ev.rv;
              bool now_matches = matches(ev.group_resource, ev.key, ev.object);
              bool was_matching = !ev.prev.is_null() && matches(ev.group_resource, ev.key, ev.prev);
              std::string type = ev.type;
              const ojson* object = &ev.object;
              ojson left;
              if (type == "MODIFIED") {
                if (now_matches && !was_matching) type = "ADDED";
                if (!now_matches && was_matching) {
                  // The object stopped matching: DELETED with its previous content but the
                  // event's resourceVersion (cacher.go watchCacheEvent conversion).
                  type = "DELETED";
                  left = ev.prev;
                  left["metadata"]["resourceVersion"] = std::to_string(ev.rv);
                  object = &left;
                }
                if (!now_matches && !was_matching) continue;
              } else if (!now_matches) {
                continue;
              }
              lines.push_back(event_line(type, present(*info, version, *object)));
            }
            auto now = Clock::now();
            if (now >= next_bookmark || now >= final_bookmark) {
              ojson meta = ojson::object();
              meta["resourceVersion"] = std::to_string(store.current_rv());
              ojson obj = ojson::object();
              if (info->custom) {
                obj["apiVersion"] = info->api_version(version);
                obj["kind"] = info->kind;
              } else {
                obj["kind"] = info->kind;
                obj["apiVersion"] = info->api_version(version);
                meta["creationTimestamp"] = nullptr;
              }
              obj["metadata"] = meta;
              lines.push_back(event_line("BOOKMARK", obj));
              if (now >= next_bookmark) next_bookmark = now + interval;
              if (now >= final_bookmark) final_bookmark = Clock::time_point::max();
            }
          }
          for (const auto& line : lines) {
            if (!write(line)) return false;
          }
          if (lines.empty() && !sink.is_writable()) return false;
        }
        sink.done();
        return true;
      },
      [this, handle](bool) {
        std::lock_guard<std::mutex> lock(fault_mu);
        auto& v = open_watch_handles;
        v.erase(std::remove(v.begin(), v.end(), handle), v.end());
      });
}

}  // namespace kftenant::testserver
