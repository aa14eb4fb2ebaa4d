// What is wrong with an installation's users, as `kftenant doctor` reports it: Dex's own verdict
// on config.yaml (entries Dex would refuse to start with, or that can never log in), records Dex
// keeps for one login more than once (case variants, shadowed or misnamed Password objects), user
// IDs two users share, users without a profile, profiles whose owner has no Dex user or does not
// match the email claim, profile namespaces the controller has not made or that carry another
// owner (it stops there), a missing namespaceAdmin or ns-owner-access-istio, contributor
// bindings that are broken, that two emails fight over (KFAM names ex.jo@x and ex-jo@x alike) or
// whose email has no Dex user, a Dex ConfigMap near the API server's 1 MiB limit, and a Dex
// Deployment whose pods run an older config.yaml than the ConfigMap holds (a restart owed).
// Read-only: a handful of GETs and LISTs, whatever the number of users.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "kftenant/kubeflow/contributor.h"
#include "kftenant/plan/plan.h"
#include "kftenant/tenancy/users.h"

namespace kftenant::tenancy {

struct Finding {
  enum class Level {
    kError,    // breaks Dex, a login or someone's access
    kWarning,  // works, but not as it looks
  };
  Finding() = default;
  Finding(Level l, std::string what, std::string text)
      : level(l), subject(std::move(what)), message(std::move(text)) {}
  Level level = Level::kWarning;
  // What it is about: "ConfigMap auth/dex config.yaml line 12", "alice@example.com",
  // "profile alice".
  std::string subject;
  std::string message;  // one line: what is wrong and what to do
  // A safe repair through the Plan/apply path (`doctor --fix`): the restart owed, the missing
  // half of a contributor's RoleBinding/AuthorizationPolicy pair. Empty when there is none.
  plan::Planner fix;
  std::string fix_summary;  // what the fix does, e.g. "restart Deployment auth/dex"
};

// Every finding, errors first, then in the order above. A kind that is not installed (Password
// CRD, Istio) has no findings; an unreadable Dex ConfigMap (static backend) or a forbidden read
// is the error returned.
[[nodiscard]] Result<std::vector<Finding>> diagnose(
    store::ObjectStore& store, const TenancyContext& context,
    const kubeflow::ContributorOptions& options = {});

}  // namespace kftenant::tenancy
