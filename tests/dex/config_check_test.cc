// check_dex_config: each of Dex's rules with a config that triggers it and one that does not.
#include "kftenant/dex/config_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "kftenant/dex/static_passwords.h"
#include "testserver/seed_kubeflow.h"
#include "yaml/scalar.h"

namespace kftenant::dex {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Severity = ConfigProblem::Severity;

// Raw bcrypt (cost 12), the same as base64, and cost 8 as base64.
constexpr const char* kHash = "$2y$12$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72";
constexpr const char* kHashB64 =
    "JDJ5JDEyJDRLL1ZrbURkMXExT3JiM3hBdDgyenU4Z2s3QWQ2UmVGUjRMQ1A5VWVZRTkwTkxpTjlEZjcy";
constexpr const char* kCost8B64 =
    "JDJ5JDA4JDRLL1ZrbURkMXExT3JiM3hBdDgyenU4Z2s3QWQ2UmVGUjRMQ1A5VWVZRTkwTkxpTjlEZjcy";

std::string hash_with_cost(const char* cost) {
  std::string h = kHash;
  h.replace(4, 2, cost);
  return h;
}

// Lines 1..7 are the top level; entries start at line 8.
std::string with_entries(const std::string& entries, const std::string& top = "") {
  return "issuer: http://dex.auth.svc.cluster.local:5556/dex\nstorage:\n  type: memory\nweb:\n"
         "  http: 0.0.0.0:5556\nenablePasswordDB: true\nstaticPasswords:\n" +
         entries + top;
}

// An entry of 3 lines (email, hash, userID = the email) then `more`.
std::string entry(const std::string& email, const std::string& more = "") {
  return "- email: " + email + "\n  hash: \"" + kHash + "\"\n  userID: \"" + email + "\"\n" + more;
}

// An entry of 2 lines (email, hash) then `more`.
std::string bare(const std::string& email, const std::string& more = "") {
  return "- email: " + email + "\n  hash: \"" + kHash + "\"\n" + more;
}

std::vector<ConfigProblem> check(const std::string& text) {
  auto c = DexConfig::parse(text, "config.yaml");
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message);
  if (!c) return {};
  auto problems = check_dex_config(*c);
  for (const auto& p : problems) {
    // No message ever shows a hash, whatever the rule.
    EXPECT_THAT(p.message, Not(HasSubstr(kHash))) << p.message;
    EXPECT_THAT(p.message, Not(HasSubstr(kHashB64))) << p.message;
    EXPECT_THAT(p.message, Not(HasSubstr("4K/VkmDd1q1Orb3xAt82zu8gk7"))) << p.message;
    EXPECT_EQ(p.message.find('\n'), std::string::npos) << p.message;
  }
  return problems;
}

std::string all(const std::vector<ConfigProblem>& problems) {
  std::string out;
  for (const auto& p : problems) out += describe(p, "config.yaml") + "\n";
  return out;
}

// The one problem of `text`, of severity `s`.
ConfigProblem only(const std::string& text, Severity s) {
  auto problems = check(text);
  EXPECT_EQ(problems.size(), 1u) << all(problems);
  if (problems.empty()) return {};
  EXPECT_EQ(problems[0].severity, s) << all(problems);
  return problems[0];
}

void expect_clean(const std::string& text) {
  auto problems = check(text);
  EXPECT_TRUE(problems.empty()) << text << "\n" << all(problems);
}

