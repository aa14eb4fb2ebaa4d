// ManifestStore in graph mode: the root has a kustomization, and what the store reads and writes is
// what `kustomize build ROOT` makes of the tree — files outside the root it references, the
// overlay patch that decides a value, the namespace transformer — and the cases where the graph
// cannot decide, which are refused with nothing written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "kftenant/store/manifest_store.h"
#include "kftenant/yaml.h"
#include "manifests_support/kustomize_oracle.h"
#include "support/temp_dir.h"

namespace kftenant {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using store::FileChoice;
using store::ManifestStore;
using store::ManifestStoreOptions;
using store::ObjectKey;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const ObjectKey kDex{"v1", "ConfigMap", "auth", "dex"};

template <typename T>
T must(Result<T> r) {
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  if (!r) throw std::runtime_error(r.error().message);
  return std::move(*r);
}

constexpr const char* kBaseConfigMap =
    "apiVersion: v1\n"
    "kind: ConfigMap\n"
    "metadata:\n"
    "  name: dex\n"
    "data:\n"
    "  config.yaml: |\n"
    "    issuer: base\n"
    "  other: base-only\n";

constexpr const char* kOverlayConfigMap =
    "apiVersion: v1\n"
    "kind: ConfigMap\n"
    "metadata:\n"
    "  name: dex\n"
    "data:\n"
    "  config.yaml: |\n"
    "    issuer: overlay\n";

// A tree shaped like Kubeflow's: common/dex/base (namespace auth), an overlay that replaces
// data.config.yaml through `patches:` with a target, and a root beside them (like example/)
// that reaches both through ../.
class KustomizeGraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp.write("common/dex/base/kustomization.yaml",
              "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
              "namespace: auth\nresources:\n- config-map.yaml\n- deployment.yaml\n");
    tmp.write("common/dex/base/config-map.yaml", kBaseConfigMap);
    tmp.write("common/dex/base/deployment.yaml",
              "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dex\nspec:\n"
              "  template:\n    metadata:\n      labels:\n        app: dex\n");
    tmp.write("common/dex/overlay/kustomization.yaml",
              "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
              "- ../base\npatches:\n- path: config-map.yaml\n  target:\n    version: v1\n"
              "    kind: ConfigMap\n    name: dex\n    namespace: auth\n");
    tmp.write("common/dex/overlay/config-map.yaml", kOverlayConfigMap);
    tmp.write("common/profiles/kustomization.yaml", "resources:\n- profile-user.yaml\n");
    tmp.write("common/profiles/profile-user.yaml",
              "apiVersion: kubeflow.org/v1beta1\nkind: Profile\nmetadata:\n  name: user\n"
              "spec:\n  owner:\n    kind: User\n    name: user@example.com\n");
    tmp.write("example/kustomization.yaml",
              "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
              "- ../common/dex/overlay\n- ../common/profiles\n");
    root = tmp.file("example");
  }
  std::unique_ptr<ManifestStore> open(ManifestStoreOptions options = {}) {
    return must(ManifestStore::open(root, std::move(options)));
  }
  ManifestStoreOptions dex_choice(std::string file = "") {
    ManifestStoreOptions o;
    o.choices.push_back({kDex, std::move(file), "--dex-config-file PATH"});
    return o;
  }
  std::string file(const std::string& rel) const { return testing::slurp_file(tmp.file(rel)); }
  // kubectl kustomize ROOT, or a skip when kubectl cannot serve as the oracle.
  // The oracle is an extra check: without it the test's other checks still run, and the test
  // is reported as skipped with the reason.
  void TearDown() override {
    if (!skipped.empty()) GTEST_SKIP() << "kustomize oracle not run: " << skipped;
  }
  testing::Built build_or_skip() {
    if (auto why = testing::kustomize_unusable()) {
      skipped = *why;
      return {};
    }
    auto b = testing::kustomize_build(root);
    EXPECT_EQ(b.exit_code, 0) << b.err;
    return b;
  }

  testing::TempDir tmp;
  std::string root;
  std::string skipped;
};

