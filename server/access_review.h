// Asking the API server about a caller, as kube-rbac-proxy and the API server's webhook
// authenticator do:
//   - who a bearer token belongs to: a TokenReview (authentication.k8s.io/v1), for the API
//     server's own audience;
//   - whether a user may administer Kubeflow's tenancy: a SubjectAccessReview
//     (authorization.k8s.io/v1) for `update` on kubeflow.org `profiles` cluster-wide, the
//     permission that already lets someone change anyone's Profile with kubectl.
// Answers are cached for a short while (`CacheOptions`), keyed by the token's SHA-256, never the
// token itself: a token revoked, or a binding removed, is honoured within the TTL. Only answers
// are cached; a request that failed (the API server unreachable, the server's own account
// refused) is asked again next time. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/clock.h"
#include "kftenant/error.h"

namespace kftenant::kube {
class Client;
}

namespace kftenant::server {

// A token's user as the API server authenticated it: the username and groups as they are
// (`system:serviceaccount:ns:name`, an OIDC email with the API server's prefix...).
struct TokenUser {
  std::string username;
  std::vector<std::string> groups;
};

// The seam: ClusterAccessReviews asks the API server, tests may answer themselves.
class AccessReviews {
 public:
  virtual ~AccessReviews() = default;
  // The token's user. kUnauthorized when the API server does not authenticate it (expired,
  // revoked, another audience); kConfig (a 500) when the API server refuses the server's own
  // account the review (what to grant is named); the client's error when it cannot be asked.
  [[nodiscard]] virtual Result<TokenUser> review_token(std::string_view token) = 0;
  // Whether `user` with `groups` may update Profiles cluster-wide; errors as review_token's.
  [[nodiscard]] virtual Result<bool> may_administer(const std::string& user,
                                                    const std::vector<std::string>& groups) = 0;
};

class ClusterAccessReviews final : public AccessReviews {
 public:
  struct CacheOptions {
    // As kube-apiserver's --authentication-token-webhook-cache-ttl (2m) would be too long for a
    // revoked administrator; a minute bounds it and still spares the API server a review per
    // request.
    std::chrono::seconds allowed_ttl{60};
    // A rejected token or a denied review: short, so a binding just made works soon.
    std::chrono::seconds denied_ttl{10};
    size_t max_entries = 10'000;  // beyond: the expired are dropped, then everything
  };

  ClusterAccessReviews(kube::Client& client, std::shared_ptr<Clock> clock);
  ClusterAccessReviews(kube::Client& client, std::shared_ptr<Clock> clock, CacheOptions cache);

  [[nodiscard]] Result<TokenUser> review_token(std::string_view token) override;
  [[nodiscard]] Result<bool> may_administer(const std::string& user,
                                            const std::vector<std::string>& groups) override;

 private:
  struct Entry {
    std::chrono::steady_clock::time_point expires;
    bool allowed = false;
    TokenUser user;       // token reviews
    std::string message;  // a rejected token: why (never the token)
  };
  [[nodiscard]] const Entry* cached(const std::string& key) const;  // under mu_
  void remember(const std::string& key, Entry entry);               // under mu_

  kube::Client& client_;
  std::shared_ptr<Clock> clock_;
  CacheOptions cache_options_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // "t:" + sha256(token), or "a:" + user + groups
};

}  // namespace kftenant::server
