// The views of users (`user list`/`user show`, later the REST API) never carry a hash: built from
// a cluster full of hashes (inline entries, case variants, shadowed and misnamed Password
// objects), nothing serialised from them holds one, in bcrypt or base64 form.
#include "kftenant/tenancy/user_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "kftenant/base64.h"
#include "kftenant/dex/password_object.h"
#include "kftenant/tenancy/diagnostics.h"
#include "support/memory_store.h"

namespace kftenant::tenancy {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// Three distinct valid-looking bcrypt hashes (cost 10).
const std::string kHashA = "$2y$10$aaaaaaaaaaaaaaaaaaaaaOq7ZCyIZQ0F5l5bxGdB6bSQm/8o7g6rC";
const std::string kHashB = "$2y$10$bbbbbbbbbbbbbbbbbbbbbOq7ZCyIZQ0F5l5bxGdB6bSQm/8o7g6rC";
const std::string kHashC = "$2a$12$ccccccccccccccccccccceq7ZCyIZQ0F5l5bxGdB6bSQm/8o7g6rC";

json password_object(const std::string& name, const std::string& email, const std::string& hash) {
  return {{"apiVersion", "dex.coreos.com/v1"},
          {"kind", "Password"},
          {"metadata", {{"name", name}, {"namespace", "auth"}}},
          {"email", email},
          {"hash", base64::encode(hash)},
          {"username", name.substr(0, 4)},
          {"userID", "id-" + name.substr(0, 4)}};
}

testing::MemoryStore store_full_of_hashes() {
  testing::MemoryStore store;
  const std::string config =
      "issuer: http://dex.auth.svc.cluster.local:5556/dex\n"
      "enablePasswordDB: true\n"
      "staticPasswords:\n"
      "- email: alice@example.com\n"
      "  hash: \"" +
      kHashA +
      "\"\n"
      "  username: alice\n"
      "  userID: \"1\"\n"
      "- email: Alice@Example.com\n"
      "  hash: \"" +
      kHashB +
      "\"\n"
      "  username: alice2\n"
      "  userID: \"2\"\n"
      "- email: user@example.com\n"
      "  hashFromEnv: DEX_USER_PASSWORD\n"
      "  username: user\n"
      "  userID: \"3\"\n";
  store.seed({{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", "dex"}, {"namespace", "auth"}}},
              {"data", {{"config.yaml", config}}}});
  // Shadowed by alice's static entry; one under the name Dex reads; one misnamed.
  store.seed(
      password_object(dex::password_object_name("alice@example.com"), "alice@example.com", kHashC));
  store.seed(
      password_object(dex::password_object_name("bob@example.com"), "bob@example.com", kHashC));
  store.seed(password_object("carol-by-hand", "carol@example.com", kHashB));
  store.seed({{"apiVersion", "kubeflow.org/v1"},
              {"kind", "Profile"},
              {"metadata", {{"name", "alice"}}},
              {"spec", {{"owner", {{"kind", "User"}, {"name", "alice@example.com"}}}}}});
  return store;
}

void expect_no_hash(const std::string& text) {
  for (const auto& h : {kHashA, kHashB, kHashC}) {
    EXPECT_THAT(text, Not(HasSubstr(h)));
    EXPECT_THAT(text, Not(HasSubstr(base64::encode(h))));
  }
  EXPECT_THAT(text, Not(HasSubstr("$2")));
}

TEST(UserViewHasNoHash, ListShowAndDoctorOfAClusterFullOfHashes) {
  auto store = store_full_of_hashes();
  TenancyContext context;
  context.backend = dex::Backend::kPasswordObject;  // both backends are read either way
  auto users = list_users(store, context);
  ASSERT_TRUE(users) << users.error().message;
  // What the views are about is all there (so the test looks at real content)...
  json all = json::array();
  size_t records = 0;
  for (const auto& u : *users) {
    all.push_back(to_json(u));
    records += u.records.size();
  }
  EXPECT_GE(users->size(), 3u);  // alice, user, bob, carol
  EXPECT_GE(records, 5u);        // alice's three records among them
  EXPECT_THAT(all.dump(), HasSubstr("\"hashSource\":\"inline\""));
  EXPECT_THAT(all.dump(), HasSubstr("\"hashSource\":\"env:DEX_USER_PASSWORD\""));
  // ...but no hash.
  expect_no_hash(all.dump());

  auto alice = show_user(store, context, "ALICE@example.com");
  ASSERT_TRUE(alice) << alice.error().message;
  EXPECT_EQ(alice->records.size(), 3u);
  EXPECT_EQ(alice->dex->hash_source, "inline");
  EXPECT_EQ(alice->profiles.size(), 1u);
  expect_no_hash(to_json(*alice).dump());

  auto findings = diagnose(store, context);
  ASSERT_TRUE(findings) << findings.error().message;
  EXPECT_FALSE(findings->empty());  // the case variants, the shadowed and misnamed objects
  std::string text;
  for (const auto& f : *findings) text += f.subject + ": " + f.message + "\n";
  expect_no_hash(text);
}

TEST(UserViewHasNoHash, RecordViewSaysWhereTheHashIsWithoutIt) {
  dex::DexUser inline_user;
  inline_user.email = "a@example.com";
  inline_user.hash = kHashA;
  inline_user.line = 4;
  EXPECT_EQ(record_view(inline_user).hash_source, "inline");
  EXPECT_EQ(record_view(inline_user).line, 4u);
  dex::DexUser env_user;
  env_user.hash_from_env = "DEX_USER_PASSWORD";
  EXPECT_EQ(record_view(env_user).hash_source, "env:DEX_USER_PASSWORD");
  EXPECT_EQ(record_view(dex::DexUser{}).hash_source, "none");
}

}  // namespace
}  // namespace kftenant::tenancy