// gopkg.in/yaml.v2 v2.4.0 resolve.go, as Dex reads plain scalars (and what the editor must quote).
TEST(GoYamlV2, PlainScalarResolution) {
  using yaml::detail::GoYamlType;
  using yaml::detail::resolve_plain_go_yaml_v2;
  const std::pair<const char*, GoYamlType> cases[] = {
      {"", GoYamlType::kNull},
      {"~", GoYamlType::kNull},
      {"Null", GoYamlType::kNull},
      {"nUll", GoYamlType::kString},
      {"y", GoYamlType::kBool},
      {"Yes", GoYamlType::kBool},
      {"ON", GoYamlType::kBool},
      {"off", GoYamlType::kBool},
      {"yES", GoYamlType::kString},
      {"12", GoYamlType::kInt},
      {"+12", GoYamlType::kInt},
      {"-12", GoYamlType::kInt},
      {"0012", GoYamlType::kInt},  // octal 10
      {"0018", GoYamlType::kFloat},
      {"0x1F", GoYamlType::kInt},
      {"0X1F", GoYamlType::kInt},
      {"0o17", GoYamlType::kInt},
      {"0b101", GoYamlType::kInt},
      {"-0b101", GoYamlType::kInt},
      {"1_000", GoYamlType::kInt},
      {"1__0", GoYamlType::kInt},
      {"9223372036854775808", GoYamlType::kInt},  // uint64
      {"18446744073709551616", GoYamlType::kFloat},
      {"15841185641784", GoYamlType::kInt},
      {"1e400", GoYamlType::kString},  // ParseFloat overflows: a string
      {"1e-400", GoYamlType::kFloat},
      {"1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
       "000000000000000000000000000000000000000000000000000000000000000",
       GoYamlType::kString},
      {".5", GoYamlType::kFloat},
      {"+.5", GoYamlType::kFloat},
      {".5_0", GoYamlType::kFloat},
      {"._5", GoYamlType::kString},
      {"1.", GoYamlType::kFloat},
      {"1.5e3", GoYamlType::kFloat},
      {".inf", GoYamlType::kFloat},
      {"-.Inf", GoYamlType::kFloat},
      {".NaN", GoYamlType::kFloat},
      {"2024-01-01", GoYamlType::kString},
      {"12abc", GoYamlType::kString},
      {"0x", GoYamlType::kString},
      {"0b", GoYamlType::kString},
      {"0x1p3", GoYamlType::kString},
      {"1:20", GoYamlType::kString},
      {"-", GoYamlType::kString},
      {"_1", GoYamlType::kString},
      {"08a8684b-db88-4b73-90a9-3cd1661f5466", GoYamlType::kString},
      {"user@example.com", GoYamlType::kString},
  };
  for (const auto& [text, type] : cases) {
    EXPECT_EQ(resolve_plain_go_yaml_v2(text).type, type) << text;
  }
  EXPECT_TRUE(resolve_plain_go_yaml_v2("on").boolean);
  EXPECT_FALSE(resolve_plain_go_yaml_v2("No").boolean);
  // The editor writes plain only what every reader, go-yaml included, reads as the string.
  for (const char* s : {"0b101", "1_000", "0X1F", "0o17", "yes", "0018", "+.5"}) {
    EXPECT_FALSE(yaml::detail::plain_safe(s)) << s;
  }
  for (const char* s : {"user", "it's", "1e400x", "user@example.com", "2.0.0-rc1"}) {
    EXPECT_TRUE(yaml::detail::plain_safe(s)) << s;
  }
}

TEST(DexConfigCheck, KubeflowConfigIsClean) {
  expect_clean(std::string(testserver::kubeflow_dex_config_yaml()));
  expect_clean(with_entries(entry("a@x.io") + entry("b@x.io", "  username: b\n  userID: \"2\"\n")));
}

TEST(DexConfigCheck, NoHash) {
  const auto p =
      only(with_entries(entry("a@x.io") + "- email: b@x.io\n  username: b\n"), Severity::kFatal);
  EXPECT_EQ(p.entry, 1u);
  EXPECT_EQ(p.line, 11u);
  EXPECT_EQ(p.email, "b@x.io");
  EXPECT_THAT(p.message, HasSubstr("no password hash provided"));
  EXPECT_THAT(p.message, HasSubstr("b@x.io"));
  // hashFromEnv alone is the Deployment's business; `hash: ~` is no hash.
  expect_clean(with_entries("- email: b@x.io\n  hashFromEnv: DEX_USER_PASSWORD\n"));
  EXPECT_THAT(only(with_entries("- email: b@x.io\n  hash: ~\n"), Severity::kFatal).message,
              HasSubstr("no password hash provided"));
}

