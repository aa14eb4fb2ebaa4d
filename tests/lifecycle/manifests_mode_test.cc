// The same commands on a kustomize tree (`--manifests DIR`): no cluster, files edited in place,
// every other byte kept, new Profiles listed in a kustomization.yaml, and `kubectl kustomize`
// still builds the tree.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lifecycle_fixture.h"

namespace kftenant::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every file under `root` with its bytes.
std::map<std::string, std::string> snapshot(const std::string& root) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) files[fs::relative(e.path(), root).string()] = read_file(e.path());
  return files;
}

bool have_kubectl() {
  return run_process({"/bin/sh", "-c", "command -v kubectl"}).exit_code == 0;
}

class ManifestsModeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.file("manifests");
    fs::copy(std::string(KFTENANT_SOURCE_DIR) + "/examples/manifests", root_,
             fs::copy_options::recursive);
    original_ = snapshot(root_);
  }
  ProcessResult kftenant(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> argv = {KFTENANT_BINARY, "--manifests", root_};
    argv.insert(argv.end(), args.begin(), args.end());
    // No kubeconfig at all: manifests mode must not need a cluster.
    return run_process(argv, input,
                       {{"KUBECONFIG", "/nonexistent/kubeconfig"}, {"HOME", dir_.path()}});
  }
  std::string config_map() { return read_file(root_ + "/common/dex/base/config-map.yaml"); }
  void expect_kustomize_builds() {
    if (!have_kubectl()) GTEST_SKIP() << "kubectl not installed";
    auto r = run_process({"/bin/sh", "-c", "kubectl kustomize \"$1\"", "sh", root_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }

  TempDir dir_;
  std::string root_;
  std::map<std::string, std::string> original_;
};

TEST_F(ManifestsModeTest, AddEditsTheConfigMapInPlaceAndWritesAProfileFile) {
  auto r = kftenant({"user", "add", "Nora@Example.com", "--password-stdin", "--bcrypt-cost", "10",
                     "--quota", "cpu=2"},
                    "nora-password\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("changed: common/dex/base/config-map.yaml"));
  EXPECT_THAT(r.out, HasSubstr("changed: common/user-namespace/base/profile-nora.yaml"));
  EXPECT_THAT(r.out, HasSubstr("changed: common/user-namespace/base/kustomization.yaml"));
  EXPECT_THAT(r.err, Not(HasSubstr("nora-password")));

  // The ConfigMap file: the original bytes plus the new entry's lines, nothing else.
  std::string before = original_["common/dex/base/config-map.yaml"];
  std::string after = config_map();
  EXPECT_GT(after.size(), before.size());
  size_t prefix = 0;
  while (prefix < before.size() && before[prefix] == after[prefix]) ++prefix;
  size_t added = after.size() - before.size();
  EXPECT_EQ(after.substr(prefix + added), before.substr(prefix)) << after;
  std::string inserted = after.substr(prefix, added);
  EXPECT_THAT(inserted, HasSubstr("\"nora@example.com\""));
  EXPECT_THAT(inserted, HasSubstr("$2y$10$"));

  // The new Profile file, listed in its kustomization; the Deployment records the config hash
  // so that applying the manifests rolls Dex.
  auto profile = yaml::parse(read_file(root_ + "/common/user-namespace/base/profile-nora.yaml"));
  ASSERT_TRUE(profile);
  EXPECT_EQ((*profile)["spec"]["owner"]["name"], "nora@example.com");
  EXPECT_EQ((*profile)["spec"]["resourceQuotaSpec"]["hard"]["cpu"], "2");
  EXPECT_THAT(read_file(root_ + "/common/user-namespace/base/kustomization.yaml"),
              HasSubstr("- profile-nora.yaml"));
  EXPECT_THAT(read_file(root_ + "/common/dex/base/deployment.yaml"),
              HasSubstr("kftenant.io/dex-config-sha256"));

  // Untouched files are byte-identical.
  auto now = snapshot(root_);
  for (const auto& [path, bytes] : original_) {
    if (path == "common/dex/base/config-map.yaml" || path == "common/dex/base/deployment.yaml" ||
        path == "common/user-namespace/base/kustomization.yaml")
      continue;
    EXPECT_EQ(now[path], bytes) << path;
  }
  expect_kustomize_builds();
}

TEST_F(ManifestsModeTest, ListShowQuotaShareRemoveRoundTrip) {
  ASSERT_EQ(kftenant({"user", "add", "olga@example.com", "--password-stdin", "--bcrypt-cost", "10"},
                     "olga-password\n")
                .exit_code,
            0);
  auto r = kftenant({"user", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::ContainsRegex("olga@example.com +static +olga +olga"));
  EXPECT_THAT(
      r.out, ::testing::ContainsRegex("user@example.com +static +user +kubeflow-user-example-com"));

  r = kftenant({"profile", "quota", "olga", "--set", "cpu=8,memory=32Gi"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto profile = yaml::parse(read_file(root_ + "/common/user-namespace/base/profile-olga.yaml"));
  EXPECT_EQ((*profile)["spec"]["resourceQuotaSpec"]["hard"]["memory"], "32Gi");

  r = kftenant({"profile", "share", "olga", "--with", "Pat@example.com", "--role", "view"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = kftenant({"profile", "contributors", "olga", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto contributors = nlohmann::json::parse(r.out)["contributors"];
  ASSERT_EQ(contributors.size(), 1u) << r.out;
  EXPECT_EQ(contributors[0]["email"], "pat@example.com");
  EXPECT_EQ(contributors[0]["role"], "view");
  expect_kustomize_builds();

  r = kftenant({"profile", "unshare", "olga", "--with", "pat@example.com"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = kftenant({"user", "remove", "olga@example.com", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(config_map(), original_["common/dex/base/config-map.yaml"]);
  EXPECT_FALSE(fs::exists(root_ + "/common/user-namespace/base/profile-olga.yaml"));
  EXPECT_EQ(read_file(root_ + "/common/user-namespace/base/kustomization.yaml"),
            original_["common/user-namespace/base/kustomization.yaml"]);
  expect_kustomize_builds();
}

TEST_F(ManifestsModeTest, DryRunWritesNothing) {
  auto r = kftenant(
      {"user", "add", "quinn@example.com", "--password-stdin", "--bcrypt-cost", "10", "--dry-run"},
      "quinn-password\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("+- email: \"quinn@example.com\""));
  // Each step names the file it changes (issue 7 item 10), also the file a new object goes to.
  EXPECT_THAT(r.out, HasSubstr("   file: common/dex/base/config-map.yaml\n"));
  EXPECT_THAT(r.out, HasSubstr("   file: common/dex/base/deployment.yaml\n"));
  EXPECT_THAT(r.out, HasSubstr("   file: common/user-namespace/base/profile-quinn.yaml\n"));
  r = kftenant({"user", "add", "quinn@example.com", "--password-stdin", "--bcrypt-cost", "10",
                "--dry-run", "-o", "json"},
               "quinn-password\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto plan = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(plan.is_discarded()) << r.out;
  EXPECT_EQ(plan["steps"][0]["file"], "common/dex/base/config-map.yaml");
  EXPECT_EQ(snapshot(root_), original_);
}

TEST_F(ManifestsModeTest, PasswordObjectBackendWritesAPasswordManifest) {
  auto r = kftenant({"--dex-backend", "password-crd", "user", "add", "rita@example.com",
                     "--password-stdin", "--bcrypt-cost", "10", "--no-profile"},
                    "rita-password\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(config_map(), original_["common/dex/base/config-map.yaml"]);
  r = kftenant({"user", "list", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("password-crd"));
  expect_kustomize_builds();
}

TEST_F(ManifestsModeTest, ApplyExportRoundTripAndPruneOnAFolder) {
  auto hashed = kftenant({"hash", "--password-stdin", "--bcrypt-cost", "10"}, "sam-password\n");
  ASSERT_EQ(hashed.exit_code, 0) << hashed.err;
  const std::string hash = hashed.out.substr(0, hashed.out.find('\n'));
  const std::string file = dir_.write(
      "tenants.yaml",
      "apiVersion: kftenant.io/v1alpha1\nkind: Tenants\nmetadata:\n  name: lab\nusers:\n"
      "- email: sam@example.com\n  hash: \"" +
          hash +
          "\"\n  quota: {cpu: \"2\"}\n  contributors: [{email: tom@example.com, role: view}]\n"
          "profiles:\n- name: team-oidc\n  owner: uma@example.com\n");
  auto r = kftenant({"apply", "-f", file});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(config_map(), HasSubstr("email: \"sam@example.com\""));
  EXPECT_THAT(config_map(), HasSubstr("kftenant.io/tenant-set-users"));
  EXPECT_TRUE(fs::exists(root_ + "/common/user-namespace/base/profile-sam.yaml"));
  EXPECT_TRUE(fs::exists(root_ + "/common/user-namespace/base/profile-team-oidc.yaml"));
  expect_kustomize_builds();
  const auto applied = snapshot(root_);
  r = kftenant({"apply", "-f", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Nothing to change."));
  EXPECT_EQ(snapshot(root_), applied);

  // export -o yaml, applied to a fresh copy of the tree, exports the same file.
  r = kftenant({"export", "-o", "yaml", "--with-hashes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string exported = r.out;
  const std::string export_file = dir_.write("export.yaml", exported);
  const std::string first_root = root_;
  root_ = dir_.file("fresh");
  fs::copy(std::string(KFTENANT_SOURCE_DIR) + "/examples/manifests", root_,
           fs::copy_options::recursive);
  r = kftenant({"apply", "-f", export_file});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = kftenant({"export", "-o", "yaml", "--with-hashes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, exported);
  root_ = first_root;

  // Prune: the set's user and profiles go, the files are as before the first apply.
  const std::string empty = dir_.write(
      "empty.yaml", "apiVersion: kftenant.io/v1alpha1\nkind: Tenants\nmetadata:\n  name: lab\n");
  r = kftenant({"apply", "-f", empty, "--prune", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(config_map(), original_["common/dex/base/config-map.yaml"]);
  EXPECT_FALSE(fs::exists(root_ + "/common/user-namespace/base/profile-sam.yaml"));
  EXPECT_FALSE(fs::exists(root_ + "/common/user-namespace/base/profile-team-oidc.yaml"));
  // No namespace garbage collection in a folder: the pruned profile's bindings go with it.
  for (const auto& [path, text] : snapshot(root_))
    EXPECT_THAT(text, Not(HasSubstr("tom@example.com"))) << path;
  expect_kustomize_builds();
}

}  // namespace
}  // namespace kftenant::testing
