// Manifests mode on Kubeflow's own tree (tests/data/kubeflow-manifests, unmodified upstream
// files), as most installs keep it in Git: the root (test-root/, an example/-like kustomization)
// reaches ../common/dex/overlays/oauth2-proxy, whose patch replaces the base ConfigMap's
// config.yaml. Every manifests-mode command runs on a copy made a git repository, and the oracle
// is `kubectl kustomize ROOT` before and after — what the cluster would get — plus `git diff`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "kftenant/yaml.h"
#include "manifests_support/kustomize_oracle.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

namespace kftenant::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kOverlay = "common/dex/overlays/oauth2-proxy/config-map.yaml";
constexpr const char* kBase = "common/dex/base/config-map.yaml";

// One line of `git diff --numstat`.
struct NumStat {
  int added = 0, deleted = 0;
  std::string path;
};

class KubeflowTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_ = dir_.file("kubeflow");
    fs::copy(std::string(KFTENANT_SOURCE_DIR) + "/tests/data/kubeflow-manifests", tree_,
             fs::copy_options::recursive);
    root_ = tree_ + "/test-root";
    auto which = run_process({"/bin/sh", "-c", "command -v git"});
    have_git_ = which.exit_code == 0;
    git_ = which.out.substr(0, which.out.find('\n'));
    if (have_git_) {
      ASSERT_EQ(git({"init", "-q"}).exit_code, 0);
      ASSERT_EQ(git({"add", "-A"}).exit_code, 0);
      ASSERT_EQ(git({"commit", "-q", "-m", "kubeflow manifests"}).exit_code, 0);
    }
    original_ = snapshot_tree(tree_);
    if (auto why = kustomize_unusable()) {
      oracle_skip_ = *why;
    } else {
      built_before_ = kustomize_build(root_);
      ASSERT_EQ(built_before_.exit_code, 0) << built_before_.err;
    }
  }

  ProcessResult kftenant(std::vector<std::string> args, const std::string& input = "",
                         const std::string& root = "") {
    std::vector<std::string> argv = {KFTENANT_BINARY, "--manifests", root.empty() ? root_ : root};
    argv.insert(argv.end(), args.begin(), args.end());
    // No kubeconfig at all: manifests mode must not need a cluster.
    return run_process(argv, input,
                       {{"KUBECONFIG", "/nonexistent/kubeconfig"}, {"HOME", dir_.path()}});
  }
  ProcessResult add_user(const std::string& email, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"user",          "add", email, "--password-stdin",
                                     "--bcrypt-cost", "10"};
    args.insert(args.end(), extra.begin(), extra.end());
    return kftenant(args, "pw-" + email + "\n");
  }
  ProcessResult git(std::vector<std::string> args) {
    std::vector<std::string> argv = {git_,
                                     "-C",
                                     tree_,
                                     "-c",
                                     "user.email=test@example.com",
                                     "-c",
                                     "user.name=test",
                                     "-c",
                                     "commit.gpgsign=false"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, "", {{"HOME", dir_.path()}, {"GIT_CONFIG_NOSYSTEM", "1"}});
  }
  // `git diff --numstat` against the commit, new files included (intent-to-add).
  std::vector<NumStat> numstat() {
    git({"add", "-A", "-N"});
    auto r = git({"diff", "--numstat"});
    std::vector<NumStat> out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      NumStat n;
      std::istringstream fields(line);
      fields >> n.added >> n.deleted >> n.path;
      out.push_back(n);
    }
    return out;
  }
  std::string file(const std::string& rel) const { return slurp_file(tree_ + "/" + rel); }

  // staticPasswords of the built Dex config.yaml.
  static json built_static_passwords(const Built& built) {
    json cm = built.find("ConfigMap", "dex", "auth");
    if (cm.is_null()) return nullptr;
    auto config = yaml::parse(cm["data"]["config.yaml"].get<std::string>());
    return config ? config->value("staticPasswords", json::array()) : json();
  }
  // Tests whose oracle could not run are reported as skipped, with the reason, after their other
  // checks ran.
  void TearDown() override {
    if (!oracle_skip_.empty()) GTEST_SKIP() << "kustomize oracle not run: " << oracle_skip_;
  }
  // The oracle after a command: the build, or false when kubectl cannot be one.
  bool oracle(Built& after) {
    if (!oracle_skip_.empty()) return false;
    after = kustomize_build(root_);
    EXPECT_EQ(after.exit_code, 0) << after.err;
    return after.exit_code == 0;
  }
  void expect_only_additions() {
    if (!have_git_) return;
    for (const auto& n : numstat()) EXPECT_EQ(n.deleted, 0) << n.path << " lost lines";
  }

  TempDir dir_;
  std::string tree_, root_;
  bool have_git_ = false;
  std::string git_;  // its path (run_process does not search PATH)
  std::map<std::string, std::string> original_;
  Built built_before_;
  std::string oracle_skip_;
};

