// Internals of ApiServer shared by its source files (not a public header).
//
// Threads: httplib's worker pool runs the handlers; one scheduler thread runs the simulated
// controllers (namespace deletion, garbage collection, deployment rollout). All object state is
// guarded by the store's mutex: handlers take it for their whole store work, watch streams take
// it while collecting events and wait on its condition variable in between.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testserver/apiserver.h"
#include "testserver/rbac.h"
#include "testserver/request_info.h"
#include "testserver/resources.h"
#include "testserver/selectors.h"
#include "testserver/store.h"
#include "testserver/validation.h"

namespace kftenant::testserver {

// An answer, before it is encoded as JSON or YAML.
struct Reply {
  int status = 200;
  ojson body;
  bool plain_text = false;  // body_text as text/plain (404 page not found)
  std::string body_text;
  std::vector<std::string> warnings;  // Warning header values without the `299 - ` prefix
  std::vector<std::pair<std::string, std::string>> headers;

  static Reply status_body(ojson status) {
    Reply r;
    r.status = status.value("code", 500);
    r.body = std::move(status);
    return r;
  }
  static Reply object(int code, ojson obj) {
    Reply r;
    r.status = code;
    r.body = std::move(obj);
    return r;
  }
};

struct User {
  std::string name;
  std::vector<std::string> groups;
  std::string uid;  // "" = none
  // The audiences a TokenRequest's token was issued for; empty for the static tokens, which
  // (like kube-apiserver's token file) are valid for the API server's own audience only.
  std::vector<std::string> audiences;
  [[nodiscard]] bool is_master() const;
};

// A parsed resource path: /api/v1/... or /apis/<group>/<version>/...
struct Route {
  std::string group, version;
  std::string plural, ns, name, subresource;
  std::shared_ptr<const ResourceType> info;
  [[nodiscard]] GroupResource gr() const { return {group, plural}; }
  [[nodiscard]] std::string api_version() const {
    return group.empty() ? version : group + "/" + version;
  }
};

// Runs tasks at a time, on one thread (the simulated controllers).
class Scheduler {
 public:
  Scheduler();
  ~Scheduler();
  void after(std::chrono::milliseconds delay, std::function<void()> task);
  void stop();

 private:
  struct Task {
    std::chrono::steady_clock::time_point at;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Task& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Task, std::vector<Task>, std::greater<Task>> tasks_;
  uint64_t seq_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

// An open watch stream, for end_watch faults and open_watches().
struct WatchHandle {
  std::string path;
  std::atomic<bool> end{false};
};

struct ListSelection {
  LabelSelector labels;
  FieldSelector fields;
};

// Query parameters of LIST/WATCH.
struct ListQuery {
  std::string label_selector, field_selector, resource_version, resource_version_match;
  std::string continue_token;
  int64_t limit = 0;
  bool watch = false;
  bool bookmarks = false;
  std::optional<int64_t> timeout_seconds;
};

class ApiServer::Impl {
 public:
  explicit Impl(Options options);
  ~Impl();

  // ---- lifecycle (server.cc) ----
  Result<void> init();
  void stop();

  // ---- HTTP entry (server.cc) ----
  void handle(const httplib::Request& req, httplib::Response& res);
  void write_reply(const httplib::Request& req, httplib::Response& res, const Reply& reply,
                   bool custom_sorted);

  // ---- auth (auth.cc) ----
  // nullopt = bad credentials (401).
  std::optional<User> authenticate(const httplib::Request& req) const;
  // The authorizer chain: system:masters, then RBAC over the store (takes the store lock;
  // decide_locked: store lock held).
  AuthzDecision decide(const User& user, const RequestInfo& request);
  AuthzDecision decide_locked(const User& user, const RequestInfo& request) const;
  // The stored RBAC objects as the authorizer reads them (store lock held while used).
  std::unique_ptr<RbacPolicy> store_rbac_policy() const;
  // Escalation prevention of the RBAC storage (rbac_escalation.h) for a create (old null) or
  // update of a Role, ClusterRole, RoleBinding or ClusterRoleBinding by request_user; nullopt
  // = allowed, else the 403. Store lock held.
  std::optional<Reply> check_rbac_escalation(const Route& r, const ojson& obj, const ojson* old);
  // nullopt = allowed; else the 403 answer (takes the store lock).
  std::optional<Reply> authorize(const User& user, const RequestInfo& request);
  // POST selfsubjectaccessreviews (takes the store lock).
  Reply self_subject_access_review(const User& user, const httplib::Request& req);
  // The review APIs (reviews.cc): POST authentication.k8s.io/v1 tokenreviews,
  // authorization.k8s.io/v1 subjectaccessreviews, selfsubjectaccessreviews and
  // namespaces/<ns>/localsubjectaccessreviews; 405 for other methods there; nullopt for any
  // other path.
  std::optional<Reply> review(const User& user, const httplib::Request& req);
  Reply token_review(const httplib::Request& req);
  Reply subject_access_review(const httplib::Request& req, const std::string& ns);