TEST(DexConfigCheck, MalformedHash) {
  for (const std::string& bad : std::vector<std::string>{
           "not-a-hash", std::string(kHash).substr(0, 58), "$3a$12$" + std::string(kHash).substr(7),
           hash_with_cost("03"), hash_with_cost("32"), " " + std::string(kHashB64)}) {
    const auto p =
        only(with_entries("- email: a@x.io\n  hash: \"" + bad + "\"\n"), Severity::kFatal);
    EXPECT_EQ(p.line, 9u) << bad;
    EXPECT_THAT(p.message, HasSubstr("malformed bcrypt hash")) << bad;
    EXPECT_THAT(p.message, Not(HasSubstr(bad))) << bad;
  }
  // Raw bcrypt, base64 of it (the backwards-compatible form), and what Go's bcrypt.Cost also
  // accepts: another minor letter, none, a major below 2.
  expect_clean(with_entries(entry("a@x.io")));
  expect_clean(with_entries(std::string("- email: a@x.io\n  hash: ") + kHashB64 + "\n"));
  expect_clean(
      with_entries("- email: a@x.io\n  hash: '$2a$12$" + std::string(kHash).substr(7) + "'\n"));
  expect_clean(
      with_entries("- email: a@x.io\n  hash: '$2$12$" + std::string(kHash).substr(7) + "'\n"));
}

TEST(DexConfigCheck, CostOutsideTenToSixteenIsUnusable) {
  for (const char* cost : {"04", "09", "17", "31"}) {
    const auto p = only(
        with_entries(entry("a@x.io") + "- email: b@x.io\n  hash: '" + hash_with_cost(cost) + "'\n"),
        Severity::kUnusable);
    EXPECT_EQ(p.entry, 1u);
    EXPECT_EQ(p.line, 12u);
    EXPECT_THAT(p.message, HasSubstr(std::string("cost ") + (cost[0] == '0' ? cost + 1 : cost)));
    EXPECT_THAT(p.message, HasSubstr("Login error"));
  }
  for (const char* cost : {"10", "12", "16"}) {
    expect_clean(with_entries("- email: b@x.io\n  hash: '" + hash_with_cost(cost) + "'\n"));
  }
  const auto b64 = only(with_entries(std::string("- email: a@x.io\n  hash: ") + kCost8B64 + "\n"),
                        Severity::kUnusable);
  EXPECT_THAT(b64.message, HasSubstr("cost 8 (of the base64-decoded hash)"));
}

TEST(DexConfigCheck, HashThatCanNeverMatch) {
  // bcrypt.Cost accepts it (>= 59 bytes) but CompareHashAndPassword never matches.
  const auto p = only(with_entries("- email: a@x.io\n  hash: '" + std::string(kHash) + "x'\n"),
                      Severity::kUnusable);
  EXPECT_THAT(p.message, HasSubstr("no password can match"));
  std::string bad_salt = kHash;
  bad_salt[10] = '!';
  EXPECT_EQ(
      only(with_entries("- email: a@x.io\n  hash: '" + bad_salt + "'\n"), Severity::kUnusable).line,
      9u);
}

TEST(DexConfigCheck, StaticPasswordsNeedThePasswordDb) {
  const std::string body = "issuer: x\nstorage: {type: memory}\nweb: {http: ':5556'}\n";
  const auto p = only(body + "staticPasswords:\n" + entry("a@x.io"), Severity::kFatal);
  EXPECT_EQ(p.line, 4u);
  EXPECT_EQ(p.entry, std::nullopt);
  EXPECT_THAT(p.message, HasSubstr("cannot specify static passwords without enabling password db"));
  EXPECT_THAT(
      only(body + "enablePasswordDB: false\nstaticPasswords:\n" + entry("a@x.io"), Severity::kFatal)
          .line,
      4u);
  // A quoted "true" is a string: Dex cannot read it into its bool at all.
  auto quoted = check(body + "enablePasswordDB: \"true\"\nstaticPasswords:\n" + entry("a@x.io"));
  ASSERT_EQ(quoted.size(), 2u) << all(quoted);
  EXPECT_THAT(quoted[0].message, HasSubstr("enablePasswordDB is a string"));
  // yaml.v2 reads `yes` as true; an empty list needs no password db.
  expect_clean(body + "enablePasswordDB: yes\nstaticPasswords:\n" + entry("a@x.io"));
  expect_clean(body + "staticPasswords: []\n");
}

