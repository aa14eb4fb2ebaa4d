// `kftenant import FILE` on a cluster: a file of users is one config.yaml write and one Dex
// restart, a profile each; a re-run changes nothing; a file with problems writes nothing.
#include <fcntl.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "kftenant/dex/password_object.h"
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

// A company at once: 5,000 users with hashes given (as an export writes them), 40 of them with a
// profile. Planning is one read and one edit of config.yaml, not one per row (the dry run and
// the import each finish in about a second; one by one took minutes and gigabytes), and the
// profiles' reads are one LIST of each kind rather than two GETs per row.
TEST_P(ImportTest, FiveThousandUsersAreOneConfigWriteOneRestartAndARerunChangesNothing) {
  constexpr int kUsersInFile = 5000, kWithProfile = 40;
  const std::string hash = "$2y$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W";
  std::string csv = "email,hash,profile\n";
  for (int i = 0; i < kUsersInFile; ++i)
    csv += "u" + std::to_string(i) + "@example.com," + hash + "," + (i < kWithProfile ? "" : "-") +
           "\n";
  const auto file = users_file("company.csv", csv);

  mark_state();
  auto dry = import({file, "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("add Dex user u0@example.com, u1@example.com, u2@example.com and "
                                 "4997 more to staticPasswords in ConfigMap auth/dex"));
  EXPECT_THAT(dry.out, HasSubstr("create Profile u39 owned by u39@example.com"));
  EXPECT_THAT(dry.out, Not(HasSubstr("create Profile u40 ")));
  EXPECT_EQ(changes(), "");
  if (fake()) {
    int profile_gets = 0;
    for (const auto& r : fake()->requests())
      if (r.method == "GET" && r.path.find("/profiles/") != std::string::npos) ++profile_gets;
    EXPECT_EQ(profile_gets, 0) << "each row's Profile read from the one LIST";
  }

  const auto generation = object("apps/v1", "deployments", "auth", "dex")["metadata"]["generation"];
  mark_state();
  auto r = import({file, "--wait=60s"});
  ASSERT_EQ(r.exit_code, 0) << r.out.substr(0, 2000) << r.err;
  EXPECT_THAT(r.out, HasSubstr("5000 rows: 5000 changed, 0 already in place, 0 failed; 1 Dex "
                               "write(s), 1 Dex restart(s)"));
  EXPECT_EQ(object("apps/v1", "deployments", "auth", "dex")["metadata"]["generation"],
            generation.get<int64_t>() + 1);
  if (fake()) {
    int config_writes = 0;
    for (const auto& w : writes())
      if (w.path.find("/configmaps/dex") != std::string::npos) ++config_writes;
    EXPECT_EQ(config_writes, 1);
  }
  const std::string text = config_yaml();
  size_t entries = 0;
  for (size_t at = text.find("- email: "); at != std::string::npos;
       at = text.find("- email: ", at + 1))
    ++entries;
  EXPECT_EQ(entries, static_cast<size_t>(kUsersInFile) + 1);  // and Kubeflow's user@example.com
  EXPECT_EQ(entry_for("u4999@example.com").value("hash", ""), hash);
  EXPECT_TRUE(exists("kubeflow.org/v1", "profiles", "", "u0"));
  EXPECT_TRUE(exists("kubeflow.org/v1", "profiles", "", "u39"));
  EXPECT_FALSE(exists("kubeflow.org/v1", "profiles", "", "u40"));

  mark_state();
  auto again = import({file});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("5000 rows: 0 changed, 5000 already in place, 0 failed"));
  EXPECT_EQ(changes(), "");
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

