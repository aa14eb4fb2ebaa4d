// Replays one recorded transcript against a fresh test API server and lists every difference
// between its answers (normalised as the README says) and the recording.
#pragma once

#include <string>
#include <vector>

#include "transcripts/transcript.h"

namespace kftenant::transcripts {

// One difference. `category` groups them by what differs: setup, transport, status,
// content-type, body, key-order, header, watch-lines, bookmark, framing.
struct Mismatch {
  std::string step;
  std::string category;
  std::string detail;
};

struct ReplayResult {
  std::vector<Mismatch> mismatches;
  std::string log;  // with `verbose`: every exchange as sent and as answered (normalised)
};

struct ReplayOptions {
  bool verbose = false;
};

[[nodiscard]] ReplayResult replay(const Transcript& transcript, const ReplayOptions& options = {});

}  // namespace kftenant::transcripts
