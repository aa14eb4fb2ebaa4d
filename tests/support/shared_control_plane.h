// SharedControlPlane: one real control plane (control_plane.h) per test process, for suites that
// speak HTTP to kube-apiserver themselves (tests/differential) rather than through a TestCluster.
// The first test that asks starts it; it is stopped after the last test (a gtest environment's
// TearDown), so a test binary pays the ~10 s start once.
//
// What it holds after start: Kubeflow as kubeflow_install.h installs it (CRDs, roles, Dex,
// the default Profile), the extra CRDs asked for, waited for until Established; an admin client;
// etcd compacted once, so that revisions from before the tests answer "compacted" (410) as on a
// cluster that has run for a while. No stand-in controllers run (unlike TestCluster's real
// server): what changes objects is kube-controller-manager only.
//
// Tests share the one cluster: each works in namespaces and names of its own, and
// remove_new_cluster_objects() deletes what a test left behind at cluster scope.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "kftenant/error.h"
#include "kftenant/kube/client.h"
#include "support/control_plane.h"

namespace kftenant::testing {

struct SharedControlPlaneOptions {
  bool install_kubeflow = true;
  // Token users beside kTokenUsers (ControlPlaneOptions::extra_token_users).
  std::vector<std::string> extra_token_users;
  // kube-controller-manager controllers beside the default ones (ControlPlaneOptions).
  std::vector<std::string> extra_controllers;
  // Revisions written into etcd before kube-apiserver starts (ControlPlaneOptions).
  int etcd_age_revisions = 0;
  // CustomResourceDefinitions to create after the Kubeflow install when missing (e.g. the ones
  // the fake's Kubeflow seed holds, so that both servers serve the same kinds).
  std::vector<nlohmann::json> extra_crds;
};

class SharedControlPlane {
 public:
  // The running control plane, started with `options` on the first call; later calls get the
  // same one whatever their options. A failed start is remembered and its error returned again
  // (no second attempt in the same process). Missing binaries: the error is find_assets()'s
  // ("real-apiserver tier skipped: ...").
  [[nodiscard]] static Result<SharedControlPlane*> get(const SharedControlPlaneOptions& options);

  [[nodiscard]] ControlPlane& plane() { return *plane_; }
  // Admin (system:masters) client, no client-side rate limit.
  [[nodiscard]] kube::Client& admin() { return *admin_; }
  [[nodiscard]] double install_seconds() const { return install_seconds_; }

  // Deletes the Namespaces, Profiles, CustomResourceDefinitions, ClusterRoles and
  // ClusterRoleBindings that did not exist right after start (the system's own and those named
  // system:* are kept), then waits up to `wait` for the Profiles and CRDs among them to be gone
  // (namespaces are not waited for: their names are not reused). Errors only when the deletion
  // requests themselves fail.
  [[nodiscard]] Result<void> remove_new_cluster_objects(
      std::chrono::milliseconds wait = std::chrono::seconds(30));

  ~SharedControlPlane();
  SharedControlPlane(const SharedControlPlane&) = delete;
  SharedControlPlane& operator=(const SharedControlPlane&) = delete;

 private:
  SharedControlPlane() = default;
  static Result<std::unique_ptr<SharedControlPlane>> start(const SharedControlPlaneOptions& o);
  // "resource/name" of every object of the cluster-scoped kinds remove_new_cluster_objects()
  // looks at.
  [[nodiscard]] std::set<std::string> cluster_objects();

  std::unique_ptr<ControlPlane> plane_;
  std::unique_ptr<kube::Client> admin_;
  std::set<std::string> baseline_;
  double install_seconds_ = 0;
};

}  // namespace kftenant::testing
