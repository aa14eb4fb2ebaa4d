// Import files are checked whole: every problem of every row is listed with its line and field,
// so one run tells the administrator everything to fix, and a file with any problem writes nothing.
#include "kftenant/tenancy/user_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kftenant::tenancy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kHash10 = "$2y$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234";
const std::string kHash04 = "$2y$04$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234";

std::vector<std::string> problems(const UserFile& f) {
  std::vector<std::string> out;
  for (const auto& p : f.problems) out.push_back(describe(f, p));
  return out;
}

TEST(UserFile, ValidCsvRowsGiveEveryColumn) {
  auto f = read_user_csv(
      "email,username,user_id,profile,password,hash,generate,quota,contributors\n"
      "Ann@Example.com,Ann A,ann-1,,secret-pass-1,,,\"cpu=4,memory=16Gi\","
      "bob@example.com:view;carol@example.com:edit\n"
      "bob@example.com,,,-,,," +
          kHash10 + ",,\n"  // the hash is in the generate column
      ,
      "users.csv");
  // The second row has its hash in the generate column: a problem, named.
  EXPECT_THAT(problems(f), ElementsAre(HasSubstr("users.csv:3: generate:")));
  ASSERT_EQ(f.rows.size(), 1u);
  const UserRow& ann = f.rows[0];
  EXPECT_EQ(ann.line, 2);
  EXPECT_EQ(ann.email, "ann@example.com");
  EXPECT_EQ(ann.username, "Ann A");
  EXPECT_EQ(ann.user_id, "ann-1");
  EXPECT_EQ(ann.profile, "ann");
  EXPECT_EQ(ann.password_spec, PasswordSpec::kPassword);
  EXPECT_EQ(ann.password, "secret-pass-1");
  EXPECT_EQ(ann.quota, (std::map<std::string, std::string>{{"cpu", "4"}, {"memory", "16Gi"}}));
  ASSERT_EQ(ann.contributors.size(), 2u);
  EXPECT_EQ(format_contributors(ann.contributors), "bob@example.com:view;carol@example.com:edit");
  EXPECT_TRUE(f.has_passwords);
}

TEST(UserFile, HashGenerateAndNoProfileRows) {
  auto f = read_user_csv(
      "email,hash,generate,profile\n"
      "a@example.com," +
          kHash10 +
          ",,-\n"
          "b@example.com,,yes,team-b\n",
      "u.csv");
  EXPECT_THAT(problems(f), IsEmpty());
  ASSERT_EQ(f.rows.size(), 2u);
  EXPECT_EQ(f.rows[0].password_spec, PasswordSpec::kHash);
  EXPECT_EQ(f.rows[0].hash, kHash10);
  EXPECT_FALSE(f.rows[0].profile.has_value());
  EXPECT_EQ(f.rows[1].password_spec, PasswordSpec::kGenerate);
  EXPECT_EQ(f.rows[1].profile, "team-b");
  EXPECT_FALSE(f.has_passwords);
}

