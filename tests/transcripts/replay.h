// Replays one transcript (a recording, or a request script without answers; transcript.h)
// against an API server and lists every difference between its answers (normalised as the
// README says) and the recording.
//
// replay() runs a recording against a fresh test API server, as the recording cluster was set
// up. replay_on() runs a transcript against any server (ReplayTarget: the fake or a real
// kube-apiserver) and also hands back each normalised answer, so that two servers' answers can
// be compared with each other (tests/differential).
//
// On a target whose namespace is not `rec`, the recorded namespace `rec` is replaced in
// requests (path segment /namespaces/rec, "namespace": "rec" in bodies, `namespace: rec` in
// YAML) and the target's namespace is replaced by `rec` in every string of the answers before
// they are normalised, so that answers read as if the namespace had been `rec`.
//
// Requests of scripts may refer to this replay's earlier answers: <rv@STEP>, <uid@STEP>,
// <name@STEP>, <continue@STEP> (metadata.resourceVersion / uid / name / continue of the answer
// of step STEP), <json:/POINTER@STEP> (the string at that JSON pointer of it), all
// percent-encoded in paths, and <token@USER> (the bearer token of a caller, "admin" for the
// administrator).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "testserver/apiserver.h"
#include "transcripts/normalize.h"
#include "transcripts/transcript.h"

namespace kftenant::transcripts {

// One difference. `category` groups them by what differs: setup, transport, status,
// content-type, body, key-order, header, watch-lines, bookmark, framing.
struct Mismatch {
  std::string step;
  std::string category;
  std::string detail;
};

// Where a replay sends its requests.
struct ReplayTarget {
  std::string name = "fake";  // for messages
  std::string host = "127.0.0.1";
  int port = 0;
  std::string ca_pem;
  std::string admin_token;
  // Callers other than the administrator (an exchange's `as`): name → bearer token. "anonymous"
  // sends no Authorization header; every other name must be here ("bad-token" included).
  std::map<std::string, std::string> tokens;
  std::string ns = "rec";  // the namespace the recorded `rec` stands for; created by the replay
  // How long polled steps are re-sent for.
  std::chrono::seconds poll_timeout{20};
};

// One exchange as the target answered it, normalised, the namespace mapped back to `rec`.
struct Answer {
  std::string step;
  std::string request;  // "METHOD path?query" as sent
  bool sent = false;    // false: the request could not be built (a "setup" mismatch says why)
  std::string transport_error;  // "" when an answer came
  int status = 0;
  std::string content_type;
  std::map<std::string, std::vector<std::string>> headers;  // Warning, Retry-After, Location
  bool watch = false;
  // The normalised body: JSON, a text (string) for non-JSON bodies, or for watches the array of
  // event lines (consecutive identical BOOKMARK lines once, as the recordings keep them).
  Json body;
  // Watch framing problems (not chunked, a chunk not holding exactly one line, not compact...).
  std::vector<std::string> framing;
  int attempts = 1;  // polled steps: how often it was sent
};

struct ReplayResult {
  std::vector<Mismatch> mismatches;  // against the recording (recorded exchanges only) + setup
  std::string log;  // with `verbose`: every exchange as sent and as answered (normalised)
  std::vector<Answer> answers;  // one per exchange, in the transcript's order
  Normalizer normalizer;        // what this replay's <rv:N> stand for (own_rv)
};

struct ReplayOptions {
  bool verbose = false;
};

// The test API server's options for replaying the recordings (the recording cluster's setup:
// Kubeflow seeded, no deployment controller, short controller delays, bookmarks as the real
// server sends them).
[[nodiscard]] testserver::Options recording_server_options();

// A recording against a fresh test API server (recording_server_options(), caller alice).
[[nodiscard]] ReplayResult replay(const Transcript& transcript, const ReplayOptions& options = {});

// A transcript against `target`. Creates target.ns first and waits for the namespace's
// kube-root-ca.crt and ServiceAccount default (the real controllers make them shortly after).
[[nodiscard]] ReplayResult replay_on(const Transcript& transcript, const ReplayTarget& target,
                                     const ReplayOptions& options = {});

}  // namespace kftenant::transcripts
