// `kftenant user passwd|remove|list|show` on a cluster.
#include <thread>

#include "kftenant/dex/password_object.h"
#include "lifecycle_fixture.h"

namespace kftenant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST_P(LifecycleTest, PasswdRehashesAndRestartsDex) {
  ASSERT_EQ(add_user("hank@example.com", "first-password").exit_code, 0);
  auto restarted = dex_template_annotations().value("kubectl.kubernetes.io/restartedAt", "");
  auto old_hash = entry_for("hank@example.com").value("hash", "");
  auto r =
      kftenant({"user", "passwd", "HANK@example.com", "--password-stdin", "--bcrypt-cost", "11"},
               "second-password\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto hash = entry_for("hank@example.com").value("hash", "");
  EXPECT_NE(hash, old_hash);
  EXPECT_EQ(hash.substr(0, 7), "$2y$11$");
  EXPECT_TRUE(python_checkpw("second-password", hash));
  EXPECT_FALSE(python_checkpw("first-password", hash));
  EXPECT_EQ(dex_template_annotations().value("kftenant.io/dex-config-sha256", "").size(), 64u);
  (void)restarted;

  // The same password again: nothing to do.
  mark_state();
  r = kftenant({"user", "passwd", "hank@example.com", "--password-stdin"}, "second-password\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(changes(), "");
}

TEST_P(LifecycleTest, PasswdAcceptsHashesMadeElsewhere) {
  // An entry whose hash python3-bcrypt made with the $2b$ prefix (and one with $2a$).
  for (const char* prefix : {"2b", "2a"}) {
    std::string email = std::string("ext-") + prefix + "@example.com";
    auto made =
        run_process({"/usr/bin/python3", "-c",
                     std::string("import bcrypt,sys; print(bcrypt.hashpw(sys.stdin.buffer.read(), "
                                 "bcrypt.gensalt(rounds=10, prefix=b'") +
                         prefix + "')).decode())"},
                    "made-elsewhere");
    ASSERT_EQ(made.exit_code, 0) << made.err;
    std::string hash = made.out.substr(0, made.out.find('\n'));
    auto cm = object("v1", "configmaps", "auth", "dex");
    std::string config = cm["data"]["config.yaml"];
    auto at = config.find("staticClients:");
    // Append an entry at the end of staticPasswords (just before staticClients).
    config.insert(at, "- email: " + email + "\n  hash: \"" + hash +
                          "\"\n  username: ext\n  userID: \"e1\"\n");
    cm["data"]["config.yaml"] = config;
    ASSERT_TRUE(server_->put_object("v1", "configmaps", cm));
    // Re-adding with the same password is recognised as the same user.
    auto r = add_user(email, "made-elsewhere", {"--no-profile"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("already exists"));
    r = kftenant({"user", "passwd", email, "--password-stdin", "--bcrypt-cost", "10"},
                 "new-one-here\n");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(python_checkpw("new-one-here", entry_for(email).value("hash", "")));
  }
}

TEST_P(LifecycleTest, PasswdRefusesHashFromEnvAndUnknownUsers) {
  auto r = kftenant({"user", "passwd", "user@example.com", "--password-stdin"}, "a-new-password\n");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("DEX_USER_PASSWORD"));
  r = kftenant({"user", "passwd", "nobody@example.com", "--password-stdin"}, "a-new-password\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("user add"));
  EXPECT_EQ(config_yaml(), original_config_);
}

TEST_P(LifecycleTest, RemoveDeletesUserAndProfileAndKeepsEveryOtherByte) {
  ASSERT_EQ(add_user("ivan@example.com", "ivan-password", {"--wait=20s"}).exit_code, 0);
  auto r = kftenant({"user", "remove", "ivan@example.com"});
  EXPECT_EQ(r.exit_code, 2) << "no terminal and no --yes must not remove";
  EXPECT_THAT(r.err, HasSubstr("--yes"));
  EXPECT_TRUE(entry_for("ivan@example.com").is_object());

  r = kftenant({"user", "remove", "ivan@example.com", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(config_yaml(), original_config_);
  // The profile controller removes its finalizer, then garbage collection takes the namespace.
  for (int i = 0; i < 200 && (exists("kubeflow.org/v1", "profiles", "", "ivan") ||
                              exists("v1", "namespaces", "", "ivan"));
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(exists("kubeflow.org/v1", "profiles", "", "ivan"));
  EXPECT_FALSE(exists("v1", "namespaces", "", "ivan"));

  // Removing again is not an error (issue 7 item 11): nothing to change.
  r = kftenant({"user", "remove", "ivan@example.com", "--yes"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("nothing to remove"));
  EXPECT_THAT(r.err, HasSubstr("Nothing to change."));
}

TEST_P(LifecycleTest, RemoveKeepProfileAndPasswordObjects) {
  ASSERT_EQ(
      add_user("judy@example.com", "judy-password", {"--dex-backend", "password-crd"}).exit_code,
      0);
  auto name = dex::password_object_name("judy@example.com");
  ASSERT_TRUE(exists("dex.coreos.com/v1", "passwords", "auth", name));
  auto before = dex_template_annotations();
  auto r = kftenant({"user", "remove", "judy@example.com", "--yes", "--keep-profile"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(exists("dex.coreos.com/v1", "passwords", "auth", name));
  EXPECT_TRUE(exists("kubeflow.org/v1", "profiles", "", "judy"));
  EXPECT_EQ(dex_template_annotations(), before);  // no restart for Password objects
}

TEST_P(LifecycleTest, ListAndShowMergeDexUsersProfilesAndFlags) {
  ASSERT_EQ(
      add_user("kim@example.com", "kim-password", {"--wait=20s", "--quota", "cpu=2"}).exit_code, 0);
  ASSERT_EQ(add_user("lee@example.com", "lee-password", {"--no-profile"}).exit_code, 0);
  ASSERT_EQ(
      add_user("max@example.com", "max-password", {"--dex-backend", "password-crd", "--no-profile"})
          .exit_code,
      0);
  // A profile whose owner has no Dex user.
  ASSERT_TRUE(server_->put_object(
      "kubeflow.org/v1", "profiles",
      {{"apiVersion", "kubeflow.org/v1"},
       {"kind", "Profile"},
       {"metadata", {{"name", "orphan"}}},
       {"spec", {{"owner", {{"kind", "User"}, {"name", "ghost@example.com"}}}}}}));
  auto r = kftenant({"user", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("EMAIL"));
  EXPECT_THAT(r.out, HasSubstr("BACKEND"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("kim@example.com +static +kim +kim +Active +cpu=2"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("max@example.com +password-crd"));
  EXPECT_THAT(r.out, HasSubstr("no profile"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("ghost@example.com +- .*has no Dex user"));
  EXPECT_THAT(r.out, HasSubstr("DEX_USER_PASSWORD"));

  r = kftenant({"user", "list", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json["users"].size(), 5u);
  EXPECT_THAT(r.out, Not(HasSubstr("$2y$")));  // never a hash

  r = kftenant({"user", "show", "KIM@example.com", "-o", "yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto shown = yaml::parse(r.out);
  ASSERT_TRUE(shown);
  EXPECT_EQ((*shown)["profiles"][0]["quota"]["cpu"], "2");
  EXPECT_EQ((*shown)["profiles"][0]["namespace"], "Active");

  r = kftenant({"user", "show", "nobody@example.com"});
  EXPECT_EQ(r.exit_code, 1);
}

}  // namespace
}  // namespace kftenant::testing
