// `kftenant apply -f` on a cluster: a Tenants file made so (one restart, contributors of new
// profiles once their namespaces exist), applying again writes nothing, prune deletes only what
// the set made and asks first, several files merge and their conflicts name both.
#include "kftenant/base64.h"
#include "kftenant/dex/password_object.h"
#include "lifecycle_fixture.h"

namespace kftenant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const char* const kRbac = "rbac.authorization.k8s.io/v1";

class ApplyTest : public LifecycleTest {
 protected:
  std::string hash_of(const std::string& password) {
    auto r = kftenant({"hash", "--password-stdin", "--bcrypt-cost", "10"}, password + "\n");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string h = r.out;
    while (!h.empty() && h.back() == '\n') h.pop_back();
    return h;
  }
  std::string tenants(const std::string& body) {
    return "apiVersion: kftenant.io/v1alpha1\nkind: Tenants\nmetadata:\n  name: research\n" + body;
  }
  ProcessResult apply(std::vector<std::string> args) {
    std::vector<std::string> argv = {"apply"};
    argv.insert(argv.end(), args.begin(), args.end());
    return kftenant(argv);
  }
};

TEST_P(ApplyTest, ATenantsFileIsMadeSoAppliedAgainWritesNothingAndPruneTakesOnlyTheSets) {
  const std::string ann = hash_of("password-of-ann");
  dir_.write("ben.hash", hash_of("password-of-ben") + "\n");
  const std::string file = dir_.write(
      "tenants.yaml", tenants("users:\n"
                              "- email: ann@example.com\n"
                              "  hash: \"" +
                              ann +
                              "\"\n"
                              "  quota: {cpu: \"2\"}\n"
                              "  contributors: [{email: ben@example.com, role: edit}]\n"
                              "- email: ben@example.com\n"
                              "  hashFrom: {file: ben.hash}\n"
                              "  profile: \"-\"\n"
                              "profiles:\n"
                              "- name: lab\n"
                              "  owner: carol@example.com\n"
                              "  contributors: [{email: ann@example.com, role: view}]\n"));
  const auto generation = object("apps/v1", "deployments", "auth", "dex")["metadata"]["generation"];
  auto dry = apply({"-f", file, "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("Dry run on cluster"));
  EXPECT_THAT(dry.out, HasSubstr("+- email: \"ann@example.com\""));
  EXPECT_THAT(dry.out, HasSubstr("once the profile controller has made namespace lab: share it "
                                 "with ann@example.com (view)"));
  EXPECT_THAT(dry.out, Not(HasSubstr(ann))) << "hashes are hidden in a printed plan";

  auto r = apply({"-f", file, "--wait=30s"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(python_checkpw("password-of-ann", entry_for("ann@example.com").value("hash", "")));
  EXPECT_TRUE(python_checkpw("password-of-ben", entry_for("ben@example.com").value("hash", "")));
  EXPECT_EQ(object("apps/v1", "deployments", "auth", "dex")["metadata"]["generation"],
            generation.get<int64_t>() + 1)
      << "one restart for the file";
  for (const char* p : {"ann", "lab"})
    EXPECT_EQ(object("kubeflow.org/v1", "profiles", "",
                     p)["metadata"]["labels"]["kftenant.io/tenant-set"],
              "research")
        << p;
  EXPECT_TRUE(exists(kRbac, "rolebindings", "ann", "user-ben-example-com-clusterrole-edit"));
  EXPECT_TRUE(exists(kRbac, "rolebindings", "lab", "user-ann-example-com-clusterrole-view"))
      << "a contributor of a profile the apply made, once its namespace exists\n"
      << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("in 2 pass(es)"));

  mark_state();
  auto again = apply({"-f", file});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_THAT(again.out, HasSubstr("Nothing to change."));
  EXPECT_EQ(changes(), "");

  // The set shrinks: ben and lab leave the file. Off a terminal, prune needs --yes.
  const std::string smaller = dir_.write(
      "smaller.yaml", tenants("users:\n- email: ann@example.com\n  quota: {cpu: \"2\"}\n"));
  mark_state();
  auto refused = apply({"-f", smaller, "--prune"});
  EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("pass --yes to prune without asking"));
  EXPECT_THAT(refused.err, HasSubstr("profile lab will be deleted with namespace lab"));
  EXPECT_EQ(changes(), "");
  auto pruned = apply({"-f", smaller, "--prune", "--yes"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.out << pruned.err;
  EXPECT_TRUE(entry_for("ben@example.com").is_null()) << config_yaml();
  EXPECT_TRUE(entry_for("ann@example.com").is_object());
  EXPECT_FALSE(entry_for("user@example.com").is_null()) << "Kubeflow's stock user stays";
  EXPECT_TRUE(exists("kubeflow.org/v1", "profiles", "", "kubeflow-user-example-com"));
  EXPECT_TRUE(eventually([&] {
    auto lab = object("kubeflow.org/v1", "profiles", "", "lab");
    return lab.is_null() || lab["metadata"].contains("deletionTimestamp");
  }));
  EXPECT_FALSE(exists(kRbac, "rolebindings", "ann", "user-ben-example-com-clusterrole-edit"))
      << "ben's access goes with him";
  mark_state();
  auto settled = apply({"-f", smaller, "--prune"});
  ASSERT_EQ(settled.exit_code, 0) << settled.out << settled.err;
  EXPECT_THAT(settled.out, HasSubstr("Nothing to change."));
}

TEST_P(ApplyTest, OnThePasswordObjectBackendItWritesPasswordsNeverRestartsAndPrunesThem) {
  const std::string ann = hash_of("password-of-ann");
  const std::string ben = hash_of("password-of-ben");
  const std::string both =
      dir_.write("both.yaml", tenants("users:\n- email: ann@example.com\n  hash: \"" + ann +
                                      "\"\n  profile: \"-\"\n- email: ben@example.com\n  hash: \"" +
                                      ben + "\"\n  profile: \"-\"\n"));
  const std::string config_before = config_yaml();
  const auto before = dex_template_annotations();
  auto r = apply({"--dex-backend", "password-crd", "-f", both});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* email : {"ann@example.com", "ben@example.com"}) {
    auto password =
        object("dex.coreos.com/v1", "passwords", "auth", dex::password_object_name(email));
    ASSERT_FALSE(password.is_null()) << email;
    EXPECT_EQ(password["metadata"]["labels"]["kftenant.io/tenant-set"], "research") << email;
  }
  auto hash = base64::decode(
      object("dex.coreos.com/v1", "passwords", "auth", dex::password_object_name("ann@example.com"))
          .value("hash", ""));
  ASSERT_TRUE(hash);
  EXPECT_EQ(*hash, ann);
  EXPECT_EQ(dex_template_annotations(), before) << "no restart for Password objects";
  EXPECT_EQ(config_yaml(), config_before);

  mark_state();
  auto again = apply({"--dex-backend", "password-crd", "-f", both});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_THAT(again.out, HasSubstr("Nothing to change."));
  EXPECT_EQ(changes(), "");

  const std::string only_ann = dir_.write(
      "ann.yaml", tenants("users:\n- email: ann@example.com\n  profile: \"-\"\n"));  // no hash
  auto pruned = apply({"--dex-backend", "password-crd", "-f", only_ann, "--prune", "--yes"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.out << pruned.err;
  EXPECT_FALSE(exists("dex.coreos.com/v1", "passwords", "auth",
                      dex::password_object_name("ben@example.com")));
  hash = base64::decode(
      object("dex.coreos.com/v1", "passwords", "auth", dex::password_object_name("ann@example.com"))
          .value("hash", ""));
  ASSERT_TRUE(hash);
  EXPECT_EQ(*hash, ann) << "listed without a hash: ann keeps her password";
  EXPECT_EQ(dex_template_annotations(), before);
}

TEST_P(ApplyTest, WithDexBackendNoneItMakesProfilesAndAccessAndNeverTouchesDex) {
  const std::string file = dir_.write(
      "connector.yaml", tenants("profiles:\n"
                                "- name: lab\n"
                                "  owner: kim@corp.example\n"
                                "  quota: {cpu: \"4\"}\n"
                                "  contributors: [{email: lee@corp.example, role: edit}]\n"));
  const std::string config_before = config_yaml();
  auto r = apply({"--dex-backend", "none", "-v", "-f", file, "--wait=30s"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("/namespaces/auth/"))) << "not one request about Dex";
  auto lab = object("kubeflow.org/v1", "profiles", "", "lab");
  ASSERT_FALSE(lab.is_null());
  EXPECT_EQ(lab["spec"]["owner"]["name"], "kim@corp.example");
  EXPECT_EQ(lab["spec"]["resourceQuotaSpec"]["hard"]["cpu"], "4");
  EXPECT_TRUE(exists(kRbac, "rolebindings", "lab", "user-lee-corp-example-clusterrole-edit"));
  EXPECT_EQ(config_yaml(), config_before);

  mark_state();
  auto again = apply({"--dex-backend", "none", "-f", file});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_THAT(again.out, HasSubstr("Nothing to change."));
  EXPECT_EQ(changes(), "");

  // A user with a hash has nothing to go to: refused before anything is written.
  const std::string with_hash =
      dir_.write("with-hash.yaml", tenants("users:\n- email: zoe@corp.example\n  hash: \"" +
                                           hash_of("password-of-zoe") + "\"\n"));
  mark_state();
  auto refused = apply({"--dex-backend", "none", "-f", with_hash});
  EXPECT_NE(refused.exit_code, 0) << refused.out << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("--dex-backend none"));
  EXPECT_EQ(changes(), "");
}

// The round trip of the issue: export -> apply on an empty cluster -> export gives the same
// file. The empty cluster is a fresh fake one in both tiers (a second real control plane per
// test would double the tier's time); in the real tier that also checks that the two agree.
TEST_P(ApplyTest, AnExportAppliedToAnEmptyClusterExportsTheSameFile) {
  ASSERT_EQ(add_user("dora@example.com", "password-of-dora", {"--quota", "cpu=1"}).exit_code, 0);
  ASSERT_EQ(add_user("eve@example.com", "password-of-eve", {"--no-profile"}).exit_code, 0);
  auto r = kftenant({"profile", "create", "lab", "--owner", "carol@corp.example", "--quota",
                     "memory=8Gi", "--wait", "30s"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = kftenant({"profile", "share", "lab", "--with", "dora@example.com", "--role", "view"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto exported = kftenant({"export", "-o", "yaml", "--with-hashes"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  auto exported_csv = kftenant({"export", "-o", "csv", "--with-hashes"});
  ASSERT_EQ(exported_csv.exit_code, 0) << exported_csv.err;
  const std::string file = dir_.write("export.yaml", exported.out);

  testserver::Options options;
  options.seed_kubeflow = true;
  options.simulate_profile_controller = true;
  options.rollout_delay = std::chrono::milliseconds(50);
  auto empty = TestCluster::start(ClusterKind::kFake, options);
  ASSERT_TRUE(empty) << empty.error().message;
  const std::string empty_kubeconfig = dir_.file("empty-kubeconfig");
  ASSERT_TRUE((*empty)->write_kubeconfig(empty_kubeconfig));
  auto on_empty = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {KFTENANT_BINARY, "--kubeconfig", empty_kubeconfig};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, "");
  };
  auto applied = on_empty({"apply", "-f", file, "--wait=30s"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  auto again = on_empty({"export", "-o", "yaml", "--with-hashes"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, exported.out);
  auto again_csv = on_empty({"export", "-o", "csv", "--with-hashes"});
  ASSERT_EQ(again_csv.exit_code, 0) << again_csv.err;
  EXPECT_EQ(again_csv.out, exported_csv.out);
  // And what was exported is what the users have: dora's password works on the copy.
  auto cm = (*empty)->get_object("v1", "configmaps", "auth", "dex");
  ASSERT_TRUE(cm);
  EXPECT_THAT((*cm)["data"]["config.yaml"].get<std::string>(), HasSubstr("dora@example.com"));
  EXPECT_THAT(exported.out, HasSubstr("lab"));
  EXPECT_THAT(exported.out, HasSubstr("carol@corp.example"));
}

TEST_P(ApplyTest, FilesOfAFolderMergeAndTheirConflictsNameBothFiles) {
  const std::string hash = hash_of("password-shared");
  dir_.write("set/a.yaml", tenants("users:\n- email: ann@example.com\n  hash: \"" + hash + "\"\n"));
  dir_.write("set/b.yaml", tenants("profiles:\n- name: team\n  owner: ann@example.com\n"));
  dir_.write("set/notes.txt", "not a Tenants file: ignored\n");
  auto r = apply({"-f", dir_.file("set")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("1 user(s), 2 profile(s) in set research from 2 file(s)"));
  EXPECT_TRUE(exists("kubeflow.org/v1", "profiles", "", "team"));
  EXPECT_TRUE(exists("kubeflow.org/v1", "profiles", "", "ann"));

  dir_.write("set/c.yaml", tenants("users:\n- email: Ann@example.com\n  profile: \"-\"\n"));
  mark_state();
  auto conflict = apply({"-f", dir_.file("set")});
  EXPECT_EQ(conflict.exit_code, 2) << conflict.out << conflict.err;
  EXPECT_THAT(conflict.err, HasSubstr("c.yaml:6: email: ann@example.com is also in "));
  EXPECT_THAT(conflict.err, HasSubstr("a.yaml:6: list each user in one file"));
  EXPECT_THAT(conflict.err, HasSubstr("nothing was written"));
  EXPECT_EQ(changes(), "");
}

TEST_P(ApplyTest, AnExportAppliedToItsClusterChangesNothing) {
  ASSERT_EQ(add_user("dora@example.com", "password-of-dora", {"--quota", "cpu=1"}).exit_code, 0);
  auto r = kftenant({"export", "-o", "yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("kind: Tenants"));
  const std::string file = dir_.write("export.yaml", r.out);
  mark_state();
  auto applied = apply({"-f", file});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_THAT(applied.out, HasSubstr("Nothing to change."));
  EXPECT_EQ(changes(), "");
}

KFTENANT_ON_BOTH_SERVERS(ApplyTest);

}  // namespace
}  // namespace kftenant::testing
