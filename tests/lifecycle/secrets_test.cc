// The password never appears in argv, output, error text or -o json; there is no option that
// takes it on the command line.
#include "lifecycle_fixture.h"

namespace kftenant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST_P(LifecycleTest, NoOptionTakesAPasswordOnTheCommandLine) {
  for (const char* option : {"--password", "-p", "--passwd", "--pass"}) {
    auto r = kftenant({"user", "add", "sec@example.com", option, "hunter2-hunter2"});
    EXPECT_EQ(r.exit_code, 2) << option;
    EXPECT_FALSE(entry_for("sec@example.com").is_object());
  }
}

TEST_P(LifecycleTest, PasswordNeverInOutputErrorsOrJson) {
  const std::string secret = "Sup3r-Secret-Passw0rd";
  auto r = add_user("sec@example.com", secret, {"-v", "-o", "json", "--wait=20s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json.value("email", ""), "sec@example.com");
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(secret)));
  EXPECT_THAT(r.out, Not(HasSubstr("$2y$")));  // not even the hash

  // Refusal and failure paths.
  r = add_user("sec@example.com", secret + "-other", {"-v"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(secret)));
  r = kftenant({"-v", "user", "passwd", "sec@example.com", "--password-stdin"}, "short\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("short\n")));
  for (const char* cmd : {"list", "show"}) {
    std::vector<std::string> args = {"user", cmd};
    if (std::string(cmd) == "show") args.push_back("sec@example.com");
    args.insert(args.end(), {"-o", "json"});
    r = kftenant(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, Not(HasSubstr(secret)));
    EXPECT_THAT(r.out, Not(HasSubstr("$2y$")));
  }
  // The dry-run plan shows the hash being added (it is what goes into config.yaml), never the
  // password.
  r = add_user("sec2@example.com", secret, {"--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(secret)));
}

TEST_P(LifecycleTest, GeneratedPasswordIsShownOnceAndWorks) {
  auto r = kftenant({"user", "add", "gen@example.com", "--generate-password", "--bcrypt-cost", "10",
                     "--no-profile"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto at = r.out.find("generated password for gen@example.com: ");
  ASSERT_NE(at, std::string::npos) << r.out;
  auto start = at + std::string("generated password for gen@example.com: ").size();
  std::string password = r.out.substr(start, r.out.find('\n', start) - start);
  EXPECT_GE(password.size(), 16u);
  EXPECT_TRUE(python_checkpw(password, entry_for("gen@example.com").value("hash", "")));
  EXPECT_THAT(r.err, Not(HasSubstr(password)));
  // Never with machine-readable output.
  r = kftenant({"user", "add", "gen2@example.com", "--generate-password", "-o", "json"});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace kftenant::testing
