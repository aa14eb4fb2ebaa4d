// Reading the recorded exchanges of tests/data/apiserver-transcripts/*.json (format in that
// folder's README.md), and request scripts in the same format without answers
// (tests/differential/scenarios/*.json): an exchange without `response` is only sent, and may
// say how:
//   "wait_for_status": N   re-send every 0.2 s until the answer has status N (or time runs out)
//   "wait_for_json": {"pointer": "/status/conditions", "value": V}
//                          likewise until the JSON answer has that pointer (equal to V if given)
//   "sleep_ms": N          wait that long before sending
//   "diff": {...}          options for whoever compares the answers (tests/differential)
// Requests of scripts may refer to earlier answers of the same replay (see replay.h).
#pragma once

#include <kftenant/error.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "transcripts/normalize.h"

namespace kftenant::transcripts {

struct RecordedRequest {
  std::string method;
  std::string path_and_query;
  std::optional<std::string> content_type;  // nullopt: no body is sent
  Json body;                                // null, a JSON document, or a string sent verbatim
  std::optional<std::string> accept;        // nullopt: application/json
  std::string as;                           // "" (admin), "alice", "bad-token", "anonymous"
};

struct RecordedResponse {
  int status = 0;
  std::string content_type;
  Json body;  // JSON document, a text (string), or for watches the list of lines
  std::map<std::string, std::vector<std::string>> headers;  // Warning, Retry-After, Location
  Json framing;                                             // watch framing facts, or null
};

struct Exchange {
  std::string step;
  RecordedRequest request;
  bool recorded = true;  // false: a script step, `response` is empty
  RecordedResponse response;
  std::string note;
  std::string trimmed;
  // The watch step this exchange was sent during ("sent while the watch 'X' was open").
  std::optional<std::string> during_watch;
  // "polled ... until 404": repeat until the recorded status arrives.
  bool polled = false;
  // Script steps: repeat until this status arrives; wait before sending.
  std::optional<int> wait_for_status;
  Json wait_for_json;  // {"pointer": ..., "value"?: ...} or null
  int sleep_ms = 0;
  Json diff_options;  // "diff", or null

  // The request as recorded (placeholders kept), as one text: UUIDs in it are the client's own.
  [[nodiscard]] std::string sent_text() const;
  // A watch whose answer is a stream of lines (script steps: any request with watch=1|true).
  [[nodiscard]] bool is_watch_stream() const;
  // The status to poll for (recorded polled steps, or wait_for_status), if any.
  [[nodiscard]] std::optional<int> poll_status() const;
};

struct Transcript {
  std::string scenario;
  std::string title;
  std::vector<std::string> notes;
  std::vector<Exchange> exchanges;
  // metadata.managedFields are kept by the normalisation (scenario 15, or "keep_managed_fields"
  // in a script).
  bool keep_managed_fields = false;
};

[[nodiscard]] Result<Transcript> parse_transcript(const std::string& text);
[[nodiscard]] Result<Transcript> load_transcript(const std::string& path);

// The scenario files in a folder, sorted by name (NN-name.json).
[[nodiscard]] std::vector<std::string> transcript_files(const std::string& folder);

}  // namespace kftenant::transcripts
