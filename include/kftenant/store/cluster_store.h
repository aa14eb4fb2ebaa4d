// ObjectStore over a live API server (kube::Client).
#pragma once

#include <memory>
#include <string>

#include "kftenant/kube/client.h"
#include "kftenant/store/object_store.h"

namespace kftenant::store {

class ClusterStore : public ObjectStore {
 public:
  // `client` must outlive the store.
  explicit ClusterStore(kube::Client& client) : client_(client) {}

  [[nodiscard]] std::string description() const override;
  [[nodiscard]] StoreCapabilities capabilities() const override { return {true}; }
  // "reachable, <gitVersion>" from GET /version, or "reachable" when only /api answers.
  [[nodiscard]] Result<std::string> check_reachable() override;
  [[nodiscard]] Result<nlohmann::json> get(const ObjectKey& key) override;
  // Items get apiVersion/kind filled in (the API server omits them in lists of built-in kinds).
  [[nodiscard]] Result<std::vector<nlohmann::json>> list(
      const std::string& api_version, const std::string& kind, const std::string& ns,
      const std::string& label_selector) override;
  // Discovery (kube::Client::serves): one request per group/version until the kind is seen.
  [[nodiscard]] Result<bool> serves(const std::string& api_version,
                                    const std::string& kind) override {
    return client_.serves(api_version, kind);
  }
  // A create whose answer was lost is resolved by reading the object back (kube::Client); the
  // object found is returned as if this call had created it.
  [[nodiscard]] Result<nlohmann::json> create(const nlohmann::json& object) override;
  // POST with dryRun=All.
  [[nodiscard]] Result<void> check_create(const nlohmann::json& object) override;
  [[nodiscard]] Result<nlohmann::json> replace(const nlohmann::json& object) override;
  [[nodiscard]] Result<void> remove(const ObjectKey& key,
                                    std::optional<std::string> resource_version) override;
  // PATCH with the patch type's content type (application/strategic-merge-patch+json, ...).
  [[nodiscard]] Result<nlohmann::json> patch(const ObjectKey& key, PatchType type,
                                             const nlohmann::json& patch) override;

  // One SelfSubjectAccessReview (authorization.k8s.io/v1) per distinct request, as `kubectl auth
  // can-i` asks. A kind the cluster does not serve is not denied (its write fails with a clear
  // "CRD not installed" instead). When the review API itself cannot be used (forbidden, not
  // served) the answer is an error and callers carry on without the check.
  [[nodiscard]] Result<std::vector<AccessRequest>> denied(
      const std::vector<AccessRequest>& requests) override;

  [[nodiscard]] kube::Client& client() { return client_; }

 private:
  kube::Client& client_;
  [[nodiscard]] Result<kube::ResourceRef> resolve(const std::string& api_version,
                                                  const std::string& kind);
};

}  // namespace kftenant::store
