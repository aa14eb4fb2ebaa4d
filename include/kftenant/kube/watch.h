// Watch: the API server's streamed event feed (GET ...?watch=1).
//
// Wire format (see shared/reference/apiserver-transcripts/08-watch.json): HTTP 200, chunked,
// one compact JSON object per line, `{"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR",
// "object":{...}}`. A too-old resourceVersion is NOT an HTTP 410: the stream is HTTP 200 and
// carries one ERROR event whose object is a Status with code 410 (reason Expired), then ends.
//
// WatchDecoder turns arbitrary byte chunks into events. Client::watch (declared in client.h)
// runs the long-lived loop described at WatchOptions.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"

namespace kftenant::kube {

enum class WatchEventType {
  kAdded,
  kModified,
  kDeleted,
  kBookmark,  // object carries only metadata.resourceVersion: progress marker
  kError,     // object is a Status (a 410 one is handled by the watch loop, never delivered)
  // Synthetic (never on the wire): the watch lost continuity (410 Gone/Expired, or the start
  // with WatchOptions::initial_list) and re-listed. `object` is the complete List (kind
  // <Kind>List, items, metadata.resourceVersion). The consumer must reconcile against it:
  // objects it knows that are absent from `items` were deleted meanwhile.
  kRelist,
};

[[nodiscard]] std::string_view to_string(WatchEventType type);

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  nlohmann::json object;
};

// Splits a byte stream into lines. Lines may be split across chunks and several may share a
// chunk; "\r\n" is accepted and blank lines are skipped. A line longer than `max_line_bytes`
// is an error (kParse) — a guard against an endless line eating memory.
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line_bytes = kDefaultMaxLine) : max_(max_line_bytes) {}

  // Calls on_line for every complete, non-blank line in `chunk` (plus buffered data).
  [[nodiscard]] Result<void> feed(std::string_view chunk,
                                  const std::function<Result<void>(std::string_view)>& on_line);
  // The unterminated tail buffered so far ("" when the stream ended on a line boundary).
  [[nodiscard]] std::string_view pending() const { return buf_; }
  void reset() { buf_.clear(); }

  static constexpr std::size_t kDefaultMaxLine = 16u << 20;

 private:
  std::size_t max_;
  std::string buf_;
};

// Parses one watch line into an event: a JSON object with a known string `type` and an object
// `object`. Anything else is a kParse error.
[[nodiscard]] Result<WatchEvent> parse_watch_event(std::string_view line);

// Chunks in, events out (LineSplitter + parse_watch_event).
class WatchDecoder {
 public:
  explicit WatchDecoder(std::size_t max_line_bytes = LineSplitter::kDefaultMaxLine)
      : lines_(max_line_bytes) {}

  // Appends the events completed by `chunk` to `out`. On error the events before the bad line
  // are still in `out`.
  [[nodiscard]] Result<void> feed(std::string_view chunk, std::vector<WatchEvent>& out);
  // At end of stream: an error when an unterminated non-blank line is left over. A final line
  // without '\n' that is a complete event is accepted and appended to `out`.
  [[nodiscard]] Result<void> finish(std::vector<WatchEvent>& out);
  void reset() { lines_.reset(); }

 private:
  LineSplitter lines_;
};

// Options of Client::watch.
//
// The loop: GET <collection>?watch=1&resourceVersion=<rv>&allowWatchBookmarks=true. Every
// event's (and bookmark's) metadata.resourceVersion is remembered. When the stream ends cleanly
// (timeoutSeconds, server restart) or the connection breaks, it reconnects from the last
// resourceVersion (after a clean end with events at once, otherwise with backoff on the clock).
// When the server says that version is gone (ERROR event with code 410 in an HTTP 200 stream, or
// an HTTP 410 answer), it lists the collection (list_all), delivers a kRelist event carrying the
// List, and watches on from the List's resourceVersion.
// It returns ok() when `on_event` returns false or `stop` is set, and an error when the server
// refuses the watch for good (403, 404, 400, 422...) or after `max_consecutive_failures`
// failed connection attempts in a row.
struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  // Where to start. "" = from now, with the server first sending a synthetic ADDED per existing
  // object (the server's behaviour); a reconnect before any event repeats those ADDEDs.
  std::string resource_version;
  // Start with a list (delivered as kRelist) and watch from its resourceVersion, as informers
  // do. Takes precedence over resource_version.
  bool initial_list = false;
  bool allow_bookmarks = true;
  int timeout_seconds = 0;  // per connection, sent as timeoutSeconds; 0 = server default
  int max_consecutive_failures = 10;
};

}  // namespace kftenant::kube
