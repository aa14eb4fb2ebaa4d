// Client: the Kubernetes API verbs on JSON objects, following the API conventions so that it
// works unchanged against a real kube-apiserver.
//
// Objects are nlohmann::json and are sent and returned as they are, so fields kftenant does not
// know survive a read-modify-write. Every request carries `Accept: application/json` and the
// credentials of the RestConfig's user, passes a client-side rate limiter, and is retried per
// the RetryPolicy (see retry.h: idempotent requests only, except 429). On 401 with refreshable
// credentials (exec plugin, token file) the credentials are re-fetched and the request is sent
// once more.
//
// Threads. Every public method is thread-safe: one Client may be shared by any number of threads
// (a controller's watches beside its writes). Shared state (rate limiters, credential cache,
// discovery cache, the transport's connection pool) is locked internally; no lock is held while
// a request is on the wire, while sleeping, or while an exec credential plugin runs. When several
// requests get 401 with the same credentials at once, the plugin (or token file) is re-run once
// and all of them use its answer. ClientOptions::request_log is called on the calling thread,
// with no lock held, possibly from several threads at once. The Client must outlive the calls
// made on it.
//
// Blocking. Every verb blocks its calling thread until the answer (or the last retry) is in:
// a rate-limiter wait before each request (unbounded in principle: it grows with the queue of
// callers ahead), each attempt at most ClientOptions::request_timeout (the curl transport gives
// 10 s of it to connecting), a backoff wait between attempts (at most RetryPolicy::max_delay, or
// the server's Retry-After, which is not capped), RetryPolicy::max_attempts attempts in all; on
// top of that create()'s read after a lost answer, read_modify_write()'s attempts and
// list_all()'s pages. With the defaults one get() can take about 5 minutes against an API server
// that does not answer. CallOptions bound it:
// - `stop`: when requested, the call ends promptly with ErrorCode::kCancelled: every wait wakes
//   on it at once, and the curl transport checks it while a request is in flight (from its
//   progress callback: about once a second at most while the connection is idle);
// - `deadline`: a rate-limit or backoff wait that would end after it is not started, an
//   attempt's timeout is cut to what is left, and the call then fails with
//   ErrorCode::kDeadlineExceeded (an answer that arrived in time is returned as usual).
// Not bounded by either: running the exec credential plugin (ExecPluginOptions::timeout, 60 s by
// default, is its only limit; a caller waiting for another thread's plugin run does honour
// `stop`), and reading a token file. watch() runs until its handler returns false or its stop
// token is requested; it has no deadline.
//
// Rate budgets (client-side token buckets, see rate_limiter.h). Reads use the main bucket
// (ClientOptions::qps/burst). Writes (POST, PUT, PATCH, DELETE) share it unless write_qps is set,
// then they have their own. Watch connections and the lists a watch makes (initial list,
// re-list after 410) never take from the main or the write bucket: they have their own
// (watch_qps/watch_burst), so that a long-running controller re-watching cannot starve writes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "kftenant/clock.h"
#include "kftenant/error.h"
#include "kftenant/kube/credentials.h"
#include "kftenant/kube/rate_limiter.h"
#include "kftenant/kube/resource.h"
#include "kftenant/kube/rest_config.h"
#include "kftenant/kube/retry.h"
#include "kftenant/kube/transport.h"
#include "kftenant/kube/watch.h"

