// read_tenants / merge_tenants: the Tenants file of `kftenant apply`, every problem with its line.
#include "kftenant/tenancy/tenants_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "kftenant/dex/bcrypt.h"

namespace kftenant::tenancy {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

const std::string& hash10() {
  static const std::string h = *dex::bcrypt_hash("tenant-password", 10);
  return h;
}

std::string header(const std::string& set = "research") {
  return "apiVersion: kftenant.io/v1alpha1\nkind: Tenants\nmetadata:\n  name: " + set + "\n";
}

std::vector<std::string> described(const Tenants& t) {
  std::vector<std::string> out;
  for (const auto& p : t.problems) out.push_back(describe(p));
  return out;
}

TenantsReadOptions env(std::map<std::string, std::string> vars, std::string base_dir = "") {
  TenantsReadOptions o;
  o.getenv = [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  o.base_dir = std::move(base_dir);
  return o;
}

TEST(TenantsFile, ReadsUsersWithEachHashSourceAndProfiles) {
  const auto dir = std::filesystem::temp_directory_path() / "kftenant-tenants-file-test";
  std::filesystem::create_directories(dir / "hashes");
  std::ofstream(dir / "hashes" / "cat") << hash10() << "\n";
  const std::string text = header() +
                           "users:\n"
                           "- email: Ann@Example.com\n"
                           "  username: Ann\n"
                           "  userID: \"1001\"\n"
                           "  hash: \"" +
                           hash10() +
                           "\"\n"
                           "  quota: {cpu: \"4\"}\n"
                           "  contributors: [{email: ben@example.com, role: view}]\n"
                           "- email: ben@example.com\n"
                           "  hashFrom: {env: BEN_HASH}\n"
                           "  profile: \"-\"\n"
                           "- email: cat@example.com\n"
                           "  hashFrom: {file: hashes/cat}\n"
                           "  profile: team-cat\n"
                           "- email: dan@example.com\n"
                           "  hashFrom:\n"
                           "    secretKeyRef: {namespace: auth, name: dex-hashes, key: dan}\n"
                           "- email: eve@example.com\n"
                           "profiles:\n"
                           "- name: vision\n"
                           "  owner: Fay@Example.com\n"
                           "  quota: {memory: 16Gi, cpu: 8}\n"
                           "  contributors:\n"
                           "  - {email: ann@example.com, role: admin}\n";
  auto t = read_tenants(text, "t.yaml", env({{"BEN_HASH", hash10()}}, dir.string()));
  ASSERT_THAT(t.problems, IsEmpty()) << described(t).front();
  EXPECT_EQ(t.set, "research");
  ASSERT_THAT(t.users, SizeIs(5));
  EXPECT_EQ(t.users[0].email, "ann@example.com");
  EXPECT_EQ(t.users[0].line, 6);
  EXPECT_EQ(t.users[0].username, "Ann");
  EXPECT_EQ(t.users[0].user_id, "1001");
  EXPECT_EQ(t.users[0].hash_from.kind, HashSource::Kind::kInline);
  EXPECT_EQ(t.users[0].hash, hash10());
  EXPECT_EQ(t.users[1].hash_from.kind, HashSource::Kind::kEnv);
  EXPECT_EQ(t.users[1].hash, hash10());
  EXPECT_EQ(t.users[2].hash_from.kind, HashSource::Kind::kFile);
  EXPECT_EQ(t.users[2].hash, hash10()) << "the trailing newline is dropped";
  EXPECT_EQ(t.users[3].hash_from.kind, HashSource::Kind::kSecretKey);
  EXPECT_EQ(t.users[3].hash_from.describe(), "Secret auth/dex-hashes key dan");
  EXPECT_EQ(t.users[3].hash, "") << "read from the store later";
  EXPECT_EQ(t.users[4].hash_from.kind, HashSource::Kind::kNone);

  // Inline profiles (ann's registration-flow name, cat's), then the list; ben and eve...
  ASSERT_THAT(t.profiles, SizeIs(5));
  EXPECT_EQ(t.profiles[0].name, "ann");
  EXPECT_EQ(t.profiles[0].owner, "ann@example.com");
  EXPECT_EQ(t.profiles[0].quota, (std::map<std::string, std::string>{{"cpu", "4"}}));
  ASSERT_THAT(t.profiles[0].contributors, SizeIs(1));
  EXPECT_EQ(t.profiles[0].contributors[0].email, "ben@example.com");
  EXPECT_EQ(t.profiles[1].name, "team-cat");
  EXPECT_EQ(t.profiles[1].quota, std::nullopt) << "no quota given: left as it is";
  EXPECT_EQ(t.profiles[2].name, "dan");
  EXPECT_EQ(t.profiles[3].name, "eve");
  EXPECT_EQ(t.profiles[4].name, "vision");
  EXPECT_EQ(t.profiles[4].owner, "fay@example.com");
  EXPECT_EQ(t.profiles[4].quota,
            (std::map<std::string, std::string>{{"cpu", "8"}, {"memory", "16Gi"}}));
  EXPECT_EQ(t.profiles[4].contributors[0].role, kubeflow::Role::kAdmin);
  std::filesystem::remove_all(dir);
}

TEST(TenantsFile, EveryProblemIsListedWithItsLineAndNothingIsKept) {
  const std::string cost4 = "$2y$04$abcdefghijklmnopqrstuu5Jo6t1e2yQHZWi6s1Uvq0xCK8wr6f4a";
  const std::string text = header() +
                           "users:\n"
                           "- email: ann@example.com\n"  // 6
                           "  password: hunter22hunter\n"
                           "- email: ben@example.com\n"  // 8
                           "  hash: \"" +
                           hash10() +
                           "\"\n"
                           "  hashFrom: {env: X}\n"
                           "- email: cat@example.com\n"  // 11
                           "  hashFrom: {env: UNSET}\n"
                           "- email: dan@example.com\n"  // 13
                           "  hashFrom: {env: WEAK}\n"
                           "- email: eve@example.com\n"  // 15
                           "  hashFrom: {file: no/such/file}\n"
                           "- email: fay@example.com\n"  // 17
                           "  hashFrom: {vault: x}\n"
                           "profiles:\n"
                           "- name: ann\n"  // 20: ann's inline profile
                           "  owner: gus@example.com\n"
                           "- name: Bad_Name\n"  // 22
                           "  owner: not-an-email\n"
                           "- name: lab\n"  // 24
                           "  owner: hal@example.com\n"
                           "  colour: blue\n"
                           "  contributors:\n"
                           "  - {email: hal@example.com, role: edit}\n"  // 28
                           "  - {email: ivy@example.com, role: owner}\n";
  auto t = read_tenants(text, "t.yaml", env({{"WEAK", cost4}}));
  const auto p = described(t);
  EXPECT_THAT(t.users, IsEmpty());
  EXPECT_THAT(t.profiles, IsEmpty());
  auto has = [&](const std::string& needle) {
    return std::any_of(p.begin(), p.end(),
                       [&](const std::string& s) { return s.find(needle) != std::string::npos; });
  };
  EXPECT_TRUE(has("t.yaml:7: password: a Tenants file holds bcrypt hashes, never passwords"));
  EXPECT_TRUE(has("t.yaml:10: hashFrom: give hash or hashFrom, not both"));
  EXPECT_TRUE(has("t.yaml:12: hashFrom: environment variable UNSET is not set"));
  EXPECT_TRUE(has("t.yaml:14: hashFrom: the hash in environment variable WEAK has cost 4"));
  EXPECT_TRUE(has("t.yaml:16: hashFrom: cannot read file no/such/file"));
  EXPECT_TRUE(has("t.yaml:18: hashFrom: \"vault\": give env: VARIABLE"));
  EXPECT_TRUE(has("t.yaml:20: name: profile ann is already on line 6"));
  EXPECT_TRUE(has("t.yaml:22: name: "));
  EXPECT_TRUE(has("t.yaml:23: owner: "));
  EXPECT_TRUE(has("t.yaml:26: colour: unknown key"));
  EXPECT_TRUE(has("t.yaml:28: contributors: hal@example.com is the profile's owner"));
  EXPECT_TRUE(has("t.yaml:29: contributors: ivy@example.com: "));
  for (const auto& s : p) EXPECT_THAT(s, Not(HasSubstr("hunter22"))) << "no password in messages";
}

TEST(TenantsFile, OnlyATenantsFileIsRead) {
  auto none = read_tenants("users: []\n", "u.yaml");
  EXPECT_THAT(described(none), ElementsAre(HasSubstr("u.yaml:1: not a Tenants file (apiVersion "
                                                     "missing, kind missing)")));
  auto other = read_tenants("apiVersion: v1\nkind: ConfigMap\n", "cm.yaml");
  EXPECT_THAT(described(other), ElementsAre(HasSubstr("cm.yaml:2: not a Tenants file")));
  auto bad_set = read_tenants(header("no spaces allowed"), "s.yaml");
  EXPECT_THAT(described(bad_set), ElementsAre(HasSubstr("s.yaml:4: metadata.name: ")));
  auto broken = read_tenants(header() + "users: [\n", "b.yaml");
  EXPECT_THAT(described(broken), ElementsAre(HasSubstr("not valid YAML")));
  auto empty = read_tenants(header(), "e.yaml");
  EXPECT_TRUE(empty.ok());
  EXPECT_EQ(empty.set, "research");
  auto unnamed =
      read_tenants("apiVersion: kftenant.io/v1alpha1\nkind: Tenants\nusers: []\n", "d.yaml");
  EXPECT_EQ(unnamed.set, kDefaultTenantSet);
  EXPECT_EQ(unnamed.set_source, "");
}

TEST(TenantsFile, MergingFilesNamesBothPlacesOfAConflict) {
  auto a = read_tenants(header() + "users:\n- email: ann@example.com\n  userID: \"7\"\n", "a.yaml");
  auto b = read_tenants(header() +
                            "users:\n- email: ANN@example.com\n- email: ben@example.com\n"
                            "  userID: \"7\"\n  profile: \"-\"\n",
                        "b.yaml");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  merge_tenants(a, std::move(b));
  EXPECT_THAT(described(a),
              ElementsAre(HasSubstr("b.yaml:6: email: ann@example.com is also in a.yaml:6: list "
                                    "each user in one file"),
                          HasSubstr("b.yaml:7: userID: user ID \"7\" is also ann@example.com's "
                                    "(a.yaml:6)")));

  auto c = read_tenants(header("one"), "c.yaml");
  auto d = read_tenants(header("two"), "d.yaml");
  merge_tenants(c, std::move(d));
  EXPECT_THAT(described(c), ElementsAre(HasSubstr("d.yaml:4: metadata.name: set two here, but "
                                                  "c.yaml:4 names set one")));

  auto e = read_tenants(header() + "users:\n- email: eve@example.com\n", "e.yaml");
  auto f = read_tenants(
      "apiVersion: kftenant.io/v1alpha1\nkind: Tenants\nprofiles:\n- name: eve\n  owner: "
      "fay@example.com\n",
      "f.yaml");
  merge_tenants(e, std::move(f));
  EXPECT_THAT(described(e), ElementsAre(HasSubstr("f.yaml:4: profile: profile eve is also in "
                                                  "e.yaml:6")));

  auto g = read_tenants(
      header() + "users:\n- email: gus@example.com\n  hash: \"" + hash10() + "\"\n", "g.yaml");
  auto h = read_tenants(
      "apiVersion: kftenant.io/v1alpha1\nkind: Tenants\nprofiles:\n- name: lab\n  owner: "
      "gus@example.com\n",
      "h.yaml");
  merge_tenants(g, std::move(h));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g.set, "research") << "an unnamed file joins the named set";
  EXPECT_THAT(g.users, SizeIs(1));
  EXPECT_THAT(g.profiles, SizeIs(2));
}

}  // namespace
}  // namespace kftenant::tenancy
