// A strict, in-process Kubernetes API server for tests, speaking HTTPS on a loopback port.
//
// It copies kube-apiserver 1.26's answers (status codes, Status bodies, key order, watch framing;
// see ../shared/reference/apiserver-transcripts/) for the resources kftenant uses: namespaces,
// configmaps, secrets, serviceaccounts, resourcequotas, deployments (with a simulated rollout),
// RBAC, leases, CRDs and the custom resources they define. It authenticates bearer tokens and
// client certificates and authorizes like --authorization-mode=RBAC (system:masters may do
// anything; others what the stored Roles/ClusterRoles and bindings grant, with the default
// bootstrap roles; the rest gets the real 403 messages), and lets tests inject faults (status
// codes, latency, dropped connections, ended watches).
//
// Typical use:
//   auto server = ApiServer::start({}).value();
//   server->write_kubeconfig(path);   // or server->url() + ca_pem() + admin_token()
//
// What it does not model is listed in testserver/README.md.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "kftenant/error.h"
#include "testserver/certs.h"

namespace kftenant::testserver {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;                // 0 = a random free port
  bool seed_kubeflow = false;  // preload kubeflow_seed_objects() (Deployments rolled out)
  // The simulated deployment controller: after a pod-template change (or create) it reports the
  // rollout complete after this delay. Off: status stays {} as without a controller.
  bool simulate_deployment_controller = true;
  std::chrono::milliseconds rollout_delay{300};
  std::chrono::milliseconds namespace_deletion_delay{200};
  std::chrono::milliseconds gc_delay{100};
  // The ClusterRole aggregation controller runs this long after a ClusterRole changes (the
  // real one reacts within milliseconds); roles seeded at start are aggregated before serving.
  std::chrono::milliseconds role_aggregation_delay{20};
  // The apiextensions controllers run this long after a CRD change: a CRD created over HTTP is
  // Established then (its create answer has no conditions yet), and a deleted CRD (terminating,
  // finalizer customresourcecleanup.apiextensions.k8s.io) has its objects deleted and goes once
  // none is left; meanwhile creating objects of it is refused (405).
  std::chrono::milliseconds crd_controller_delay{50};
  // Interval of BOOKMARK events on watches with allowWatchBookmarks=true (a last one is sent
  // about 2 s before timeoutSeconds ends, as the real server does).
  std::chrono::milliseconds bookmark_interval{1000};
  size_t watch_history = 10000;  // events kept for watch resume and paging; older rv → Expired
  // Create kube-root-ca.crt ConfigMap and "default" ServiceAccount in each new namespace, as the
  // real cluster's controllers do.
  bool namespace_defaults = true;
  // Connections served at once: httplib gives each keep-alive connection a thread for its life,
  // so a client with more connections than this leaves the rest unanswered (bench_serve sets it
  // above its wrk connections, so that the baseline serves all of them).
  int threads = 64;

  // The simulated Kubeflow profile controller (kubeflow/kubeflow v1.10.0
  // components/profile-controller, as pinned by kubeflow/manifests 26.03; see
  // ../shared/reference/kubeflow-contract.md §2): `profile_controller_delay` after a change of a
  // Profile or of an object it controls, it creates the Profile's Namespace, AuthorizationPolicy
  // ns-owner-access-istio, ServiceAccounts and RoleBindings default-editor/default-viewer,
  // RoleBinding namespaceAdmin and ResourceQuota kf-resource-quota, adds the finalizer
  // profile-finalizer and removes it when the Profile is deleted (the garbage collector then
  // removes the namespace and what the Profile owns). Off by default.
  bool simulate_profile_controller = false;
  std::chrono::milliseconds profile_controller_delay{100};
  bool profile_controller_paused = false;  // start paused (see set_profile_controller_paused)
  // The controller's -userid-header / -userid-prefix (manifests' params.env values).
  std::string profile_userid_header = "kubeflow-userid";
  std::string profile_userid_prefix;
  // The namespace-labels.yaml file: kubeflow/manifests applications/profiles/upstream/base/
  // namespace-labels.yaml. A key with value "" removes that label; existing labels are kept.
  std::map<std::string, std::string> profile_namespace_labels = {
      {"app.kubernetes.io/part-of", "kubeflow-profile"},
      {"katib.kubeflow.org/metrics-collector-injection", "enabled"},
      {"pipelines.kubeflow.org/enabled", "true"},
      {"serving.kubeflow.org/inferenceservice", "enabled"}};
};

// A fault to inject. Matching requests (method + path regex) consume `count`.
struct FaultRule {
  std::string method;      // "" = any
  std::string path_regex;  // ECMAScript, matched (regex_search) against the path without query
  int count = 1;
  int skip = 0;    // let this many matching requests through before the rule fires
  int status = 0;  // 0 = no status fault; else answer a Status with this code (nothing is done)
  std::optional<int> retry_after_seconds;  // Retry-After header (429 defaults to 1)
  std::string reason;                      // Status reason override ("" = the code's usual one)
  std::chrono::milliseconds latency{0};    // sleep before handling
  // Close the connection instead of answering properly: the request IS processed (side effects
  // happen), then the status line, headers and half of the body are sent and the socket is cut.
  // For a watch: the initial events are sent, then the socket is cut.
  bool drop_connection = false;
  // With drop_connection: cut the socket before processing (no side effect, no answer at all).
  bool drop_before_processing = false;
  // End the open watches whose path matches, now (the stream ends cleanly; nothing written after
  // this reaches them). When none is open, the rule waits for the next matching watch, which
  // ends right after its initial events.
  bool end_watch = false;
};

