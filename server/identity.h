// Who is calling. Behind Kubeflow's Istio ingress and oauth2-proxy every request carries the
// signed-in user in a header (`kubeflow-userid`, optionally with a prefix such as
// "accounts.google.com:"), exactly as Kubeflow's own web apps read it (kubeflow/kubeflow
// components/crud-web-apps/common/backend/kubeflow/kubeflow/crud_backend/authn.py). That header
// can be trusted only because the mesh lets nothing but the ingress gateway reach the server
// (deploy/serve's AuthorizationPolicy): a client that reaches the port directly can claim any
// identity. README "Trust model" says so.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"
#include "server/route_table.h"

namespace kftenant::server {

struct IdentityOptions {
  std::string userid_header = "kubeflow-userid";
  std::string userid_prefix;        // removed from the header's value when present
  std::vector<std::string> admins;  // emails, compared case-insensitively
};

// Reads a request header by name (case-insensitive), nullopt when absent.
using HeaderLookup = std::function<std::optional<std::string>(std::string_view name)>;

class Identity {
 public:
  explicit Identity(IdentityOptions options);

  // The caller of a request: kUnauthorized when the header is missing, empty, or not an email
  // after the prefix is removed (the message names the header, never echoes a long value).
  [[nodiscard]] Result<Caller> identify(const HeaderLookup& header) const;

  [[nodiscard]] const IdentityOptions& options() const { return options_; }
  // Whether `email` is one of the configured administrators (any case).
  [[nodiscard]] bool is_admin(std::string_view email) const;

 private:
  IdentityOptions options_;
};

}  // namespace kftenant::server
