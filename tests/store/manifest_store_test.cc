#include "kftenant/store/manifest_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "kftenant/dex/static_passwords.h"
#include "kftenant/yaml.h"
#include "support/run_process.h"
#include "support/temp_dir.h"
#include "testserver/seed_kubeflow.h"

namespace kftenant {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using store::ManifestStore;
using store::ObjectKey;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const ObjectKey kDexConfigMap{"v1", "ConfigMap", "auth", "dex"};
const ObjectKey kDefaultProfile{"kubeflow.org/v1", "Profile", "", "kubeflow-user-example-com"};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every file under `root` (relative path -> bytes).
std::map<std::string, std::string> snapshot(const std::string& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), root).generic_string()] = slurp(e.path());
  }
  return out;
}

template <typename T>
T must(Result<T> r) {
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  if (!r) throw std::runtime_error(r.error().message);
  return std::move(*r);
}

class ManifestStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy(std::string(KFTENANT_SOURCE_DIR) + "/examples/manifests", tmp.path(),
             fs::copy_options::recursive);
    before = snapshot(tmp.path());
    store = must(ManifestStore::open(tmp.path()));
  }
  std::string file(const std::string& rel) const { return slurp(tmp.file(rel)); }

  // The files that differ from `before` (changed, added or removed).
  std::vector<std::string> differing() const {
    auto now = snapshot(tmp.path());
    std::vector<std::string> out;
    for (const auto& [k, v] : now) {
      auto it = before.find(k);
      if (it == before.end() || it->second != v) out.push_back(k);
    }
    for (const auto& [k, v] : before) {
      if (!now.count(k)) out.push_back(k);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  void expect_kustomize_builds() {
    if (!fs::exists("/usr/bin/kubectl") && std::system("command -v kubectl >/dev/null 2>&1") != 0)
      GTEST_SKIP() << "kubectl not on PATH";
    std::string kubectl = fs::exists("/usr/bin/kubectl") ? "/usr/bin/kubectl" : "kubectl";
    auto r = testing::run_process({kubectl, "kustomize", tmp.path()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    built = r.out;
  }

  testing::TempDir tmp;
  std::map<std::string, std::string> before;
  std::unique_ptr<ManifestStore> store;
  std::string built;
};

TEST_F(ManifestStoreTest, OpenFailsForAMissingFolder) {
  auto r = ManifestStore::open(tmp.file("nope"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message, HasSubstr(tmp.file("nope")));
}

TEST_F(ManifestStoreTest, DescribesItselfAndIsNotLive) {
  EXPECT_EQ(store->description(), "manifests " + tmp.path());
  EXPECT_FALSE(store->capabilities().live);
  EXPECT_TRUE(store->warnings().empty());
}

TEST_F(ManifestStoreTest, ExampleDexConfigIsTheSeedsConfig) {
  json cm = must(store->get(kDexConfigMap));
  EXPECT_EQ(cm["data"]["config.yaml"], std::string(testserver::kubeflow_dex_config_yaml()));
  EXPECT_FALSE(cm["metadata"]["resourceVersion"].get<std::string>().empty());
}

TEST_F(ManifestStoreTest, GetUsesTheKustomizationNamespaceAndTheApiGroup) {
  // deployment.yaml has no metadata.namespace; its kustomization says `namespace: auth`.
  json dep = must(store->get({"apps/v1", "Deployment", "auth", "dex"}));
  EXPECT_EQ(dep["spec"]["template"]["spec"]["containers"][0]["command"][1], "serve");
  // The file says kubeflow.org/v1beta1; asked as v1, answered as v1.
  json profile = must(store->get(kDefaultProfile));
  EXPECT_EQ(profile["apiVersion"], "kubeflow.org/v1");
  EXPECT_EQ(profile["spec"]["owner"]["name"], "user@example.com");
  auto missing = store->get({"v1", "ConfigMap", "kubeflow", "dex"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(missing.error().message, HasSubstr("ConfigMap kubeflow/dex"));
}

TEST_F(ManifestStoreTest, ListFiltersByNamespaceAndLabels) {
  EXPECT_EQ(must(store->list("kubeflow.org/v1", "Profile", "")).size(), 1u);
  EXPECT_EQ(must(store->list("apps/v1", "Deployment", "auth", "app=dex")).size(), 1u);
  EXPECT_EQ(must(store->list("apps/v1", "Deployment", "auth", "app=other")).size(), 0u);
  EXPECT_EQ(must(store->list("apps/v1", "Deployment", "auth", "app!=other,app")).size(), 1u);
  EXPECT_EQ(must(store->list("apps/v1", "Deployment", "", "!app")).size(), 0u);
  EXPECT_EQ(must(store->list("v1", "ConfigMap", "kubeflow")).size(), 0u);
  // Set-based terms as the API server reads them (one parser: store/label_selector.h).
  EXPECT_EQ(must(store->list("apps/v1", "Deployment", "auth", "app in (dex,other)")).size(), 1u);
  EXPECT_EQ(must(store->list("apps/v1", "Deployment", "auth", "app notin (dex)")).size(), 0u);
  auto bad = store->list("v1", "ConfigMap", "", "app in (a,b");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad.error().message, HasSubstr("label selector \"app in (a,b\": unable to parse"));
}

TEST_F(ManifestStoreTest, ReplaceEditsOnlyTheChangedBytes) {
  json profile = must(store->get(kDefaultProfile));
  profile["spec"]["resourceQuotaSpec"]["hard"]["cpu"] = "2";
  json stored = must(store->replace(profile));
  EXPECT_FALSE(stored["metadata"].contains("namespace"));
  EXPECT_EQ(file("common/user-namespace/base/profile-instance.yaml"),
            before["common/user-namespace/base/profile-instance.yaml"] +
                "  resourceQuotaSpec:\n    hard:\n      cpu: \"2\"\n");
  EXPECT_THAT(differing(), ElementsAre("common/user-namespace/base/profile-instance.yaml"));
  EXPECT_THAT(store->changed_files(),
              ElementsAre("common/user-namespace/base/profile-instance.yaml"));
  // Neither the store's version nor the asked apiVersion reach the file.
  EXPECT_THAT(file("common/user-namespace/base/profile-instance.yaml"),
              HasSubstr("apiVersion: kubeflow.org/v1beta1\n"));
  EXPECT_THAT(file("common/user-namespace/base/profile-instance.yaml"),
              ::testing::Not(HasSubstr("resourceVersion")));
  // The new version is current.
  json again = must(store->get(kDefaultProfile));
  EXPECT_EQ(again["metadata"]["resourceVersion"], stored["metadata"]["resourceVersion"]);
  EXPECT_NE(again["metadata"]["resourceVersion"], profile["metadata"]["resourceVersion"]);
  expect_kustomize_builds();
}

TEST_F(ManifestStoreTest, ReplaceConflictsWhenTheFileChangedUnderUs) {
  json profile = must(store->get(kDefaultProfile));
  tmp.write("common/user-namespace/base/profile-instance.yaml",
            before["common/user-namespace/base/profile-instance.yaml"] + "# edited by hand\n");
  profile["spec"]["owner"]["name"] = "other@example.com";
  auto r = store->replace(profile);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_THAT(r.error().message, HasSubstr("profile-instance.yaml"));
  // After reading again the replace goes through and keeps the hand edit.
  json fresh = must(store->get(kDefaultProfile));
  fresh["spec"]["owner"]["name"] = "other@example.com";
  must(store->replace(fresh));
  EXPECT_THAT(file("common/user-namespace/base/profile-instance.yaml"),
              HasSubstr("name: other@example.com\n# edited by hand\n"));
  json missing_rv = fresh;
  missing_rv["metadata"].erase("resourceVersion");
  EXPECT_EQ(store->replace(missing_rv).error().code, ErrorCode::kInvalid);
}

TEST_F(ManifestStoreTest, ReplaceKeepsFilePermissions) {
  const std::string path = tmp.file("common/dex/base/service.yaml");
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  json svc = must(store->get({"v1", "Service", "auth", "dex"}));
  svc["spec"]["ports"][0]["port"] = 5557;
  must(store->replace(svc));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THAT(slurp(path), HasSubstr("    port: 5557\n"));
}

TEST_F(ManifestStoreTest, DexStaticPasswordAddedTouchesOnlyItsLines) {
  json cm = must(store->get(kDexConfigMap));
  auto config =
      must(dex::DexConfig::parse(cm["data"]["config.yaml"].get<std::string>(), "config.yaml"));
  dex::StaticPassword alice;
  alice.email = "alice@example.com";
  alice.hash = "$2y$12$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72";
  alice.username = "alice";
  alice.user_id = "alice-id";
  ASSERT_TRUE(config.upsert_static_password(alice));
  cm["data"]["config.yaml"] = config.text();
  must(store->replace(cm));
  const std::string old_text = before["common/dex/base/config-map.yaml"];
  const std::string new_text = file("common/dex/base/config-map.yaml");
  // The new text is the old one with lines inserted after the last staticPasswords entry.
  const std::string anchor = "      userID: \"15841185641784\"\n";
  const size_t at = old_text.find(anchor) + anchor.size();
  ASSERT_EQ(new_text.substr(0, at), old_text.substr(0, at));
  const size_t tail = old_text.size() - at;
  ASSERT_EQ(new_text.substr(new_text.size() - tail), old_text.substr(at));
  const std::string inserted = new_text.substr(at, new_text.size() - old_text.size());
  EXPECT_THAT(inserted, HasSubstr("    - email: \"alice@example.com\"\n"));
  for (size_t pos = 0; pos < inserted.size(); pos = inserted.find('\n', pos) + 1) {
    EXPECT_EQ(inserted.substr(pos, 4), "    ") << inserted;  // inside the block literal
  }
  EXPECT_THAT(differing(), ElementsAre("common/dex/base/config-map.yaml"));
  expect_kustomize_builds();
  EXPECT_THAT(built, HasSubstr("alice@example.com"));
}

TEST_F(ManifestStoreTest, CreatePutsAProfileNextToTheExistingOne) {
  json alice = {{"apiVersion", "kubeflow.org/v1"},
                {"kind", "Profile"},
                {"metadata", {{"name", "alice"}}},
                {"spec", {{"owner", {{"kind", "User"}, {"name", "alice@example.com"}}}}}};
  json stored = must(store->create(alice));
  EXPECT_FALSE(stored["metadata"]["resourceVersion"].get<std::string>().empty());
  EXPECT_EQ(must(store->get({"kubeflow.org/v1", "Profile", "", "alice"}))["spec"], alice["spec"]);
  EXPECT_EQ(file("common/user-namespace/base/kustomization.yaml"),
            before["common/user-namespace/base/kustomization.yaml"] + "- profile-alice.yaml\n");
  EXPECT_EQ(yaml::parse(file("common/user-namespace/base/profile-alice.yaml")).value(), alice);
  EXPECT_THAT(differing(), ElementsAre("common/user-namespace/base/kustomization.yaml",
                                       "common/user-namespace/base/profile-alice.yaml"));
  EXPECT_THAT(store->changed_files(), ElementsAre("common/user-namespace/base/profile-alice.yaml",
                                                  "common/user-namespace/base/kustomization.yaml"));
  auto again = store->create(alice);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  expect_kustomize_builds();
  EXPECT_THAT(built, HasSubstr("name: alice\n"));
}

TEST_F(ManifestStoreTest, CreateOfANewKindMakesTheNewObjectsFolder) {
  json password = {
      {"apiVersion", "dex.coreos.com/v1"},
      {"kind", "Password"},
      {"metadata",
       {{"name", "mfsgs2lhmvzeqzlymfwxa3dffzrw63nzzpzjzzebeeuij4"}, {"namespace", "auth"}}},
      {"email", "alice@example.com"},
      {"hash", "JDJ5JDEy"},
      {"username", "alice"},
      {"userID", "1"}};
  must(store->create(password));
  const std::string dir = "kftenant-profiles/";
  EXPECT_EQ(file(dir + "kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- "
            "password-mfsgs2lhmvzeqzlymfwxa3dffzrw63nzzpzjzzebeeuij4.yaml\n");
  EXPECT_EQ(file("kustomization.yaml"), before["kustomization.yaml"] + "- kftenant-profiles\n");
  expect_kustomize_builds();
  EXPECT_THAT(built, HasSubstr("kind: Password"));
}

TEST_F(ManifestStoreTest, RemoveDeletesTheFileAndItsResourcesEntry) {
  json profile = must(store->get(kDefaultProfile));
  auto stale = store->remove(kDefaultProfile, std::string("0000000000000000"));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(
      store->remove(kDefaultProfile, profile["metadata"]["resourceVersion"].get<std::string>()));
  EXPECT_FALSE(fs::exists(tmp.file("common/user-namespace/base/profile-instance.yaml")));
  EXPECT_EQ(store->get(kDefaultProfile).error().code, ErrorCode::kNotFound);
  // The folder's only resource is gone: the kustomization keeps its other lines.
  EXPECT_EQ(file("common/user-namespace/base/kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n");
  EXPECT_EQ(store->remove(kDefaultProfile).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store->remove({"v1", "Service", "auth", "dex"}));
  EXPECT_EQ(file("common/dex/base/kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: "
            "auth\nresources:\n- namespace.yaml\n- config-map.yaml\n- deployment.yaml\n- "
            "dex-passwords.yaml\n");
  expect_kustomize_builds();
  EXPECT_THAT(built, ::testing::Not(HasSubstr("kind: Service")));
}

constexpr std::string_view kMultiDoc =
    "# two roles\n"
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\ndata:\n  a: \"1\"\n"
    "---\n# second\n"
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\ndata:\n  b: \"2\"\n"
    "---\n"
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: three\n";

TEST_F(ManifestStoreTest, MultiDocumentFilesAreEditedPerDocument) {
  // Folder mode (no root kustomization): every YAML file counts, also extra/ which no
  // kustomization lists (with one, only what the build reaches would; kustomize_graph_test.cc).
  fs::remove(tmp.file("kustomization.yaml"));
  tmp.write("extra/kustomization.yaml", "resources:\n- maps.yaml\n");
  tmp.write("extra/maps.yaml", kMultiDoc);
  tmp.write("extra/params.yaml", "just: [a, parameter\n");  // does not parse: skipped
  store = must(ManifestStore::open(tmp.path()));
  ASSERT_EQ(store->warnings().size(), 1u);
  EXPECT_THAT(store->warnings()[0], HasSubstr("extra/params.yaml"));
  EXPECT_EQ(must(store->list("v1", "ConfigMap", "")).size(), 4u);

  json two = must(store->get({"v1", "ConfigMap", "", "two"}));
  two["data"]["b"] = "22";
  must(store->replace(two));
  std::string expected(kMultiDoc);
  expected.replace(expected.find("b: \"2\""), 6, "b: \"22\"");
  EXPECT_EQ(file("extra/maps.yaml"), expected);

  ASSERT_TRUE(store->remove({"v1", "ConfigMap", "", "two"}));
  std::string without_two = expected;
  const size_t from = without_two.find("---\n# second");
  without_two.erase(from, without_two.find("---\n", from + 4) - from);
  EXPECT_EQ(file("extra/maps.yaml"), without_two);
  EXPECT_EQ(must(store->get({"v1", "ConfigMap", "", "three"}))["metadata"]["name"], "three");
  ASSERT_TRUE(store->remove({"v1", "ConfigMap", "", "one"}));
  ASSERT_TRUE(store->remove({"v1", "ConfigMap", "", "three"}));
  EXPECT_FALSE(fs::exists(tmp.file("extra/maps.yaml")));
  EXPECT_EQ(file("extra/kustomization.yaml"), "resources: []\n");
}

TEST_F(ManifestStoreTest, AmbiguousKeysNameBothFilesUnlessAPathIsPreferred) {
  // Folder mode: without a root kustomization both copies count (with one, the graph decides;
  // kustomize_graph_test.cc).
  fs::remove(tmp.file("kustomization.yaml"));
  tmp.write("common/dex/overlays/oauth2-proxy/config-map.yaml",
            before["common/dex/base/config-map.yaml"]);
  store = must(ManifestStore::open(tmp.path()));
  auto r = store->get(kDexConfigMap);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kStoredData);
  EXPECT_THAT(r.error().message, HasSubstr("common/dex/base/config-map.yaml"));
  EXPECT_THAT(r.error().message, HasSubstr("common/dex/overlays/oauth2-proxy/config-map.yaml"));
  store::ManifestStoreOptions options;
  options.preferred_paths = {"common/dex/overlays/oauth2-proxy"};
  store = must(ManifestStore::open(tmp.path(), options));
  json cm = must(store->get(kDexConfigMap));
  cm["data"]["extra"] = "x";
  must(store->replace(cm));
  EXPECT_THAT(store->changed_files(),
              ElementsAre("common/dex/overlays/oauth2-proxy/config-map.yaml"));
}

}  // namespace
}  // namespace kftenant
