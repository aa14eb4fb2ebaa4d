#include "differential/accepted.h"

namespace kftenant::differential {
namespace {

// Keep in step with testserver/README.md ("Accepted differences from kube-apiserver 1.26").
constexpr Accepted kAccepted[] = {
    {"k09-discovery", "version", "body", "gitCommit",
     "the envtest kube-apiserver binary is a build of v1.26.4 of its own (its commit and build "
     "date); the fake answers those of the upstream release; gitVersion, major and minor agree "
     "and are what clients read"},
    {"k09-discovery", "version", "body", "buildDate",
     "as gitCommit: the date of the envtest build of v1.26.4"},
    {"k05-server-side-apply", "apply-yaml-1-1-boolean-key", "body", "data.",
     "the real server decodes apply patches as YAML 1.1 (go-yaml v2), where a plain y/n/yes/no/"
     "on/off is a boolean, so a key `y` becomes \"true\"; the fake's YAML parser is YAML 1.2 "
     "and keeps \"y\"; kftenant sends apply patches as JSON (no plain scalars)"},
    {"k03-watch-resume", "resume-from-modify-2-with-bookmarks", "bookmark", "real [ADDED,DELETED]",
     "the real server's bookmark before timeoutSeconds ends is best effort (the watch cache's "
     "cacheWatcher.nextBookmarkTime in kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/"
     "storage/cacher aims at 2 s before the deadline, sent from a 1 s timer): on a loaded "
     "machine the 4 s watch can end first; the fake always sends it",
     /*sometimes=*/true},
};

}  // namespace

std::span<const Accepted> accepted_differences() {
  return kAccepted;
}

const Accepted* find_accepted(const std::string& scenario, const std::string& step,
                              const std::string& category, const std::string& detail) {
  for (const auto& a : kAccepted) {
    if (scenario != a.scenario) continue;
    if (std::string(a.step) != "*" && step != a.step) continue;
    if (*a.category && category != a.category) continue;
    if (detail.find(a.contains) == std::string::npos) continue;
    return &a;
  }
  return nullptr;
}

}  // namespace kftenant::differential
