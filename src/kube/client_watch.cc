// Client::watch: the long-lived watch loop (resume, reconnect with backoff, re-list on 410).
// Modelled on client-go's reflector (kubernetes/client-go tools/cache/reflector.go): remember the
// last resourceVersion, re-watch from it, re-list when the server says it is too old.
#include <fmt/format.h>

#include "client_impl.h"
#include "kftenant/kube/client.h"
#include "kftenant/kube/status_error.h"

namespace kftenant::kube {
namespace {

std::string resource_version_of(const nlohmann::json& object) {
  if (!object.is_object()) return "";
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  auto rv = meta->find("resourceVersion");
  return rv != meta->end() && rv->is_string() ? rv->get<std::string>() : "";
}

bool transient(const Error& e) {
  switch (e.code) {
    case ErrorCode::kTransport:
    case ErrorCode::kTimeout:
    case ErrorCode::kServerError:
    case ErrorCode::kTooManyRequests:
    case ErrorCode::kParse:  // a garbled stream: start a fresh one
      return true;
    default:
      return false;
  }
}

using detail::Call;

}  // namespace

Result<void> Client::watch(const ResourceRef& ref, std::string_view ns, const WatchOptions& options,
                           const WatchHandler& on_event, std::stop_token stop) {
  if (ref.namespaced && !ns.empty()) {
    if (auto v = validate_path_segment(ns, "namespace"); !v) return v;
  }
  std::string rv = options.resource_version;
  bool need_list = options.initial_list;
  int failures = 0;
  std::optional<Error> last_error;

  // What the request log names for the waits between watch connections.
  Call next_watch;
  next_watch.method = "GET";
  next_watch.path = collection_path(ref, ns) + "?watch=1";

  Impl& impl = *impl_;
  CallOptions list_call;
  list_call.stop = stop;

  // Counts a failed round; false when the caller should give up. The wait ends early on stop
  // (the loop then returns ok()).
  auto failed = [&](Error e) -> bool {
    ++failures;
    auto wait = e.retry_after ? *e.retry_after : impl.retrier.backoff().delay(failures);
    last_error = std::move(e);
    if (options.max_consecutive_failures > 0 && failures >= options.max_consecutive_failures) {
      return false;
    }
    impl.log_wait(RequestEvent::Kind::kRetryWait, next_watch, failures + 1, wait);
    (void)impl.clock->sleep_for(wait, stop);
    return true;
  };

  for (;;) {
    if (stop.stop_requested()) return ok();

    if (need_list) {
      ListOptions lo;
      lo.label_selector = options.label_selector;
      lo.field_selector = options.field_selector;
      auto listed = impl.list_all(ref, ns, lo, list_call, /*watch_budget=*/true);
      if (stop.stop_requested()) return ok();
      if (!listed) {
        if (!transient(listed.error())) return fail(listed.error());
        if (!failed(listed.error())) return fail(*last_error);
        continue;
      }
      need_list = false;
      failures = 0;
      rv = resource_version_of(*listed);
      if (!on_event(WatchEvent{WatchEventType::kRelist, std::move(*listed)})) return ok();
      continue;
    }

    Query q;
    q.add("watch", "1");
    q.add_if("labelSelector", options.label_selector);
    q.add_if("fieldSelector", options.field_selector);
    q.add_if("resourceVersion", rv);
    if (options.allow_bookmarks) q.add("allowWatchBookmarks", "true");
    if (options.timeout_seconds > 0)
      q.add("timeoutSeconds", std::to_string(options.timeout_seconds));
    Call call;
    call.method = "GET";
    call.path = collection_path(ref, ns) + q.str();
    call.idempotent = true;
    call.timeout = std::chrono::milliseconds(0);  // a watch has no total deadline
    call.watch_budget = true;

    WatchDecoder decoder;
    bool user_stop = false;
    bool gone = false;
    bool got_event = false;
    std::optional<Error> stream_error;

    // Returns false to end the stream.
    auto handle = [&](WatchEvent& ev) -> bool {
      if (ev.type == WatchEventType::kError) {
        Error e = error_from_status(ev.object, 500);
        if (e.http_status == 410 || e.code == ErrorCode::kGone) {
          gone = true;  // too old resourceVersion, inside an HTTP 200 stream
          return false;
        }
        if (!on_event(ev)) {
          user_stop = true;
          return false;
        }
        stream_error = std::move(e);
        return false;
      }
      if (auto v = resource_version_of(ev.object); !v.empty()) rv = std::move(v);
      got_event = true;
      if (!on_event(ev)) {
        user_stop = true;
        return false;
      }
      return true;
    };
    auto on_data = [&](std::string_view chunk) -> bool {
      if (stop.stop_requested()) {
        user_stop = true;
        return false;
      }
      if (chunk.empty()) return true;  // idle tick from the transport
      std::vector<WatchEvent> events;
      auto fed = decoder.feed(chunk, events);
      for (auto& ev : events) {
        if (!handle(ev)) return false;
      }
      if (!fed) {
        stream_error = fed.error();
        return false;
      }
      return true;
    };

    auto resp = impl.open_stream(call, stop, on_data);
    if (user_stop || stop.stop_requested()) return ok();
    // A connection that delivered events was a success, however it ended: only failures in a
    // row count towards max_consecutive_failures.
    if (got_event) failures = 0;
    if (gone) {
      need_list = true;
      continue;
    }
    if (!resp) {
      if (!failed(resp.error())) return fail(*last_error);
      continue;
    }
    if (resp->status < 200 || resp->status >= 300) {
      Error e = impl.response_error(*resp, "watch " + collection_path(ref, ns));
      if (resp->status == 410) {
        need_list = true;
        continue;
      }
      if (!transient(e)) return fail(std::move(e));
      if (!failed(std::move(e))) return fail(*last_error);
      continue;
    }
    if (!stream_error) {
      std::vector<WatchEvent> tail;
      if (auto fin = decoder.finish(tail); !fin) stream_error = fin.error();
      for (auto& ev : tail) {
        if (!handle(ev)) break;
      }
      if (user_stop) return ok();
      if (gone) {
        need_list = true;
        continue;
      }
    }
    if (stream_error) {
      if (!failed(std::move(*stream_error))) return fail(*last_error);
      continue;
    }
    // Clean end (timeoutSeconds ran out, or the server closed the stream).
    failures = 0;
    if (!got_event) {
      // Nothing happened on that connection: pause briefly so that a server that ends every
      // watch at once does not make us spin.
      const auto wait = impl.retrier.backoff().delay(1);
      impl.log_wait(RequestEvent::Kind::kRetryWait, next_watch, 1, wait);
      (void)impl.clock->sleep_for(wait, stop);
    }
  }
}

}  // namespace kftenant::kube