TEST_F(KustomizeGraphTest, GetReturnsTheObjectAsBuiltFromOutsideTheRoot) {
  auto store = open();
  EXPECT_TRUE(store->warnings().empty());
  json cm = must(store->get(kDex));
  EXPECT_EQ(cm["data"]["config.yaml"], "issuer: overlay\n");  // the overlay's patch wins
  EXPECT_EQ(cm["data"]["other"], "base-only");                // the base's other keys stay
  EXPECT_EQ(cm["metadata"]["namespace"], "auth");             // the base's namespace transformer
  EXPECT_EQ(store->file_of(kDex), "../common/dex/base/config-map.yaml");
  auto built = build_or_skip();
  if (skipped.empty()) {
    json oracle = built.find("ConfigMap", "dex", "auth");
    EXPECT_EQ(oracle["data"], cm["data"]);
  }
}

TEST_F(KustomizeGraphTest, AChangeToAFieldThePatchSetsEditsThePatchFileOnly) {
  auto store = open();
  const json read = must(store->get(kDex));
  json cm = read;
  cm["data"]["config.yaml"] = "issuer: overlay\nnew: line\n";
  EXPECT_THAT(must(store->files_to_change(kDex, read, cm)),
              ElementsAre("../common/dex/overlay/config-map.yaml"));
  json stored = must(store->replace(cm));
  // Once written, the files are still named for that change (what `-o json` reports).
  EXPECT_THAT(must(store->files_to_change(kDex, read, cm)),
              ElementsAre("../common/dex/overlay/config-map.yaml"));
  EXPECT_EQ(stored["data"]["config.yaml"], "issuer: overlay\nnew: line\n");
  EXPECT_EQ(file("common/dex/overlay/config-map.yaml"),
            std::string(kOverlayConfigMap) + "    new: line\n");
  EXPECT_EQ(file("common/dex/base/config-map.yaml"), kBaseConfigMap);
  EXPECT_THAT(store->changed_files(), ElementsAre("../common/dex/overlay/config-map.yaml"));
  auto built = build_or_skip();
  if (skipped.empty()) {
    EXPECT_EQ(built.find("ConfigMap", "dex", "auth")["data"]["config.yaml"],
              "issuer: overlay\nnew: line\n");
  }
}

TEST_F(KustomizeGraphTest, AChangeToAFieldOnlyTheBaseSetsEditsTheBase) {
  auto store = open();
  json cm = must(store->get(kDex));
  cm["data"]["other"] = "changed";
  must(store->replace(cm));
  EXPECT_EQ(file("common/dex/overlay/config-map.yaml"), kOverlayConfigMap);
  EXPECT_THAT(file("common/dex/base/config-map.yaml"), HasSubstr("  other: changed\n"));
  EXPECT_THAT(store->changed_files(), ElementsAre("../common/dex/base/config-map.yaml"));
  // A new key goes to the base too; neither document gets the namespace the build adds.
  json dep = must(store->get({"apps/v1", "Deployment", "auth", "dex"}));
  dep["spec"]["template"]["metadata"]["annotations"]["kftenant.io/x"] = "1";
  must(store->replace(dep));
  EXPECT_THAT(file("common/dex/base/deployment.yaml"), HasSubstr("kftenant.io/x"));
  EXPECT_THAT(file("common/dex/base/deployment.yaml"), Not(HasSubstr("namespace")));
}

