#include "support/shared_control_plane.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include "support/kubeflow_install.h"

namespace kftenant::testing {
using json = nlohmann::json;
namespace res = kube::resources;

namespace {

// The cluster-scoped kinds a test may leave objects of.
const kube::ResourceRef* const kClusterScoped[] = {&res::kNamespaces, &res::kProfiles,
                                                   &res::kCustomResourceDefinitions,
                                                   &res::kClusterRoles, &res::kClusterRoleBindings};

struct Shared {
  std::unique_ptr<SharedControlPlane> plane;
  std::optional<Error> failed;
};

Shared& shared() {
  static Shared s;
  return s;
}

class SharedControlPlaneEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { shared().plane.reset(); }
};
[[maybe_unused]] ::testing::Environment* const kSharedControlPlaneEnvironment =
    ::testing::AddGlobalTestEnvironment(new SharedControlPlaneEnvironment);

bool kept_by_name(const std::string& name) {
  return name.rfind("system:", 0) == 0 || name == "default" || name.rfind("kube-", 0) == 0;
}

}  // namespace

Result<SharedControlPlane*> SharedControlPlane::get(const SharedControlPlaneOptions& options) {
  Shared& s = shared();
  if (s.plane) return s.plane.get();
  if (s.failed) return tl::unexpected(*s.failed);
  auto started = start(options);
  if (!started) {
    s.failed = started.error();
    return tl::unexpected(started.error());
  }
  s.plane = std::move(*started);
  return s.plane.get();
}

SharedControlPlane::~SharedControlPlane() {
  admin_.reset();
  if (plane_) plane_->stop();
}

Result<std::unique_ptr<SharedControlPlane>> SharedControlPlane::start(
    const SharedControlPlaneOptions& o) {
  ControlPlaneOptions cp;
  cp.extra_token_users = o.extra_token_users;
  cp.extra_controllers = o.extra_controllers;
  cp.etcd_age_revisions = o.etcd_age_revisions;
  auto plane = ControlPlane::start(cp);
  if (!plane) return tl::unexpected(plane.error());
  auto out = std::unique_ptr<SharedControlPlane>(new SharedControlPlane);
  out->plane_ = std::move(*plane);
  kube::RestConfig admin;
  admin.server = out->plane_->url();
  admin.ca_pem = out->plane_->ca_pem();
  admin.token = out->plane_->admin_token();
  admin.qps = 0;
  auto client = kube::Client::create(admin);
  if (!client) return tl::unexpected(client.error());
  out->admin_ = std::move(*client);

  const auto begin = std::chrono::steady_clock::now();
  if (o.install_kubeflow) {
    auto objects = kubeflow_install_objects();
    if (!objects) return tl::unexpected(objects.error());
    if (auto r = install_kubeflow(*out->admin_, *objects); !r) return tl::unexpected(r.error());
  }
  if (!o.extra_crds.empty()) {
    if (auto r = install_kubeflow(*out->admin_, o.extra_crds); !r) return tl::unexpected(r.error());
  }
  // The namespaces made above get kube-root-ca.crt and ServiceAccount default from the
  // controllers; let them land before the revision is compacted and the baseline taken.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  if (auto r = out->plane_->compact_etcd(); !r) return tl::unexpected(r.error());
  out->install_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  out->baseline_ = out->cluster_objects();
  fmt::print(stderr,
             "real kube-apiserver (shared): ready in {:.1f} s, installed in {:.1f} s ({})\n",
             out->plane_->startup_seconds(), out->install_seconds_, out->plane_->url());
  return out;
}

std::set<std::string> SharedControlPlane::cluster_objects() {
  std::set<std::string> out;
  for (const auto* ref : kClusterScoped) {
    auto list = admin_->list_all(*ref, "");
    if (!list) continue;
    for (const auto& item : (*list)["items"])
      out.insert(ref->resource + "/" + item["metadata"].value("name", ""));
  }
  return out;
}

Result<void> SharedControlPlane::remove_new_cluster_objects(std::chrono::milliseconds wait) {
  std::vector<std::pair<const kube::ResourceRef*, std::string>> waited;
  for (const auto* ref : kClusterScoped) {
    auto list = admin_->list_all(*ref, "");
    if (!list) continue;  // e.g. Profiles after a test deleted their CRD
    for (const auto& item : (*list)["items"]) {
      const std::string name = item["metadata"].value("name", "");
      if (baseline_.count(ref->resource + "/" + name) || kept_by_name(name)) continue;
      if (ref == &res::kProfiles || ref == &res::kCustomResourceDefinitions)
        waited.emplace_back(ref, name);
      if (item["metadata"].contains("deletionTimestamp")) continue;
      auto removed = admin_->remove(*ref, "", name);
      if (!removed && removed.error().code != ErrorCode::kNotFound)
        return tl::unexpected(
            removed.error().with_context(fmt::format("removing {} {}", ref->resource, name)));
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (const auto& [ref, name] : waited) {
    while (std::chrono::steady_clock::now() < deadline && admin_->get(*ref, "", name))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return {};
}

}  // namespace kftenant::testing