TEST(DexConfigCheck, FieldsThatAreNotStringsToDex) {
  struct Case {
    std::string field;
    std::string value;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{{"userID", "15841185641784", "is a number"},
                                         {"userID", "0012", "is a number"},
                                         {"userID", "1_000", "is a number"},
                                         {"userID", "0x1F", "is a number"},
                                         {"userID", "1.5e3", "is a number"},
                                         {"username", "yes", "is a boolean"},
                                         {"username", "off", "is a boolean"},
                                         {"name", "true", "is a boolean"},
                                         {"preferredUsername", "[a]", "is a list"},
                                         {"username", "{a: b}", "is a mapping"}}) {
    const auto p = only(with_entries(bare("a@x.io", "  " + c.field + ": " + c.value + "\n")),
                        Severity::kFatal);
    EXPECT_EQ(p.line, 10u) << c.field << ": " << c.value;
    EXPECT_EQ(p.entry, 0u);
    EXPECT_THAT(p.message, HasSubstr(c.field + " " + c.says)) << p.message;
    EXPECT_THAT(p.message, HasSubstr("exits at startup"));
  }
  EXPECT_THAT(
      only(with_entries(bare("a@x.io", "  userID: 15841185641784\n")), Severity::kFatal).message,
      HasSubstr("quote it: userID: \"15841185641784\""));
  const auto email =
      only(with_entries("- email: 12\n  hash: '" + std::string(kHash) + "'\n"), Severity::kFatal);
  EXPECT_THAT(email.message, HasSubstr("email is a number"));
  // A hash that is a number: named, never shown.
  const auto hash = only(with_entries("- email: a@x.io\n  hash: 123456789\n"), Severity::kFatal);
  EXPECT_THAT(hash.message, HasSubstr("hash is a number to Dex (unquoted)"));
  EXPECT_THAT(hash.message, Not(HasSubstr("123456789")));
  // Strings to yaml.v2, whatever they look like; null is "absent".
  for (const std::string v :
       {"\"15841185641784\"", "'0012'", "08a8684b-db88-4b73-90a9-3cd1661f5466", "2024-01-01",
        "1e400", "0018x", "~", "", "!!str 12", "12abc"}) {
    expect_clean(with_entries(bare("a@x.io", "  userID: " + v + "\n")));
  }
  // emailVerified is a *bool, groups a []string.
  EXPECT_THAT(
      only(with_entries(bare("a@x.io", "  emailVerified: \"true\"\n")), Severity::kFatal).message,
      HasSubstr("emailVerified is a string"));
  EXPECT_THAT(
      only(with_entries(bare("a@x.io", "  groups: [admins, 1]\n")), Severity::kFatal).message,
      HasSubstr("groups must be a list of strings"));
  EXPECT_THAT(only(with_entries(bare("a@x.io", "  groups: admins\n")), Severity::kFatal).message,
              HasSubstr("groups must be a list of strings"));
  expect_clean(with_entries(
      bare("a@x.io", "  emailVerified: false\n  groups: [admins, \"1\"]\n  name: Alice\n")));
}

TEST(DexConfigCheck, CaseVariantEmailsAreListedBoth) {
  auto problems = check(with_entries(entry("Ann@x.io") + entry("b@x.io") + entry("ann@X.io")));
  ASSERT_EQ(problems.size(), 2u) << all(problems);
  EXPECT_EQ(problems[0].severity, Severity::kWarning);
  EXPECT_EQ(problems[0].entry, 0u);
  EXPECT_EQ(problems[0].line, 8u);
  EXPECT_EQ(problems[0].email, "Ann@x.io");
  EXPECT_THAT(problems[0].message, HasSubstr("line 14"));
  EXPECT_THAT(problems[0].message, HasSubstr("uses only the last one (line 14)"));
  EXPECT_EQ(problems[1].entry, 2u);
  EXPECT_EQ(problems[1].line, 14u);
  EXPECT_EQ(problems[1].email, "ann@X.io");
  EXPECT_THAT(problems[1].message, HasSubstr("uses this entry"));
  EXPECT_THAT(problems[1].message, HasSubstr("line 8"));
  expect_clean(with_entries(entry("ann@x.io") + entry("anne@x.io")));
}

