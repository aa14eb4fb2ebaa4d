// CredentialSource: the current credentials of a RestConfig's user, ready to put on a request.
//
// - static token / basic auth: constant;
// - token_file: re-read when older than a minute (service-account tokens rotate), as client-go does;
// - exec plugin: run on first use, the answer cached until its expirationTimestamp, and run again
//   after invalidate() (the client calls it on a 401), as kubectl does.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "kftenant/clock.h"
#include "kftenant/error.h"
#include "kftenant/kube/rest_config.h"

namespace kftenant::kube {

struct Credentials {
  std::string authorization;  // value of the Authorization header ("Bearer ..."/"Basic ..."), or ""
  std::string client_cert_pem;  // TLS client certificate to present ("" = the RestConfig's, if any)
  std::string client_key_pem;
};

// What `config` presents to the API server, for messages and request logs, never a secret:
// "token", "token file /path", "exec plugin CMD", "basic auth", "client certificate", a
// combination ("token and client certificate"), "the service-account token /path" in a pod, or
// "no credentials". The precedence is CredentialSource's.
[[nodiscard]] std::string describe_auth(const RestConfig& config);

class CredentialSource {
 public:
  CredentialSource(RestConfig config, std::shared_ptr<Clock> clock);
  ~CredentialSource();

  // Thread-safe.
  [[nodiscard]] Result<Credentials> current();
  // Forget cached plugin output / token file contents, so the next current() fetches afresh.
  void invalidate();
  // Whether invalidate() + retry can possibly produce different credentials (exec or token file).
  [[nodiscard]] bool refreshable() const;

 private:
  struct State;
  RestConfig config_;
  std::shared_ptr<Clock> clock_;
  std::unique_ptr<State> state_;
  std::mutex mu_;
};

}  // namespace kftenant::kube
