// run_doctor over a store: the same checks on a cluster and a manifests folder, required only
// where they must be there, and a forbidden read said as such, never as "missing".
#include "kftenant/tenancy/doctor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "kftenant/kubeflow/contributor.h"
#include "kftenant/kubeflow/profile.h"
#include "support/memory_store.h"
#include "testserver/seed_kubeflow.h"

namespace kftenant::tenancy {
namespace {

using State = InstallCheck::State;
using ::testing::HasSubstr;

class ReadLimitedStore : public testing::MemoryStore {
 public:
  std::set<std::string> forbidden_kinds;
  std::optional<Error> unreachable;
  Result<std::string> check_reachable() override {
    if (unreachable) return fail(*unreachable);
    return std::string("reachable, v1.26.4");
  }
  Result<nlohmann::json> get(const store::ObjectKey& key) override {
    if (forbidden_kinds.count(key.kind))
      return make_error(ErrorCode::kForbidden, key.kind + " is forbidden");
    return MemoryStore::get(key);
  }
};

void seed_kubeflow(testing::MemoryStore& s) {
  for (auto& o : testserver::kubeflow_seed_objects()) s.seed(std::move(o));
}

const InstallCheck* find(const DoctorReport& r, const std::string& name) {
  for (const auto& c : r.checks)
    if (c.name == name) return &c;
  return nullptr;
}

TEST(Doctor, ASeededKubeflowClusterIsHealthy) {
  ReadLimitedStore store;
  seed_kubeflow(store);
  auto report = run_doctor(store, {});
  for (const auto& c : report.checks)
    EXPECT_TRUE(c.state == State::kOk || !c.required) << c.name << ": " << c.detail;
  EXPECT_EQ(report.checks.front().detail, "reachable, v1.26.4");
  ASSERT_NE(find(report, "ConfigMap auth/dex config.yaml"), nullptr);
  EXPECT_THAT(find(report, "ConfigMap auth/dex config.yaml")->detail,
              HasSubstr("enablePasswordDB=true, 1 static user(s), storage kubernetes"));
  EXPECT_FALSE(report.findings_error) << report.findings_error->message;
  EXPECT_TRUE(report.healthy());
}

TEST(Doctor, AMissingCrdIsMissingOnAClusterAndAbsentInAFolder) {
  ReadLimitedStore store;
  seed_kubeflow(store);
  ASSERT_TRUE(store.remove(
      {"apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "profiles.kubeflow.org"},
      std::nullopt));
  auto cluster = run_doctor(store, {});
  ASSERT_NE(find(cluster, "CRD profiles.kubeflow.org"), nullptr);
  EXPECT_EQ(find(cluster, "CRD profiles.kubeflow.org")->state, State::kMissing);
  EXPECT_FALSE(cluster.healthy());

  store.live = false;  // a manifests folder: the profile controller comes from elsewhere
  auto folder = run_doctor(store, {});
  EXPECT_EQ(find(folder, "CRD profiles.kubeflow.org")->state, State::kAbsent);
  EXPECT_EQ(find(folder, "Deployment auth/dex")->detail,
            "present (a folder has no rollout status)");
  EXPECT_TRUE(folder.healthy());
}

TEST(Doctor, AMissingDexDeploymentIsMissingEvenInAFolder) {
  ReadLimitedStore store;
  seed_kubeflow(store);
  store.live = false;
  ASSERT_TRUE(store.remove({"apps/v1", "Deployment", "auth", "dex"}, std::nullopt));
  auto report = run_doctor(store, {});
  EXPECT_EQ(find(report, "Deployment auth/dex")->state, State::kMissing);
  EXPECT_THAT(find(report, "Deployment auth/dex")->detail, HasSubstr("--dex-deployment"));
  EXPECT_FALSE(report.healthy());
}

TEST(Doctor, AForbiddenReadNamesThePermissionAndIsNotCalledMissing) {
  ReadLimitedStore store;
  seed_kubeflow(store);
  store.forbidden_kinds = {"ConfigMap", "CustomResourceDefinition"};
  auto report = run_doctor(store, {});
  const InstallCheck* config = find(report, "ConfigMap auth/dex config.yaml");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->state, State::kCannotCheck);
  EXPECT_EQ(config->detail, "cannot check: forbidden (needs get on configmaps in namespace auth)");
  EXPECT_EQ(find(report, "CRD profiles.kubeflow.org")->detail,
            "cannot check: forbidden (needs get on "
            "customresourcedefinitions.apiextensions.k8s.io)");
  EXPECT_FALSE(report.healthy());
}

TEST(Doctor, AStoreThatDoesNotAnswerIsTheOnlyCheck) {
  ReadLimitedStore store;
  Error refused;
  refused.code = ErrorCode::kTransport;
  refused.message = "connect to 127.0.0.1:1 refused";
  store.unreachable = refused;
  auto report = run_doctor(store, {});
  ASSERT_EQ(report.checks.size(), 1u);
  EXPECT_EQ(report.checks[0].state, State::kError);
  EXPECT_EQ(report.checks[0].detail, "connect to 127.0.0.1:1 refused");
  EXPECT_TRUE(report.findings.empty());
  EXPECT_FALSE(report.healthy());
}

// A contributor binding names an email: with no Dex user behind it, whoever signs in with that
// email later gets the access. With --dex-backend none (no Dex users at all) that is expected,
// and neither the Dex checks nor the finding appear.
TEST(Doctor, AContributorWithoutADexUserIsAFindingUnlessDexIsNotManaged) {
  ReadLimitedStore store;
  seed_kubeflow(store);
  store.seed(kubeflow::build_profile({"team", "user@example.com", {}}));
  store.seed(
      kubeflow::build_contributor_role_binding("team", "gone@example.com", kubeflow::Role::kEdit));
  store.seed(kubeflow::build_contributor_policy("team", "gone@example.com", kubeflow::Role::kEdit));
  auto report = run_doctor(store, {});
  bool found = false;
  for (const auto& f : report.findings)
    found = found || (f.subject == "profile team" &&
                      f.message.find("gone@example.com: contributor with no Dex user") == 0);
  EXPECT_TRUE(found);

  TenancyContext none;
  none.dex.managed = false;
  auto unmanaged = run_doctor(store, none);
  for (const auto& f : unmanaged.findings)
    EXPECT_EQ(f.message.find("no Dex user"), std::string::npos) << f.message;
  EXPECT_EQ(find(unmanaged, "Deployment auth/dex"), nullptr);
  EXPECT_NE(find(report, "Deployment auth/dex"), nullptr);
}

}  // namespace
}  // namespace kftenant::tenancy