TEST(DexConfigCheck, SharedUserId) {
  auto problems = check(
      with_entries(bare("a@x.io", "  userID: \"7\"\n") + bare("b@x.io", "  userID: \"7\"\n")));
  ASSERT_EQ(problems.size(), 2u) << all(problems);
  EXPECT_EQ(problems[0].line, 10u);
  EXPECT_EQ(problems[1].line, 13u);
  EXPECT_THAT(problems[0].message, HasSubstr("shares userID \"7\" with b@x.io (line 11)"));
  EXPECT_THAT(problems[0].message, HasSubstr("\"sub\" claim"));
  // No userID at all: the same (empty) subject.
  auto empty = check(with_entries(bare("a@x.io") + bare("b@x.io")));
  ASSERT_EQ(empty.size(), 2u) << all(empty);
  EXPECT_THAT(empty[0].message, HasSubstr("has no userID, like b@x.io (line 10)"));
  EXPECT_EQ(empty[0].line, 0u + 8);
  expect_clean(
      with_entries(bare("a@x.io", "  userID: \"7\"\n") + bare("b@x.io", "  userID: \"8\"\n")));
  // An entry Dex ignores (an earlier case variant) does not share anything.
  auto shadowed = check(
      with_entries(bare("a@x.io", "  userID: \"7\"\n") + bare("A@x.io", "  userID: \"7\"\n")));
  ASSERT_EQ(shadowed.size(), 2u) << all(shadowed);
  EXPECT_THAT(shadowed[0].message, HasSubstr("same email ignoring case"));
}

TEST(DexConfigCheck, SurprisingButWorking) {
  const auto both =
      only(with_entries(bare("a@x.io", "  hashFromEnv: DEX_USER_PASSWORD\n")), Severity::kWarning);
  EXPECT_THAT(both.message, HasSubstr("Dex uses hash and ignores hashFromEnv"));
  EXPECT_EQ(both.line, 9u);
  const auto key = only(with_entries("- Email: a@x.io\n  hash: '" + std::string(kHash) + "'\n"),
                        Severity::kWarning);
  EXPECT_THAT(key.message, HasSubstr("\"Email\" is read by Dex as \"email\""));
  EXPECT_EQ(key.email, "a@x.io");  // Dex's reading
  EXPECT_EQ(key.line, 8u);
  const auto no_email = only(with_entries("- username: x\n  hash: '" + std::string(kHash) + "'\n"),
                             Severity::kWarning);
  EXPECT_THAT(no_email.message, HasSubstr("has no email"));
}

TEST(DexConfigCheck, AnchorsAliasesAndMergeKeysAreResolved) {
  const std::string top = std::string("defaults: &base\n  hash: '") + kHash + "'\n  userID: x1\n";
  expect_clean(top + with_entries("- email: a@x.io\n  <<: *base\n"));
  expect_clean(std::string("h: &h '") + kHash + "'\n" +
               with_entries("- email: a@x.io\n  hash: *h\n"));
  // The merged userID is a number to yaml.v2 (the entry's UnmarshalJSON stops any coercion).
  EXPECT_THAT(only(std::string("defaults: &base\n  hash: '") + kHash + "'\n  userID: 42\n" +
                       with_entries("- email: a@x.io\n  <<: *base\n"),
                   Severity::kFatal)
                  .message,
              HasSubstr("userID is a number"));
  // yaml.v2 applies a merge in place: a key after it wins, a key before it loses.
  expect_clean(std::string("d: &d {userID: 42}\n") +
               with_entries(bare("a@x.io", "  <<: *d\n  userID: \"42\"\n")));
  EXPECT_EQ(only(std::string("d: &d {userID: 42}\n") +
                     with_entries("- email: a@x.io\n  userID: \"42\"\n  <<: *d\n  hash: '" +
                                  std::string(kHash) + "'\n"),
                 Severity::kFatal)
                .severity,
            Severity::kFatal);
}

