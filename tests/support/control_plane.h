// ControlPlane: a real Kubernetes control plane for tests, the way controller-runtime's envtest
// runs one (pkg/internal/testing/controlplane): etcd, kube-apiserver and kube-controller-manager
// started from the folder named by KUBEBUILDER_ASSETS (or found on PATH), on free loopback
// ports, in a temporary folder. No nodes, no kubelet, no scheduler.
//
// What it sets up:
//   - a CA and a serving certificate for 127.0.0.1 (testserver/certs.h), a client CA;
//   - a token file: "admin" in system:masters, "system:kube-controller-manager", and the
//     non-admin users of kTokenUsers (no groups but system:authenticated, so RBAC decides);
//   - --authorization-mode RBAC, a service-account signing key;
//   - kube-controller-manager with only the garbage-collector, namespace and service-account
//     token controllers (--use-service-account-credentials, so that each controller may delete
//     what it has to): deletion, finalizers and ownerReferences behave as in a cluster;
//   - waits for /readyz, then writes an admin kubeconfig.
//
// Processes end when the ControlPlane is destroyed, and also when the test process dies in any
// way: every child gets PR_SET_PDEATHSIG, and a watchdog (a shell reading a pipe only this
// process holds) kills the process group and removes the folder when the pipe closes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "kftenant/error.h"

namespace kftenant::testing {

// Non-admin users the token file knows (a real kube-apiserver reads it once at start).
inline const std::vector<std::string> kTokenUsers = {
    "carol", "dave", "jane", "joe", "limited", "reader", "viewer", "editor", "tester", "operator"};

struct ControlPlaneOptions {
  // Folder holding etcd, kube-apiserver and kube-controller-manager; "" = $KUBEBUILDER_ASSETS,
  // then PATH.
  std::string assets_dir;
  bool controller_manager = true;
  std::chrono::seconds start_timeout{90};
  // More non-admin token users beside kTokenUsers (same form: no groups but
  // system:authenticated, uid "<name>-uid"), e.g. "alice" of the apiserver transcripts.
  std::vector<std::string> extra_token_users;
  // More kube-controller-manager controllers beside the five above, e.g. "serviceaccount" (the
  // ServiceAccount `default` in every namespace, as on a cluster and in the fake).
  std::vector<std::string> extra_controllers;
  // Writes this many revisions into etcd (a key outside /registry) before kube-apiserver
  // starts, so that its watch caches begin after them: a watch from resourceVersion=1 (or any
  // revision below) then gets the 410 "too old resource version" ERROR event, as on a cluster
  // that has run for a while. A fresh etcd starts at revision 1, where kube-apiserver's first
  // lists happen, and revision 1 would never be too old. 0 = none.
  int etcd_age_revisions = 0;
};

// Where the binaries are, or why they are not there (the message says how to get them).
struct Assets {
  std::string etcd, kube_apiserver, kube_controller_manager;
};
[[nodiscard]] Result<Assets> find_assets(const std::string& assets_dir = "");

class ControlPlane {
 public:
  [[nodiscard]] static Result<std::unique_ptr<ControlPlane>> start(ControlPlaneOptions options);
  ~ControlPlane();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  void stop();  // idempotent

  [[nodiscard]] std::string url() const;  // https://127.0.0.1:PORT
  [[nodiscard]] const std::string& ca_pem() const;
  [[nodiscard]] const std::string& admin_token() const;
  // The bearer token of one of kTokenUsers (or of extra_token_users); "" for another name.
  [[nodiscard]] std::string token_for(const std::string& user) const;
  // etcd's client URL (http://127.0.0.1:PORT, no TLS), for what only etcd can do.
  [[nodiscard]] std::string etcd_url() const;
  // Compacts etcd's history up to its current revision (as kube-apiserver's own compactor does
  // every 5 minutes), so that older revisions answer "compacted": continue tokens and
  // resourceVersionMatch=Exact lists from before get 410 Expired. The watch cache keeps its own
  // window and is not affected. Returns the revision compacted to.
  [[nodiscard]] Result<int64_t> compact_etcd() const;
  [[nodiscard]] const std::string& admin_kubeconfig() const;  // path, mode 0600
  [[nodiscard]] const std::string& dir() const;
  // Seconds from start() to /readyz answering ok.
  [[nodiscard]] double startup_seconds() const;
  // The last lines of a component's log ("etcd", "kube-apiserver", "kube-controller-manager").
  [[nodiscard]] std::string log_tail(const std::string& component, size_t lines = 20) const;

  struct State;

 private:
  explicit ControlPlane(std::unique_ptr<State> state);
  // One try of start(): its ports chosen afresh.
  static Result<std::unique_ptr<ControlPlane>> start_once(const ControlPlaneOptions& options);
  std::unique_ptr<State> state_;
};

// Writes a kubeconfig for `server` with the CA embedded and bearer `token` (mode 0600).
[[nodiscard]] Result<void> write_token_kubeconfig(const std::string& path,
                                                  const std::string& server,
                                                  const std::string& ca_pem,
                                                  const std::string& token);

}  // namespace kftenant::testing
