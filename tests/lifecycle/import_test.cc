// `kftenant import FILE` on a cluster: a file of users is one config.yaml write and one Dex
// restart, a profile each; a re-run changes nothing; a file with problems writes nothing.
#include <sys/stat.h>

#include "lifecycle_fixture.h"

namespace kftenant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ImportTest : public LifecycleTest {
 protected:
  std::string users_file(const std::string& name, const std::string& text, mode_t mode = 0600) {
    const std::string path = dir_.write(name, text);
    chmod(path.c_str(), mode);
    return path;
  }
  ProcessResult import(std::vector<std::string> args) {
    std::vector<std::string> argv = {"import", "--bcrypt-cost", "10"};
    argv.insert(argv.end(), args.begin(), args.end());
    return kftenant(argv);
  }
};

const char* const kUsers =
    "email,username,password,generate,quota,contributors\n"
    "Ann@Example.com,Ann,password-of-ann,,cpu=2,ben@example.com:edit\n"
    "ben@example.com,,password-of-ben,,,\n"
    "cat@example.com,,,yes,,\n";

TEST_P(ImportTest, AFileOfUsersIsOneConfigWriteOneRestartAndAProfileEach) {
  const auto file = users_file("users.csv", kUsers);
  const auto generation = object("apps/v1", "deployments", "auth", "dex")["metadata"]["generation"];
  mark_state();
  auto r = import({file, "--passwords-out", dir_.file("passwords.csv"), "--wait=20s"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* email : {"ann@example.com", "ben@example.com", "cat@example.com"})
    EXPECT_TRUE(entry_for(email).is_object()) << email << "\n" << config_yaml();
  EXPECT_TRUE(python_checkpw("password-of-ann", entry_for("ann@example.com").value("hash", "")));
  EXPECT_EQ(entry_for("ann@example.com").value("username", ""), "Ann");
  // One restart for the whole file.
  EXPECT_EQ(object("apps/v1", "deployments", "auth", "dex")["metadata"]["generation"],
            generation.get<int64_t>() + 1);
  if (fake()) {
    int config_writes = 0, deployment_writes = 0;
    for (const auto& w : writes()) {
      if (w.path.find("/configmaps/dex") != std::string::npos) ++config_writes;
      if (w.path.find("/deployments/dex") != std::string::npos) ++deployment_writes;
    }
    EXPECT_EQ(config_writes, 1);
    EXPECT_EQ(deployment_writes, 1);
  }
  for (const char* profile : {"ann", "ben", "cat"})
    EXPECT_TRUE(exists("kubeflow.org/v1", "profiles", "", profile)) << profile;
  EXPECT_EQ(
      object("kubeflow.org/v1", "profiles", "", "ann")["spec"]["resourceQuotaSpec"]["hard"]["cpu"],
      "2");
  EXPECT_TRUE(exists("rbac.authorization.k8s.io/v1", "rolebindings", "ann",
                     "user-ben-example-com-clusterrole-edit"));
  // cat's generated password is in the file (0600) and nowhere else; it works.
  struct stat st {};
  ASSERT_EQ(stat(dir_.file("passwords.csv").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(dir_.file("passwords.csv"));
  std::string header, line;
  std::getline(in, header);
  std::getline(in, line);
  EXPECT_EQ(header, "email,password");
  ASSERT_EQ(line.rfind("cat@example.com,", 0), 0u) << line;
  const std::string generated = line.substr(line.find(',') + 1);
  EXPECT_TRUE(python_checkpw(generated, entry_for("cat@example.com").value("hash", "")));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(generated)));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("password-of-ann")));
  EXPECT_THAT(r.out, HasSubstr("3 rows: 3 changed, 0 already in place, 0 failed; 1 Dex write(s), "
                               "1 Dex restart(s)"));
  // Off a terminal: one line per phase.
  EXPECT_THAT(r.err, HasSubstr("kftenant: hashing: 3/3 in"));
  EXPECT_THAT(r.err, HasSubstr("kftenant: profiles: 3/3 in"));

  // The same file again: nothing to do, nothing written, no password file left behind.
  mark_state();
  auto again = import({file, "--passwords-out", dir_.file("again.csv")});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(changes(), "");
  EXPECT_THAT(again.out, HasSubstr("3 rows: 0 changed, 3 already in place, 0 failed"));
  EXPECT_NE(access(dir_.file("again.csv").c_str(), F_OK), 0);
}

TEST_P(ImportTest, AFileWithProblemsListsThemAllAndWritesNothing) {
  const auto file = users_file("bad.csv",
                               "email,password,quota\n"
                               "ann@example.com,password-of-ann,cpu=lots\n"
                               "not-an-email,password-of-x,\n"
                               "ANN@example.com,password-of-ann,\n");
  mark_state();
  auto r = import({file});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(file + ":2: quota:"));
  EXPECT_THAT(r.err, HasSubstr(file + ":3: email: invalid email"));
  EXPECT_THAT(r.err, HasSubstr(file + ":4: email: email \"ann@example.com\" is already on line 2"));
  EXPECT_THAT(r.err, HasSubstr("nothing was written"));
  EXPECT_THAT(r.err, Not(HasSubstr("password-of-ann")));
  EXPECT_EQ(changes(), "");
}

TEST_P(ImportTest, PasswordsInAFileOthersCanReadAreRefused) {
  const auto file =
      users_file("open.csv", "email,password\nann@example.com,password-of-ann\n", 0644);
  mark_state();
  auto r = import({file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("chmod 600"));
  EXPECT_EQ(changes(), "");
  // Generating rows without a place for the passwords is refused too.
  const auto gen = users_file("gen.csv", "email,generate\nann@example.com,true\n", 0644);
  auto g = import({gen});
  EXPECT_EQ(g.exit_code, 2);
  EXPECT_THAT(g.err, HasSubstr("--passwords-out FILE"));
  EXPECT_EQ(changes(), "");
}

TEST_P(ImportTest, DryRunShowsOneConfigWriteAndWritesNothing) {
  const auto file = users_file("users.csv", kUsers);
  mark_state();
  auto r = import({file, "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("Dry run"));
  EXPECT_THAT(r.out, HasSubstr("+- email: \"ben@example.com\""));
  EXPECT_THAT(r.out, HasSubstr("create Profile cat"));
  EXPECT_THAT(r.out, Not(HasSubstr("$2y$")));
  EXPECT_EQ(changes(), "");
}

TEST_P(ImportTest, AYamlFileOnThePasswordObjectBackendMakesNoRestart) {
  const auto file = users_file("users.yaml",
                               "users:\n"
                               "- email: dan@example.com\n"
                               "  password: password-of-dan\n"
                               "- email: eve@example.com\n"
                               "  password: password-of-eve\n"
                               "  profile: \"-\"\n");
  const auto generation = object("apps/v1", "deployments", "auth", "dex")["metadata"]["generation"];
  auto r = import({file, "--dex-backend", "password-crd"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(object("apps/v1", "deployments", "auth", "dex")["metadata"]["generation"], generation);
  EXPECT_TRUE(exists("kubeflow.org/v1", "profiles", "", "dan"));
  EXPECT_FALSE(exists("kubeflow.org/v1", "profiles", "", "eve"));
  EXPECT_THAT(r.out, HasSubstr("2 rows: 2 changed"));
}

KFTENANT_ON_BOTH_SERVERS(ImportTest);

}  // namespace
}  // namespace kftenant::testing