  // ---- faults & request log (faults.cc) ----
  std::optional<FaultRule> take_fault(const std::string& method, const std::string& path);
  Reply fault_reply(const FaultRule& rule, const Route* route);
  void record(RequestRecord rec);
  void end_watches(const std::string& path_regex, int* count);
  bool consume_end_watch_rule(const std::string& path);

  // ---- discovery (discovery_handlers.cc) ----
  std::optional<Reply> discovery(const std::string& path, const httplib::Request& req);

  // ---- resources (handlers_crud.cc): called with the store lock held ----
  Reply do_get(const Route& r);
  Reply do_list(const Route& r, const ListQuery& q);
  Reply do_create(const Route& r, ojson body, const httplib::Request& req);
  Reply do_update(const Route& r, ojson body, const httplib::Request& req);
  Reply do_patch(const Route& r, const std::string& body, const httplib::Request& req);
  Reply do_delete(const Route& r, const ojson& options, const httplib::Request& req);
  Reply do_delete_collection(const Route& r, const ListQuery& q, const httplib::Request& req);
  Reply do_apply(const Route& r, const std::string& body, const httplib::Request& req);
  // Records a non-apply write in `neu`'s managedFields as an Update entry (apply.cc): only when
  // the request names a fieldManager or `old` has managedFields. `old` null for a create.
  void record_update_manager(const ResourceType& info, const ojson* old, ojson& neu,
                             const httplib::Request& req, const std::string& api_version,
                             const std::string& subresource);
  // The update pipeline shared by PUT, PATCH and apply: preconditions, server-owned fields,
  // finalizer rules, status subresource, defaults, validation, commit.
  Reply update_object(const Route& r, const ojson& old, ojson neu, bool from_put,
                      const httplib::Request& req, std::vector<std::string> warnings);
  Reply scale_write(const Route& r, const ojson& body, const httplib::Request& req);
  // POST serviceaccounts/<name>/token (token_request.cc).
  Reply do_token_request(const Route& r, const std::string& body);
  Reply scale_view(const Route& r, const ojson& deploy);
  Result<ListSelection> parse_selectors(const Route& r, const ListQuery& q) const;

  // ---- object lifecycle (objects.cc): store lock held ----
  // Stores a new object (metadata already validated). Returns the stored object.
  ojson commit_create(const ResourceType& info, ojson obj);
  // Stores `updated` over `old` (same key). No-op (returns old) when nothing changed.
  ojson commit_update(const ResourceType& info, ojson old, ojson updated);
  // Removes the object now (DELETED event) and schedules garbage collection of its dependents.
  void commit_remove(const ResourceType& info, ojson obj);
  // DELETE semantics: finalizers, propagation policy. Returns the object still present (with
  // deletionTimestamp) or null when it is gone.
  ojson begin_delete(const ResourceType& info, ojson obj, const std::string& propagation);
  // Version-specific view of a stored object (custom resources: apiVersion of the request).
  ojson present(const ResourceType& info, const std::string& version, const ojson& obj) const;
  ojson list_item(const ResourceType& info, const std::string& version, const ojson& obj) const;

  // ---- controllers (controllers.cc) ----
  void on_created(const ResourceType& info, const ojson& obj);
  void on_updated(const ResourceType& info, const ojson& old, const ojson& obj);
  void on_removed(const ResourceType& info, const ojson& obj);
  void schedule_rollout(const std::string& key);
  // Reports the rollout of the deployment at `key` complete (store lock held).
  void complete_rollout(const std::string& key);
  void schedule_namespace_cleanup(const std::string& ns);
  void schedule_gc();
  void run_gc();
  void run_namespace_cleanup(const std::string& ns);
  void seed_kubeflow();
  // The default ClusterRoles and ClusterRoleBindings (bootstrap_policy.h); store lock held.
  void seed_bootstrap_rbac();
  // ClusterRole aggregation controller (role_aggregation.cc): a pass after any ClusterRole
  // change (coalesced); run_role_aggregation is one pass, store lock held.
  void schedule_role_aggregation();
  void run_role_aggregation();
  // The apiextensions controllers (controllers.cc): the establishing controller after a CRD's
  // create, and the finalizer controller of a terminating CRD, whose objects it deletes; it
  // removes the finalizer when none is left. run_crd_cleanup: one pass, store lock held; true
  // when the CRD is gone.
  void schedule_crd_establish(const std::string& crd_name);
  void schedule_crd_cleanup(const std::string& crd_name, std::chrono::milliseconds delay);
  bool run_crd_cleanup(const std::string& crd_name);
  // DELETE of a CRD (apiextensions-apiserver registry/customresourcedefinition/etcd.go Delete).
  ojson begin_crd_delete(const ResourceType& info, ojson obj);
  // Deletion started (deletionTimestamp set) without a commit_update (begin_delete).
  void on_deletion_started(const ResourceType& info, const ojson& obj);