TEST(UserFile, EveryInvalidRowKindIsListedWithLineAndField) {
  auto f = read_user_csv(
      "email,username,user_id,profile,password,hash,generate,quota,contributors\n"
      ",,,,,,true,,\n"                        // 2 no email
      "not-an-email,,,,,,true,,\n"            // 3 bad email
      "c@example.com,\" lead\",,,,,true,,\n"  // 4 bad username
      "d@example.com,,,Bad_Name,,,true,,\n"   // 5 bad profile
      "e@example.com,,,,short,,,,\n"          // 6 password too short
      "f@example.com,,,,,not-a-hash,,,\n"     // 7 not bcrypt
      "g@example.com,,,,,," +
          kHash04 +
          ",,\n"                          // 8 hash in generate (bad boolean)
          "h@example.com,,,,,,maybe,,\n"  // 9 bad boolean
          "i@example.com,,,,,,,,\n"       // 10 no password at all: fine (onboard decides)
          "j@example.com,,,,password-j1," +
          kHash10 +
          ",,,\n"                                             // 11 two kinds
          "k@example.com,,,,,,true,cpu=lots,\n"               // 12 bad quota
          "l@example.com,,,-,,,true,cpu=1,\n"                 // 13 quota without profile
          "m@example.com,,,,,,true,,bob@example.com\n"        // 14 contributor without role
          "n@example.com,,,,,,true,,bob@example.com:owner\n"  // 15 bad role
          "o@example.com,,,,,,true,,o@example.com:edit\n"     // 16 owner as contributor
          "p@example.com,,,,,,true,,x@example.com:view;X@example.com:edit\n"  // 17 twice
          "q@example.com,,,,,,true\n"                                         // 18 too few fields
          "r@example.com,,,,," +
          kHash04 +
          ",,,\n"                            // 19 cost outside 10..16
          "A@Example.com,,,ann2,,,true,,\n"  // 20 fine
          "a@example.com,,,ann3,,,true,,\n"  // 21 same email, other case
          "s@example.com,,u-1,,,,true,,\n"   // 22 fine
          "t@example.com,,u-1,,,,true,,\n"   // 23 user_id again
          "ann2@x.org,,,,,,true,,\n",        // 24 default profile "ann2" again
      "users.csv");
  const auto got = problems(f);
  auto has = [&](const std::string& needle) {
    return std::any_of(got.begin(), got.end(),
                       [&](const std::string& p) { return p.find(needle) != std::string::npos; });
  };
  EXPECT_TRUE(has("users.csv:2: email: missing"));
  EXPECT_TRUE(has("users.csv:3: email: invalid email"));
  EXPECT_TRUE(has("users.csv:4: username:"));
  EXPECT_TRUE(has("users.csv:5: profile:"));
  EXPECT_TRUE(has("users.csv:6: password: password must be 8 to 72 bytes"));
  EXPECT_TRUE(has("users.csv:7: hash: not a bcrypt hash"));
  EXPECT_TRUE(has("users.csv:8: generate:"));
  EXPECT_TRUE(has("users.csv:9: generate: \"maybe\" is not true or false"));
  EXPECT_FALSE(has("users.csv:10:"));
  EXPECT_TRUE(has("users.csv:11: hash: the row has password as well"));
  EXPECT_TRUE(has("users.csv:12: quota:"));
  EXPECT_TRUE(has("users.csv:13: quota: the row has no profile"));
  EXPECT_TRUE(has("users.csv:14: contributors:"));
  EXPECT_TRUE(has("users.csv:15: contributors: bob@example.com:"));
  EXPECT_TRUE(has("users.csv:16: contributors: o@example.com is the profile's owner"));
  EXPECT_TRUE(has("users.csv:17: contributors: x@example.com is listed twice"));
  EXPECT_TRUE(has("users.csv:18: 7 fields, but the header names 9 columns"));
  EXPECT_TRUE(has("users.csv:19: hash: the hash has cost 4"));
  EXPECT_TRUE(has("users.csv:21: email: email \"a@example.com\" is already on line 20"));
  EXPECT_TRUE(has("users.csv:23: user_id: user ID \"u-1\" is already on line 22"));
  EXPECT_TRUE(has("users.csv:24: profile: profile \"ann2\" is already on line 20"));
  EXPECT_FALSE(has("users.csv:20:"));
  EXPECT_FALSE(has("users.csv:22:"));
  // Sorted by line, and no password in any message.
  for (size_t i = 1; i < f.problems.size(); ++i)
    EXPECT_LE(f.problems[i - 1].line, f.problems[i].line);
  EXPECT_FALSE(has("password-j1"));
  EXPECT_FALSE(has("short,"));
  // Only the valid rows that repeat nothing remain.
  std::vector<std::string> kept;
  for (const auto& r : f.rows) kept.push_back(r.email);
  EXPECT_THAT(kept, ElementsAre("i@example.com", "a@example.com", "s@example.com"));
  EXPECT_EQ(f.rows[0].password_spec, PasswordSpec::kNone);
}

TEST(UserFile, HeaderProblemsStopBeforeTheRows) {
  EXPECT_THAT(problems(read_user_csv("", "e.csv")),
              ElementsAre(HasSubstr("e.csv:1: the file is empty")));
  EXPECT_THAT(problems(read_user_csv("mail,password\nx@y.z,p\n", "h.csv")),
              ElementsAre(HasSubstr("h.csv:1: unknown column \"mail\""),
                          HasSubstr("h.csv:1: there is no email column")));
  EXPECT_THAT(problems(read_user_csv("email,email\n", "d.csv")),
              ElementsAre(HasSubstr("column email is named twice")));
  EXPECT_THAT(problems(read_user_csv("email\n\"a@b.c\n", "q.csv")),
              ElementsAre(HasSubstr("q.csv:2: a quoted field that is never closed")));
}