struct RequestRecord {
  std::string method, path, query, user;
  int status = 0;
  // The injected fault this request met, "" for none: "latency 200ms", "status 500",
  // "drop before processing", "drop after processing" (parts joined by ", ").
  std::string fault;
  std::string content_type;  // the request's Content-Type header, "" when it had none
};

class ApiServer {
 public:
  // Generates the CA and certificates, binds host:port and starts serving.
  [[nodiscard]] static kftenant::Result<std::unique_ptr<ApiServer>> start(Options options = {});

  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;
  void stop();  // ends watches, stops serving and the controllers; idempotent

  [[nodiscard]] int port() const;
  [[nodiscard]] std::string url() const;     // https://127.0.0.1:PORT
  [[nodiscard]] std::string ca_pem() const;  // CA of the serving certificate (and client certs)
  [[nodiscard]] std::string admin_token() const;    // bearer token of "admin" (system:masters)
  [[nodiscard]] KeyPair admin_client_cert() const;  // CN=admin, O=system:masters
  [[nodiscard]] KeyPair client_cert_for(const std::string& user,
                                        const std::vector<std::string>& groups) const;
  // Accepts `token` as `user` in `groups` (system:authenticated is added), with user info
  // `uid` (what a TokenReview of the token reports; kube-apiserver's token file has a uid
  // column). What it may do is what RBAC grants the user and groups (system:masters: anything).
  void add_user_token(const std::string& token, const std::string& user,
                      const std::vector<std::string>& groups = {}, const std::string& uid = "");

  enum class KubeconfigAuth { kToken, kClientCert };
  // Writes a kubeconfig (mode 0600, CA embedded, context "kftenant-test", namespace default).
  [[nodiscard]] kftenant::Result<void> write_kubeconfig(
      const std::string& path, KubeconfigAuth auth = KubeconfigAuth::kToken) const;

  void inject_fault(FaultRule rule);
  void clear_faults();
  // Number of watch streams open now whose path matches `path_regex` (to wait for a watch).
  [[nodiscard]] int open_watches(const std::string& path_regex = "") const;

  [[nodiscard]] std::vector<RequestRecord> requests() const;
  void clear_requests();

  // ---- direct store access (bypasses HTTP and auth; bumps resourceVersion, emits events) ----
  // `api_version` "v1" / "apps/v1" / "kubeflow.org/v1"; `resource` the plural; `ns` "" for
  // cluster-scoped. Errors carry the Status the HTTP API would answer (http_status, reason).
  [[nodiscard]] kftenant::Result<nlohmann::json> get_object(const std::string& api_version,
                                                            const std::string& resource,
                                                            const std::string& ns,
                                                            const std::string& name) const;
  // Creates, or replaces when it exists (no resourceVersion check): for seeding and for playing
  // a controller. Returns the stored object.
  [[nodiscard]] kftenant::Result<nlohmann::json> put_object(const std::string& api_version,
                                                            const std::string& resource,
                                                            nlohmann::json object);
  // Deletes like an HTTP DELETE with default options (finalizers respected). A CRD's objects
  // are deleted at once and the CRD goes with them unless one of them has a finalizer (then it
  // stays terminating, as over HTTP).
  [[nodiscard]] kftenant::Result<void> delete_object(const std::string& api_version,
                                                     const std::string& resource,
                                                     const std::string& ns,
                                                     const std::string& name);
  [[nodiscard]] kftenant::Result<std::vector<nlohmann::json>> list_objects(
      const std::string& api_version, const std::string& resource,
      const std::string& ns = "") const;
  [[nodiscard]] int64_t current_resource_version() const;

  void set_deployment_rollout_delay(std::chrono::milliseconds delay);

  // Pauses or resumes the simulated profile controller (Options::simulate_profile_controller).
  // While paused it changes nothing (like a controller scaled to zero); on resume it reconciles
  // every Profile, as a restarted controller does.
  void set_profile_controller_paused(bool paused);
  // How many reconciles of Profile `profile` ("" = of any Profile) the simulated profile
  // controller has finished, whatever their outcome (including "namespace owned by someone
  // else", "retry later" and "Profile gone"): wait for it to grow to know that the controller
  // has looked at a change.
  [[nodiscard]] int64_t profile_controller_reconciles(const std::string& profile = "") const;
  // True when the simulated profile controller has no reconcile queued or running: every change
  // made before the call has been reconciled (or dropped while paused). Retries count as queued.
  [[nodiscard]] bool profile_controller_idle() const;

  class Impl;

 private:
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kftenant::testserver
