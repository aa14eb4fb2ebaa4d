// DexConfig: in-place edits of staticPasswords keep every other byte of config.yaml.
#include "kftenant/dex/static_passwords.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "kftenant/yaml.h"
#include "testserver/seed_kubeflow.h"

namespace kftenant::dex {
namespace {

using ::testing::HasSubstr;

DexConfig must_parse(std::string text) {
  auto c = DexConfig::parse(std::move(text), "config.yaml");
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message);
  return c ? std::move(*c) : DexConfig{};
}

StaticPassword alice() {
  StaticPassword p;
  p.email = "alice@example.com";
  p.hash = "$2y$12$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72";
  p.username = "alice";
  p.user_id = "0001";
  return p;
}

// The text before `marker` and after the end of the block (up to `after`) must be unchanged.
void expect_outside_unchanged(const std::string& before, const std::string& after,
                              std::string_view block_start, std::string_view next_key) {
  const size_t b0 = before.find(block_start), a0 = after.find(block_start);
  ASSERT_NE(b0, std::string::npos);
  EXPECT_EQ(before.substr(0, b0), after.substr(0, a0));
  const size_t b1 = before.find(next_key), a1 = after.find(next_key);
  ASSERT_NE(b1, std::string::npos);
  ASSERT_NE(a1, std::string::npos);
  EXPECT_EQ(before.substr(b1), after.substr(a1));
}

TEST(DexConfig, ReadsKubeflowConfig) {
  auto c = must_parse(std::string(testserver::kubeflow_dex_config_yaml()));
  EXPECT_TRUE(c.password_db_enabled());
  ASSERT_EQ(c.static_passwords().size(), 1u);
  const auto& p = c.static_passwords()[0];
  EXPECT_EQ(p.email, "user@example.com");
  EXPECT_EQ(p.hash_from_env, "DEX_USER_PASSWORD");
  EXPECT_EQ(p.user_id, "15841185641784");
  EXPECT_EQ(c.find("USER@Example.com"), 0u);
  EXPECT_EQ(c.find("nobody@example.com"), std::nullopt);
}

TEST(DexConfig, UpsertIntoKubeflowConfigChangesOnlyTheBlock) {
  const std::string before(testserver::kubeflow_dex_config_yaml());
  auto c = must_parse(before);
  ASSERT_TRUE(c.upsert_static_password(alice()));
  const std::string& after = c.text();
  expect_outside_unchanged(before, after, "staticPasswords:", "staticClients:");
  const std::string old_entry =
      "- email: user@example.com\n  hashFromEnv: DEX_USER_PASSWORD\n  username: user\n"
      "  userID: \"15841185641784\"\n";
  EXPECT_THAT(after, HasSubstr(old_entry + "- email: \"alice@example.com\"\n  hash: \"$2y$12$"));
  EXPECT_THAT(after, HasSubstr("  userID: \"0001\"\nstaticClients:\n"));
  ASSERT_EQ(c.static_passwords().size(), 2u);
  EXPECT_EQ(c.static_passwords()[1], alice());
  auto again = must_parse(after);
  EXPECT_EQ(again.static_passwords(), c.static_passwords());
}

TEST(DexConfig, ReplaceKeepsOtherEntriesBytes) {
  const std::string before(testserver::kubeflow_dex_config_yaml());
  auto c = must_parse(before);
  ASSERT_TRUE(c.upsert_static_password(alice()));
  StaticPassword changed = alice();
  changed.email = "ALICE@example.com";  // same user, other case
  changed.hash = "$2y$12$xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
  ASSERT_TRUE(c.upsert_static_password(changed));
  ASSERT_EQ(c.static_passwords().size(), 2u);
  EXPECT_EQ(c.static_passwords()[1], changed);
  EXPECT_THAT(c.text(), HasSubstr("  userID: \"15841185641784\"\n- email: \"ALICE@example.com\""));
  expect_outside_unchanged(before, c.text(), "staticPasswords:", "staticClients:");
}

TEST(DexConfig, RemoveEntriesAndLastEntry) {
  const std::string before(testserver::kubeflow_dex_config_yaml());
  auto c = must_parse(before);
  ASSERT_TRUE(c.upsert_static_password(alice()));
  ASSERT_TRUE(c.remove_static_password("Alice@Example.com"));
  EXPECT_EQ(c.text(), before);
  ASSERT_TRUE(c.remove_static_password("user@example.com"));
  EXPECT_TRUE(c.static_passwords().empty());
  EXPECT_THAT(c.text(), HasSubstr("enablePasswordDB: true\nstaticPasswords:\nstaticClients:\n"));
  auto r = c.remove_static_password("user@example.com");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(c.upsert_static_password(alice()));  // into the now-null value
  EXPECT_EQ(c.static_passwords().size(), 1u);
  expect_outside_unchanged(before, c.text(), "staticPasswords:", "staticClients:");
}

TEST(DexConfig, AbsentBlockIsAppended) {
  const std::string before = "issuer: x\n# trailing comment\nenablePasswordDB: true\n";
  auto c = must_parse(before);
  ASSERT_TRUE(c.upsert_static_password(alice()));
  EXPECT_EQ(c.text().substr(0, before.size()), before);
  EXPECT_THAT(c.text(), HasSubstr("staticPasswords:\n- email: \"alice@example.com\"\n"));
  auto no_newline = must_parse("issuer: x");
  ASSERT_TRUE(no_newline.upsert_static_password(alice()));
  EXPECT_THAT(no_newline.text(), HasSubstr("issuer: x\nstaticPasswords:\n- email:"));
  auto empty = must_parse("");
  ASSERT_TRUE(empty.upsert_static_password(alice()));
  EXPECT_EQ(empty.static_passwords().size(), 1u);
}

TEST(DexConfig, EmptyAndNullValuesAreReplaced) {
  for (std::string v : {"[]", "~", "null", ""}) {
    const std::string before = "a: 1\nstaticPasswords: " + v + " # none\nb: 2\n";
    auto c = must_parse(before);
    ASSERT_TRUE(c.upsert_static_password(alice())) << v;
    EXPECT_THAT(c.text(), HasSubstr("\nb: 2\n"));
    EXPECT_EQ(c.text().substr(0, 5), "a: 1\n");
    ASSERT_EQ(c.static_passwords().size(), 1u) << v;
  }
}

TEST(DexConfig, CommentsInsideAndAfterTheBlockStay) {
  const std::string before =
      "staticPasswords:\n  # first user\n  - email: a@x.io  # primary\n    hash: h\n"
      "  # between\n  - email: b@x.io\n    hash: h2\n# after the block\nother: [1, 2]\n";
  auto c = must_parse(before);
  ASSERT_TRUE(c.upsert_static_password(alice()));
  EXPECT_THAT(c.text(), HasSubstr("  # first user\n  - email: a@x.io  # primary\n    hash: h\n"
                                  "  # between\n  - email: b@x.io\n    hash: h2\n"
                                  "  - email: \"alice@example.com\"\n    hash: "));
  EXPECT_THAT(c.text(), HasSubstr("# after the block\nother: [1, 2]\n"));
  ASSERT_TRUE(c.remove_static_password("a@x.io"));
  EXPECT_THAT(c.text(), HasSubstr("  # first user\n  # between\n  - email: b@x.io\n"));
}

TEST(DexConfig, CrlfIsPreserved) {
  const std::string before =
      "issuer: x\r\nstaticPasswords:\r\n- email: a@x.io\r\n  hash: h\r\nz: 1\r\n";
  auto c = must_parse(before);
  ASSERT_TRUE(c.upsert_static_password(alice()));
  EXPECT_THAT(c.text(), HasSubstr("  hash: h\r\n- email: \"alice@example.com\"\r\n"));
  for (size_t i = 0; i < c.text().size(); ++i) {
    if (c.text()[i] == '\n') {
      EXPECT_EQ(c.text()[i - 1], '\r') << i;
    }
  }
}

TEST(DexConfig, FlowSequence) {
  const std::string before =
      "a: 1\nstaticPasswords: [{email: a@x.io, hash: h}, {email: b@x.io, hash: h}]\nb: 2\n";
  auto c = must_parse(before);
  ASSERT_TRUE(c.upsert_static_password(alice()));
  EXPECT_THAT(c.text(), HasSubstr("[{email: a@x.io, hash: h}, {email: b@x.io, hash: h}, "
                                  "{email: \"alice@example.com\", "));
  ASSERT_TRUE(c.remove_static_password("a@x.io"));
  ASSERT_TRUE(c.remove_static_password("alice@example.com"));
  EXPECT_EQ(c.text(), "a: 1\nstaticPasswords: [{email: b@x.io, hash: h}]\nb: 2\n");
  ASSERT_TRUE(c.remove_static_password("b@x.io"));
  EXPECT_EQ(c.text(), "a: 1\nstaticPasswords: []\nb: 2\n");
}

TEST(DexConfig, CaseInsensitiveDuplicateIsReplacedNotAdded) {
  auto c = must_parse("staticPasswords:\n- email: Bob@X.io\n  hash: h\n");
  StaticPassword p;
  p.email = "bob@x.io";
  p.hash = "h2";
  ASSERT_TRUE(c.upsert_static_password(p));
  ASSERT_EQ(c.static_passwords().size(), 1u);
  EXPECT_EQ(c.static_passwords()[0].hash, "h2");
}

TEST(DexConfig, BadDocuments) {
  auto bad = DexConfig::parse("a: [\n", "cm/dex config.yaml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kParse);
  EXPECT_THAT(bad.error().message, HasSubstr("cm/dex config.yaml"));
  for (const char* doc :
       {"- a\n- b\n", "staticPasswords: 3\n", "staticPasswords:\n- just-a-string\n"}) {
    auto r = DexConfig::parse(doc, "config.yaml");
    ASSERT_FALSE(r) << doc;
    EXPECT_EQ(r.error().code, ErrorCode::kStoredData) << doc;
  }
  auto c = must_parse("a: 1\n");
  StaticPassword p;
  p.email = std::string("bad\xff", 4);
  auto r = c.upsert_static_password(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.text(), "a: 1\n");
}

TEST(DexConfig, HostileValuesStayData) {
  auto c = must_parse(std::string(testserver::kubeflow_dex_config_yaml()));
  StaticPassword p;
  p.email = "a\"\nhash: x";
  p.username = "x: y # z\n- email: evil";
  p.user_id = std::string("\0\x01\x7f\xc2\x85\xe2\x80\xa8 é 😀 '", 17);
  p.extra["groups"] = {"a: b", "]["};
  ASSERT_TRUE(c.upsert_static_password(p));
  ASSERT_EQ(c.static_passwords().size(), 2u);
  EXPECT_EQ(c.static_passwords()[1], p);
}

TEST(DexConfig, AnchorsAndAliasesAreVerifiedByAFullParse) {
  const std::string before =
      "defaults: &h \"$2y$12$x\"\nstaticPasswords:\n- email: a@x.io\n  hash: *h\nother: *h\n";
  auto c = must_parse(before);
  ASSERT_EQ(c.static_passwords().size(), 1u);
  EXPECT_EQ(c.static_passwords()[0].hash, "$2y$12$x");
  ASSERT_TRUE(c.upsert_static_password(alice()));
  ASSERT_TRUE(c.remove_static_password("a@x.io"));
  EXPECT_THAT(c.text(), HasSubstr("other: *h\n"));
  ASSERT_EQ(c.static_passwords().size(), 1u);
  // Removing the entry that defines an anchor used elsewhere would break the document.
  auto d = must_parse("staticPasswords:\n- email: a@x.io\n  hash: &h x\nother: *h\n");
  auto r = d.remove_static_password("a@x.io");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_EQ(d.static_passwords().size(), 1u);
}

TEST(DexConfig, FollowsTheExistingIndentation) {
  auto c = must_parse("staticPasswords:\n    -   email: a@x.io\n        hash: h\nx: 1\n");
  ASSERT_TRUE(c.upsert_static_password(alice()));
  EXPECT_THAT(c.text(), HasSubstr("        hash: h\n    -   email: \"alice@example.com\"\n"
                                  "        hash: \""));
  auto dash_alone = must_parse("staticPasswords:\n-\n  email: a@x.io\n  hash: h\n");
  ASSERT_TRUE(dash_alone.upsert_static_password(alice()));
  ASSERT_TRUE(dash_alone.remove_static_password("a@x.io"));
  EXPECT_EQ(dash_alone.text().substr(0, 19), "staticPasswords:\n- ");
}

TEST(DexConfig, ExtraFieldsAreReadAndWritten) {
  auto c = must_parse(
      "enablePasswordDB: false\nstaticPasswords:\n- email: a@x.io\n  hash: h\n"
      "  groups: [admins, \"x y\"]\n  emailVerified: false\n");
  EXPECT_FALSE(c.password_db_enabled());
  const StaticPassword p = c.static_passwords()[0];  // a copy: edits replace the list
  EXPECT_EQ(p.extra["groups"], nlohmann::json({"admins", "x y"}));
  EXPECT_EQ(p.extra["emailVerified"], false);
  StaticPassword q = alice();
  q.extra["groups"] = {"team-a"};
  q.extra["name"] = "Alice A.";
  ASSERT_TRUE(c.upsert_static_password(q));
  EXPECT_EQ(c.static_passwords()[1], q);
  EXPECT_EQ(c.static_passwords()[0], p);
  StaticPassword bad = alice();
  bad.extra["email"] = "x";
  EXPECT_FALSE(c.upsert_static_password(bad));
}

TEST(DexConfig, BlockScalarsDocumentMarkersAndBom) {
  auto c = must_parse(
      "staticPasswords:\n  - email: a\n    hash: |\n      x\n\n  - email: b\n    hash: >-\n"
      "      h\n  # c\nz: 1\n");
  ASSERT_TRUE(c.remove_static_password("a"));
  EXPECT_EQ(c.text(), "staticPasswords:\n  - email: b\n    hash: >-\n      h\n  # c\nz: 1\n");
  auto markers = must_parse("---\nk: 1\n...\n");
  ASSERT_TRUE(markers.upsert_static_password(alice()));
  EXPECT_THAT(markers.text(), ::testing::StartsWith("---\nk: 1\nstaticPasswords:\n- "));
  EXPECT_EQ(markers.text().substr(markers.text().size() - 4), "...\n");
  auto bom = must_parse(
      "\xEF\xBB\xBFk: \"\xC3\xA9\"\nstaticPasswords: [{email: a, hash: \xC3\xA9}]\nz: 1");
  ASSERT_TRUE(bom.upsert_static_password(alice()));
  EXPECT_THAT(bom.text(), ::testing::StartsWith("\xEF\xBB\xBFk: \"\xC3\xA9\"\nstaticPasswords: "
                                                "[{email: a, hash: \xC3\xA9}, {email: "));
  EXPECT_EQ(bom.static_passwords()[0].hash, "\xC3\xA9");
}

std::string utf8(const std::vector<uint32_t>& cps) {
  std::string s;
  for (uint32_t cp : cps) {
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    cp %= 0x110000;
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return s;
}

rc::Gen<std::string> any_utf8() {
  return rc::gen::map(
      rc::gen::container<std::vector<uint32_t>>(
          rc::gen::oneOf(rc::gen::inRange<uint32_t>(0, 0x80), rc::gen::inRange<uint32_t>(0, 0x3000),
                         rc::gen::inRange<uint32_t>(0, 0x110000))),
      utf8);
}

RC_GTEST_PROP(DexConfigProperty, AnyStringsRoundTrip, ()) {
  const std::string before(testserver::kubeflow_dex_config_yaml());
  auto c = DexConfig::parse(before, "config.yaml");
  RC_ASSERT(c.has_value());
  StaticPassword p;
  p.email = *rc::gen::nonEmpty(any_utf8());
  p.username = *any_utf8();
  p.user_id = *any_utf8();
  p.hash = "h";
  const bool same_as_default = c->find(p.email).has_value();
  RC_ASSERT(c->upsert_static_password(p).has_value());
  auto again = DexConfig::parse(c->text(), "config.yaml");
  RC_ASSERT(again.has_value());
  RC_ASSERT(again->static_passwords().size() == (same_as_default ? 1u : 2u));
  RC_ASSERT(again->static_passwords().back() == p);
  const size_t tail = before.find("staticClients:");
  RC_ASSERT(c->text().substr(c->text().size() - (before.size() - tail)) == before.substr(tail));
  RC_ASSERT(c->text().substr(0, before.find("staticPasswords:")) ==
            before.substr(0, before.find("staticPasswords:")));
}

TEST(DexConfig, FiveThousandEntries) {
  std::string text = "issuer: x\nenablePasswordDB: true\nstaticPasswords:\n";
  for (int i = 0; i < 5000; ++i) {
    text += "- email: user" + std::to_string(i) + "@example.com\n  hash: \"$2y$12$" +
            std::string(53, 'a') + "\"\n  username: user" + std::to_string(i) + "\n  userID: \"" +
            std::to_string(i) + "\"\n";
  }
  text += "staticClients:\n- id: x\n";
  auto c = must_parse(text);
  ASSERT_EQ(c.static_passwords().size(), 5000u);
  ASSERT_TRUE(c.upsert_static_password(alice()));
  ASSERT_EQ(c.static_passwords().size(), 5001u);
  EXPECT_EQ(c.text().substr(0, text.size() - 23), text.substr(0, text.size() - 23));
  EXPECT_EQ(c.static_passwords().back(), alice());
  ASSERT_TRUE(c.remove_static_password("user2500@example.com"));
  EXPECT_EQ(c.static_passwords().size(), 5000u);
  EXPECT_EQ(c.find("user2500@example.com"), std::nullopt);
}

}  // namespace
}  // namespace kftenant::dex
