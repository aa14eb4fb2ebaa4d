// Stand-ins for the controllers a real cluster runs and a test control plane (etcd +
// kube-apiserver + kube-controller-manager, no nodes) does not: they talk to the API server over
// HTTP like any controller, as the admin user.
//
//   StandInRolloutController  — the deployment controller, for one Deployment only (auth/dex):
//     `delay` after metadata.generation moves past status.observedGeneration, it writes the
//     status of a finished rollout (observedGeneration, replicas = updated = ready = available =
//     spec.replicas, conditions Available and Progressing/NewReplicaSetAvailable) through the
//     status subresource. No ReplicaSets or Pods exist.
//   StandInProfileController  — Kubeflow's profile controller, one level-triggered pass over
//     every Profile each `period`: the same objects as the test server's simulated controller
//     (testserver/profile_objects.h): Namespace with owner annotation and labels,
//     AuthorizationPolicy ns-owner-access-istio, ServiceAccounts and RoleBindings
//     default-editor/viewer, RoleBinding namespaceAdmin, ResourceQuota kf-resource-quota, the
//     finalizer (removed on deletion: the real garbage collector then removes the namespace and the
//     rest).
//
// Garbage collection, namespace deletion and ClusterRole aggregation are real (the
// kube-controller-manager's own controllers).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "kftenant/kube/client.h"

namespace kftenant::testing {

class StandInRolloutController {
 public:
  StandInRolloutController(kube::RestConfig admin, std::string ns, std::string name,
                           std::chrono::milliseconds delay = std::chrono::milliseconds(50));
  ~StandInRolloutController();
  StandInRolloutController(const StandInRolloutController&) = delete;
  StandInRolloutController& operator=(const StandInRolloutController&) = delete;

 private:
  void run(std::stop_token stop);
  void round();
  std::unique_ptr<kube::Client> client_;
  std::string ns_, name_;
  std::chrono::milliseconds delay_;
  std::jthread thread_;
};

class StandInProfileController {
 public:
  explicit StandInProfileController(
      kube::RestConfig admin, std::chrono::milliseconds period = std::chrono::milliseconds(100));
  ~StandInProfileController();
  StandInProfileController(const StandInProfileController&) = delete;
  StandInProfileController& operator=(const StandInProfileController&) = delete;

  // While paused it changes nothing (a controller scaled to zero); resuming reconciles every
  // Profile on the next pass.
  void set_paused(bool paused) { paused_ = paused; }
  // Passes finished so far (a pass started after a change has seen it).
  [[nodiscard]] int64_t passes() const { return passes_; }

 private:
  void run(std::stop_token stop);
  void reconcile(const nlohmann::json& profile);
  std::unique_ptr<kube::Client> client_;
  std::chrono::milliseconds period_;
  std::atomic<bool> paused_{false};
  std::atomic<int64_t> passes_{0};
  std::jthread thread_;
};

}  // namespace kftenant::testing