TEST(UserFile, YamlEntriesNameTheirLines) {
  const std::string text =
      "apiVersion: kftenant.io/v1alpha1\n"
      "kind: Tenants\n"
      "users:\n"
      "- email: ann@example.com\n"  // 4
      "  userID: \"1001\"\n"
      "  hash: \"" +
      kHash10 +
      "\"\n"
      "  quota: {cpu: 4, memory: 16Gi}\n"
      "  contributors:\n"
      "  - {email: bob@example.com, role: edit}\n"
      "- email: bob@example.com\n"  // 10
      "  userID: 1002\n"            // 11: a number
      "  generatePassword: true\n"
      "- email: cat@example.com\n"  // 13
      "  generatePassword: true\n"
      "  colour: blue\n"            // 15: unknown key
      "- email: ann@example.com\n"  // 16: again
      "  generatePassword: true\n";
  auto f = read_user_yaml(text, "users.yaml");
  EXPECT_THAT(problems(f),
              ElementsAre(HasSubstr("users.yaml:11: userID: must be a string (quote it: 1002"),
                          HasSubstr("users.yaml:15: colour: unknown key"),
                          HasSubstr("users.yaml:16: email: email \"ann@example.com\" is already "
                                    "on line 4")));
  ASSERT_EQ(f.rows.size(), 1u);
  EXPECT_EQ(f.rows[0].user_id, "1001");
  EXPECT_EQ(f.rows[0].quota,
            (std::map<std::string, std::string>{{"cpu", "4"}, {"memory", "16Gi"}}));
  EXPECT_EQ(format_contributors(f.rows[0].contributors), "bob@example.com:edit");
  EXPECT_FALSE(f.has_passwords);
  EXPECT_THAT(problems(read_user_yaml("users: [\n", "b.yaml")),
              ElementsAre(HasSubstr("b.yaml:2: not valid YAML")));
  EXPECT_THAT(problems(read_user_yaml("profiles: []\nusers: []\n", "p.yaml")),
              ElementsAre(HasSubstr("p.yaml:1: profiles: import reads users only")));
}

TEST(UserFile, ALoneCarriageReturnIsRefusedWithItsLineInBothFormats) {
  // libyaml would count the CR as a line break, and every later line number would be off by
  // one from what an editor shows (found by fuzz/fuzz_user_file.cc).
  const std::string yaml =
      "users:\n- email: ann@example.com\n  generatePassword: true\r  quota: {}\n";
  EXPECT_THAT(problems(read_user_yaml(yaml, "u.yaml")),
              ElementsAre(HasSubstr("u.yaml:3: a carriage return without a line feed")));
  EXPECT_THAT(problems(read_user_csv("email\nann@example.com\rbob@example.com\n", "u.csv")),
              ElementsAre(HasSubstr("u.csv:2:")));
  // CRLF is fine.
  EXPECT_THAT(problems(read_user_yaml("users:\r\n- email: ann@example.com\r\n"
                                      "  generatePassword: true\r\n",
                                      "u.yaml")),
              IsEmpty());
}

TEST(UserFile, ProblemsAtTheEndOfTheInputAreOnItsLastLine) {
  // libyaml marks an error, or an empty node, at the end of input one line past the last one
  // when the file does not end with a newline (found by fuzz/fuzz_user_file.cc).
  EXPECT_THAT(problems(read_user_yaml("email,user:\n-a", "u.yaml")),
              ElementsAre(HasSubstr("u.yaml:2: not valid YAML")));
  EXPECT_THAT(
      problems(read_user_yaml("users:\n- email: a@x.io\n  generatePassword: true\n? xu", "u.yaml")),
      ElementsAre(HasSubstr("u.yaml:4: xu: unknown key")));
}

TEST(UserFile, FormatFollowsTheName) {
  EXPECT_EQ(user_file_format("a/users.YAML"), UserFileFormat::kYaml);
  EXPECT_EQ(user_file_format("users.yml"), UserFileFormat::kYaml);
  EXPECT_EQ(user_file_format("users.csv"), UserFileFormat::kCsv);
  EXPECT_EQ(user_file_format("users"), UserFileFormat::kCsv);
}

TEST(UserFile, FiveThousandRowsWithProblemsFarDownNameTheirLines) {
  std::string csv = "email,profile,contributors\n";
  for (int i = 0; i < 5000; ++i) {
    std::string email = "u" + std::to_string(i) + "@big.example";
    if (i == 4321) email = "not an email";
    if (i == 4998) email = "U7@Big.Example";  // the same user as row 7, in other case
    csv += email + ",-,\n";
  }
  auto file = read_user_csv(csv, "big.csv");
  ASSERT_EQ(file.problems.size(), 2u);
  EXPECT_EQ(describe(file, file.problems[0]).rfind("big.csv:4323: email: ", 0), 0u);
  EXPECT_THAT(describe(file, file.problems[1]),
              HasSubstr("big.csv:5000: email: email \"u7@big.example\" is already on line 9"));
  EXPECT_EQ(file.rows.size(), 4998u);
  EXPECT_EQ(file.rows.back().line, 5001);
}

}  // namespace
}  // namespace kftenant::tenancy