// Many rows on the password-object backend: the Password CRD is checked once through discovery,
// not by listing every Password object for each new user (which made 5,000 rows take 20 minutes),
// and a re-run finds every row in place.
TEST_P(ImportTest, ManyRowsOnThePasswordObjectBackendListPasswordObjectsOnce) {
  constexpr int kRows = 300;
  const std::string hash = "$2y$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W";
  std::string csv = "email,hash,profile\n";
  for (int i = 0; i < kRows; ++i) csv += "p" + std::to_string(i) + "@example.com," + hash + ",-\n";
  const auto file = users_file("many.csv", csv);
  mark_state();
  auto r = import({file, "--dex-backend", "password-crd"});
  ASSERT_EQ(r.exit_code, 0) << r.out.substr(0, 2000) << r.err;
  EXPECT_THAT(r.out, HasSubstr("300 rows: 300 changed, 0 already in place, 0 failed"));
  for (const char* email : {"p0@example.com", "p299@example.com"})
    EXPECT_FALSE(object("dex.coreos.com/v1", "passwords", "auth", dex::password_object_name(email))
                     .is_null())
        << email;
  if (fake()) {
    int password_lists = 0, password_gets = 0, config_gets = 0, discovery = 0;
    const std::string passwords = "/apis/dex.coreos.com/v1/namespaces/auth/passwords";
    for (const auto& q : fake()->requests()) {
      if (q.method != "GET") continue;
      if (q.path == passwords) ++password_lists;
      if (q.path.rfind(passwords + "/", 0) == 0) ++password_gets;
      if (q.path == "/api/v1/namespaces/auth/configmaps/dex") ++config_gets;
      if (q.path == "/apis/dex.coreos.com/v1") ++discovery;
    }
    // Dex's accounts listed for the file, and the rows' objects read from one more LIST.
    EXPECT_LE(password_lists, 2) << "not one listing per row";
    EXPECT_EQ(password_gets, 0) << "each row's Password read from the LIST";
    EXPECT_LE(config_gets, 3) << "the static-user check reads config.yaml once, not per row";
    EXPECT_EQ(discovery, 1) << "the CRD's yes is asked once";
  }
  auto again = import({file, "--dex-backend", "password-crd"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("300 rows: 0 changed, 300 already in place, 0 failed"));
}

// A row without password, hash or generate keeps an existing user's password (an export without
// hashes imports back as it is); for a new user it is refused before anything is written.
TEST_P(ImportTest, ARowWithoutPasswordKeepsAnExistingUsersAndRefusesANewOne) {
  ASSERT_EQ(add_user("ann@example.com", "password-of-ann", {"--no-profile"}).exit_code, 0);
  const std::string hash = entry_for("ann@example.com").value("hash", "");
  mark_state();
  auto r = import({users_file("new.csv", "email,quota\nann@example.com,\nzed@example.com,\n")});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("line 3 (zed@example.com): a new Dex user needs a password"));
  EXPECT_THAT(r.err, HasSubstr("nothing was written"));
  EXPECT_EQ(changes(), "");
  r = import({users_file("kept.csv", "email,quota\nann@example.com,cpu=1\n")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(entry_for("ann@example.com").value("hash", ""), hash);  // the password is kept
  EXPECT_EQ(
      object("kubeflow.org/v1", "profiles", "", "ann")["spec"]["resourceQuotaSpec"]["hard"]["cpu"],
      "1");
}

// Installs where Dex signs people in through a connector: --dex-backend none reads and writes
// nothing of Dex, and makes profiles and access only.
TEST_P(ImportTest, DexBackendNoneMakesProfilesAndAccessAndNeverTouchesDex) {
  mark_state();
  const std::string config_before = config_yaml();
  auto r = kftenant(
      {"--dex-backend", "none", "-v", "user", "add", "kim@corp.example", "--profile", "research"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("no Dex user is written"));
  EXPECT_THAT(r.err, Not(HasSubstr("/namespaces/auth/")));  // not one request about Dex
  EXPECT_TRUE(exists("kubeflow.org/v1", "profiles", "", "research"));
  EXPECT_EQ(config_yaml(), config_before);
  EXPECT_THAT(r.out, Not(HasSubstr("has no Dex user")));  // expected in this mode

  r = kftenant({"--dex-backend", "none", "user", "add", "lee@corp.example", "--password-stdin"},
               "password-of-lee\n");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("drop the password option"));
  r = kftenant({"--dex-backend", "none", "user", "passwd", "kim@corp.example", "--password-stdin"},
               "password-of-kim\n");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("manages no Dex passwords"));

  const auto file = users_file("connector.csv",
                               "email,profile,contributors\n"
                               "lee@corp.example,lee,kim@corp.example:edit\n"
                               "max@corp.example,,\n");
  r = kftenant({"--dex-backend", "none", "-v", "import", file, "--wait=20s"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("/namespaces/auth/")));
  EXPECT_TRUE(exists("kubeflow.org/v1", "profiles", "", "lee"));
  EXPECT_TRUE(exists("kubeflow.org/v1", "profiles", "", "max"));
  EXPECT_TRUE(exists("rbac.authorization.k8s.io/v1", "rolebindings", "lee",
                     "user-kim-corp-example-clusterrole-edit"));
  EXPECT_EQ(config_yaml(), config_before);
  r = kftenant(
      {"--dex-backend", "none", "import",
       users_file("with-passwords.csv", "email,password\nzoe@corp.example,password-zoe\n")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--dex-backend none writes no Dex users"));

  r = kftenant({"--dex-backend", "none", "user", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("kim@corp.example"));
  EXPECT_THAT(r.out, Not(HasSubstr("no Dex user")));
  r = kftenant({"--dex-backend", "none", "doctor"});
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("ConfigMap auth/dex")));

  // Removing kim takes the profile and the access to lee's, still without a Dex request.
  r = kftenant({"--dex-backend", "none", "-v", "user", "remove", "kim@corp.example", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("/namespaces/auth/")));
  EXPECT_FALSE(exists("rbac.authorization.k8s.io/v1", "rolebindings", "lee",
                      "user-kim-corp-example-clusterrole-edit"));
  EXPECT_EQ(config_yaml(), config_before);
}

// export gives what import reads; applied to the cluster it came from it changes nothing; the
// file with hashes is a secret (new, 0600).
TEST_P(ImportTest, AnExportImportsBackUnchangedAndTheHashFileIsSecret) {
  const auto file = users_file("users.csv", kUsers);
  ASSERT_EQ(import({file, "--passwords-out", dir_.file("passwords.csv"), "--wait=20s"}).exit_code,
            0);
  auto r = kftenant({"export"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("email,username,user_id,profile,quota,contributors\n"));
  EXPECT_THAT(r.out, HasSubstr("ann@example.com,Ann,"));
  EXPECT_THAT(r.out, HasSubstr(",ann,cpu=2,ben@example.com:edit\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("$2")));
  const std::string exported = users_file("exported.csv", r.out);
  mark_state();
  r = import({exported});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("0 changed"));
  EXPECT_EQ(changes(), "");

  r = kftenant({"export", "-o", "yaml", "--with-hashes", "--out", dir_.file("all.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(stat(dir_.file("all.yaml").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  r = kftenant({"export", "--with-hashes", "--out", dir_.file("all.yaml")});
  EXPECT_EQ(r.exit_code, 2) << r.err;  // never over an existing file
  r = kftenant({"export", "-o", "json"});
  EXPECT_EQ(r.exit_code, 2);
}

// On a terminal the phases are one line redrawn in place (done/total, rate, time left), and each
// finished phase leaves a line; the summary goes to stdout as always.
TEST_P(ImportTest, OnATerminalProgressIsRedrawnInPlace) {
  std::string csv = "email,password,profile\n";
  for (int i = 0; i < 16; ++i)
    csv += "t" + std::to_string(i) + "@pty.example,password-number-" + std::to_string(i) + ",-\n";
  const auto file = users_file("pty.csv", csv);
  int master = -1, slave = -1;
  ASSERT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  const std::string out_path = dir_.file("stdout.txt");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(master);
    dup2(slave, STDERR_FILENO);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, STDOUT_FILENO);
    const int null = ::open("/dev/null", O_RDONLY);
    dup2(null, STDIN_FILENO);
    execl(KFTENANT_BINARY, KFTENANT_BINARY, "--kubeconfig", kubeconfig_.c_str(), "import",
          file.c_str(), "--bcrypt-cost", "12", "-j", "2", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(slave);
  std::string screen;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child has exited and the slave is closed
    screen.append(buf, static_cast<size_t>(n));
  }
  close(master);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << screen;
  EXPECT_THAT(screen, HasSubstr("\r\033[Khashing: ")) << screen;
  EXPECT_THAT(screen, ::testing::ContainsRegex("hashing: [0-9]+/16, [0-9.]+/s, [0-9]+ s left"));
  EXPECT_THAT(screen, HasSubstr("kftenant: hashing: 16/16 in "));
  EXPECT_THAT(screen, Not(HasSubstr("password-number")));
  std::ifstream in(out_path);
  std::stringstream summary;
  summary << in.rdbuf();
  EXPECT_THAT(summary.str(), HasSubstr("16 rows: 16 changed"));
  EXPECT_THAT(summary.str(), Not(HasSubstr("\033[")));
}

KFTENANT_ON_BOTH_SERVERS(ImportTest);

}  // namespace
}  // namespace kftenant::testing