TEST(DexConfigCheck, TopLevelValidate) {
  const std::string pw = "enablePasswordDB: true\nstaticPasswords:\n" + entry("a@x.io");
  struct Case {
    std::string text;
    std::string says;
    size_t line;
  };
  const std::vector<Case> cases = {
      {"storage: {type: memory}\nweb: {http: ':1'}\n" + pw, "no issuer specified", 0},
      {"issuer: ''\nstorage: {type: memory}\nweb: {http: ':1'}\n" + pw, "no issuer specified", 1},
      {"issuer: x\nweb: {http: ':1'}\n" + pw, "no storage supplied", 0},
      {"issuer: x\nstorage: {type: sqlite}\nweb: {http: ':1'}\n" + pw, "unknown storage type", 2},
      {"issuer: x\nstorage:\nweb: {http: ':1'}\n" + pw, "unknown storage type", 2},
      {"issuer: x\nstorage: {type: kubernetes, config: yes}\nweb: {http: ':1'}\n" + pw,
       "storage.config is a boolean", 2},
      {"issuer: x\nstorage: {type: memory}\n" + pw, "must supply a HTTP/HTTPS address", 0},
      {"issuer: x\nstorage: {type: memory}\nweb: {https: ':1', tlsKey: k}\n" + pw,
       "no cert specified for HTTPS", 3},
      {"issuer: x\nstorage: {type: memory}\nweb: {https: ':1', tlsCert: c}\n" + pw,
       "no private key specified for HTTPS", 3},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1', tlsMinVersion: 1.1}\n" + pw,
       "supported TLS versions are", 3},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1', tlsMinVersion: '1.3', "
       "tlsMaxVersion: '1.2'}\n" +
           pw,
       "TLSMinVersion greater than TLSMaxVersion", 3},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\ngrpc: {tlsCert: c, tlsKey: k}\n" +
           pw,
       "no address specified for gRPC", 4},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\ngrpc: {addr: ':2', tlsCert: c}\n" +
           pw,
       "must specific both a gRPC TLS cert and key", 4},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\ngrpc: {addr: ':2', tlsClientCA: "
       "ca}\n" +
           pw,
       "cannot specify gRPC TLS client CA without a gRPC TLS cert", 4},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\nlogger: {level: verbose}\n" + pw,
       "logger.level", 4},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\nlogger: {level: 5}\n" + pw,
       "logger.level", 4},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\nlogger: {format: xml}\n" + pw,
       "log format is not one of the supported values", 4},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\nstaticClients:\n- id: a\n"
       "  secret: s\n" +
           pw,
       "Name field is required for a client", 5},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\nstaticClients:\n- name: n\n"
       "  id: a\n  idEnv: A\n  secret: s\n" +
           pw,
       "ID and IDEnv fields are exclusive", 5},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\nstaticClients:\n- name: n\n"
       "  id: a\n" +
           pw,
       "Secret or SecretEnv field is required", 5},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\nconnectors:\n- type: oidcx\n"
       "  id: o\n  name: O\n" +
           pw,
       "unknown connector type", 5},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\nconnectors:\n- type: oidc\n"
       "  name: O\n" +
           pw,
       "ID, Type and Name fields are required for a connector", 5},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\nsigner: {}\n" + pw,
       "unknown signer type", 4},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\nsigner: {type: local}\n" + pw,
       "keysRotationPeriod must be specified", 4},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\nexpiry: {idTokens: 1 day}\n" + pw,
       "expiry.idTokens", 4},
      {"issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\nexpiry:\n  refreshTokens:\n"
       "    absoluteLifetime: 10x\n" +
           pw,
       "expiry.refreshTokens.absoluteLifetime", 6},
      {"issuer: x\nstorage: {type: memory}\nweb: [':1']\n" + pw, "web is a list", 3},
  };
  for (const auto& c : cases) {
    const auto p = only(c.text, Severity::kFatal);
    EXPECT_THAT(p.message, HasSubstr(c.says)) << c.text;
    EXPECT_EQ(p.line, c.line) << c.text << "\n" << p.message;
    EXPECT_EQ(p.entry, std::nullopt);
    EXPECT_EQ(p.email, "");
  }
  // The same settings written right.
  expect_clean(
      "issuer: x\nstorage: {type: kubernetes, config: {inCluster: true}}\n"
      "web: {https: ':1', tlsCert: c, tlsKey: k, tlsMinVersion: 1.2, tlsMaxVersion: \"1.3\"}\n"
      "grpc: {addr: ':2', tlsCert: c, tlsKey: k, tlsClientCA: ca, reflection: true}\n"
      "logger: {level: WARN+2, format: JSON}\n"
      "staticClients:\n- {name: n, idEnv: A, secretEnv: S}\n- {name: m, id: 12, public: true}\n"
      "connectors:\n- {type: oidc, id: o, name: O, config: {issuer: x}}\n"
      "signer: {type: local, config: {keysRotationPeriod: 6h}}\n"
      "expiry: {idTokens: 24h, authRequests: 1h30m, deviceRequests: .5h, refreshTokens: "
      "{validIfNotUsedFor: 2160h, reuseInterval: 3s}}\n" +
      pw);
}