TEST_F(KustomizeGraphTest, ObjectsTheBuildDoesNotReachAreNotInTheStore) {
  tmp.write("example/stray.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n");
  tmp.write("common/unused/kustomization.yaml", "resources:\n- cm.yaml\n");
  tmp.write("common/unused/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dex\n  namespace: auth\n");
  auto store = open();
  EXPECT_EQ(store->get({"v1", "ConfigMap", "", "stray"}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(must(store->list("v1", "ConfigMap", "")).size(), 1u);
  // The overlay's patch document is a patch, not a second ConfigMap dex.
  EXPECT_EQ(must(store->get(kDex))["data"]["config.yaml"], "issuer: overlay\n");
}

TEST_F(KustomizeGraphTest, TheOutermostNamespaceWins) {
  tmp.write("ns/base/kustomization.yaml",
            "namespace: inner\nresources:\n- cm.yaml\n- profile.yaml\n- role.yaml\n");
  tmp.write("ns/base/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: explicit\n");
  tmp.write("ns/base/profile.yaml",
            "apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata:\n"
            "  name: p\nspec:\n  owner:\n    name: p@example.com\n");
  tmp.write("ns/base/role.yaml",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n");
  tmp.write("ns/mid/kustomization.yaml", "namespace: middle\nresources:\n- ../base\n");
  tmp.write("example/kustomization.yaml", "resources:\n- ../ns/mid\n");
  auto store = open();
  EXPECT_TRUE(store->get({"v1", "ConfigMap", "middle", "c"}));
  EXPECT_EQ(store->get({"v1", "ConfigMap", "inner", "c"}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store->get({"v1", "ConfigMap", "explicit", "c"}).error().code, ErrorCode::kNotFound);
  // kustomize gives a custom kind a namespace too; a key without one still finds it.
  EXPECT_TRUE(store->get({"kubeflow.org/v1", "Profile", "", "p"}));
  // A cluster-scoped built-in kind keeps none.
  EXPECT_TRUE(store->get({"rbac.authorization.k8s.io/v1", "ClusterRole", "", "r"}));
  EXPECT_EQ(must(store->list("v1", "ConfigMap", "middle")).size(), 1u);
  auto built = build_or_skip();
  if (skipped.empty()) {
    EXPECT_FALSE(built.find("ConfigMap", "c", "middle").is_null()) << built.out;
    EXPECT_FALSE(built.find("ClusterRole", "r")
                     .contains(nlohmann::json::json_pointer("/metadata/namespace")));
  }
}

TEST_F(KustomizeGraphTest, NamePrefixesAreAppliedOuterFirst) {
  tmp.write("pre/base/kustomization.yaml", "namePrefix: in-\nresources:\n- cm.yaml\n");
  tmp.write("pre/base/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
            "data:\n  a: \"1\"\n");
  tmp.write("example/kustomization.yaml", "namePrefix: out-\nresources:\n- ../pre/base\n");
  auto store = open();
  json cm = must(store->get({"v1", "ConfigMap", "", "out-in-c"}));
  EXPECT_EQ(cm["metadata"]["name"], "out-in-c");
  cm["data"]["a"] = "2";
  must(store->replace(cm));
  // The file keeps its own name.
  EXPECT_EQ(file("pre/base/cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"2\"\n");
}

TEST_F(KustomizeGraphTest, AGeneratedConfigMapIsRefusedUnlessAFileIsChosen) {
  tmp.write("common/dex/base/kustomization.yaml",
            "namespace: auth\nresources:\n- deployment.yaml\nconfigMapGenerator:\n- name: dex\n"
            "  files:\n  - config.yaml\ngeneratorOptions:\n  disableNameSuffixHash: true\n");
  tmp.write("common/dex/base/config.yaml", "issuer: generated\n");
  tmp.write("common/dex/overlay/kustomization.yaml", "resources:\n- ../base\n");
  const auto before = testing::snapshot_tree(tmp.path());
  auto store = open(dex_choice());
  auto r = store->get(kDex);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kRefused);
  EXPECT_THAT(r.error().message, HasSubstr("configMapGenerator"));
  EXPECT_THAT(r.error().message, HasSubstr("../common/dex/base/kustomization.yaml"));
  EXPECT_THAT(r.error().message, HasSubstr("--dex-config-file PATH"));
  EXPECT_FALSE(store->files_to_change(kDex, json(), json::object()));
  EXPECT_EQ(testing::snapshot_tree(tmp.path()), before);

  // Chosen: the chosen document is the object, and edits go to it.
  tmp.write("dex-config.yaml", kOverlayConfigMap);
  store = open(dex_choice("../dex-config.yaml"));
  json cm = must(store->get(kDex));
  EXPECT_EQ(cm["data"]["config.yaml"], "issuer: overlay\n");
  cm["data"]["config.yaml"] = "issuer: chosen\n";
  must(store->replace(cm));
  EXPECT_THAT(file("dex-config.yaml"), HasSubstr("    issuer: chosen\n"));
  EXPECT_THAT(store->changed_files(), ElementsAre("../dex-config.yaml"));
}

TEST_F(KustomizeGraphTest, TwoPatchesSettingTheFieldAreRefusedUntilTheDecidingOneIsChosen) {
  tmp.write("common/dex/second/kustomization.yaml",
            "resources:\n- ../overlay\npatches:\n- path: cm.yaml\n  target:\n    kind: ConfigMap\n"
            "    name: dex\n");
  tmp.write("common/dex/second/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dex\ndata:\n"
            "  config.yaml: |\n    issuer: second\n");
  tmp.write("example/kustomization.yaml", "resources:\n- ../common/dex/second\n");
  const auto before = testing::snapshot_tree(tmp.path());
  auto store = open(dex_choice());
  json cm = must(store->get(kDex));
  EXPECT_EQ(cm["data"]["config.yaml"], "issuer: second\n");  // applied last: the outer one
  cm["data"]["config.yaml"] = "issuer: new\n";
  auto r = store->replace(cm);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kRefused);
  EXPECT_THAT(r.error().message, HasSubstr("more than one patch"));
  EXPECT_THAT(r.error().message, HasSubstr("../common/dex/overlay/config-map.yaml"));
  EXPECT_THAT(r.error().message, HasSubstr("../common/dex/second/cm.yaml"));
  EXPECT_THAT(r.error().message, HasSubstr("--dex-config-file"));
  EXPECT_EQ(testing::snapshot_tree(tmp.path()), before);

  // The file that is overridden would change nothing: refused, naming the one that wins.
  store = open(dex_choice("../common/dex/overlay/config-map.yaml"));
  cm = must(store->get(kDex));
  EXPECT_EQ(cm["data"]["config.yaml"], "issuer: overlay\n");  // the chosen file's view
  cm["data"]["config.yaml"] = "issuer: new\n";
  r = store->replace(cm);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("would not change the built object"));
  EXPECT_THAT(r.error().message, HasSubstr("second/cm.yaml"));
  EXPECT_EQ(testing::snapshot_tree(tmp.path()), before);

  store = open(dex_choice("../common/dex/second/cm.yaml"));
  cm = must(store->get(kDex));
  cm["data"]["config.yaml"] = "issuer: new\n";
  must(store->replace(cm));
  EXPECT_THAT(store->changed_files(), ElementsAre("../common/dex/second/cm.yaml"));
  auto built = build_or_skip();
  if (skipped.empty()) {
    EXPECT_EQ(built.find("ConfigMap", "dex", "auth")["data"]["config.yaml"], "issuer: new\n");
  }
}

TEST_F(KustomizeGraphTest, AFieldSetByAJson6902PatchIsRefused) {
  tmp.write("common/dex/overlay/kustomization.yaml",
            "resources:\n- ../base\npatchesJson6902:\n- path: json-patch.yaml\n  target:\n"
            "    version: v1\n    kind: ConfigMap\n    name: dex\n    namespace: auth\n");
  tmp.write("common/dex/overlay/json-patch.yaml",
            "- op: replace\n  path: /data/config.yaml\n  value: |\n    issuer: json\n");
  const auto before = testing::snapshot_tree(tmp.path());
  auto store = open(dex_choice());
  json cm = must(store->get(kDex));
  EXPECT_EQ(cm["data"]["config.yaml"], "issuer: json\n");
  json changed = cm;
  changed["data"]["config.yaml"] = "issuer: new\n";
  auto r = store->replace(changed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kRefused);
  EXPECT_THAT(r.error().message,
              HasSubstr("JSON 6902 patch ../common/dex/overlay/json-patch.yaml"));
  EXPECT_THAT(r.error().message, HasSubstr("--dex-config-file"));
  EXPECT_FALSE(store->files_to_change(kDex, cm, changed));
  EXPECT_EQ(testing::snapshot_tree(tmp.path()), before);
  // A field the JSON patch does not touch is still the base's.
  changed = cm;
  changed["data"]["other"] = "x";
  EXPECT_THAT(must(store->files_to_change(kDex, cm, changed)),
              ElementsAre("../common/dex/base/config-map.yaml"));
}

TEST_F(KustomizeGraphTest, StrategicMergePatchesWithoutTargetAndComponentsApply) {
  tmp.write("common/dex/overlay/kustomization.yaml",
            "resources:\n- ../base\npatchesStrategicMerge:\n- config-map.yaml\n"
            "components:\n- ../component\n");
  tmp.write("common/dex/overlay/config-map.yaml",
            std::string(kOverlayConfigMap)
                .replace(std::string(kOverlayConfigMap).find("  name: dex\n"), 12,
                         "  name: dex\n  namespace: auth\n"));
  tmp.write("common/dex/component/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n"
            "- path: labels.yaml\n  target:\n    kind: Deployment\n");
  tmp.write("common/dex/component/labels.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: any\n  labels:\n"
            "    team: x\n");
  auto store = open();
  EXPECT_EQ(must(store->get(kDex))["data"]["config.yaml"], "issuer: overlay\n");
  json dep = must(store->get({"apps/v1", "Deployment", "auth", "dex"}));
  EXPECT_EQ(dep["metadata"]["labels"]["team"], "x");
  dep["metadata"]["labels"]["team"] = "z";
  must(store->replace(dep));
  EXPECT_THAT(file("common/dex/component/labels.yaml"), HasSubstr("team: z"));
  auto built = build_or_skip();
  if (skipped.empty()) {
    EXPECT_EQ(built.find("Deployment", "dex", "auth")["metadata"]["labels"]["team"], "z");
    EXPECT_EQ(built.find("ConfigMap", "dex", "auth")["data"]["config.yaml"], "issuer: overlay\n");
  }
}

TEST_F(KustomizeGraphTest, ACycleIsAnErrorNotAHang) {
  tmp.write("loop/a/kustomization.yaml", "resources:\n- ../b\n");
  tmp.write("loop/b/kustomization.yaml", "resources:\n- ../a\n");
  tmp.write("example/kustomization.yaml", "resources:\n- ../loop/a\n");
  auto r = ManifestStore::open(root);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kStoredData);
  EXPECT_THAT(r.error().message, HasSubstr("cycle"));
  EXPECT_THAT(r.error().message, HasSubstr("../loop/a -> ../loop/b -> ../loop/a"));
}

TEST_F(KustomizeGraphTest, MissingReferencesAreNamedAndRemoteOnesSkipped) {
  tmp.write("example/kustomization.yaml",
            "resources:\n- ../common/dex/overlay\n- ../common/cert-manager/overlays/kubeflow\n"
            "- ../common/empty\n- https://github.com/x/y//z?ref=v1\n"
            "patches:\n- path: gone.yaml\n");
  fs::create_directories(tmp.file("common/empty"));
  auto r = ManifestStore::open(root);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message,
              HasSubstr("kustomization.yaml references ../common/cert-manager/overlays/kubeflow, "
                        "which does not exist"));
  EXPECT_THAT(r.error().message, HasSubstr("../common/empty, a folder without a kustomization"));
  EXPECT_THAT(r.error().message, HasSubstr("gone.yaml, a patch file which does not exist"));
  EXPECT_THAT(r.error().message, Not(HasSubstr("github.com")));

  tmp.write("example/kustomization.yaml",
            "resources:\n- ../common/dex/overlay\n- https://github.com/x/y//z?ref=v1\n");
  auto store = open();
  ASSERT_EQ(store->warnings().size(), 1u);
  EXPECT_THAT(store->warnings()[0], HasSubstr("remote resource https://github.com/x/y//z?ref=v1"));
}