  // ---- profile controller (profile_controller.cc) ----
  // Routes a change of `obj` to the profile controller's work queue (Profiles and the objects
  // a Profile controls). Store lock held.
  void profile_controller_notice(const ResourceType& info, const ojson& obj);
  // Queues a reconcile of Profile `name` after `delay` unless one is due sooner. Store lock held.
  void enqueue_profile(const std::string& name, std::chrono::milliseconds delay);
  void enqueue_all_profiles();  // store lock held
  enum class ReconcileOutcome { kDone, kRetry };
  // One Reconcile of the upstream controller (store lock held).
  ReconcileOutcome reconcile_profile(const std::string& name);

  // ---- watch (watch.cc) ----
  void serve_watch(const Route& r, const ListQuery& q, const httplib::Request& req,
                   httplib::Response& res, bool drop_after_initial);

  // ---- server.cc ----
  Reply control(const httplib::Request& req);  // /testserver/ endpoints
  void inject(FaultRule rule);
  // Creates or replaces an object directly (seeding, put_object); store lock held.
  ojson store_object(const ResourceType& info, ojson obj);

  // ---- helpers ----
  Result<Route> parse_route(const std::string& path, bool* not_api, Reply* not_found) const;
  std::shared_ptr<const ResourceType> info_for(const std::string& api_version,
                                               const std::string& plural) const;

  Options opts;
  Store store;
  ResourceRegistry registry;  // guarded by the store lock
  Scheduler scheduler;

  std::unique_ptr<httplib::SSLServer> http;
  std::thread serve_thread;
  int bound_port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> rollout_delay_ms{300};

  // Certificates (certs.h) and credentials.
  KeyPair ca;         // serving CA
  KeyPair client_ca;  // signs client certificates
  KeyPair serving;
  KeyPair admin_cert;
  std::string admin_token;
  mutable std::mutex auth_mu;
  std::map<std::string, User> tokens;

  mutable std::mutex fault_mu;
  std::vector<FaultRule> faults;
  std::vector<RequestRecord> log;
  std::vector<std::shared_ptr<WatchHandle>> open_watch_handles;

  bool gc_scheduled = false;                // store lock
  bool role_aggregation_scheduled = false;  // store lock
  std::set<std::string> pending_rollouts;   // store lock; deployment keys

  // Profile controller work queue (store lock): name → the one live scheduled reconcile.
  struct PendingReconcile {
    uint64_t token = 0;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, PendingReconcile> pending_profiles;
  std::map<std::string, int> profile_failures;  // consecutive retries, for the backoff
  uint64_t next_profile_token = 0;
  std::atomic<bool> profile_controller_paused{false};
  std::map<std::string, int64_t> profile_reconciles;  // store lock; "" = all Profiles
};

// The user of the request this thread is handling (the request context's user; set by
// handle() for the request's duration), null on controller threads.
extern thread_local const User* request_user;

// Helpers shared by the source files.
// Status as the main resource's strategy sets it on create (Namespace Active, Deployment {},
// CRD established, custom resources without status).
void reset_status_on_create(const ResourceType& info, ojson& obj);
std::string now_rfc3339();
// apiextensions SetCRDCondition: sets condition `type` of a CRD object's status (replacing one of
// the same type; lastTransitionTime changes only when the status does).
void set_crd_condition(ojson& crd, const std::string& type, const std::string& status,
                       const std::string& reason, const std::string& message);
std::string new_uid();
std::string url_decode(const std::string& s);
// A string member of `obj`, "" when absent or not a string.
std::string string_field(const ojson& obj, const char* field);
// The request an access review asks about, from its spec's resourceAttributes or (when that is
// null) nonResourceAttributes; adds them to `spec` as the real server echoes them (struct field
// order, empty strings omitted). Shared by SelfSubjectAccessReview and (Local)SubjectAccessReview.
RequestInfo review_attributes(const ojson* resource_attributes,
                              const ojson* non_resource_attributes, ojson& spec);
// How a request log entry names the fault a request met (RequestRecord::fault).
std::string describe_fault(const FaultRule& rule);
// Query parameter (first value) or "".
std::string query_param(const httplib::Request& req, const std::string& name);

}  // namespace kftenant::testserver
