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
  // The bearer token of one of kTokenUsers; "" for another name.
  [[nodiscard]] std::string token_for(const std::string& user) const;
  [[nodiscard]] const std::string& admin_kubeconfig() const;  // path, mode 0600
  [[nodiscard]] const std::string& dir() const;
  // Seconds from start() to /readyz answering ok.
  [[nodiscard]] double startup_seconds() const;
  // The last lines of a component's log ("etcd", "kube-apiserver", "kube-controller-manager").
  [[nodiscard]] std::string log_tail(const std::string& component, size_t lines = 20) const;

  struct State;

 private:
  explicit ControlPlane(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Writes a kubeconfig for `server` with the CA embedded and bearer `token` (mode 0600).
[[nodiscard]] Result<void> write_token_kubeconfig(const std::string& path,
                                                  const std::string& server,
                                                  const std::string& ca_pem,
                                                  const std::string& token);

}  // namespace kftenant::testing
