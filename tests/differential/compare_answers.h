// Comparing two servers' answers to the same exchanges (transcripts/replay.h Answer), the test
// API server's ("fake") with a real kube-apiserver's ("real"), both normalised as the
// transcripts README says.
//
// metadata.managedFields entries are compared in (operation, manager) order: both servers order
// them by their times in whole seconds in between, which two runs do not reproduce.
//
// What is compared, per exchange: whether an answer came (transport), status, Content-Type, the
// Warning / Retry-After / Location headers, the body (JSON: every value and the key order; texts
// line by line; watches: the event lines, and their framing).
//
// resourceVersions: each side numbers its own revisions <rv:N> in order of first appearance,
// and the two numberings drift apart wherever one server has revisions the other has not (the
// real one's background writes: Lease renewals, Events, controllers). So they are not compared
// by number but by correspondence: the first time fake <rv:a> and real <rv:b> sit at the same
// place they are paired, and from then on a must always meet b and b always a (a bijection), in
// bodies and inside messages ("too old resource version: 1 (<rv:5>)"). Some places hold a
// revision of the store rather than an object's, where the real server, with its unrelated
// writes, gives other values:
//   - a List read from etcd (no resourceVersion asked for, or a continue token): its
//     metadata.resourceVersion (JSON or YAML) is etcd's current revision. The real value must be
//     at least the one paired with the fake's (the fake's newest write has happened on the real
//     server too) and never older than the real value met there before for the same fake value,
//     so that "page 2 carries page 1's list resourceVersion" stays checked as far as it can be;
//   - a List served from the watch cache (a resourceVersion asked for, not Exact) and a
//     BOOKMARK: the cache's revision, which follows that resource's own writes and may lag behind
//     etcd's; it is not compared.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "transcripts/normalize.h"
#include "transcripts/replay.h"

namespace kftenant::differential {

using transcripts::Answer;
using transcripts::Json;
using transcripts::Normalizer;

struct Disagreement {
  std::string step;
  // transport, status, content-type, header, body, key-order, watch-lines, bookmark, framing
  std::string category;
  std::string detail;  // "<where>: fake <value>, real <value>" and similar
};

struct Comparison {
  std::vector<Disagreement> disagreements;
  int exchanges = 0;  // exchanges both servers answered (or failed to) and that were compared
  int checks = 0;     // aspects compared: per exchange status, content type, headers, body (+
                      // framing for watches)
};

// Options an exchange's "diff" member may set (transcript.h):
//   "trim_real_to_fake": true   discovery: keep only the groups/resources the fake lists (the
//                               real server serves many kinds the fake does not model)
//   "ignore": ["<path>", ...]   body paths not compared (dotted, as the differences print them)
//   "sort_items": true          sort a List's items by namespace/name on both sides
//   "sort_resources": true      sort an APIResourceList's resources by name on both sides (the
//                               real server lists a CRD group's kinds in informer order)
class AnswerComparer {
 public:
  AnswerComparer(const Normalizer& fake, const Normalizer& real) : fake_(fake), real_(real) {}

  // Compares one exchange's answers; `options` is the exchange's "diff" (or null).
  void compare(const Answer& fake, const Answer& real, const Json& options, Comparison& out);

 private:
  enum class Position { kStrict, kCurrentRevision, kCacheRevision };
  // Walks both bodies in step and rewrites the real side's placeholders into the fake's
  // numbering where they correspond (see the header comment); other real placeholders become
  // "<rv:real#N>" so that a difference prints unambiguously.
  void reconcile(const Json& fake, Json& real, Position list_position, bool bookmark,
                 const std::string& path);
  std::string reconcile_string(const std::string& fake, const std::string& real, Position where);
  std::string reconcile_text(const std::string& fake, const std::string& real,
                             Position list_position);
  bool pair(int a, int b, Position where);
  [[nodiscard]] long long real_value(int n) const;

  const Normalizer& fake_;
  const Normalizer& real_;
  std::map<int, int> fake_to_real_, real_to_fake_;
  std::map<int, int> current_fake_to_real_;  // pairs seen at current-revision places
};

}  // namespace kftenant::differential