TEST_F(KubeflowTreeTest, UserAddEditsTheOverlayPatchThatTheBuildUses) {
  auto r = add_user("Carol@Example.com", {"--quota", "cpu=2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("changed: ../common/dex/overlays/oauth2-proxy/config-map.yaml\n"));
  EXPECT_THAT(r.out, HasSubstr("changed: ../common/dex/base/deployment.yaml\n"));
  EXPECT_THAT(r.out, HasSubstr("changed: ../common/user-namespace/base/profile-carol.yaml\n"));
  EXPECT_THAT(r.out, HasSubstr("changed: ../common/user-namespace/base/kustomization.yaml\n"));
  EXPECT_EQ(file(kBase), original_[kBase]);  // the base is what the overlay replaces
  EXPECT_THAT(file(kOverlay), HasSubstr("email: \"carol@example.com\""));
  EXPECT_THAT(file("common/user-namespace/base/kustomization.yaml"),
              HasSubstr("- profile-carol.yaml\n"));
  if (have_git_) {
    auto stats = numstat();
    std::vector<std::string> paths;
    for (const auto& n : stats) {
      paths.push_back(n.path);
      EXPECT_EQ(n.deleted, 0) << n.path;
    }
    EXPECT_THAT(paths,
                ::testing::UnorderedElementsAre("common/dex/base/deployment.yaml", kOverlay,
                                                "common/user-namespace/base/kustomization.yaml",
                                                "common/user-namespace/base/profile-carol.yaml"));
  }

  Built after;
  if (!oracle(after)) return;
  // The built config.yaml: the original entries, unchanged, plus exactly the new one.
  json before_entries = built_static_passwords(built_before_);
  json after_entries = built_static_passwords(after);
  ASSERT_EQ(after_entries.size(), before_entries.size() + 1) << after_entries.dump();
  for (size_t i = 0; i < before_entries.size(); ++i) EXPECT_EQ(after_entries[i], before_entries[i]);
  EXPECT_EQ(before_entries[0]["email"], "user@example.com");
  EXPECT_EQ(after_entries[0]["hashFromEnv"], "DEX_USER_PASSWORD");
  const json& carol = after_entries.back();
  EXPECT_EQ(carol["email"], "carol@example.com");
  EXPECT_EQ(carol["username"], "carol");
  EXPECT_THAT(carol["hash"].get<std::string>(), ::testing::StartsWith("$2y$10$"));
  // The rest of config.yaml is as it was.
  auto before_config = yaml::parse(
      built_before_.find("ConfigMap", "dex", "auth")["data"]["config.yaml"].get<std::string>());
  auto after_config =
      yaml::parse(after.find("ConfigMap", "dex", "auth")["data"]["config.yaml"].get<std::string>());
  ASSERT_TRUE(before_config && after_config);
  before_config->erase("staticPasswords");
  after_config->erase("staticPasswords");
  EXPECT_EQ(*after_config, *before_config);
  // The Profile and the config hash that rolls Dex when the manifests are applied.
  json profile = after.find("Profile", "carol");
  ASSERT_FALSE(profile.is_null()) << after.out;
  EXPECT_EQ(profile["spec"]["owner"]["name"], "carol@example.com");
  EXPECT_EQ(profile["spec"]["resourceQuotaSpec"]["hard"]["cpu"], "2");
  EXPECT_TRUE(after.find("Deployment", "dex", "auth")
                  .contains(json::json_pointer(
                      "/spec/template/metadata/annotations/kftenant.io~1dex-config-sha256")));
  EXPECT_FALSE(after.find("Profile", "kubeflow-user-example-com").is_null());
}

TEST_F(KubeflowTreeTest, ListAndShowReadTheBuiltConfig) {
  ASSERT_EQ(add_user("dora@example.com").exit_code, 0);
  auto r = kftenant({"user", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::ContainsRegex("dora@example.com +static +dora +dora"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("user@example.com +static +user"));
  r = kftenant({"user", "list", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("kubeflow-user-example-com"));
  r = kftenant({"user", "show", "dora@example.com"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Profile:   dora"));
  r = kftenant({"doctor"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("ERROR")));
}

TEST_F(KubeflowTreeTest, DryRunsNameTheFilesTheyWouldEditAndWriteNothing) {
  auto r = kftenant(
      {"user", "add", "eve@example.com", "--password-stdin", "--bcrypt-cost", "10", "--dry-run"},
      "eve-password\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("   file: ../common/dex/overlays/oauth2-proxy/config-map.yaml\n"));
  EXPECT_THAT(r.out, HasSubstr("   file: ../common/dex/base/deployment.yaml\n"));
  EXPECT_THAT(r.out, HasSubstr("   file: ../common/user-namespace/base/profile-eve.yaml\n"));
  r = kftenant({"user", "add", "eve@example.com", "--password-stdin", "--bcrypt-cost", "10",
                "--dry-run", "-o", "json"},
               "eve-password\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto plan = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(plan.is_discarded()) << r.out;
  EXPECT_EQ(plan["steps"][0]["file"], "../common/dex/overlays/oauth2-proxy/config-map.yaml");
  EXPECT_EQ(snapshot_tree(tree_), original_);

  // The default Profile's quota, sharing it, and removing its owner's Dex entry: dry runs too.
  r = kftenant({"profile", "quota", "kubeflow-user-example-com", "--set", "cpu=4", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("   file: ../common/user-namespace/base/profile-instance.yaml\n"));
  r = kftenant({"profile", "share", "kubeflow-user-example-com", "--with", "pat@example.com",
                "--role", "view", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("   file: kftenant-profiles/rolebinding-"));
  EXPECT_EQ(snapshot_tree(tree_), original_);
  ASSERT_EQ(add_user("fay@example.com").exit_code, 0);
  const auto with_fay = snapshot_tree(tree_);
  r = kftenant(
      {"user", "passwd", "fay@example.com", "--password-stdin", "--bcrypt-cost", "10", "--dry-run"},
      "new-password\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("   file: ../common/dex/overlays/oauth2-proxy/config-map.yaml\n"));
  r = kftenant({"user", "remove", "fay@example.com", "--yes", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("   file: ../common/dex/overlays/oauth2-proxy/config-map.yaml\n"));
  EXPECT_THAT(r.out, HasSubstr("   file: ../common/user-namespace/base/profile-fay.yaml\n"));
  EXPECT_EQ(snapshot_tree(tree_), with_fay);
}

TEST_F(KubeflowTreeTest, PasswdThenRemoveRestoresTheOriginalBytes) {
  ASSERT_EQ(add_user("gus@example.com").exit_code, 0);
  const std::string after_add = file(kOverlay);
  auto r =
      kftenant({"user", "passwd", "gus@example.com", "--password-stdin", "--bcrypt-cost", "10"},
               "another-password\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("changed: ../common/dex/overlays/oauth2-proxy/config-map.yaml\n"));
  EXPECT_NE(file(kOverlay), after_add);
  EXPECT_EQ(file(kBase), original_[kBase]);
  expect_only_additions();
  Built after;
  if (oracle(after)) {
    json entries = built_static_passwords(after);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[1]["email"], "gus@example.com");
  }

  r = kftenant({"user", "remove", "gus@example.com", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(file(kOverlay), original_[kOverlay]);
  EXPECT_EQ(file("common/user-namespace/base/kustomization.yaml"),
            original_["common/user-namespace/base/kustomization.yaml"]);
  EXPECT_FALSE(fs::exists(tree_ + "/common/user-namespace/base/profile-gus.yaml"));
  // Only the config-hash annotation on the Deployment stays (its hash is the original config's).
  for (const auto& [path, bytes] : snapshot_tree(tree_)) {
    if (path == "common/dex/base/deployment.yaml") continue;
    EXPECT_EQ(bytes, original_[path]) << path;
  }
  if (oracle(after)) {
    EXPECT_EQ(built_static_passwords(after), built_static_passwords(built_before_));
  }
}

TEST_F(KubeflowTreeTest, ProfileQuotaShareContributorsUnshare) {
  ASSERT_EQ(add_user("hal@example.com").exit_code, 0);
  auto r = kftenant({"profile", "quota", "hal", "--set", "cpu=8,memory=32Gi"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("changed: ../common/user-namespace/base/profile-hal.yaml\n"));
  r = kftenant({"profile", "share", "hal", "--with", "Ivy@example.com", "--role", "edit"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // No folder of the build holds RoleBindings: kftenant's folder, listed in the ROOT.
  EXPECT_THAT(r.out, HasSubstr("changed: kustomization.yaml\n"));
  EXPECT_THAT(file("test-root/kustomization.yaml"), HasSubstr("- kftenant-profiles\n"));
  expect_only_additions();
  r = kftenant({"profile", "contributors", "hal", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto contributors = json::parse(r.out)["contributors"];
  ASSERT_EQ(contributors.size(), 1u) << r.out;
  EXPECT_EQ(contributors[0]["email"], "ivy@example.com");
  EXPECT_EQ(contributors[0]["role"], "edit");
  Built after;
  if (oracle(after)) {
    EXPECT_EQ(after.find("Profile", "hal")["spec"]["resourceQuotaSpec"]["hard"]["memory"], "32Gi");
    json binding = after.find("RoleBinding", "user-ivy-example-com-clusterrole-edit", "hal");
    ASSERT_FALSE(binding.is_null()) << after.out;
    EXPECT_EQ(binding["roleRef"]["name"], "kubeflow-edit");
    EXPECT_FALSE(after.find("AuthorizationPolicy", "user-ivy-example-com-clusterrole-edit", "hal")
                     .is_null());
  }

  const auto shared = snapshot_tree(tree_);
  r = kftenant({"profile", "unshare", "hal", "--with", "ivy@example.com", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("   file: kftenant-profiles/rolebinding-user-ivy-example-com-"));
  r = kftenant({"profile", "quota", "hal", "--clear", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("   file: ../common/user-namespace/base/profile-hal.yaml\n"));
  EXPECT_EQ(snapshot_tree(tree_), shared);
  r = kftenant({"profile", "unshare", "hal", "--with", "ivy@example.com"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = kftenant({"profile", "quota", "hal", "--clear"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = kftenant({"profile", "contributors", "hal"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("ivy@example.com")));
  if (oracle(after)) {
    EXPECT_TRUE(
        after.find("RoleBinding", "user-ivy-example-com-clusterrole-edit", "hal").is_null());
    EXPECT_FALSE(after.find("Profile", "hal").contains("resourceQuotaSpec"));
  }
}

TEST_F(KubeflowTreeTest, PasswordCrdBackendWritesAPasswordObjectTheBuildCarries) {
  auto r = kftenant({"--dex-backend", "password-crd", "user", "add", "jo@example.com",
                     "--password-stdin", "--bcrypt-cost", "10", "--no-profile", "--dry-run"},
                    "jo-password\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("   file: kftenant-profiles/password-"));
  EXPECT_EQ(snapshot_tree(tree_), original_);
  r = kftenant({"--dex-backend", "password-crd", "user", "add", "jo@example.com",
                "--password-stdin", "--bcrypt-cost", "10", "--no-profile"},
               "jo-password\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(file(kOverlay), original_[kOverlay]);
  EXPECT_EQ(file(kBase), original_[kBase]);
  expect_only_additions();
  r = kftenant({"--dex-backend", "password-crd", "user", "list", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("jo@example.com"));
  EXPECT_THAT(r.out, HasSubstr("password-crd"));
  Built after;
  if (!oracle(after)) return;
  bool found = false;
  for (const auto& o : after.objects)
    if (o.value("kind", "") == "Password" && o.value("email", "") == "jo@example.com") {
      found = true;
      EXPECT_EQ(o["metadata"]["namespace"], "auth");
    }
  EXPECT_TRUE(found) << after.out;
  EXPECT_EQ(built_static_passwords(after), built_static_passwords(built_before_));
}

TEST_F(KubeflowTreeTest, ExampleRootNamesTheFoldersMissingFromTheCopy) {
  auto r = kftenant({"user", "list"}, "", tree_ + "/example");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("references ../common/cert-manager/overlays/kubeflow"));
  EXPECT_THAT(r.err, HasSubstr("which do not exist"));
  EXPECT_THAT(r.err, Not(HasSubstr("not found")));
  // The same refusal for a write, before anything is written.
  r = kftenant({"user", "add", "kim@example.com", "--password-stdin"}, "kim-password\n",
               tree_ + "/example");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("cannot be built"));
}

TEST_F(KubeflowTreeTest, TheRepositoryRootWithoutKustomizationIsRefusedClearly) {
  const auto before = snapshot_tree(tree_);
  auto r =
      kftenant({"user", "add", "lee@example.com", "--password-stdin"}, "lee-password\n", tree_);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("is patched by common/dex/overlays/oauth2-proxy/config-map.yaml"));
  EXPECT_THAT(r.err, HasSubstr("--dex-config-file PATH"));
  EXPECT_EQ(snapshot_tree(tree_), before);
  // Choosing the file settles it.
  r = kftenant({"--dex-config-file", kOverlay, "user", "add", "lee@example.com", "--password-stdin",
                "--bcrypt-cost", "10", "--no-profile"},
               "lee-password\n", tree_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(std::string("changed: ") + kOverlay + "\n"));
  EXPECT_EQ(file(kBase), original_[kBase]);
}

TEST_F(KubeflowTreeTest, DexConfigFileChoosesBetweenTwoPatches) {
  // A second overlay on top of Kubeflow's that patches config.yaml again: two files decide it.
  std::string second = original_[kOverlay];
  second.replace(second.find("level: \"debug\""), std::string("level: \"debug\"").size(),
                 "level: \"info\"");
  ASSERT_EQ(second.find("level: \"debug\""), std::string::npos);
  fs::create_directories(tree_ + "/site");
  {
    std::ofstream(tree_ + "/site/config-map.yaml") << second;
    std::ofstream(tree_ + "/site/kustomization.yaml")
        << "resources:\n- ../common/dex/overlays/oauth2-proxy\npatches:\n- path: config-map.yaml\n"
           "  target:\n    kind: ConfigMap\n    name: dex\n";
    std::ofstream(root_ + "/kustomization.yaml")
        << "resources:\n- ../site\n- ../common/user-namespace/base\n";
  }
  const auto before = snapshot_tree(tree_);
  auto r = add_user("max@example.com");
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("more than one patch"));
  EXPECT_THAT(r.err, HasSubstr("../common/dex/overlays/oauth2-proxy/config-map.yaml"));
  EXPECT_THAT(r.err, HasSubstr("../site/config-map.yaml"));
  EXPECT_THAT(r.err, HasSubstr("--dex-config-file PATH"));
  EXPECT_EQ(snapshot_tree(tree_), before);  // nothing written, not even the Profile

  r = add_user("max@example.com", {"--dex-config-file", "../site/config-map.yaml"});
  // Global options go anywhere: also after the subcommand.
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("changed: ../site/config-map.yaml\n"));
  EXPECT_EQ(file(kOverlay), original_[kOverlay]);
  Built after;
  if (oracle(after)) {
    json entries = built_static_passwords(after);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[1]["email"], "max@example.com");
  }
  r = kftenant({"user", "list", "--dex-config-file", "/nonexistent/x.yaml"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("--dex-config-file /nonexistent/x.yaml: no such file"));
}

TEST_F(KubeflowTreeTest, DexConfigFileNeedsManifests) {
  auto r = run_process({KFTENANT_BINARY, "--dex-config-file", "x.yaml", "user", "list"}, "",
                       {{"KUBECONFIG", "/nonexistent/kubeconfig"}, {"HOME", dir_.path()}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--dex-config-file needs --manifests"));
}

TEST_F(KubeflowTreeTest, JsonOutputOfAnApplyNamesTheFilesEdited) {
  ASSERT_EQ(add_user("nia@example.com").exit_code, 0);
  auto r = kftenant({"user", "passwd", "nia@example.com", "--password-stdin", "--bcrypt-cost", "10",
                     "-o", "json"},
                    "nia-password-2\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(out.is_discarded()) << r.out;
  EXPECT_EQ(out["changedFiles"][0], "../common/dex/overlays/oauth2-proxy/config-map.yaml");
  bool named = false;
  for (const auto& step : out.value("steps", json::array()))
    if (step.value("kind", "") == "ConfigMap") {
      EXPECT_EQ(step["file"], "../common/dex/overlays/oauth2-proxy/config-map.yaml") << r.out;
      named = true;
    }
  EXPECT_TRUE(named) << r.out;
}

TEST_F(KubeflowTreeTest, TheDexOverlayAsTheRootEditsItsPatchNotTheBase) {
  const std::string overlay = tree_ + "/common/dex/overlays/oauth2-proxy";
  auto r = kftenant(
      {"user", "add", "oli@example.com", "--password-stdin", "--bcrypt-cost", "10", "--no-profile"},
      "oli-password\n", overlay);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("changed: config-map.yaml\n"));
  EXPECT_THAT(r.out, HasSubstr("changed: ../../base/deployment.yaml\n"));
  EXPECT_EQ(file(kBase), original_[kBase]);
  expect_only_additions();
  Built after;
  if (!oracle(after)) return;
  after = kustomize_build(overlay);
  ASSERT_EQ(after.exit_code, 0) << after.err;
  json entries = built_static_passwords(after);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1]["email"], "oli@example.com");
}

}  // namespace
}  // namespace kftenant::testing
