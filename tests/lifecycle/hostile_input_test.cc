// A corpus of hostile or invalid inputs to `kftenant user add` / `passwd`: each gets its exit
// code and a message naming what is wrong, and leaves the Dex ConfigMap byte-identical (same
// resourceVersion, same bytes) with no write made at all.
#include <sys/stat.h>

#include "lifecycle_fixture.h"

namespace kftenant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Case {
  std::string label;
  std::vector<std::string> args;  // after `user`
  std::string input;              // stdin
  int exit_code;
  std::string message;  // fragment of stderr
};

std::string repeat(char c, size_t n) {
  return std::string(n, c);
}

std::vector<Case> corpus(const std::string& world_readable_file) {
  const std::string pw = "good-password\n";
  auto add = [&](std::string email, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"add", std::move(email), "--password-stdin", "--bcrypt-cost",
                                     "10"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  const std::string ok = "ok@example.com";
  std::vector<Case> c = {
      // Emails.
      {"empty email", add(""), pw, 2, "email"},
      {"no at", add("plainaddress"), pw, 2, "email"},
      {"no local part", add("@example.com"), pw, 2, "email"},
      {"no domain", add("alice@"), pw, 2, "email"},
      {"two ats", add("alice@@example.com"), pw, 2, "email"},
      {"space in local", add("alice smith@example.com"), pw, 2, "email"},
      {"newline injection", add("alice@example.com\n- email: evil@x.com\n  hash: $2y$10$x"), pw, 2,
       "email"},
      {"newline in domain", add("alice@exa\nmple.com"), pw, 2, "email"},
      {"double quotes", add("\"alice\"@example.com"), pw, 2, "email"},
      {"carriage return", add("alice@example.com\r"), pw, 2, "email"},
      {"tab", add("alice@example.com\t"), pw, 2, "email"},
      {"domain starts with dash", add("alice@-example.com"), pw, 2, "email"},
      {"domain label ends with dash", add("alice@example-.com"), pw, 2, "email"},
      {"local part over 64", add(repeat('a', 65) + "@example.com"), pw, 2, "email"},
      {"email over 254",
       add("alice@" + repeat('a', 60) + "." + repeat('b', 60) + "." + repeat('c', 60) + "." +
           repeat('d', 70) + ".com"),
       pw, 2, "email"},
      {"underscore in domain", add("alice@exam_ple.com"), pw, 2, "email"},
      {"non-ascii local", add("alic\xc3\xa9@example.com"), pw, 2, "email"},
      {"space in domain", add("alice@ex ample.com"), pw, 2, "email"},
      {"empty domain label", add("alice@example..com"), pw, 2, "email"},
      {"leading dot domain", add("alice@.example.com"), pw, 2, "email"},
      {"ip literal", add("alice@[127.0.0.1]"), pw, 2, "email"},
      {"yaml mapping in domain", add("alice@example.com: hacked"), pw, 2, "email"},
      {"invalid utf-8", add("al\xff\xfe@example.com"), pw, 2, "email"},
      {"bell character", add("al\x07@example.com"), pw, 2, "email"},
      {"fullwidth at",
       add("alice\xef\xbc\xa0"
           "example.com"),
       pw, 2, "email"},
      // Usernames and user IDs.
      {"username newline", add(ok, {"--username", "a\nb"}), pw, 2, "username"},
      {"username breakout", add(ok, {"--username", "evil\"\n- email: x@y.z"}), pw, 2, "username"},
      {"username empty", add(ok, {"--username", ""}), pw, 2, "username"},
      {"username leading space", add(ok, {"--username", " lead"}), pw, 2, "username"},
      {"username trailing space", add(ok, {"--username", "trail "}), pw, 2, "username"},
      {"username tab", add(ok, {"--username", "tab\there"}), pw, 2, "username"},
      {"username bell", add(ok, {"--username", "bell\x07"}), pw, 2, "username"},
      {"username DEL", add(ok, {"--username", "del\x7f"}), pw, 2, "username"},
      {"username invalid utf-8", add(ok, {"--username", "\xff\xfe"}), pw, 2, "username"},
      {"username too long", add(ok, {"--username", repeat('u', 300)}), pw, 2, "username"},
      {"username C1 control", add(ok, {"--username", "next\xc2\x85line"}), pw, 2, "username"},
      {"user id empty", add(ok, {"--user-id", ""}), pw, 2, "user"},
      {"user id newline", add(ok, {"--user-id", "id\nx"}), pw, 2, "user"},
      {"user id invalid utf-8", add(ok, {"--user-id", "\xff"}), pw, 2, "user"},
      {"user id too long", add(ok, {"--user-id", repeat('i', 300)}), pw, 2, "user"},
      {"user id carriage return", add(ok, {"--user-id", "id\r"}), pw, 2, "user"},
      // Profile names.
      {"profile upper case", add(ok, {"--profile", "Alice"}), pw, 2, "--profile"},
      {"profile leading dash", add(ok, {"--profile", "-alice"}), pw, 2, "--profile"},
      {"profile trailing dash", add(ok, {"--profile", "alice-"}), pw, 2, "--profile"},
      {"profile underscore", add(ok, {"--profile", "al_ice"}), pw, 2, "--profile"},
      {"profile 64 chars", add(ok, {"--profile", repeat('p', 64)}), pw, 2, "--profile"},
      {"profile dot", add(ok, {"--profile", "al.ice"}), pw, 2, "--profile"},
      {"profile empty", add(ok, {"--profile", ""}), pw, 2, "--profile"},
      {"profile space", add(ok, {"--profile", "alice bob"}), pw, 2, "--profile"},
      {"default profile invalid", add("_x_@example.com"), pw, 2, "--profile NAME"},
      // Quotas.
      {"quota no value", add(ok, {"--quota", "cpu"}), pw, 2, "--quota"},
      {"quota not a quantity", add(ok, {"--quota", "cpu=four"}), pw, 2, "--quota"},
      {"quota no key", add(ok, {"--quota", "=4"}), pw, 2, "--quota"},
      {"quota duplicate", add(ok, {"--quota", "cpu=4,cpu=5"}), pw, 2, "--quota"},
      {"quota GB", add(ok, {"--quota", "memory=16GB"}), pw, 2, "--quota"},
      {"quota negative", add(ok, {"--quota", "cpu=-1"}), pw, 2, "--quota"},
      {"quota trailing comma", add(ok, {"--quota", "cpu=4,"}), pw, 2, "--quota"},
      {"quota key with space", add(ok, {"--quota", "bad key=1"}), pw, 2, "--quota"},
      {"quota newline", add(ok, {"--quota", "cpu=4\nmemory=1Gi"}), pw, 2, "--quota"},
      {"quota with no-profile", add(ok, {"--no-profile", "--quota", "cpu=1"}), pw, 2,
       "--no-profile"},
      // Passwords and costs.
      {"password too short", add(ok), "short\n", 2, "password"},
      {"password too long", add(ok), repeat('p', 73) + "\n", 2, "password"},
      {"password empty", add(ok), "", 2, "password"},
      {"cost 9", {"add", ok, "--password-stdin", "--bcrypt-cost", "9"}, pw, 2, "10..16"},
      {"cost 17", {"add", ok, "--password-stdin", "--bcrypt-cost", "17"}, pw, 2, "10..16"},
      {"cost not a number",
       {"add", ok, "--password-stdin", "--bcrypt-cost", "abc"},
       pw,
       2,
       "bcrypt-cost"},
      {"passwd cost 17",
       {"passwd", "user@example.com", "--password-stdin", "--bcrypt-cost", "17"},
       pw,
       2,
       "10..16"},
      {"password file missing",
       {"add", ok, "--password-file", "/nonexistent/pw"},
       "",
       2,
       "/nonexistent/pw"},
      {"password file world readable",
       {"add", ok, "--password-file", world_readable_file},
       "",
       2,
       world_readable_file},
      // Options.
      {"unknown backend", add(ok, {"--dex-backend", "ldap"}), pw, 2, "ldap"},
      {"unknown output", add(ok, {"-o", "xml"}), pw, 2, "xml"},
      {"bad wait", add(ok, {"--wait=forever"}), pw, 2, "--wait"},
      {"profile and no-profile", add(ok, {"--profile", "x", "--no-profile"}), pw, 2, "excludes"},
      {"two password sources", add(ok, {"--generate-password"}), pw, 2, "excludes"},
      {"unknown option", add(ok, {"--frobnicate"}), pw, 2, "frobnicate"},
      // Existing state.
      {"profile of someone else", add(ok, {"--profile", "kubeflow-user-example-com"}), pw, 3,
       "--profile"},
      {"hashFromEnv user re-added", add("USER@example.com"), pw, 3, "DEX_USER_PASSWORD"},
      {"passwd of hashFromEnv user",
       {"passwd", "user@example.com", "--password-stdin"},
       pw,
       3,
       "DEX_USER_PASSWORD"},
      {"passwd of unknown user",
       {"passwd", "nobody@example.com", "--password-stdin"},
       pw,
       1,
       "user add"},
      {"passwd short password",
       {"passwd", "user@example.com", "--password-stdin"},
       "short\n",
       2,
       "password"},
  };
  return c;
}

TEST_P(LifecycleTest, HostileInputsAreRefusedAndChangeNothing) {
  std::string world_readable = dir_.write("pw-world-readable", "good-password\n");
  ::chmod(world_readable.c_str(), 0644);
  auto cm_before = object("v1", "configmaps", "auth", "dex");
  auto cases = corpus(world_readable);
  ASSERT_GE(cases.size(), 60u);
  for (const auto& c : cases) {
    mark_state();
    std::vector<std::string> args = {"user"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = kftenant(args, c.input);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.label << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << c.label;
    // One line, prefixed, no password.
    EXPECT_THAT(r.err, Not(HasSubstr("good-password"))) << c.label;
    EXPECT_EQ(changes(), "") << c.label;
    EXPECT_EQ(object("v1", "configmaps", "auth", "dex"), cm_before) << c.label;
  }
}

// Values that are odd but legal are stored as data: the config stays valid YAML and reads back
// with exactly these strings.
TEST_P(LifecycleTest, YamlMetacharactersInLegalValuesStayData) {
  const std::vector<std::string> usernames = {"&anchor",     "*alias",    "!tag",
                                              "|literal",    ">folded",   "%directive",
                                              "@at",         "`tick",     "key: value",
                                              "- item",      "# comment", "{flow: map}",
                                              "[flow, seq]", "'single'",  "\"double\"",
                                              "null",        "true",      "0x1F",
                                              "1e3",         "~",         "emoji \xf0\x9f\x98\x80",
                                              "back\\slash"};
  int i = 0;
  for (const auto& name : usernames) {
    std::string email = "meta" + std::to_string(i++) + "@example.com";
    auto r =
        add_user(email, "meta-password", {"--username", name, "--user-id", name, "--no-profile"});
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    auto e = entry_for(email);
    EXPECT_EQ(e.value("username", ""), name);
    EXPECT_EQ(e.value("userID", ""), name);
  }
  EXPECT_EQ(static_passwords().size(), usernames.size() + 1);
}

}  // namespace
}  // namespace kftenant::testing
