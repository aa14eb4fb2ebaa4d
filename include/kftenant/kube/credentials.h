// CredentialSource: the current credentials of a RestConfig's user, ready to put on a request.
//
// - static token / basic auth: constant;
// - token_file: re-read when older than a minute (service-account tokens rotate), as client-go
// does;
// - exec plugin: run on first use, the answer cached until its expirationTimestamp, and run again
//   after invalidate() (the client calls it on a 401), as kubectl does.
//
// Threads: every method is thread-safe. The exec plugin runs without the lock held (so
// invalidate(), refreshable() and callers that stop waiting are never blocked behind it), and one
// run at a time serves everyone (single flight): callers that need the credential while a run is
// in flight wait for its answer — or its error — instead of starting their own.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "kftenant/clock.h"
#include "kftenant/error.h"
#include "kftenant/kube/exec_plugin.h"
#include "kftenant/kube/rest_config.h"

namespace kftenant::kube {

struct Credentials {
  std::string authorization;  // value of the Authorization header ("Bearer ..."/"Basic ..."), or ""
  std::string client_cert_pem;  // TLS client certificate to present ("" = the RestConfig's, if any)
  std::string client_key_pem;
  // Which fetch these came from: it changes every time the credentials are fetched afresh (a
  // plugin run, a token file re-read). Pass it to invalidate(generation) after a 401.
  std::uint64_t generation = 0;
};

// What `config` presents to the API server, for messages and request logs, never a secret:
// "token", "token file /path", "exec plugin CMD", "basic auth", "client certificate", a
// combination ("token and client certificate"), "the service-account token /path" in a pod, or
// "no credentials". The precedence is CredentialSource's.
[[nodiscard]] std::string describe_auth(const RestConfig& config);

// Runs the exec plugin (default: run_exec_plugin from exec_plugin.h); a seam for tests.
using ExecRunner =
    std::function<Result<ExecCredential>(const ExecConfig& exec, const RestConfig& cluster)>;

class CredentialSource {
 public:
  CredentialSource(RestConfig config, std::shared_ptr<Clock> clock, ExecRunner exec_runner = {});
  ~CredentialSource();

  // The credentials to send now, fetching them when none are cached (or they expired). Blocks
  // while the exec plugin runs (in this thread or, single flight, another one); a caller waiting
  // for another thread's run gives up with kCancelled when `stop` is requested. The run itself
  // is bounded only by the plugin's own timeout (ExecPluginOptions::timeout).
  [[nodiscard]] Result<Credentials> current(std::stop_token stop = {});
  // Forget cached plugin output / token file contents, so the next current() fetches afresh.
  void invalidate();
  // The same, but only when the cached credentials are still those of `generation`: after a
  // 401, concurrent callers that sent the same credentials make one refresh, not one each.
  void invalidate(std::uint64_t generation);
  // Whether invalidate() + retry can possibly produce different credentials (exec or token file).
  [[nodiscard]] bool refreshable() const;

 private:
  struct State;
  RestConfig config_;
  std::shared_ptr<Clock> clock_;
  ExecRunner exec_runner_;
  std::unique_ptr<State> state_;
  std::mutex mu_;
  std::condition_variable_any plugin_done_;  // a plugin run ended (State::running false)
};

}  // namespace kftenant::kube