namespace kftenant::kube {

// One thing the client did on the wire, for request logs (kubectl -v style). It carries what is
// safe to print and nothing else: no header (so no Authorization), no body, no credential.
struct RequestEvent {
  enum class Kind {
    kResponse,       // one attempt ended: `status`, or `error` when no answer came
    kRetryWait,      // about to wait `duration` before attempt `attempt` (backoff/Retry-After)
    kRateLimitWait,  // the client-side rate limiter held the request for `duration`
  };
  Kind kind = Kind::kResponse;
  std::string method;          // GET, POST, ...
  std::string path_and_query;  // e.g. /api/v1/namespaces/auth/configmaps/dex?fieldManager=x
  int attempt = 1;             // 1-based; the retry budget is RetryPolicy::max_attempts
  int status = 0;              // kResponse: the HTTP status; 0 when there was no answer
  std::string error;           // kResponse without an answer: the transport error's message
  // kResponse: from sending to the whole answer (for a watch: how long the stream was open);
  // waits: how long.
  std::chrono::milliseconds duration{0};
};
using RequestLog = std::function<void(const RequestEvent&)>;

struct ClientOptions {
  std::shared_ptr<Clock> clock;              // null = the system clock
  std::shared_ptr<HttpTransport> transport;  // null = libcurl, from the RestConfig
  RetryPolicy retry;
  // The main bucket: reads, and writes unless write_qps is set.
  std::optional<double> qps;  // default: RestConfig::qps (<= 0 disables the limit)
  std::optional<int> burst;   // default: RestConfig::burst
  // Writes (POST, PUT, PATCH, DELETE): unset = they share the main bucket; set = a bucket of
  // their own (<= 0 = writes are not limited). write_burst defaults to burst.
  std::optional<double> write_qps;
  std::optional<int> write_burst;
  // Watch connections and the lists watch() makes: always their own bucket, never the main or
  // the write one (<= 0 disables the limit).
  double watch_qps = 5.0;
  int watch_burst = 10;
  std::chrono::milliseconds request_timeout{60000};  // per attempt, for everything but watch
  // Called once per request sent (including the re-send after a 401 refresh and every retry),
  // before every retry wait and after every rate-limiter wait. The library never prints; a
  // caller that wants -v output prints from here. May be called from several threads at once.
  RequestLog request_log;
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  std::int64_t limit = 0;  // page size; 0 = no paging
  std::string continue_token;
  std::string resource_version;  // "" = most recent (consistent read); "0" = any (watch cache)
};

struct CreateOptions {
  bool dry_run = false;       // dryRun=All: validated, nothing stored
  std::string field_manager;  // fieldManager
};

// A create's result. `resolved_by_read` is true when the POST's answer was lost (connection
// error, timeout or 5xx) and the object was then found by GET: it exists, but possibly created by
// someone else — compare it if that matters.
struct CreateResult {
  nlohmann::json object;
  bool resolved_by_read = false;
};

struct ReplaceOptions {
  bool dry_run = false;
  std::string field_manager;
};

enum class PatchType {
  kMerge,           // application/merge-patch+json (RFC 7386)
  kStrategicMerge,  // application/strategic-merge-patch+json (built-in kinds only)
  kJsonPatch,       // application/json-patch+json (RFC 6902)
  kApply,           // application/apply-patch+yaml: server-side apply, needs field_manager
};

struct PatchOptions {
  PatchType type = PatchType::kMerge;
  std::string field_manager;  // required by kApply
  bool force = false;         // kApply: take over conflicting fields
  bool dry_run = false;
  std::string subresource;  // e.g. "status"; "" = the object itself
};

struct DeleteOptions {
  std::string propagation_policy;  // "", "Foreground", "Background" or "Orphan"
  std::string precondition_uid;
  std::string precondition_resource_version;
  bool dry_run = false;
  std::optional<std::int64_t> grace_period_seconds;
};

// Per-call bounds (see the header comment): `stop` ends the call with kCancelled, `deadline`
// (on the steady clock, i.e. ClientOptions::clock's now()) with kDeadlineExceeded. Defaulted:
// a call without them runs to its end.
struct CallOptions {
  std::stop_token stop;
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// Called with each watch event; returns false to stop watching.
using WatchHandler = std::function<bool(const WatchEvent&)>;
// Mutation for read_modify_write: changes the object in place and says whether it changed.
using Mutation = std::function<Result<bool>(nlohmann::json&)>;

class Client {
 public:
  // The RestConfig provides the server, TLS settings, the user's credentials and the default
  // QPS/burst. Fails when the transport cannot be set up (e.g. unreadable PEM).
  [[nodiscard]] static Result<std::unique_ptr<Client>> create(const RestConfig& config,
                                                              ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The namespace of the kubeconfig context ("default" when unset).
  [[nodiscard]] const std::string& default_namespace() const;
  [[nodiscard]] const RestConfig& config() const;

  // GET one object. kNotFound when it does not exist.
  [[nodiscard]] Result<nlohmann::json> get(const ResourceRef& ref, std::string_view ns,
                                           std::string_view name, const CallOptions& call = {});
  // One LIST request (one page when options.limit > 0; see metadata.continue).
  [[nodiscard]] Result<nlohmann::json> list(const ResourceRef& ref, std::string_view ns,
                                            const ListOptions& options = {},
                                            const CallOptions& call = {});
  // Every page of a LIST, following metadata.continue, merged into one List (metadata of the
  // first page, without continue). When a continue token expires (410) it starts over once.
  [[nodiscard]] Result<nlohmann::json> list_all(const ResourceRef& ref, std::string_view ns,
                                                const ListOptions& options = {},
                                                const CallOptions& call = {});
  // POST. `ns` is the namespace for a namespaced resource ("" = metadata.namespace). A lost
  // answer is resolved by GETting metadata.name: found → returned with resolved_by_read, missing
  // → POSTed again; objects with only generateName are not retried after a lost answer.
  // metadata.resourceVersion must not be set (the server would answer 500).
  [[nodiscard]] Result<CreateResult> create(const ResourceRef& ref, std::string_view ns,
                                            const nlohmann::json& object,
                                            const CreateOptions& options = {},
                                            const CallOptions& call = {});
  // PUT of the whole object; it must carry metadata.name and metadata.resourceVersion (so that a
  // concurrent change gives kConflict instead of being overwritten).
  [[nodiscard]] Result<nlohmann::json> replace(const ResourceRef& ref, std::string_view ns,
                                               const nlohmann::json& object,
                                               const ReplaceOptions& options = {},
                                               const CallOptions& call = {});
  // PUT .../status: replaces only the status (for resources with the status subresource).
  // Same requirements as replace().
  [[nodiscard]] Result<nlohmann::json> replace_status(const ResourceRef& ref, std::string_view ns,
                                                      const nlohmann::json& object,
                                                      const ReplaceOptions& options = {},
                                                      const CallOptions& call = {});
  // PATCH with `patch` (an object, or an array for kJsonPatch).
  [[nodiscard]] Result<nlohmann::json> patch(const ResourceRef& ref, std::string_view ns,
                                             std::string_view name, const nlohmann::json& patch,
                                             const PatchOptions& options = {},
                                             const CallOptions& call = {});
  // DELETE. Returns what the server returned: a Status (kind Status, status Success) when the
  // object is gone, or the object itself when deletion is pending (finalizers, Foreground).
  [[nodiscard]] Result<nlohmann::json> remove(const ResourceRef& ref, std::string_view ns,
                                              std::string_view name,
                                              const DeleteOptions& options = {},
                                              const CallOptions& call = {});
  // GET, mutate, PUT with the read resourceVersion; on 409 Conflict read again and re-apply,
  // up to `max_attempts` times. Returns the object as stored (the read one when mutate reported
  // no change, in which case nothing is written). A PUT retried after a lost answer that had in
  // fact succeeded gets 409 too; the re-read then shows the change and mutate reports none.
  [[nodiscard]] Result<nlohmann::json> read_modify_write(const ResourceRef& ref,
                                                         std::string_view ns, std::string_view name,
                                                         const Mutation& mutate,
                                                         int max_attempts = 5,
                                                         const CallOptions& call = {});

  // Watches a collection until `on_event` returns false or `stop` is requested (then ok(); an
  // open stream is cut within about a second and a reconnect wait ends at once); see WatchOptions
  // for the reconnect / resume / re-list behaviour. Uses the watch rate budget only.
  [[nodiscard]] Result<void> watch(const ResourceRef& ref, std::string_view ns,
                                   const WatchOptions& options, const WatchHandler& on_event,
                                   std::stop_token stop = {});

  // The resource for (apiVersion, kind): the built-in table, else discovery (GET /api/v1 or
  // /apis/<group>/<version>), cached per group/version. kNotFound when the server does not
  // serve that kind.
  [[nodiscard]] Result<ResourceRef> resolve(std::string_view api_version, std::string_view kind,
                                            const CallOptions& call = {});

  // Whether the server serves `kind` in `api_version` now, asked of discovery: unlike resolve(),
  // the built-in table does not answer (it says how a kind is addressed, not that its CRD is
  // installed). A yes is cached with the discovery document; a no is asked again next time, so
  // a CRD installed since is seen. An error only when discovery itself fails.
  [[nodiscard]] Result<bool> serves(std::string_view api_version, std::string_view kind,
                                    const CallOptions& call = {});

  // GET of an arbitrary path (discovery documents, /version...), parsed as JSON.
  [[nodiscard]] Result<nlohmann::json> get_path(std::string_view path_and_query,
                                                const CallOptions& call = {});

 private:
  struct Impl;  // src/kube/client_impl.h
  // GET /api/v1 or /apis/<group>/<version>, parsed and cached. kNotFound when not served.
  [[nodiscard]] Result<std::vector<ResourceRef>> discover(std::string_view api_version,
                                                          const CallOptions& call);
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kftenant::kube
