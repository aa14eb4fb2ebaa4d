// Reading the recorded exchanges of tests/data/apiserver-transcripts/*.json (format in that
// folder's README.md).
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
  RecordedResponse response;
  std::string note;
  std::string trimmed;
  // The watch step this exchange was sent during ("sent while the watch 'X' was open").
  std::optional<std::string> during_watch;
  // "polled ... until 404": repeat until the recorded status arrives.
  bool polled = false;

  // The request as recorded (placeholders kept), as one text: UUIDs in it are the client's own.
  [[nodiscard]] std::string sent_text() const;
  // A watch whose answer is a stream of lines.
  [[nodiscard]] bool is_watch_stream() const;
};

struct Transcript {
  std::string scenario;
  std::string title;
  std::vector<std::string> notes;
  std::vector<Exchange> exchanges;
};

[[nodiscard]] Result<Transcript> parse_transcript(const std::string& text);
[[nodiscard]] Result<Transcript> load_transcript(const std::string& path);

// The scenario files in a folder, sorted by name (NN-name.json).
[[nodiscard]] std::vector<std::string> transcript_files(const std::string& folder);

}  // namespace kftenant::transcripts