TEST_F(KustomizeGraphTest, CreatePlacesObjectsNextToTheirKindOutsideTheRoot) {
  auto store = open();
  json profile = {{"apiVersion", "kubeflow.org/v1"},
                  {"kind", "Profile"},
                  {"metadata", {{"name", "carol"}}},
                  {"spec", {{"owner", {{"kind", "User"}, {"name", "carol@example.com"}}}}}};
  const ObjectKey key{"kubeflow.org/v1", "Profile", "", "carol"};
  EXPECT_THAT(must(store->files_to_change(key, json(), profile)),
              ElementsAre("../common/profiles/profile-carol.yaml"));
  must(store->create(profile));
  EXPECT_EQ(file("common/profiles/kustomization.yaml"),
            "resources:\n- profile-user.yaml\n- profile-carol.yaml\n");
  EXPECT_THAT(store->changed_files(), ElementsAre("../common/profiles/profile-carol.yaml",
                                                  "../common/profiles/kustomization.yaml"));
  // A RoleBinding: the only folder with RoleBindings sets another namespace, so it goes to
  // new_objects_dir, listed in the ROOT's kustomization.
  tmp.write("common/dex/base/rb.yaml",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: x\n"
            "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: x\n");
  tmp.write("common/dex/base/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "namespace: auth\nresources:\n- config-map.yaml\n- deployment.yaml\n- rb.yaml\n");
  store = open();
  json binding = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                  {"kind", "RoleBinding"},
                  {"metadata", {{"name", "user-carol"}, {"namespace", "carol"}}},
                  {"roleRef",
                   {{"apiGroup", "rbac.authorization.k8s.io"},
                    {"kind", "ClusterRole"},
                    {"name", "kubeflow-edit"}}}};
  must(store->create(binding));
  EXPECT_EQ(file("example/kftenant-profiles/kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- "
            "rolebinding-user-carol.yaml\n");
  EXPECT_THAT(file("example/kustomization.yaml"), HasSubstr("- kftenant-profiles\n"));
  EXPECT_TRUE(store->get({"rbac.authorization.k8s.io/v1", "RoleBinding", "carol", "user-carol"}));
  auto built = build_or_skip();
  if (skipped.empty()) {
    EXPECT_FALSE(built.find("Profile", "carol").is_null());
    EXPECT_FALSE(built.find("RoleBinding", "user-carol", "carol").is_null()) << built.out;
  }
}

TEST_F(KustomizeGraphTest, ARootNamespaceThatWouldMoveANewObjectIsRefused) {
  tmp.write("example/kustomization.yaml",
            "namespace: everything\nresources:\n- ../common/dex/overlay\n");
  auto store = open();
  json binding = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                  {"kind", "RoleBinding"},
                  {"metadata", {{"name", "b"}, {"namespace", "carol"}}}};
  auto r = store->create(binding);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kRefused);
  EXPECT_THAT(r.error().message, HasSubstr("namespace: everything"));
  EXPECT_FALSE(fs::exists(tmp.file("example/kftenant-profiles")));
}

