// Who is calling, and whether they administer tenancy. Two ways to be identified
// (IdentityOptions::mode), never both, so that one cannot be used to forge the other:
//   - kHeader: behind Kubeflow's Istio ingress and oauth2-proxy every request carries the
//     signed-in user in a header (`kubeflow-userid`, optionally with a prefix such as
//     "accounts.google.com:") and their groups in another (`kubeflow-groups`, comma-separated,
//     as Istio's outputClaimToHeaders writes the JWT's groups claim), exactly as Kubeflow's own
//     web apps read them (kubeflow/kubeflow components/crud-web-apps/common/backend/kubeflow/
//     kubeflow/crud_backend/authn.py). The header can be trusted only because the mesh lets
//     nothing but the ingress gateway reach the server (deploy/serve's AuthorizationPolicy): a
//     client that reaches the port directly can claim any identity. `Authorization` is ignored:
//     oauth2-proxy puts Dex's ID token there, which is not a Kubernetes token.
//   - kToken: `Authorization: Bearer <Kubernetes token>`, checked with a TokenReview; the caller
//     is the token's username (minus the prefix), its groups the token's. The headers are ignored
//     entirely.
// An administrator is one of `admins` (emails, any case), a member of one of `admin_groups`, or,
// with `reviews` set and `rbac_admins`, whoever may update Profiles cluster-wide (a
// SubjectAccessReview for the user and groups). README "Trust model" says all this.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"
#include "server/access_review.h"
#include "server/route_table.h"

namespace kftenant::server {

enum class IdentityMode { kHeader, kToken };

struct IdentityOptions {
  IdentityMode mode = IdentityMode::kHeader;
  std::string userid_header = "kubeflow-userid";
  std::string userid_prefix;  // removed from the header's value (the token's username) if there
  std::string groups_header = "kubeflow-groups";  // kHeader only; "" for none
  std::vector<std::string> admins;                // emails, compared case-insensitively
  std::vector<std::string> admin_groups;          // compared exactly, as RBAC does
  bool rbac_admins = true;                        // ask `reviews` (when set)
  AccessReviews* reviews = nullptr;               // needed by kToken; must outlive the Identity
};

// Reads a request header by name (case-insensitive), nullopt when absent.
using HeaderLookup = std::function<std::optional<std::string>(std::string_view name)>;

class Identity {
 public:
  explicit Identity(IdentityOptions options);

  // The caller of a request. kUnauthorized when the header (kHeader) or the bearer token
  // (kToken) is missing, malformed or not accepted; the message names the header, never echoes
  // its value. The errors of `reviews` otherwise (a 500 or 503: the caller is not at fault).
  [[nodiscard]] Result<Caller> identify(const HeaderLookup& header) const;

  [[nodiscard]] const IdentityOptions& options() const { return options_; }
  // Whether `user` (an email, or a token's username) with `groups` is an administrator; for
  // someone other than the caller (KFAM's role/clusteradmin?user=) the groups are not known.
  [[nodiscard]] Result<bool> is_admin(std::string_view user,
                                      const std::vector<std::string>& groups = {}) const;

 private:
  [[nodiscard]] Result<Caller> from_header(const HeaderLookup& header) const;
  [[nodiscard]] Result<Caller> from_token(const HeaderLookup& header) const;
  // One of `admins`, or in one of `admin_groups`.
  [[nodiscard]] bool listed(std::string_view user, const std::vector<std::string>& groups) const;

  IdentityOptions options_;
};

}  // namespace kftenant::server