TEST(DexConfigCheck, LinesFollowTheFile) {
  // CRLF, comment lines and a flow list: lines are counted by '\n'.
  const std::string crlf =
      "issuer: x\r\nstorage: {type: memory}\r\nweb: {http: ':1'}\r\n"
      "enablePasswordDB: true\r\nstaticPasswords:\r\n# one\r\n# two\r\n"
      "- email: a@x.io\r\n  hash: h\r\n";
  auto c = DexConfig::parse(crlf, "config.yaml");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->entry_line(0), 8u);
  EXPECT_EQ(c->entry_lines(), (std::vector<size_t>{8}));
  const auto p = only(crlf, Severity::kFatal);
  EXPECT_EQ(p.line, 9u);
  const std::string flow =
      "issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\n"
      "enablePasswordDB: true\nstaticPasswords: [{email: a@x.io, hash: h, "
      "userID: '1'},\n  {email: b@x.io, userID: '2'}]\n";
  auto problems = check(flow);
  ASSERT_EQ(problems.size(), 2u) << all(problems);
  EXPECT_EQ(problems[0].line, 5u);
  EXPECT_EQ(problems[1].line, 6u);
  EXPECT_EQ(problems[1].entry, 1u);
  EXPECT_THAT(problems[1].message, HasSubstr("no password hash provided"));
}

TEST(DexConfigCheck, DescribeAndHelpers) {
  auto problems = check(with_entries("- email: b@x.io\n  username: b\n"));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(has_fatal(problems));
  EXPECT_THAT(describe(problems[0], "cm auth/dex config.yaml"),
              ::testing::StartsWith("cm auth/dex config.yaml line 8: fatal: staticPasswords "
                                    "entry b@x.io has neither hash nor hashFromEnv"));
  EXPECT_FALSE(has_fatal({}));
  EXPECT_EQ(severity_name(Severity::kUnusable), "unusable");
}

TEST(DexConfigCheck, FiveThousandEntriesWithProblems) {
  std::string entries;
  for (int i = 0; i < 5000; ++i) {
    const std::string n = std::to_string(i);
    entries += "- email: user" + n + "@example.com\n  hash: \"" +
               hash_with_cost(i % 1000 == 0 ? "08" : "12") + "\"\n  username: user" + n +
               "\n  userID: \"" + n + "\"\n";
  }
  auto problems = check(with_entries(entries + entry("USER5@example.com")));
  ASSERT_EQ(problems.size(), 7u) << all(problems);
  size_t unusable = 0;
  for (const auto& p : problems) unusable += p.severity == Severity::kUnusable;
  EXPECT_EQ(unusable, 5u);
  EXPECT_EQ(problems.back().line, 8u + 5000 * 4);
}

}  // namespace
}  // namespace kftenant::dex