TEST_F(KustomizeGraphTest, RemovingAPatchedObjectIsRefusedAndAPlainOneTakesItsEntry) {
  auto store = open();
  auto r = store->remove(kDex);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kRefused);
  EXPECT_THAT(r.error().message, HasSubstr("../common/dex/overlay/config-map.yaml"));
  ASSERT_TRUE(store->remove({"kubeflow.org/v1", "Profile", "", "user"}));
  EXPECT_EQ(file("common/profiles/kustomization.yaml"), "resources: []\n");
  EXPECT_FALSE(fs::exists(tmp.file("common/profiles/profile-user.yaml")));
}

TEST_F(KustomizeGraphTest, APatchFileEditedSinceGetIsAConflict) {
  auto store = open();
  json cm = must(store->get(kDex));
  tmp.write("common/dex/overlay/config-map.yaml", std::string(kOverlayConfigMap) + "# hand\n");
  cm["data"]["config.yaml"] = "issuer: mine\n";
  auto r = store->replace(cm);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_THAT(r.error().message, HasSubstr("overlay/config-map.yaml"));
}

TEST_F(KustomizeGraphTest, AChosenFileThatDoesNotExistOrHoldsNoConfigMapFailsOpen) {
  auto r = ManifestStore::open(root, dex_choice("nope.yaml"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message, HasSubstr("--dex-config-file nope.yaml"));
  r = ManifestStore::open(root, dex_choice("../common/dex/base/deployment.yaml"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message, HasSubstr("no ConfigMap document"));
  // An absolute path works as well as one relative to the root.
  auto store = open(dex_choice(tmp.file("common/dex/overlay/config-map.yaml")));
  json cm = must(store->get(kDex));
  cm["data"]["config.yaml"] = "issuer: abs\n";
  must(store->replace(cm));
  EXPECT_THAT(store->changed_files(), ElementsAre("../common/dex/overlay/config-map.yaml"));
}

TEST_F(KustomizeGraphTest, AKeyedListAssembledFromBaseAndPatchIsNotWritten) {
  tmp.write("common/dex/base/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dex\nspec:\n  template:\n"
            "    spec:\n      containers:\n      - name: dex\n        image: dex:1\n");
  tmp.write("common/dex/overlay/kustomization.yaml",
            "resources:\n- ../base\npatches:\n- path: sidecar.yaml\n");
  tmp.write("common/dex/overlay/sidecar.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dex\n  namespace: auth\n"
            "spec:\n  template:\n    spec:\n      containers:\n      - name: side\n"
            "        image: side:1\n");
  auto store = open();
  const ObjectKey key{"apps/v1", "Deployment", "auth", "dex"};
  json dep = must(store->get(key));
  ASSERT_EQ(dep["spec"]["template"]["spec"]["containers"].size(), 2u);  // merged by name
  dep["spec"]["template"]["spec"]["containers"][0]["image"] = "dex:2";
  auto r = store->replace(dep);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kRefused);
  EXPECT_THAT(r.error().message, HasSubstr("assembled"));
  auto built = build_or_skip();
  if (skipped.empty()) {
    EXPECT_EQ(built.find("Deployment", "dex", "auth")["spec"]["template"]["spec"]["containers"],
              must(store->get(key))["spec"]["template"]["spec"]["containers"]);
  }
}

TEST_F(KustomizeGraphTest, AFieldSetByAnInlinePatchIsRefused) {
  tmp.write(
      "common/dex/overlay/kustomization.yaml",
      "resources:\n- ../base\npatches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n"
      "    metadata:\n      name: dex\n      namespace: auth\n    data:\n"
      "      config.yaml: \"issuer: inline\"\n");
  auto store = open(dex_choice());
  json cm = must(store->get(kDex));
  EXPECT_EQ(cm["data"]["config.yaml"], "issuer: inline");
  cm["data"]["config.yaml"] = "issuer: new";
  auto r = store->replace(cm);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kRefused);
  EXPECT_THAT(r.error().message,
              HasSubstr("an inline patch in ../common/dex/overlay/kustomization.yaml"));
  EXPECT_EQ(file("common/dex/base/config-map.yaml"), kBaseConfigMap);
  auto built = build_or_skip();
  if (skipped.empty()) {
    EXPECT_EQ(built.find("ConfigMap", "dex", "auth")["data"]["config.yaml"], "issuer: inline");
  }
}

