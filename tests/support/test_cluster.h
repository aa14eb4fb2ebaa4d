// TestCluster: the API server a cluster-mode test runs kftenant against, either the project's
// own test API server (testserver::ApiServer, "fake") or a real kube-apiserver started by
// ControlPlane ("real"), seeded alike with what a Kubeflow install holds, and with the
// Kubeflow profile controller and Dex's rollout played (simulated in the fake, stand-ins on
// the real one; see stand_in_controllers.h). One suite, parametrised by ClusterKind, runs on
// both.
//
// What only the fake can do (fault injection, the request log) is reached through fake(),
// which is null on the real server: tests that need it say so in their name and skip there.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "kftenant/error.h"
#include "testserver/apiserver.h"

namespace kftenant::testing {

enum class ClusterKind { kFake, kReal };
// "fake" / "real": the parameter name in test names.
[[nodiscard]] std::string to_string(ClusterKind kind);

// resourceVersion of every object a kftenant command could write (see snapshot()).
using Snapshot = std::map<std::string, std::string>;

class TestCluster {
 public:
  // The fake: options as given. The real one: Kubeflow installed from tests/data, the stand-in
  // controllers running (rollout delay and profile controller as in `options`). Errors from the
  // real one say why (also "binaries not found": see real_cluster_unavailable()).
  [[nodiscard]] static Result<std::unique_ptr<TestCluster>> start(
      ClusterKind kind, const testserver::Options& options);
  virtual ~TestCluster() = default;

  [[nodiscard]] virtual ClusterKind kind() const = 0;
  [[nodiscard]] virtual std::string url() const = 0;
  [[nodiscard]] virtual std::string ca_pem() const = 0;
  [[nodiscard]] virtual std::string admin_token() const = 0;
  // Admin kubeconfig (bearer token, CA embedded, mode 0600).
  [[nodiscard]] virtual Result<void> write_kubeconfig(const std::string& path) const = 0;
  // A bearer token for `user` (no groups but system:authenticated). The real server's token
  // file is fixed at start: only the names in kTokenUsers (control_plane.h) have one.
  [[nodiscard]] virtual std::string user_token(const std::string& user) = 0;

  // Admin access that does not go through kftenant. `resource` is the plural, `ns` "" for
  // cluster-scoped kinds.
  [[nodiscard]] virtual Result<nlohmann::json> get_object(const std::string& api_version,
                                                          const std::string& resource,
                                                          const std::string& ns,
                                                          const std::string& name) = 0;
  // Creates, or replaces when it exists (whatever its resourceVersion).
  [[nodiscard]] virtual Result<nlohmann::json> put_object(const std::string& api_version,
                                                          const std::string& resource,
                                                          nlohmann::json object) = 0;
  [[nodiscard]] virtual Result<void> delete_object(const std::string& api_version,
                                                   const std::string& resource,
                                                   const std::string& ns,
                                                   const std::string& name) = 0;
  [[nodiscard]] virtual Result<std::vector<nlohmann::json>> list_objects(
      const std::string& api_version, const std::string& resource, const std::string& ns = "") = 0;

  virtual void set_profile_controller_paused(bool paused) = 0;
  // Waits until the controllers have caught up (Dex's Deployment rolled out, a profile
  // controller pass after this call finished), so that a snapshot taken next is not moved by
  // them.
  virtual void settle() = 0;

  // settle(), then the resourceVersion of each object of the kinds kftenant writes (ConfigMaps,
  // Secrets, Deployments, Namespaces, Profiles, Passwords, RoleBindings, AuthorizationPolicies,
  // ResourceQuotas, ServiceAccounts), keyed "resource ns/name". kube-root-ca.crt ConfigMaps (the
  // root CA publisher's) are left out.
  [[nodiscard]] Snapshot snapshot();
  // What differs from `before`: "changed X", "created X", "deleted X", one per line; "" = none.
  [[nodiscard]] std::string changes_since(const Snapshot& before);

  // The fake's own interface (faults, request log); null on the real server.
  [[nodiscard]] virtual testserver::ApiServer* fake() { return nullptr; }
};

// Why the real server cannot be started here ("" when it can): the binaries are missing.
// Tests use it to GTEST_SKIP with that one line.
[[nodiscard]] std::string real_cluster_unavailable();

}  // namespace kftenant::testing
