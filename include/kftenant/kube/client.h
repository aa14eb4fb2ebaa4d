// Client: the Kubernetes API verbs on JSON objects, following the API conventions so that it
// works unchanged against a real kube-apiserver.
//
// Objects are nlohmann::json and are sent and returned as they are, so fields kftenant does not
// know survive a read-modify-write. Every request carries `Accept: application/json` and the
// credentials of the RestConfig's user, passes the client-side rate limiter, and is retried per
// the RetryPolicy (see retry.h: idempotent requests only, except 429). On 401 with refreshable
// credentials (exec plugin, token file) the credentials are re-fetched and the request is sent
// once more. Thread-safe: one Client may be used from several threads.
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
  std::optional<double> qps;  // default: RestConfig::qps (<= 0 disables the limit)
  std::optional<int> burst;   // default: RestConfig::burst
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
  [[nodiscard]] const std::string& default_namespace() const { return config_.namespace_name; }
  [[nodiscard]] const RestConfig& config() const { return config_; }

  // GET one object. kNotFound when it does not exist.
  [[nodiscard]] Result<nlohmann::json> get(const ResourceRef& ref, std::string_view ns,
                                           std::string_view name);
  // One LIST request (one page when options.limit > 0; see metadata.continue).
  [[nodiscard]] Result<nlohmann::json> list(const ResourceRef& ref, std::string_view ns,
                                            const ListOptions& options = {});
  // Every page of a LIST, following metadata.continue, merged into one List (metadata of the
  // first page, without continue). When a continue token expires (410) it starts over once.
  [[nodiscard]] Result<nlohmann::json> list_all(const ResourceRef& ref, std::string_view ns,
                                                const ListOptions& options = {});
  // POST. `ns` is the namespace for a namespaced resource ("" = metadata.namespace). A lost
  // answer is resolved by GETting metadata.name: found → returned with resolved_by_read, missing
  // → POSTed again; objects with only generateName are not retried after a lost answer.
  // metadata.resourceVersion must not be set (the server would answer 500).
  [[nodiscard]] Result<CreateResult> create(const ResourceRef& ref, std::string_view ns,
                                            const nlohmann::json& object,
                                            const CreateOptions& options = {});
  // PUT of the whole object; it must carry metadata.name and metadata.resourceVersion (so that a
  // concurrent change gives kConflict instead of being overwritten).
  [[nodiscard]] Result<nlohmann::json> replace(const ResourceRef& ref, std::string_view ns,
                                               const nlohmann::json& object,
                                               const ReplaceOptions& options = {});
  // PUT .../status: replaces only the status (for resources with the status subresource).
  // Same requirements as replace().
  [[nodiscard]] Result<nlohmann::json> replace_status(const ResourceRef& ref, std::string_view ns,
                                                      const nlohmann::json& object,
                                                      const ReplaceOptions& options = {});
  // PATCH with `patch` (an object, or an array for kJsonPatch).
  [[nodiscard]] Result<nlohmann::json> patch(const ResourceRef& ref, std::string_view ns,
                                             std::string_view name, const nlohmann::json& patch,
                                             const PatchOptions& options = {});
  // DELETE. Returns what the server returned: a Status (kind Status, status Success) when the
  // object is gone, or the object itself when deletion is pending (finalizers, Foreground).
  [[nodiscard]] Result<nlohmann::json> remove(const ResourceRef& ref, std::string_view ns,
                                              std::string_view name,
                                              const DeleteOptions& options = {});
  // GET, mutate, PUT with the read resourceVersion; on 409 Conflict read again and re-apply,
  // up to `max_attempts` times. Returns the object as stored (the read one when mutate reported
  // no change, in which case nothing is written). A PUT retried after a lost answer that had in
  // fact succeeded gets 409 too; the re-read then shows the change and mutate reports none.
  [[nodiscard]] Result<nlohmann::json> read_modify_write(const ResourceRef& ref,
                                                         std::string_view ns, std::string_view name,
                                                         const Mutation& mutate,
                                                         int max_attempts = 5);

  // Watches a collection until `on_event` returns false or `stop` is requested; see
  // WatchOptions for the reconnect / resume / re-list behaviour.
  [[nodiscard]] Result<void> watch(const ResourceRef& ref, std::string_view ns,
                                   const WatchOptions& options, const WatchHandler& on_event,
                                   std::stop_token stop = {});

  // The resource for (apiVersion, kind): the built-in table, else discovery (GET /api/v1 or
  // /apis/<group>/<version>), cached per group/version. kNotFound when the server does not
  // serve that kind.
  [[nodiscard]] Result<ResourceRef> resolve(std::string_view api_version, std::string_view kind);

  // GET of an arbitrary path (discovery documents, /version...), parsed as JSON.
  [[nodiscard]] Result<nlohmann::json> get_path(std::string_view path_and_query);

 private:
  struct Call;
  Client(RestConfig config, ClientOptions options, std::shared_ptr<HttpTransport> transport);

  // Sends with rate limit, credentials (401 → refresh once) and retries. Any HTTP status is a
  // value; only a lost answer after the last attempt is an Error.
  [[nodiscard]] Result<HttpResponse> execute(const Call& call);
  // One attempt (rate limit, credentials, 401 refresh) without retries; `number` is for the log.
  [[nodiscard]] Result<HttpResponse> attempt(const Call& call, int number);
  // Rate limit, then one request through `send` (the transport's send or stream), logged.
  [[nodiscard]] Result<HttpResponse> send_logged(
      const Call& call, int number,
      const std::function<Result<HttpResponse>(const HttpRequest&)>& send);
  void log_wait(RequestEvent::Kind kind, const Call& call, int number,
                std::chrono::nanoseconds wait) const;
  // error_from_response, with a 401 explained for this client's credentials.
  [[nodiscard]] Error response_error(const HttpResponse& response, std::string_view request) const;
  // Opens a watch stream (credentials and 401 refresh as attempt()).
  [[nodiscard]] Result<HttpResponse> open_stream(const Call& call,
                                                 const std::function<bool(std::string_view)>& on);
  [[nodiscard]] Result<HttpRequest> build_request(const Call& call);
  // execute() + non-2xx → Error + JSON parse.
  [[nodiscard]] Result<nlohmann::json> execute_json(const Call& call);
  [[nodiscard]] Result<nlohmann::json> put_object(const ResourceRef& ref, std::string_view ns,
                                                  const nlohmann::json& object,
                                                  std::string_view subresource,
                                                  const ReplaceOptions& options);
  [[nodiscard]] Result<std::string> namespace_for(const ResourceRef& ref, std::string_view ns,
                                                  const nlohmann::json* object);

  RestConfig config_;
  ClientOptions options_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<HttpTransport> transport_;
  CredentialSource credentials_;
  RateLimiter limiter_;
  Retrier retrier_;

  std::mutex mu_;
  std::string presented_cert_;  // client certificate last handed to the transport
  std::map<std::string, std::vector<ResourceRef>> discovery_cache_;  // by apiVersion
};

}  // namespace kftenant::kube