TEST_F(KustomizeGraphTest, APatchThatDeletesTheObjectRemovesItFromTheStore) {
  tmp.write("common/dex/overlay/kustomization.yaml",
            "resources:\n- ../base\npatches:\n- path: delete.yaml\n");
  tmp.write("common/dex/overlay/delete.yaml",
            "$patch: delete\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dex\n"
            "  namespace: auth\n");
  auto store = open();
  EXPECT_EQ(store->get({"apps/v1", "Deployment", "auth", "dex"}).error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(must(store->list("apps/v1", "Deployment", "")).empty());
  EXPECT_TRUE(store->get(kDex));
  auto built = build_or_skip();
  if (skipped.empty()) {
    EXPECT_TRUE(built.find("Deployment", "dex", "auth").is_null()) << built.out;
  }
}

TEST_F(KustomizeGraphTest, AnOverlayAsTheRootEditsItsOwnPatch) {
  root = tmp.file("common/dex/overlay");
  auto store = open();
  json cm = must(store->get(kDex));
  cm["data"]["config.yaml"] = "issuer: overlay-root\n";
  must(store->replace(cm));
  EXPECT_THAT(store->changed_files(), ElementsAre("config-map.yaml"));
  EXPECT_EQ(store->file_of(kDex), "../base/config-map.yaml");
  EXPECT_EQ(file("common/dex/base/config-map.yaml"), kBaseConfigMap);
}

}  // namespace
}  // namespace kftenant
