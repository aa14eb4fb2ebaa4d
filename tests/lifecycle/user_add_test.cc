// `kftenant user add` on a cluster, both Dex backends.
#include <thread>

#include "kftenant/base64.h"
#include "kftenant/dex/password_object.h"
#include "lifecycle_fixture.h"

namespace kftenant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST_P(LifecycleTest, AddWritesStaticEntryRestartsDexOnceAndCreatesTheProfile) {
  auto before = dex_template_annotations();
  const auto generation = object("apps/v1", "deployments", "auth", "dex")["metadata"]["generation"];
  auto r = add_user("Alice.Smith@Example.com", "correct horse", {"--wait=20s"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  // The entry: lower-cased email, bcrypt $2y$ cost 10 that python3-bcrypt accepts, username the
  // local part, a UUID user ID.
  auto entry = entry_for("alice.smith@example.com");
  ASSERT_TRUE(entry.is_object()) << config_yaml();
  std::string hash = entry.value("hash", "");
  EXPECT_EQ(hash.substr(0, 7), "$2y$10$");
  EXPECT_TRUE(python_checkpw("correct horse", hash));
  EXPECT_FALSE(python_checkpw("correct horsE", hash));
  EXPECT_EQ(entry.value("username", ""), "alice.smith");
  EXPECT_THAT(entry.value("userID", ""),
              ::testing::MatchesRegex(
                  "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));

  // Kubeflow's own entry and every other byte before staticPasswords' end are unchanged.
  std::string now = config_yaml();
  EXPECT_THAT(now, HasSubstr("hashFromEnv: DEX_USER_PASSWORD"));
  EXPECT_THAT(now, HasSubstr("userID: \"15841185641784\""));
  auto tail = original_config_.substr(original_config_.find("staticClients:"));
  EXPECT_THAT(now, HasSubstr(tail));

  // One rollout restart, kubectl-style, plus the config hash.
  auto after = dex_template_annotations();
  EXPECT_TRUE(after.contains("kubectl.kubernetes.io/restartedAt")) << after.dump();
  EXPECT_NE(after.value("kftenant.io/dex-config-sha256", ""),
            before.value("kftenant.io/dex-config-sha256", ""));
  EXPECT_EQ(object("apps/v1", "deployments", "auth", "dex")["metadata"]["generation"],
            generation.get<int64_t>() + 1);
  if (fake()) {
    // One write of the Deployment: a strategic merge patch of its pod template, as kubectl
    // rollout restart sends, not a PUT of the whole object.
    std::vector<std::string> deployment_writes;
    for (const auto& w : writes())
      if (w.path.find("/deployments/dex") != std::string::npos)
        deployment_writes.push_back(w.method + " " + w.content_type);
    EXPECT_THAT(deployment_writes,
                ::testing::ElementsAre("PATCH application/strategic-merge-patch+json"));
  }

  // The Profile and what the profile controller made of it (--wait returned only after that).
  auto profile = object("kubeflow.org/v1", "profiles", "", "alice-smith");
  ASSERT_FALSE(profile.is_null());
  EXPECT_EQ(profile["spec"]["owner"],
            (nlohmann::json{{"kind", "User"}, {"name", "alice.smith@example.com"}}));
  auto ns = object("v1", "namespaces", "", "alice-smith");
  EXPECT_EQ(ns["metadata"]["annotations"].value("owner", ""), "alice.smith@example.com");
  EXPECT_TRUE(
      exists("rbac.authorization.k8s.io/v1", "rolebindings", "alice-smith", "namespaceAdmin"));
  EXPECT_TRUE(exists("security.istio.io/v1beta1", "authorizationpolicies", "alice-smith",
                     "ns-owner-access-istio"));

  // Each step was reported; the password appears nowhere.
  EXPECT_THAT(r.err, HasSubstr("staticPasswords"));
  EXPECT_THAT(r.err, HasSubstr("Profile alice-smith"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("correct horse")));
}

TEST_P(LifecycleTest, RerunningTheSameAddChangesNothing) {
  ASSERT_EQ(add_user("bob@example.com", "bob-password").exit_code, 0);
  auto config = config_yaml();
  mark_state();
  auto r = add_user("bob@example.com", "bob-password");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("already exists"));
  EXPECT_EQ(changes(), "");
  EXPECT_EQ(config_yaml(), config);
}

TEST_P(LifecycleTest, ADifferentPasswordForAnExistingUserIsRefused) {
  ASSERT_EQ(add_user("bob@example.com", "bob-password").exit_code, 0);
  auto config = config_yaml();
  auto r = add_user("BOB@example.com", "other-password");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("user passwd"));
  EXPECT_THAT(r.err, Not(HasSubstr("other-password")));
  EXPECT_EQ(config_yaml(), config);
}

TEST_P(LifecycleTest, ProfileOwnedBySomeoneElseIsRefusedWithAHint) {
  // The seeded profile kubeflow-user-example-com belongs to user@example.com.
  auto r =
      add_user("carol@example.com", "carol-password", {"--profile", "kubeflow-user-example-com"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("--profile"));
  EXPECT_EQ(config_yaml(), original_config_);
}

TEST_P(LifecycleTest, NoProfileQuotaAndCustomNames) {
  auto r = add_user("dan@example.com", "dan-password",
                    {"--username", "Dan D", "--user-id", "dan-1", "--no-profile"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(entry_for("dan@example.com").value("username", ""), "Dan D");
  EXPECT_EQ(entry_for("dan@example.com").value("userID", ""), "dan-1");
  EXPECT_FALSE(exists("kubeflow.org/v1", "profiles", "", "dan"));

  r = add_user("erin@example.com", "erin-password",
               {"--profile", "team-erin", "--quota", "cpu=4,memory=16Gi,nvidia.com/gpu=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto profile = object("kubeflow.org/v1", "profiles", "", "team-erin");
  EXPECT_EQ(profile["spec"]["resourceQuotaSpec"]["hard"],
            (nlohmann::json{{"cpu", "4"}, {"memory", "16Gi"}, {"requests.nvidia.com/gpu", "1"}}));
}

TEST_P(LifecycleTest, DryRunPrintsTheDiffAndWritesNothing) {
  mark_state();
  auto r = add_user("frank@example.com", "frank-password", {"--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(changes(), "");
  EXPECT_EQ(config_yaml(), original_config_);
  EXPECT_THAT(r.out, HasSubstr("+- email: \"frank@example.com\""));
  EXPECT_THAT(r.out, HasSubstr("--- a/ConfigMap auth/dex data.config.yaml"));
  EXPECT_THAT(r.out, HasSubstr("kind: Profile"));
  EXPECT_THAT(r.out, HasSubstr("restart"));
}

TEST_P(LifecycleTest, PasswordObjectBackendCreatesTheObjectDexLooksUp) {
  auto before = dex_template_annotations();
  // Global options work after the subcommand too (kubectl style).
  auto r = add_user("Grace@Example.com", "grace-password", {"--dex-backend", "password-crd"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string name = dex::password_object_name("grace@example.com");
  auto password = object("dex.coreos.com/v1", "passwords", "auth", name);
  ASSERT_FALSE(password.is_null());
  EXPECT_EQ(password.value("email", ""), "grace@example.com");
  auto hash = base64::decode(password.value("hash", ""));
  ASSERT_TRUE(hash);
  EXPECT_TRUE(python_checkpw("grace-password", *hash));
  EXPECT_EQ(password.value("username", ""), "grace");
  // No restart, config.yaml untouched.
  EXPECT_EQ(dex_template_annotations(), before);
  EXPECT_EQ(config_yaml(), original_config_);
  EXPECT_TRUE(exists("kubeflow.org/v1", "profiles", "", "grace"));
}

TEST_P(LifecycleTest, PasswordObjectBackendRefusesAStaticEmail) {
  auto r = kftenant({"--dex-backend", "password-crd", "user", "add", "USER@example.com",
                     "--password-stdin", "--no-profile"},
                    "whatever-password\n");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("static"));
}

TEST_P(LifecycleTest, EightConcurrentAddsLoseNothing) {
  std::vector<std::thread> threads;
  std::vector<ProcessResult> results(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([this, i, &results] {
      results[i] =
          add_user("user" + std::to_string(i) + "@team.org", "password-" + std::to_string(i));
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(results[i].exit_code, 0) << i << ": " << results[i].err;
  auto entries = static_passwords();
  EXPECT_EQ(entries.size(), 9u) << config_yaml();
  for (int i = 0; i < 8; ++i) {
    auto e = entry_for("user" + std::to_string(i) + "@team.org");
    ASSERT_TRUE(e.is_object()) << i;
    EXPECT_TRUE(python_checkpw("password-" + std::to_string(i), e.value("hash", "")));
    EXPECT_TRUE(exists("kubeflow.org/v1", "profiles", "", "user" + std::to_string(i)));
  }
  EXPECT_TRUE(entry_for("user@example.com").is_object());
}

KFTENANT_ON_BOTH_SERVERS(LifecycleTest);

}  // namespace
}  // namespace kftenant::testing
