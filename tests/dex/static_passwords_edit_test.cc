// DexConfig: replacing an entry changes only the bytes of the values that change (comments,
// quoting, key order and unknown fields stay); find_all / entry_line / *_at on case variants.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "dex/config_layout.h"
#include "kftenant/dex/config_check.h"
#include "kftenant/dex/static_passwords.h"

namespace kftenant::dex {
namespace {

using ::testing::HasSubstr;

constexpr const char* kOld = "$2y$12$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72";
constexpr const char* kNew = "$2y$12$Zx9Ud0c8bq2dT2T6Nbr4JOqQGx2OBw1Eh3NKxQ5v8L1t7M0bkCW3e";

DexConfig must_parse(std::string text) {
  auto c = DexConfig::parse(std::move(text), "config.yaml");
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message);
  return c ? std::move(*c) : DexConfig{};
}

std::string replaced(std::string s, std::string_view from, std::string_view to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

const std::string kHandMade = std::string(
                                  "issuer: http://dex\n"
                                  "enablePasswordDB: true\n"
                                  "staticPasswords:\n"
                                  "# the admins\n"
                                  "- email: admin@x.io # admin, do not remove\n"
                                  "  # rotated yearly\n"
                                  "  hash: \"") +
                              kOld +
                              "\"  # rotated 2024\n"
                              "\n"
                              "  username: 'admin'\n"
                              "  userID: \"15841185641784\"   # from the old LDAP\n"
                              "  groups: [admins, ops]  # both\n"
                              "  name: The Admin\n"
                              "- email: bob@x.io\n"
                              "  hash: '" +
                              kOld +
                              "'\n"
                              "  username: bob\n"
                              "# end of users\n"
                              "staticClients: []\n";

TEST(DexConfigReplace, ChangingTheHashChangesOnlyItsBytes) {
  auto c = must_parse(kHandMade);
  StaticPassword p = c.static_passwords()[0];
  EXPECT_EQ(p.extra["groups"], nlohmann::json({"admins", "ops"}));
  p.hash = kNew;
  ASSERT_TRUE(c.upsert_static_password(p));
  // Comments (trailing and on lines of their own), the blank line, the quoting of every other
  // value, the key order and the unknown fields: all as they were.
  EXPECT_EQ(c.text(), replaced(kHandMade, kOld, kNew));
  EXPECT_EQ(c.static_passwords()[0], p);
  auto fresh = must_parse(c.text());
  EXPECT_EQ(fresh.static_passwords(), c.static_passwords());
}

TEST(DexConfigReplace, StylesOfChangedValues) {
  auto c = must_parse(kHandMade);
  StaticPassword bob = c.static_passwords()[1];
  bob.hash = kNew;          // single-quoted stays single-quoted
  bob.username = "robert";  // plain stays plain
  ASSERT_TRUE(c.replace_static_password_at(1, bob));
  std::string want = kHandMade;
  want = replaced(want, std::string("'") + kOld + "'", std::string("'") + kNew + "'");
  want = replaced(want, "  username: bob\n", "  username: robert\n");
  EXPECT_EQ(c.text(), want);
  // A value that plain or single quotes cannot hold as the same string to every reader (go-yaml
  // reads 0b101 as 5 and `yes` as true) is double-quoted.
  bob.username = "0b101";
  ASSERT_TRUE(c.replace_static_password_at(1, bob));
  EXPECT_THAT(c.text(), HasSubstr("  username: \"0b101\"\n# end of users\n"));
  bob.username = "yes";
  ASSERT_TRUE(c.replace_static_password_at(1, bob));
  EXPECT_THAT(c.text(), HasSubstr("  username: \"yes\"\n"));
  bob.username = "it's";  // double-quoted now, and stays so
  ASSERT_TRUE(c.replace_static_password_at(1, bob));
  EXPECT_THAT(c.text(), HasSubstr("  username: \"it's\"\n"));
  StaticPassword admin = c.static_passwords()[0];
  admin.username = "o'brien";  // single-quoted stays single-quoted, escaped as YAML does
  ASSERT_TRUE(c.replace_static_password_at(0, admin));
  EXPECT_THAT(c.text(), HasSubstr("\n\n  username: 'o''brien'\n  userID: \"15841185641784\"   #"));
  EXPECT_EQ(must_parse(c.text()).static_passwords(), c.static_passwords());
}

// With a tag anywhere, the entries are read through yaml::parse instead of the event pass; an
// unquoted number still reads as written, so that an edit removing the tag changes no other
// entry's reading (fuzz_dex_config: "07920592807382" read "7920592807382" until then).
TEST(DexConfigReplace, AnEditThatRemovesATagChangesNoOtherEntrysReading) {
  auto c = must_parse(
      "enablePasswordDB: true\nstaticPasswords:\n- email: a@x.io\n  hash: h\n"
      "  userID: 07920592807382\n  username: True\n- email: !!str b@x.io\n  hash: h\n");
  ASSERT_EQ(c.static_passwords().size(), 2u);
  EXPECT_EQ(c.static_passwords()[0].user_id, "07920592807382");
  EXPECT_EQ(c.static_passwords()[0].username, "True");
  StaticPassword b = c.static_passwords()[1];
  EXPECT_EQ(b.email, "b@x.io");
  b.email = "bee@x.io";  // rewritten, so its tag goes
  ASSERT_TRUE(c.replace_static_password_at(1, b));
  EXPECT_THAT(c.text(), ::testing::Not(HasSubstr("!!str")));
  EXPECT_EQ(c.static_passwords()[0].user_id, "07920592807382");
  EXPECT_EQ(must_parse(c.text()).static_passwords(), c.static_passwords());
}

TEST(DexConfigReplace, NumericLookingUserIdsStayStrings) {
  auto c = must_parse(
      "enablePasswordDB: true\nstaticPasswords:\n- email: a@x.io\n  hash: h\n"
      "  userID: 15841185641784\n- email: b@x.io\n  hash: h\n  userID: \"0012\"\n");
  // Untouched: `userID: 15841185641784` stays as written (check_dex_config reports it).
  StaticPassword a = c.static_passwords()[0];
  EXPECT_EQ(a.user_id, "15841185641784");
  a.hash = "h2";
  ASSERT_TRUE(c.replace_static_password_at(0, a));
  EXPECT_THAT(c.text(), HasSubstr("  hash: h2\n  userID: 15841185641784\n"));
  // Changed: a number to YAML, so written double-quoted.
  a.user_id = "15841185641785";
  ASSERT_TRUE(c.replace_static_password_at(0, a));
  EXPECT_THAT(c.text(), HasSubstr("  hash: h2\n  userID: \"15841185641785\"\n"));
  StaticPassword b = c.static_passwords()[1];
  b.user_id = "0013";
  ASSERT_TRUE(c.replace_static_password_at(1, b));
  EXPECT_THAT(c.text(), HasSubstr("  userID: \"0013\"\n"));
  auto fresh = must_parse(c.text());
  EXPECT_EQ(fresh.static_passwords()[0].user_id, "15841185641785");
  EXPECT_EQ(fresh.static_passwords()[1].user_id, "0013");
}

TEST(DexConfigReplace, FieldsThatAppearOrDisappear) {
  // `kftenant user passwd` on Kubeflow's default user: hashFromEnv goes, hash comes.
  const std::string before =
      "staticPasswords:\n  - email: user@example.com  # default user\n"
      "    hashFromEnv: DEX_USER_PASSWORD\n    username: user\n    userID: \"15841185641784\"\n"
      "staticClients: []\n";
  auto c = must_parse(before);
  StaticPassword p = c.static_passwords()[0];
  p.hash_from_env.clear();
  p.hash = kNew;
  p.extra["groups"] = {"team-a"};
  ASSERT_TRUE(c.replace_static_password_at(0, p));
  // New keys go after the others, at the entry's key column (in name order: edit_document takes
  // them from a JSON object); a list under a key starts at the key's column (edit_document
  // indents it only in documents that already write such lists indented).
  EXPECT_EQ(c.text(), std::string("staticPasswords:\n  - email: user@example.com  # default user\n"
                                  "    username: user\n    userID: \"15841185641784\"\n"
                                  "    groups:\n    - team-a\n    hash: ") +
                          kNew + "\nstaticClients: []\n");
  EXPECT_EQ(c.static_passwords()[0], p);
  // And away again: the lines of the removed keys go, nothing else moves.
  p.extra = nlohmann::json::object();
  p.username.clear();
  ASSERT_TRUE(c.replace_static_password_at(0, p));
  EXPECT_EQ(c.text(), std::string("staticPasswords:\n  - email: user@example.com  # default user\n"
                                  "    userID: \"15841185641784\"\n    hash: ") +
                          kNew + "\nstaticClients: []\n");
  EXPECT_EQ(must_parse(c.text()).static_passwords(), c.static_passwords());
}

TEST(DexConfigReplace, UnknownFieldsAreKept) {
  const std::string before =
      "staticPasswords:\n- email: a@x.io\n  name: \"Ann A.\"\n  hash: h\n"
      "  groups:\n  - admins   # full access\n  - ops\n  preferredUsername: ann\n"
      "  emailVerified: false\n";
  auto c = must_parse(before);
  StaticPassword p = c.static_passwords()[0];
  ASSERT_EQ(p.extra.size(), 4u);
  p.hash = "h2";
  ASSERT_TRUE(c.upsert_static_password(p));
  EXPECT_EQ(c.text(), replaced(before, "hash: h\n", "hash: h2\n"));
  // Replacing with an entry that does not carry them drops them (the caller decides).
  StaticPassword q;
  q.email = "a@x.io";
  q.hash = "h3";
  ASSERT_TRUE(c.upsert_static_password(q));
  EXPECT_EQ(c.text(), "staticPasswords:\n- email: a@x.io\n  hash: h3\n");
}

TEST(DexConfigReplace, EqualEntryChangesNothingAndFlowListsAreReemitted) {
  auto c = must_parse(kHandMade);
  ASSERT_TRUE(c.replace_static_password_at(0, StaticPassword(c.static_passwords()[0])));
  EXPECT_EQ(c.text(), kHandMade);
  auto flow = must_parse("staticPasswords: [{email: a@x.io, hash: h}, {email: b@x.io, hash: h}]\n");
  StaticPassword p = flow.static_passwords()[0];
  p.hash = "h2";
  ASSERT_TRUE(flow.replace_static_password_at(0, p));
  EXPECT_EQ(flow.text(),
            "staticPasswords: [{email: \"a@x.io\", hash: \"h2\"}, {email: b@x.io, hash: h}]\n");
  auto r = flow.replace_static_password_at(2, p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  auto bad = p;
  bad.email.clear();
  EXPECT_EQ(flow.replace_static_password_at(0, bad).error().code, ErrorCode::kInvalidArgument);
}

TEST(DexConfigCaseVariants, FindAllLinesAndPositionalEdits) {
  auto c = must_parse(
      "issuer: x\nstaticPasswords:\n- email: ann@x.io\n  hash: h1\n# the same person\n"
      "- email: bob@x.io\n  hash: h2\n- email: Ann@X.io\n  hash: h3\n");
  EXPECT_EQ(c.find_all("ANN@x.io"), (std::vector<size_t>{0, 2}));
  EXPECT_EQ(c.find("ann@x.io"), 2u);
  EXPECT_TRUE(c.find_all("nobody@x.io").empty());
  EXPECT_EQ(c.entry_line(0), 3u);
  EXPECT_EQ(c.entry_line(1), 6u);
  EXPECT_EQ(c.entry_line(2), 8u);
  EXPECT_EQ(c.entry_line(3), 0u);
  EXPECT_EQ(c.entry_lines(), (std::vector<size_t>{3, 6, 8}));
  // The upsert by email edits the one Dex uses; an index reaches the other.
  StaticPassword first = c.static_passwords()[0];
  first.hash = "h1b";
  ASSERT_TRUE(c.replace_static_password_at(0, first));
  EXPECT_EQ(c.static_passwords()[0].hash, "h1b");
  EXPECT_EQ(c.static_passwords()[2].hash, "h3");
  ASSERT_TRUE(c.remove_static_password_at(0));
  EXPECT_EQ(c.text(),
            "issuer: x\nstaticPasswords:\n# the same person\n- email: bob@x.io\n  hash: h2\n"
            "- email: Ann@X.io\n  hash: h3\n");
  EXPECT_EQ(c.find_all("ann@x.io"), (std::vector<size_t>{1}));
  EXPECT_EQ(c.entry_line(1), 6u);
  EXPECT_EQ(c.remove_static_password_at(5).error().code, ErrorCode::kNotFound);
}

// Found by fuzz_dex_config: a comment between an item's "-" and its first key. The entry's
// lines start at its "-" (before, they started at the key, so a re-emitted entry nested a list
// inside the item and the fast path took it).
TEST(DexConfigReplace, CommentAfterTheDash) {
  const std::string before =
      "staticPasswords:\n- # the admin\n# more\n  email: a@x.io\n  hash: h\n"
      "-\n  email: b@x.io\n  hash: h\n";
  auto c = must_parse(before);
  EXPECT_EQ(c.entry_line(0), 2u);
  EXPECT_EQ(c.entry_line(1), 6u);
  StaticPassword p = c.static_passwords()[0];
  p.hash = "h2";
  ASSERT_TRUE(c.replace_static_password_at(0, p));
  EXPECT_EQ(c.text(), replaced(before, "hash: h\n", "hash: h2\n"));
  StaticPassword q;
  q.email = "c@x.io";
  q.hash = "h3";
  ASSERT_TRUE(c.replace_static_password_at(1, q));
  ASSERT_TRUE(c.remove_static_password_at(0));
  EXPECT_EQ(must_parse(c.text()).static_passwords(), c.static_passwords());
  ASSERT_EQ(c.static_passwords().size(), 1u);
  EXPECT_EQ(c.static_passwords()[0], q);
}

// Found by fuzz_dex_config: a lone CR is a line break to libyaml but not to byte arithmetic on
// '\n', so the entry's "lines" reach into the next top-level key. The edit must be refused or
// exact, never lose that key.
TEST(DexConfigReplace, LoneCarriageReturnIsVerifiedByARescan) {
  const std::string before = "staticPasswords:\n- email: a@x.io\n  hash: h\rother: 1\nz: 2\n";
  auto c = must_parse(before);
  ASSERT_EQ(c.static_passwords().size(), 1u);
  EXPECT_TRUE(detail::layout_of(c).irregular);
  StaticPassword p = c.static_passwords()[0];
  p.hash = "h2";
  auto r = c.replace_static_password_at(0, p);
  if (r) {
    auto fresh = must_parse(c.text());
    EXPECT_EQ(fresh.static_passwords(), c.static_passwords());
    EXPECT_THAT(c.text(), HasSubstr("other: 1\nz: 2\n"));
  } else {
    EXPECT_EQ(c.text(), before);
  }
  StaticPassword q;
  q.email = "b@x.io";
  q.hash = "h";
  if (c.upsert_static_password(q)) {
    EXPECT_EQ(must_parse(c.text()).static_passwords(), c.static_passwords());
  }
}

// Found by fuzz_dex_config: `x: .nan` in an entry made it unequal to itself, so the full re-scan
// (here forced by a block scalar) refused every edit.
TEST(DexConfigReplace, NanInAnotherEntryDoesNotBlockEdits) {
  auto c = must_parse(
      "staticPasswords:\n- email: a@x.io\n  hash: h\n  score: .nan\n  note: |\n    text\n"
      "- email: b@x.io\n  hash: h\n");
  StaticPassword b = c.static_passwords()[1];
  b.hash = "h2";
  ASSERT_TRUE(c.replace_static_password_at(1, b));
  EXPECT_THAT(c.text(), HasSubstr("- email: b@x.io\n  hash: h2\n"));
  StaticPassword a = c.static_passwords()[0];
  a.hash = "h3";
  ASSERT_TRUE(c.replace_static_password_at(0, a));
  EXPECT_THAT(c.text(), HasSubstr("  hash: h3\n  score: .nan\n  note: |\n    text\n"));
}

TEST(DexConfigPasswordDb, ReadAsDexReadsIt) {
  EXPECT_TRUE(must_parse("enablePasswordDB: true\n").password_db_enabled());
  EXPECT_TRUE(must_parse("enablePasswordDB: yes\n").password_db_enabled());  // go-yaml v2: true
  EXPECT_FALSE(must_parse("enablePasswordDB: \"true\"\n").password_db_enabled());  // a string
  EXPECT_FALSE(must_parse("enablePasswordDB: off\n").password_db_enabled());
  EXPECT_FALSE(must_parse("a: 1\n").password_db_enabled());
}

// ---- Property: a replace leaves every byte outside the entry unchanged -----------------------

struct EntryShape {
  int email_style = 0;  // plain, single-quoted, double-quoted
  bool trailing_comment = false;
  bool inner_comment = false;
  bool blank_line = false;
  bool hash_from_env = false;  // hashFromEnv instead of hash
  bool has_username = false;
  bool numeric_user_id = false;  // unquoted digits (a number to Dex)
  bool groups = false;
};

std::string styled(const std::string& s, int style) {
  return style == 0 ? s : style == 1 ? "'" + s + "'" : "\"" + s + "\"";
}

std::string entry_text(int i, const EntryShape& e, int dash_column) {
  const std::string pad(static_cast<size_t>(dash_column), ' ');
  const std::string key = pad + "  ";
  std::string out = pad + "- email: " + styled("u" + std::to_string(i) + "@x.io", e.email_style);
  out += e.trailing_comment ? "  # user " + std::to_string(i) + "\n" : "\n";
  if (e.inner_comment) out += key + "# note " + std::to_string(i) + "\n";
  out += e.hash_from_env ? key + "hashFromEnv: PW_" + std::to_string(i) + "\n"
                         : key + "hash: '" + std::string(kOld) + "'\n";
  if (e.blank_line) out += "\n";
  if (e.has_username) out += key + "username: user" + std::to_string(i) + "  # login\n";
  out += key + "userID: " +
         (e.numeric_user_id ? std::to_string(1000 + i) : "\"id-" + std::to_string(i) + "\"") + "\n";
  if (e.groups) out += key + "groups: [g" + std::to_string(i) + "]\n";
  return out;
}

rc::Gen<EntryShape> any_shape() {
  return rc::gen::build<EntryShape>(
      rc::gen::set(&EntryShape::email_style, rc::gen::inRange(0, 3)),
      rc::gen::set(&EntryShape::trailing_comment), rc::gen::set(&EntryShape::inner_comment),
      rc::gen::set(&EntryShape::blank_line), rc::gen::set(&EntryShape::hash_from_env),
      rc::gen::set(&EntryShape::has_username), rc::gen::set(&EntryShape::numeric_user_id),
      rc::gen::set(&EntryShape::groups));
}

RC_GTEST_PROP(DexConfigReplaceProperty, OnlyTheEntryChanges, ()) {
  const auto shapes = *rc::gen::resize(
      6, rc::gen::nonEmpty(rc::gen::container<std::vector<EntryShape>>(any_shape())));
  const int dash_column = *rc::gen::element(0, 2);
  const bool crlf = *rc::gen::arbitrary<bool>();
  std::string text = "issuer: x  # keep\nenablePasswordDB: true\nstaticPasswords:\n";
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (i % 2 == 1) text += "# between " + std::to_string(i) + "\n";
    text += entry_text(static_cast<int>(i), shapes[i], dash_column);
  }
  text += "# after\nstaticClients:\n- id: x  # keep\n";
  if (crlf) {
    std::string with_cr;
    for (char ch : text) {
      if (ch == '\n') with_cr += '\r';
      with_cr += ch;
    }
    text = with_cr;
  }
  auto c = DexConfig::parse(text, "config.yaml");
  RC_ASSERT(c.has_value());
  const size_t index = *rc::gen::inRange<size_t>(0, shapes.size());
  const auto before = c->static_passwords();
  StaticPassword p = before[index];
  // Some change: a new hash (or a hash instead of hashFromEnv), a new or no username, a new
  // userID, groups added or removed, an email in another case.
  const int change = *rc::gen::inRange(0, 6);
  if (change == 0) {
    p.hash = kNew;
    p.hash_from_env.clear();
  } else if (change == 1) {
    p.username = *rc::gen::element<std::string>("", "new name", "yes", "0x1F", "a: b", "#x");
  } else if (change == 2) {
    p.user_id = *rc::gen::element<std::string>("77", "id-new", "1e3", "");
  } else if (change == 3) {
    if (p.extra.contains("groups")) {
      p.extra.erase("groups");
    } else {
      p.extra["groups"] = {"admins", "1"};
    }
  } else if (change == 4) {
    p.email[0] = 'U';
  } else {
    p.hash = kNew;
    p.username = "changed";
    p.user_id = "2024-01-01";
  }
  const auto span = detail::layout_of(*c).entries[index];
  const std::string prefix = text.substr(0, span.begin);
  const std::string suffix = text.substr(span.end);
  const bool same = before[index] == p;
  RC_ASSERT(c->replace_static_password_at(index, p).has_value());
  const std::string& after = c->text();
  RC_ASSERT(after.size() >= prefix.size() + suffix.size());
  RC_ASSERT(after.substr(0, prefix.size()) == prefix);
  RC_ASSERT(after.substr(after.size() - suffix.size()) == suffix);
  if (same) RC_ASSERT(after == text);
  // The entry's comments are still there.
  const std::string middle =
      after.substr(prefix.size(), after.size() - prefix.size() - suffix.size());
  if (shapes[index].inner_comment) RC_ASSERT(middle.find("# note ") != std::string::npos);
  if (shapes[index].trailing_comment) RC_ASSERT(middle.find("# user ") != std::string::npos);
  // A fresh parse agrees with the edited object, and every other entry is what it was.
  auto fresh = DexConfig::parse(after, "config.yaml");
  RC_ASSERT(fresh.has_value());
  RC_ASSERT(fresh->static_passwords() == c->static_passwords());
  for (size_t i = 0; i < before.size(); ++i) {
    if (i != index) RC_ASSERT(fresh->static_passwords()[i] == before[i]);
  }
  RC_ASSERT(fresh->static_passwords()[index].email == p.email);
  RC_ASSERT(fresh->static_passwords()[index].hash == p.hash);
  RC_ASSERT(fresh->static_passwords()[index].username == p.username);
  RC_ASSERT(fresh->static_passwords()[index].user_id == p.user_id);
  // Every changed value reads back as a string to Dex too.
  for (const auto& problem : check_dex_config(*fresh)) {
    if (problem.entry == index && problem.severity == ConfigProblem::Severity::kFatal) {
      RC_ASSERT(shapes[index].numeric_user_id && p.user_id == before[index].user_id);
    }
  }
}

}  // namespace
}  // namespace kftenant::dex
