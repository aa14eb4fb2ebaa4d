// The accepted differences between the test API server and kube-apiserver 1.26: every
// disagreement tests/differential finds is either fixed in the fake or listed here, with the
// reason (also in testserver/README.md, "Accepted differences from kube-apiserver 1.26").
//
// An entry matches a disagreement of its scenario and step ("*": any step) whose category is
// `category` ("" = any) and whose text contains `contains`. A disagreement no entry matches fails
// the test; an entry that matched nothing in a run is reported as stale (a failure, unless
// `sometimes`: timing-dependent disagreements that do not occur on every run).
#pragma once

#include <span>
#include <string>

namespace kftenant::differential {

struct Accepted {
  const char* scenario;
  const char* step;
  const char* category;
  const char* contains;
  const char* reason;
  bool sometimes = false;
};

[[nodiscard]] std::span<const Accepted> accepted_differences();

// The entry that accepts this disagreement, or null.
[[nodiscard]] const Accepted* find_accepted(const std::string& scenario, const std::string& step,
                                            const std::string& category, const std::string& detail);

}  // namespace kftenant::differential
