// Regressions from using kftenant as a Kubeflow administrator would (issue 7): state people make
// by hand (case variants, broken entries, colliding names) and partial failures. Each test names
// the item of the issue it covers.
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "common/sha256.h"
#include "kftenant/base64.h"
#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/password_object.h"
#include "lifecycle_fixture.h"

namespace kftenant::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

class AdminFixesTest : public LifecycleTest {
 protected:
  // Inserts `entries` (YAML lines of staticPasswords items) at the end of staticPasswords, as an
  // administrator editing config.yaml by hand would.
  void add_raw_entries(const std::string& entries) {
    auto cm = object("v1", "configmaps", "auth", "dex");
    std::string config = cm["data"]["config.yaml"];
    config.insert(config.find("staticClients:"), entries);
    cm["data"]["config.yaml"] = config;
    ASSERT_TRUE(server_->put_object("v1", "configmaps", cm));
  }
  static std::string hash_of(const std::string& password, int cost = 10) {
    return dex::bcrypt_hash(password, cost).value();
  }
  // A bcrypt hash made by python3-bcrypt, for costs kftenant would refuse to make.
  static std::string python_hash(const std::string& password, int cost) {
    auto made = run_process({"/usr/bin/python3", "-c",
                             "import bcrypt,sys; print(bcrypt.hashpw(sys.stdin.buffer.read(), "
                             "bcrypt.gensalt(rounds=" +
                                 std::to_string(cost) + ")).decode())"},
                            password);
    EXPECT_EQ(made.exit_code, 0) << made.err;
    return made.out.substr(0, made.out.find('\n'));
  }
  std::vector<nlohmann::json> entries_for(const std::string& email_lower) {
    std::vector<nlohmann::json> out;
    for (const auto& e : static_passwords()) {
      std::string email = e.value("email", "");
      for (auto& c : email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (email == email_lower) out.push_back(e);
    }
    return out;
  }
  void put_password_object(const std::string& name, const std::string& email,
                           const std::string& hash) {
    nlohmann::json object = {{"apiVersion", "dex.coreos.com/v1"},
                             {"kind", "Password"},
                             {"metadata", {{"name", name}, {"namespace", "auth"}}},
                             {"email", email},
                             {"hash", base64::encode(hash)},
                             {"username", "obj"},
                             {"userID", "obj-" + name.substr(0, 6)}};
    ASSERT_TRUE(server_->put_object("dex.coreos.com/v1", "passwords", object));
  }
  // The last non-empty line of `text`.
  static std::string last_line(const std::string& text) {
    std::string t = text;
    while (!t.empty() && t.back() == '\n') t.pop_back();
    auto nl = t.rfind('\n');
    return nl == std::string::npos ? t : t.substr(nl + 1);
  }
};

// ---- 1. profile share never takes over another contributor's access -------------------------

TEST_P(AdminFixesTest, Item1_ShareRefusesABindingThatBelongsToAnotherEmail) {
  ASSERT_EQ(add_user("owner@example.com", "owner-password", {"--profile", "team", "--wait=20s"})
                .exit_code,
            0);
  auto r = kftenant({"profile", "share", "team", "--with", "ex.jo@example.com", "--role", "edit"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string name = "user-ex-jo-example-com-clusterrole-edit";
  auto rb_before = object("rbac.authorization.k8s.io/v1", "rolebindings", "team", name);
  auto ap_before = object("security.istio.io/v1beta1", "authorizationpolicies", "team", name);
  ASSERT_FALSE(rb_before.is_null());
  for (const char* other : {"ex-jo@example.com", "ex@jo-example.com", "EX-JO@example.com"}) {
    mark_state();
    r = kftenant({"profile", "share", "team", "--with", other, "--role", "edit"});
    EXPECT_EQ(r.exit_code, 3) << other << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("belongs to ex.jo@example.com")) << r.err;
    EXPECT_THAT(r.err, HasSubstr("nothing was written"));
    EXPECT_THAT(r.err, HasSubstr("unshare team --with"));
    EXPECT_EQ(changes(), "") << other;
  }
  // ex.jo keeps exactly what it had.
  EXPECT_EQ(object("rbac.authorization.k8s.io/v1", "rolebindings", "team", name), rb_before);
  EXPECT_EQ(object("security.istio.io/v1beta1", "authorizationpolicies", "team", name), ap_before);
  // Another role has another name: that works and does not touch ex.jo's pair.
  r = kftenant({"profile", "share", "team", "--with", "ex-jo@example.com", "--role", "view"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(object("rbac.authorization.k8s.io/v1", "rolebindings", "team", name), rb_before);
  // Unsharing ex-jo (view) leaves ex.jo (edit) alone; ex.jo's own unshare removes its pair.
  r = kftenant({"profile", "unshare", "team", "--with", "ex-jo@example.com"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(object("rbac.authorization.k8s.io/v1", "rolebindings", "team", name), rb_before);
}

TEST_P(AdminFixesTest, Item1_ContributorsAndDoctorFlagCollidingEmails) {
  ASSERT_EQ(add_user("owner@example.com", "owner-password", {"--profile", "team", "--wait=20s"})
                .exit_code,
            0);
  ASSERT_EQ(add_user("ex.jo@example.com", "ex-jo-password-1", {"--no-profile"}).exit_code, 0);
  ASSERT_EQ(add_user("ex-jo@example.com", "ex-jo-password-2", {"--no-profile"}).exit_code, 0);
  ASSERT_EQ(kftenant({"profile", "share", "team", "--with", "ex.jo@example.com", "--role", "edit"})
                .exit_code,
            0);
  auto r = kftenant({"profile", "contributors", "team"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("KFAM names Dex user ex-jo@example.com like ex.jo@example.com"));
  r = kftenant({"doctor"});
  EXPECT_THAT(r.out, HasSubstr("ex.jo@example.com, ex-jo@example.com"));
  EXPECT_THAT(r.out, HasSubstr("same binding names (user-ex-jo-example-com-clusterrole-<role>)"));

  // A pair half taken over (by hand, or by an older tool): the policy admits someone else.
  const std::string name = "user-ex-jo-example-com-clusterrole-edit";
  auto ap = object("security.istio.io/v1beta1", "authorizationpolicies", "team", name);
  ap["spec"]["rules"][0]["when"][0]["values"] = {"ex-jo@example.com"};
  ASSERT_TRUE(server_->put_object("security.istio.io/v1beta1", "authorizationpolicies", ap));
  r = kftenant({"profile", "contributors", "team"});
  EXPECT_THAT(r.out, HasSubstr("admits \"ex-jo@example.com\", not \"ex.jo@example.com\""));
  // Re-sharing with ex.jo does not silently rewrite a policy that admits ex-jo.
  r = kftenant({"profile", "share", "team", "--with", "ex.jo@example.com", "--role", "edit"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("belongs to ex-jo@example.com"));
}

// ---- 2. case variants are one user ---------------------------------------------------------

TEST_P(AdminFixesTest, Item2_RemoveAndPasswdActOnEveryCaseVariant) {
  add_raw_entries(
      "- email: casey@example.com\n  hash: \"" + hash_of("casey-lower") +
      "\"\n  username: casey\n  userID: \"c1\"\n- email: Casey@Example.com\n  hash: \"" +
      hash_of("casey-upper") + "\"\n  username: Casey\n  userID: \"c2\"\n");
  ASSERT_EQ(entries_for("casey@example.com").size(), 2u);

  // list/show: one user, with a warning naming both entries.
  auto r = kftenant({"user", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  size_t rows = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    rows += line.find("asey@") != std::string::npos;
  EXPECT_EQ(rows, 1u) << r.out;
  EXPECT_THAT(r.out, HasSubstr("2 staticPasswords entries for this email"));
  r = kftenant({"user", "show", "casey@example.com", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto shown = nlohmann::json::parse(r.out);
  EXPECT_EQ(shown["records"].size(), 2u);
  EXPECT_EQ(shown["email"], "Casey@Example.com");  // the last entry wins, with its case
  r = kftenant({"doctor"});
  EXPECT_THAT(r.out, ContainsRegex("warning +ConfigMap auth/dex config.yaml line [0-9]+"));

  // passwd: both entries get the new password (either would otherwise keep a working login).
  r = kftenant({"user", "passwd", "casey@example.com", "--password-stdin", "--bcrypt-cost", "10"},
               "casey-new-password\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("2 entries"));
  auto entries = entries_for("casey@example.com");
  ASSERT_EQ(entries.size(), 2u);
  for (const auto& e : entries) {
    EXPECT_TRUE(python_checkpw("casey-new-password", e.value("hash", ""))) << e.dump();
    EXPECT_FALSE(python_checkpw("casey-lower", e.value("hash", "")));
  }

  // remove: both go.
  r = kftenant({"user", "remove", "CASEY@example.com", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("2 entries"));
  EXPECT_TRUE(entries_for("casey@example.com").empty()) << config_yaml();
  EXPECT_THAT(config_yaml(), HasSubstr("hashFromEnv: DEX_USER_PASSWORD"));
}

// ---- 3. passwords with control characters, group-readable password files --------------------

TEST_P(AdminFixesTest, Item3_PasswordsWithLineBreaksAndOpenFilesAreRefused) {
  auto r = kftenant({"user", "add", "nl@example.com", "--password-stdin", "--no-profile"},
                    "first-line\nsecond-line\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("line break"));
  r = kftenant({"user", "add", "tab@example.com", "--password-stdin", "--no-profile"},
               "tab\tinside-password\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("control character"));
  const std::string file = dir_.file("pw");
  { std::ofstream(file) << "group-readable-password\n"; }
  ASSERT_EQ(chmod(file.c_str(), 0640), 0);
  r = kftenant({"user", "add", "grp@example.com", "--password-file", file, "--no-profile"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("chmod 600"));
  EXPECT_EQ(config_yaml(), original_config_);
}

// ---- 4. a generated password reaches the administrator also when a later step fails ---------

TEST_P(AdminFixesTest, Item4_GeneratedPasswordIsShownWhenTheProfileFailsAndTheRerunFinishes) {
  if (!fake()) GTEST_SKIP() << "fault injection: the fake API server only";
  testserver::FaultRule forbidden;
  forbidden.method = "POST";
  forbidden.path_regex = "/apis/kubeflow.org/v1/profiles$";
  forbidden.skip = 1;  // the dryRun=All check passes; the real create then fails
  forbidden.status = 403;
  fake()->inject_fault(forbidden);
  auto r = kftenant({"user", "add", "gen@example.com", "--generate-password"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // The Dex user was written: its password is on stderr's last line.
  auto hash = entry_for("gen@example.com").value("hash", "");
  ASSERT_FALSE(hash.empty()) << config_yaml();
  std::string line = last_line(r.err);
  auto at = line.find("generated password: ");
  ASSERT_NE(at, std::string::npos) << r.err;
  std::string password = line.substr(at + 20, 20);
  EXPECT_TRUE(python_checkpw(password, hash)) << line;

  // Re-running the same command finishes the job and keeps that password.
  r = kftenant({"user", "add", "gen@example.com", "--generate-password"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no password was generated"));
  EXPECT_THAT(r.out, Not(HasSubstr("generated password")));
  EXPECT_FALSE(object("kubeflow.org/v1", "profiles", "", "gen").is_null());
  EXPECT_EQ(entry_for("gen@example.com").value("hash", ""), hash);
}

TEST_P(AdminFixesTest, Item4_PasswordsOutFileIsWrittenBeforeTheDexUser) {
  if (!fake()) GTEST_SKIP() << "fault injection: the fake API server only";
  testserver::FaultRule forbidden;
  forbidden.method = "POST";
  forbidden.path_regex = "/apis/kubeflow.org/v1/profiles$";
  forbidden.skip = 1;  // the dryRun=All check passes; the real create then fails
  forbidden.status = 403;
  fake()->inject_fault(forbidden);
  const std::string out = dir_.file("passwords.csv");
  auto r = kftenant({"user", "add", "file@example.com", "--generate-password", "--passwords-out",
                     out, "-o", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr(out));
  struct stat st {};
  ASSERT_EQ(stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::stringstream content;
  content << std::ifstream(out).rdbuf();
  ASSERT_THAT(content.str(), ContainsRegex("^email,password\nfile@example.com,[A-Za-z0-9]{20}\n$"));
  std::string password = content.str().substr(content.str().find(',', 15) + 1, 20);
  EXPECT_TRUE(python_checkpw(password, entry_for("file@example.com").value("hash", "")));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(password)));  // only in the file

  // The file exists now: a second run refuses to touch it (exit 2) and writes nothing.
  mark_state();
  r = kftenant({"user", "add", "other@example.com", "--generate-password", "--passwords-out", out});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("choose a new name"));
  EXPECT_EQ(changes(), "");
  // A user that exists keeps its password; the new file is not left behind.
  const std::string unused = dir_.file("unused.csv");
  r = kftenant(
      {"user", "add", "file@example.com", "--generate-password", "--passwords-out", unused});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(access(unused.c_str(), F_OK), 0);
}

// ---- 6. configs Dex would reject -----------------------------------------------------------

TEST_P(AdminFixesTest, Item6_NoRestartOntoAConfigDexCannotLoad) {
  add_raw_entries("- email: nohash@example.com\n  username: nohash\n  userID: \"n1\"\n");
  auto before = config_yaml();
  auto annotations = dex_template_annotations();
  mark_state();
  auto r = add_user("alice@example.com", "alice-password");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("nohash@example.com"));
  EXPECT_THAT(r.err, ContainsRegex("line [0-9]+"));
  EXPECT_THAT(r.err, HasSubstr("nothing was written"));
  EXPECT_EQ(config_yaml(), before);
  EXPECT_EQ(dex_template_annotations(), annotations);
  EXPECT_EQ(changes(), "");

  // list and doctor show the entry for what it is (not "hash from environment variable").
  r = kftenant({"user", "show", "nohash@example.com", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto shown = nlohmann::json::parse(r.out);
  EXPECT_EQ(shown["hashSource"], "none");
  EXPECT_THAT(r.out, Not(HasSubstr("environment variable")));
  r = kftenant({"doctor"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, ContainsRegex("ERROR +ConfigMap auth/dex config.yaml line [0-9]+"));

  // Giving it a password repairs it; then adding others works again.
  r = kftenant({"user", "passwd", "nohash@example.com", "--password-stdin", "--bcrypt-cost", "10"},
               "now-with-a-hash\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(add_user("alice@example.com", "alice-password").exit_code, 0);
}

// Issue 9: broken stored data is the data's fault, not a usage error (exit 1, not 2), and the
// message names the ConfigMap and line to fix.
TEST_P(AdminFixesTest, AConfigYamlOfAShapeThatCannotBeEditedIsAFailureNotAUsageError) {
  auto cm = object("v1", "configmaps", "auth", "dex");
  std::string config = cm["data"]["config.yaml"];
  const auto from = config.find("staticPasswords:");
  const auto to = config.find("staticClients:");
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  config.replace(from, to - from, "staticPasswords: 3\n");
  cm["data"]["config.yaml"] = config;
  ASSERT_TRUE(server_->put_object("v1", "configmaps", cm));
  mark_state();
  auto r = add_user("alice@example.com", "alice-password");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("config.yaml"));
  EXPECT_THAT(r.err, HasSubstr("staticPasswords"));
  EXPECT_EQ(config_yaml(), config);
  EXPECT_EQ(changes(), "");
}

TEST_P(AdminFixesTest, Item6_EntriesThatCanNeverLogInAreShown) {
  add_raw_entries("- email: weak@example.com\n  hash: \"" + python_hash("weak-password", 4) +
                  "\"\n  username: weak\n  userID: \"w1\"\n");
  auto r = kftenant({"user", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("weak@example.com"));
  EXPECT_THAT(r.out, HasSubstr("10..16"));
  r = kftenant({"doctor"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("10..16"));
  // Dex starts with it, so other users can still be added.
  EXPECT_EQ(add_user("bob@example.com", "bob-password", {"--no-profile"}).exit_code, 0);
}

// ---- 7. an email Dex stores with capitals --------------------------------------------------

TEST_P(AdminFixesTest, Item7_ProfileOwnerIsTheEmailAsDexPutsItInTheClaim) {
  add_raw_entries("- email: Mixed.Case@Example.com\n  hash: \"" + hash_of("mixed-password") +
                  "\"\n  username: mixed\n  userID: \"m1\"\n");
  auto r = add_user("mixed.case@example.com", "mixed-password", {"--wait=20s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("Mixed.Case@Example.com"));
  auto profile = object("kubeflow.org/v1", "profiles", "", "mixed-case");
  EXPECT_EQ(profile["spec"]["owner"]["name"], "Mixed.Case@Example.com");
  // Bindings for this user carry the claim too.
  ASSERT_EQ(add_user("owner@example.com", "owner-password", {"--profile", "team", "--wait=20s"})
                .exit_code,
            0);
  r = kftenant({"profile", "share", "team", "--with", "mixed.case@example.com", "--role", "view"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rb = object("rbac.authorization.k8s.io/v1", "rolebindings", "team",
                   "user-mixed-case-example-com-clusterrole-view");
  EXPECT_EQ(rb["subjects"][0]["name"], "Mixed.Case@Example.com");
  auto ap = object("security.istio.io/v1beta1", "authorizationpolicies", "team",
                   "user-mixed-case-example-com-clusterrole-view");
  EXPECT_EQ(ap["spec"]["rules"][0]["when"][0]["values"][0], "Mixed.Case@Example.com");
}

TEST_P(AdminFixesTest, Item7_AProfileOwnedByTheLowerCasedEmailIsRefusedWithTheFix) {
  ASSERT_EQ(add_user("upper@example.com", "upper-password").exit_code, 0);  // profile "upper"
  // Someone rewrites the entry with capitals by hand.
  auto cm = object("v1", "configmaps", "auth", "dex");
  std::string config = cm["data"]["config.yaml"];
  auto at = config.find("upper@example.com");
  config.replace(at, 17, "Upper@Example.com");
  cm["data"]["config.yaml"] = config;
  ASSERT_TRUE(server_->put_object("v1", "configmaps", cm));
  auto r = add_user("upper@example.com", "upper-password");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("cannot open it"));
  EXPECT_THAT(r.err, HasSubstr("--keep-profile"));
  r = kftenant({"user", "list"});
  EXPECT_THAT(r.out, HasSubstr("this user cannot open it"));
}

// ---- 8. a user in both backends, a misnamed Password object -------------------------------

TEST_P(AdminFixesTest, Item8_ShadowedAndMisnamedPasswordObjectsAreShownAndRemoved) {
  ASSERT_EQ(add_user("both@example.com", "both-password", {"--no-profile"}).exit_code, 0);
  put_password_object(dex::password_object_name("both@example.com"), "both@example.com",
                      hash_of("old-object-password"));
  put_password_object("handmade-name", "lost@example.com", hash_of("lost-password"));

  auto r = kftenant({"user", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("is shadowed by the staticPasswords entry"));
  EXPECT_THAT(r.out, HasSubstr("lost@example.com"));
  EXPECT_THAT(r.out, HasSubstr("Dex never reads this object"));
  r = kftenant({"user", "show", "lost@example.com"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("handmade-name"));
  r = kftenant({"doctor"});
  EXPECT_THAT(r.out, HasSubstr("shadowed"));
  EXPECT_THAT(r.out, HasSubstr("handmade-name"));

  // remove acts on every record: the entry and the shadowed object; the misnamed object too.
  r = kftenant({"user", "remove", "both@example.com", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(entries_for("both@example.com").empty());
  EXPECT_FALSE(exists("dex.coreos.com/v1", "passwords", "auth",
                      dex::password_object_name("both@example.com")));
  r = kftenant({"user", "remove", "lost@example.com", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(exists("dex.coreos.com/v1", "passwords", "auth", "handmade-name"));
}

// ---- 9. a user ID another user has ---------------------------------------------------------

TEST_P(AdminFixesTest, Item9_ASharedUserIdIsRefused) {
  mark_state();
  auto r = add_user("second@example.com", "second-password", {"--user-id", "15841185641784"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("user@example.com"));
  EXPECT_THAT(r.err, HasSubstr("sub"));
  EXPECT_EQ(changes(), "");
}

// ---- 10. plans say exactly what happens ----------------------------------------------------

TEST_P(AdminFixesTest, Item10_DryRunShowsGeneratedValuesAsPlaceholdersAndNoHash) {
  auto r = add_user("dry@example.com", "dry-password", {"--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("<user ID, a random UUID made at apply>"));
  EXPECT_THAT(r.out, HasSubstr("<bcrypt hash of the new password, made at apply>"));
  EXPECT_THAT(r.out, Not(HasSubstr("$2y$")));
  EXPECT_EQ(config_yaml(), original_config_);

  r = add_user("dry@example.com", "dry-password", {"--dry-run", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto plan = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(plan.is_discarded()) << r.out;
  EXPECT_EQ(plan["dryRun"], true);
  ASSERT_GE(plan["steps"].size(), 2u);
  EXPECT_EQ(plan["steps"][0]["action"], "replace");
  EXPECT_EQ(plan["steps"][0]["kind"], "ConfigMap");
  EXPECT_THAT(plan["steps"][0]["diff"].get<std::string>(), HasSubstr("+  userID: \"<user ID"));
  EXPECT_THAT(r.out, Not(HasSubstr("$2y$")));

  // A changed line shows its old form first.
  ASSERT_EQ(add_user("dry@example.com", "dry-password", {"--no-profile"}).exit_code, 0);
  r = kftenant({"user", "passwd", "dry@example.com", "--password-stdin", "--dry-run"},
               "new-dry-password\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto minus = r.out.find("-  hash: \"<bcrypt hash>\"");
  auto plus = r.out.find("+  hash: \"<bcrypt hash of the new password");
  ASSERT_NE(minus, std::string::npos) << r.out;
  ASSERT_NE(plus, std::string::npos) << r.out;
  EXPECT_LT(minus, plus);
}

// ---- 11. idempotence on the way out --------------------------------------------------------

TEST_P(AdminFixesTest, Item11_SecondUnshareAndSecondRemoveChangeNothing) {
  ASSERT_EQ(add_user("owner@example.com", "owner-password", {"--profile", "team", "--wait=20s"})
                .exit_code,
            0);
  ASSERT_EQ(kftenant({"profile", "share", "team", "--with", "bob@example.com", "--role", "edit"})
                .exit_code,
            0);
  ASSERT_EQ(kftenant({"profile", "unshare", "team", "--with", "bob@example.com"}).exit_code, 0);
  auto r = kftenant({"profile", "unshare", "team", "--with", "bob@example.com"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("Nothing to change."));
  EXPECT_THAT(r.err, HasSubstr("is not a contributor"));

  ASSERT_EQ(add_user("gone@example.com", "gone-password", {"--no-profile"}).exit_code, 0);
  ASSERT_EQ(kftenant({"user", "remove", "gone@example.com", "--yes"}).exit_code, 0);
  mark_state();
  r = kftenant({"user", "remove", "gone@example.com"});  // no --yes needed: nothing to confirm
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("Nothing to change."));
  EXPECT_EQ(changes(), "");
}

// ---- 12. the recorded config hash is that of the config the pods read ----------------------

TEST_P(AdminFixesTest, Item12_ConfigHashIsThatOfTheConfigAtRestartTime) {
  if (!fake()) GTEST_SKIP() << "fault injection: the fake API server only";
  // Someone edits config.yaml right after kftenant wrote it and before the restart: the GET that
  // re-reads the ConfigMap for the restart is held back a moment, long enough for the edit.
  testserver::FaultRule slow;
  slow.method = "GET";
  slow.path_regex = "/namespaces/auth/configmaps/dex$";
  slow.skip = 1;  // the planning read goes through
  slow.latency = std::chrono::milliseconds(1500);
  fake()->inject_fault(slow);
  std::thread editor([&] {
    auto rv = object("v1", "configmaps", "auth", "dex")["metadata"]["resourceVersion"];
    for (int i = 0; i < 400; ++i) {
      auto cm = object("v1", "configmaps", "auth", "dex");
      if (cm["metadata"]["resourceVersion"] != rv) {
        cm["data"]["config.yaml"] = cm["data"]["config.yaml"].get<std::string>() + "# hand edit\n";
        (void)server_->put_object("v1", "configmaps", cm);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  auto r = add_user("race@example.com", "race-password", {"--no-profile"});
  editor.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_THAT(config_yaml(), HasSubstr("# hand edit"));
  EXPECT_EQ(dex_template_annotations().value("kftenant.io/dex-config-sha256", ""),
            sha256_hex(config_yaml()));
  // So the next command sees no restart owed.
  mark_state();
  r = add_user("race@example.com", "race-password", {"--no-profile"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(changes(), "");
}

// ---- 16. passwd keeps the comments of the entry it rewrites --------------------------------

TEST_P(AdminFixesTest, Item16_PasswdKeepsTrailingComments) {
  add_raw_entries("- email: commented@example.com  # team lead\n  hash: \"" + hash_of("old-pw-1") +
                  "\"  # rotated 2024\n  username: commented\n  userID: \"k1\"\n");
  auto r = kftenant(
      {"user", "passwd", "commented@example.com", "--password-stdin", "--bcrypt-cost", "10"},
      "new-commented-pw\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto config = config_yaml();
  EXPECT_THAT(config, HasSubstr("- email: commented@example.com  # team lead\n"));
  EXPECT_THAT(config, HasSubstr("\"  # rotated 2024\n"));
  EXPECT_TRUE(python_checkpw("new-commented-pw", entry_for("commented@example.com")["hash"]));
}

KFTENANT_ON_BOTH_SERVERS(AdminFixesTest);

}  // namespace
}  // namespace kftenant::testing
