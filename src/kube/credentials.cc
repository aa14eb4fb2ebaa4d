// Credentials for each request, with client-go's precedence and caching:
// - k8s.io/client-go/transport/round_trippers.go HTTPWrappersForConfig: a bearer token (static or
//   tokenFile) or basic auth; the two together are refused when the kubeconfig is resolved.
// - NewBearerAuthWithRefreshRoundTripper: with a tokenFile, the file's last successfully read
//   content is used and the static token is only the fallback when it cannot be read.
// - transport/token_source.go NewCachedFileTokenSource: the file is re-read once its token is older
//   than period (1 minute) minus leeway (10 seconds).
// - plugin/pkg/client/auth/exec/exec.go: the exec plugin applies only when no Authorization header
//   was set by the above (its round tripper skips requests that carry one); its answer is cached
//   until expirationTimestamp, and a 401 makes it run again (here: invalidate()).
#include "kftenant/kube/credentials.h"

#include "kftenant/base64.h"
#include "kftenant/kube/exec_plugin.h"
#include "kube/kubeconfig_internal.h"

namespace kftenant::kube {
namespace {

constexpr auto kTokenFilePeriod = std::chrono::minutes(1);
constexpr auto kTokenFileLeeway = std::chrono::seconds(10);

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

}  // namespace

std::string describe_auth(const RestConfig& config) {
  std::string what;
  if (!config.token_file.empty()) {
    what = (config.source == "in-cluster" ? "the service-account token " : "token file ") +
           config.token_file;
  } else if (!config.token.empty()) {
    what = "token";
  } else if (!config.username.empty() || !config.password.empty()) {
    what = "basic auth";
  } else if (config.exec) {
    what = "exec plugin " + config.exec->command;
  }
  if (!config.client_cert_pem.empty()) {
    what += what.empty() ? "client certificate" : " and client certificate";
  }
  return what.empty() ? "no credentials" : what;
}

struct CredentialSource::State {
  std::uint64_t generation = 0;  // bumped by every fresh fetch
  // tokenFile
  std::string file_token;  // last successfully read content ("" = none yet)
  std::chrono::steady_clock::time_point file_expiry{};
  bool file_fresh = false;
  // exec plugin
  std::optional<ExecCredential> exec;
  bool running = false;      // a plugin run is in flight (in some thread, without the lock)
  std::uint64_t run = 0;     // number of the last run started
  std::uint64_t failed = 0;  // number of the last run that failed (its error: failure)
  std::optional<Error> failure;
};

CredentialSource::CredentialSource(RestConfig config, std::shared_ptr<Clock> clock,
                                   ExecRunner exec_runner)
    : config_(std::move(config)),
      clock_(std::move(clock)),
      exec_runner_(exec_runner ? std::move(exec_runner)
                               : ExecRunner([](const ExecConfig& exec, const RestConfig& cluster) {
                                   return run_exec_plugin(exec, cluster);
                                 })),
      state_(std::make_unique<State>()) {}

CredentialSource::~CredentialSource() = default;

bool CredentialSource::refreshable() const {
  if (!config_.token_file.empty()) return true;
  bool static_auth =
      !config_.token.empty() || !config_.username.empty() || !config_.password.empty();
  return config_.exec.has_value() && !static_auth;
}

void CredentialSource::invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  state_->file_fresh = false;
  state_->exec.reset();
}

void CredentialSource::invalidate(std::uint64_t generation) {
  std::lock_guard<std::mutex> lock(mu_);
  // Someone else already fetched afresh since these credentials were handed out: use theirs.
  if (state_->generation != generation) return;
  state_->file_fresh = false;
  state_->exec.reset();
}

Result<Credentials> CredentialSource::current(std::stop_token stop) {
  std::unique_lock<std::mutex> lock(mu_);
  Credentials creds;
  State& st = *state_;

  if (!config_.token_file.empty()) {
    // A local file read: quick, done under the lock.
    auto now = clock_->now();
    if (!st.file_fresh || now >= st.file_expiry - kTokenFileLeeway) {
      auto content = detail::read_local_file(config_.token_file);
      std::string token = content ? trim(*content) : "";
      if (!token.empty()) {
        st.file_token = std::move(token);
        st.file_expiry = now + kTokenFilePeriod;
        st.file_fresh = true;
        ++st.generation;
      } else if (st.file_token.empty() && config_.token.empty()) {
        std::string why = content ? "the file is empty" : content.error().message;
        return make_error(ErrorCode::kConfig, "cannot read tokenFile " + config_.token_file +
                                                  " (from " + config_.source + "): " + why);
      }
      // Otherwise keep using the last token (or the static one), as cachingTokenSource does.
    }
    creds.authorization = "Bearer " + (st.file_token.empty() ? config_.token : st.file_token);
    creds.generation = st.generation;
    return creds;
  }
  if (!config_.token.empty()) {
    creds.authorization = "Bearer " + config_.token;
    return creds;
  }
  if (!config_.username.empty() || !config_.password.empty()) {
    creds.authorization = "Basic " + base64::encode(config_.username + ":" + config_.password);
    return creds;
  }
  if (config_.exec) {
    for (;;) {
      bool expired = st.exec && st.exec->expiration && clock_->wall_now() > *st.exec->expiration;
      if (st.exec && !expired) break;
      if (st.running) {
        // Single flight: wait for the run in flight and take its answer (or its error).
        const std::uint64_t awaited = st.run;
        if (!plugin_done_.wait(lock, stop, [&] { return !st.running; })) {
          return make_error(ErrorCode::kCancelled,
                            "stopped while waiting for the exec plugin " + config_.exec->command);
        }
        if (st.failed == awaited && st.failure) return fail(*st.failure);
        // The answer of the run just ended is used even when it says it has already expired
        // (as after our own run below): asking again would only loop.
        if (st.exec) break;
        continue;
      }
      st.exec.reset();
      st.running = true;
      const std::uint64_t mine = ++st.run;
      lock.unlock();
      // The plugin runs without the lock: it may take seconds (a browser login, a cloud CLI).
      auto cred = exec_runner_(*config_.exec, config_);
      lock.lock();
      st.running = false;
      if (cred) {
        st.exec = std::move(*cred);
        st.failure.reset();
        ++st.generation;
      } else {
        st.failed = mine;
        st.failure = cred.error();
      }
      plugin_done_.notify_all();
      if (!cred) return fail(cred.error());  // failures are not cached: the next call runs again
      break;
    }
    if (!st.exec->token.empty()) creds.authorization = "Bearer " + st.exec->token;
    creds.client_cert_pem = st.exec->client_cert_pem;
    creds.client_key_pem = st.exec->client_key_pem;
    creds.generation = st.generation;
  }
  return creds;
}

}  // namespace kftenant::kube
