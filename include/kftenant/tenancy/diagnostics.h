// What is wrong with an installation's users, as `kftenant doctor` reports it: Dex's own verdict
// on config.yaml (entries Dex would refuse to start with, or that can never log in), records Dex
// keeps for one login more than once (case variants, shadowed or misnamed Password objects), user
// IDs two users share, profiles whose owner does not match the email claim, and contributor
// bindings that are broken or that two emails fight over (KFAM names ex.jo@x and ex-jo@x alike).
// Read-only: a handful of GETs and LISTs, whatever the number of users.
#pragma once

#include <string>
#include <vector>

#include "kftenant/kubeflow/contributor.h"
#include "kftenant/tenancy/users.h"

namespace kftenant::tenancy {

struct Finding {
  enum class Level {
    kError,    // breaks Dex, a login or someone's access
    kWarning,  // works, but not as it looks
  };
  Level level = Level::kWarning;
  // What it is about: "ConfigMap auth/dex config.yaml line 12", "alice@example.com",
  // "profile alice".
  std::string subject;
  std::string message;  // one line: what is wrong and what to do
};

// Every finding, errors first, then in the order above. A kind that is not installed (Password
// CRD, Istio) has no findings; an unreadable Dex ConfigMap (static backend) or a forbidden read
// is the error returned.
[[nodiscard]] Result<std::vector<Finding>> diagnose(
    store::ObjectStore& store, const TenancyContext& context,
    const kubeflow::ContributorOptions& options = {});

}  // namespace kftenant::tenancy
