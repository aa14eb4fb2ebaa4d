// apply_tenants / tenants_planner: a Tenants file made so in one composed plan (one config.yaml
// write, one restart), idempotent, refusals before anything is written, and prune that deletes
// only what the set made.
#include "kftenant/tenancy/apply_tenants.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kftenant/base64.h"
#include "kftenant/dex/bcrypt.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/plan/plan_view.h"
#include "kftenant/tenancy/export.h"
#include "kftenant/tenancy/profiles.h"
#include "support/kubeflow_memory_store.h"

namespace kftenant::tenancy {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

const std::string& hash_a() {
  static const std::string h = *dex::bcrypt_hash("password-a", 10);
  return h;
}
const std::string& hash_b() {
  static const std::string h = *dex::bcrypt_hash("password-b", 10);
  return h;
}

Tenants tenants_of(const std::string& body, const std::string& set = "research") {
  auto t = read_tenants(
      "apiVersion: kftenant.io/v1alpha1\nkind: Tenants\nmetadata:\n  name: " + set + "\n" + body,
      "t.yaml");
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : describe(t.problems.front()));
  return t;
}

std::string user(const std::string& email, const std::string& hash, const std::string& more = "") {
  return "- email: " + email + "\n  hash: \"" + hash + "\"\n" + more;
}

Result<ApplyTenantsReport> apply(testing::MemoryStore& store, const Tenants& t, bool prune = false,
                                 TenancyContext context = {}) {
  ApplyTenantsOptions options;
  options.prune = prune;
  return apply_tenants(store, context, t, options, {});
}

std::string config_yaml(testing::MemoryStore& store) {
  return (*store.get({"v1", "ConfigMap", "auth", "dex"}))["data"]["config.yaml"];
}

bool has(testing::MemoryStore& store, const char* api, const char* kind, const std::string& ns,
         const std::string& name) {
  return store.peek({api, kind, ns, name}) != nullptr;
}

const char* const kRbac = "rbac.authorization.k8s.io/v1";
const char* const kProfileApi = "kubeflow.org/v1";

std::string two_users_and_a_team() {
  return "users:\n" + user("ann@example.com", hash_a(), "  quota: {cpu: \"4\"}\n") +
         user("ben@example.com", hash_b(), "  profile: \"-\"\n") +
         "profiles:\n"
         "- name: lab\n"
         "  owner: cat@example.com\n"
         "  contributors:\n"
         "  - {email: ann@example.com, role: admin}\n"
         "  - {email: ben@example.com, role: view}\n";
}

TEST(ApplyTenants, OneConfigWriteOneRestartAndApplyingAgainChangesNothing) {
  auto store = testing::kubeflow_memory_store();
  auto t = tenants_of(two_users_and_a_team());
  auto report = apply(store, t);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_THAT(store.writes,
              ElementsAre("replace ConfigMap auth/dex", "patch Deployment auth/dex",
                          "create Profile ann", "create Profile lab",
                          "create RoleBinding lab/user-ann-example-com-clusterrole-admin",
                          "create AuthorizationPolicy lab/user-ann-example-com-clusterrole-admin",
                          "create RoleBinding lab/user-ben-example-com-clusterrole-view",
                          "create AuthorizationPolicy lab/user-ben-example-com-clusterrole-view"));
  const std::string text = config_yaml(store);
  EXPECT_THAT(text, HasSubstr("email: \"ann@example.com\"\n  hash: \"" + hash_a() + "\""));
  EXPECT_THAT(text, HasSubstr("email: \"ben@example.com\"\n  hash: \"" + hash_b() + "\""));
  EXPECT_EQ((*store.get({kProfileApi, "Profile", "", "ann"}))["spec"]["resourceQuotaSpec"]["hard"],
            nlohmann::json({{"cpu", "4"}}));

  store.writes.clear();
  auto again = apply(store, t);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_THAT(store.writes, IsEmpty());
  EXPECT_THAT(again->notes,
              Contains("2 user(s), 2 profile(s), 2 contributor(s) already as the file says"));
}

TEST(ApplyTenants, WhatTheSetMakesIsRecordedAndNothingElse) {
  auto store = testing::kubeflow_memory_store();
  // A user another set made before; this file lists their profile.
  auto t0 = tenants_of("users:\n" + user("hand@example.com", hash_a()), "other");
  ASSERT_TRUE(apply(store, t0));
  auto t = tenants_of(two_users_and_a_team() + "- name: hand\n  owner: hand@example.com\n");
  ASSERT_TRUE(apply(store, t));
  for (const char* name : {"ann", "lab"})
    EXPECT_EQ(
        (*store.get({kProfileApi, "Profile", "", name}))["metadata"]["labels"][kTenantSetLabel],
        "research")
        << name;
  EXPECT_EQ((*store.get(
                {kRbac, "RoleBinding", "lab",
                 "user-ben-example-com-clusterrole-view"}))["metadata"]["labels"][kTenantSetLabel],
            "research");
  const auto cm = *store.get({"v1", "ConfigMap", "auth", "dex"});
  const auto sets = nlohmann::json::parse(
      cm["metadata"]["annotations"][kTenantSetUsersAnnotation].get<std::string>());
  EXPECT_EQ(sets["research"], nlohmann::json({"ann@example.com", "ben@example.com"}))
      << "hand@example.com existed before: listed, but not made by this set";
  EXPECT_EQ(sets["other"], nlohmann::json({"hand@example.com"}));
  EXPECT_EQ(
      (*store.get({kProfileApi, "Profile", "", "hand"}))["metadata"]["labels"][kTenantSetLabel],
      "other")
      << "made by set other (hand's registration-flow profile)";
}

TEST(ApplyTenants, PruneDeletesOnlyWhatTheSetMadeAndTheFileNoLongerLists) {
  auto store = testing::kubeflow_memory_store();
  // Made by hand: a profile, and a contributor of it that the set will list and unlist.
  store.seed(kubeflow::build_profile({"handmade", "dora@example.com", {}}));
  auto t = tenants_of(two_users_and_a_team());
  ASSERT_TRUE(apply(store, t));
  // ann's own profile gets a contributor by hand (profile share), not by the set.
  ShareRequest share;
  share.profile = "ann";
  share.email = "eve@example.com";
  share.role = kubeflow::Role::kEdit;
  ASSERT_TRUE(plan::apply_plan(store, share_planner(share), {}));

  // The file now has ann only, with ben as her profile's contributor; lab and ben are gone.
  auto smaller = tenants_of("users:\n" + user("ann@example.com", hash_a(),
                                              "  contributors: [{email: ben@example.com, role: "
                                              "edit}]\n"));
  store.writes.clear();
  auto no_prune = apply(store, smaller);
  ASSERT_TRUE(no_prune) << no_prune.error().message;
  EXPECT_THAT(store.writes,
              ElementsAre("create RoleBinding ann/user-ben-example-com-clusterrole-edit",
                          "create AuthorizationPolicy ann/user-ben-example-com-clusterrole-edit"))
      << "without --prune nothing is deleted";

  auto plan = plan::plan_once(store, [&] {
    ApplyTenantsOptions o;
    o.prune = true;
    return tenants_planner({}, smaller, o);
  }());
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_THAT(plan->notes,
              Contains(HasSubstr("prune: Dex user ben@example.com was made by set research")));
  EXPECT_THAT(plan->notes, Contains(HasSubstr("prune: profile lab was made by set research")));

  store.writes.clear();
  auto pruned = apply(store, smaller, /*prune=*/true);
  ASSERT_TRUE(pruned) << pruned.error().message;
  // Like a manifests folder (not live): no namespace takes lab's bindings along, so they go too.
  EXPECT_THAT(store.writes,
              UnorderedElementsAre(
                  "replace ConfigMap auth/dex", "patch Deployment auth/dex", "delete Profile lab",
                  "delete RoleBinding lab/user-ann-example-com-clusterrole-admin",
                  "delete RoleBinding lab/user-ben-example-com-clusterrole-view",
                  "delete AuthorizationPolicy lab/user-ann-example-com-clusterrole-admin",
                  "delete AuthorizationPolicy lab/user-ben-example-com-clusterrole-view"));
  const std::string text = config_yaml(store);
  EXPECT_THAT(text, Not(HasSubstr("ben@example.com")));
  EXPECT_THAT(text, HasSubstr("ann@example.com"));
  EXPECT_THAT(text, HasSubstr("user@example.com")) << "Kubeflow's stock user is never pruned";
  EXPECT_TRUE(has(store, kProfileApi, "Profile", "", "handmade"));
  EXPECT_TRUE(has(store, kProfileApi, "Profile", "", "kubeflow-user-example-com"));
  EXPECT_TRUE(has(store, kRbac, "RoleBinding", "ann", "user-eve-example-com-clusterrole-edit"))
      << "a contributor added by hand stays";
  EXPECT_TRUE(has(store, kRbac, "RoleBinding", "ann", "user-ben-example-com-clusterrole-edit"))
      << "ben's access the file still lists stays, though his Dex user is pruned";

  // Unlisting the contributor the set made prunes that pair alone.
  auto alone = tenants_of("users:\n" + user("ann@example.com", hash_a()));
  store.writes.clear();
  ASSERT_TRUE(apply(store, alone, true));
  EXPECT_THAT(store.writes,
              UnorderedElementsAre("delete RoleBinding ann/user-ben-example-com-clusterrole-edit",
                                   "delete AuthorizationPolicy "
                                   "ann/user-ben-example-com-clusterrole-edit"));
  EXPECT_TRUE(has(store, kRbac, "RoleBinding", "ann", "user-eve-example-com-clusterrole-edit"));

  store.writes.clear();
  ASSERT_TRUE(apply(store, alone, true));
  EXPECT_THAT(store.writes, IsEmpty()) << "pruning again finds nothing";
}

TEST(ApplyTenants, AnotherSetsUsersAreNotPruned) {
  auto store = testing::kubeflow_memory_store();
  ASSERT_TRUE(apply(store, tenants_of("users:\n" + user("ann@example.com", hash_a()), "one")));
  ASSERT_TRUE(apply(store, tenants_of("users:\n" + user("ben@example.com", hash_b()), "two")));
  store.writes.clear();
  ASSERT_TRUE(apply(store, tenants_of("users: []\n", "two"), true));
  const std::string text = config_yaml(store);
  EXPECT_THAT(text, HasSubstr("ann@example.com"));
  EXPECT_THAT(text, Not(HasSubstr("ben@example.com")));
  EXPECT_TRUE(has(store, kProfileApi, "Profile", "", "ann"));
  EXPECT_FALSE(has(store, kProfileApi, "Profile", "", "ben"));
}

TEST(ApplyTenants, RefusalsComeBeforeAnyWrite) {
  auto store = testing::kubeflow_memory_store();
  store.seed(kubeflow::build_profile({"taken", "zed@example.com", {}}));
  store.writes.clear();
  {
    auto t = tenants_of("users:\n- email: new@example.com\n- email: two@example.com\n");
    auto r = apply(store, t);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message,
                HasSubstr("t.yaml:6 (new@example.com), t.yaml:7 (two@example.com): a new Dex "
                          "user needs hash or hashFrom"));
  }
  {
    auto t = tenants_of("users:\n" + user("ann@example.com", hash_a()) +
                        "profiles:\n- name: taken\n  owner: ann@example.com\n");
    auto r = apply(store, t);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kRefused);
    EXPECT_THAT(r.error().message,
                HasSubstr("t.yaml:9: profile taken belongs to zed@example.com, not "
                          "ann@example.com: move it with `kftenant profile transfer taken --to "
                          "ann@example.com`"));
  }
  {
    // Kubeflow's stock user takes its hash from a Secret.
    auto t = tenants_of("users:\n" + user("user@example.com", hash_a(), "  profile: \"-\"\n"));
    auto r = apply(store, t);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("hashFromEnv"));
  }
  {
    auto t = tenants_of("users:\n" +
                        user("ann@example.com", hash_a(), "  userID: \"15841185641784\"\n"));
    auto r = apply(store, t);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("is already user@example.com's"));
  }
  EXPECT_THAT(store.writes, IsEmpty());
}

TEST(ApplyTenants, AnExistingUserGetsTheFilesHashAndUsernameAndOneWithoutAHashKeepsTheirs) {
  auto store = testing::kubeflow_memory_store();
  ASSERT_TRUE(apply(store, tenants_of("users:\n" + user("ann@example.com", hash_a()) +
                                      user("ben@example.com", hash_a()))));
  store.writes.clear();
  auto t = tenants_of("users:\n" + user("ann@example.com", hash_b(), "  username: Ann B\n") +
                      "- email: ben@example.com\n");
  ASSERT_TRUE(apply(store, t));
  EXPECT_THAT(store.writes, ElementsAre("replace ConfigMap auth/dex", "patch Deployment auth/dex"));
  const std::string text = config_yaml(store);
  EXPECT_THAT(text, HasSubstr("email: \"ann@example.com\"\n  hash: \"" + hash_b() +
                              "\"\n  username: \"Ann B\""));
  EXPECT_THAT(text, HasSubstr("email: \"ben@example.com\"\n  hash: \"" + hash_a() + "\""));
}

TEST(ApplyTenants, PasswordObjectsAreLabelledAndPruned) {
  auto store = testing::kubeflow_memory_store();
  TenancyContext crd;
  crd.backend = dex::Backend::kPasswordObject;
  ASSERT_TRUE(
      apply(store,
            tenants_of("users:\n" + user("ann@example.com", hash_a(), "  profile: \"-\"\n") +
                       user("ben@example.com", hash_b(), "  profile: \"-\"\n")),
            false, crd));
  auto objects = store.list("dex.coreos.com/v1", "Password", "auth",
                            std::string(kTenantSetLabel) + "=research");
  ASSERT_TRUE(objects);
  EXPECT_EQ(objects->size(), 2u);
  store.writes.clear();
  ASSERT_TRUE(
      apply(store, tenants_of("users:\n" + user("ann@example.com", hash_a(), "  profile: \"-\"\n")),
            true, crd));
  ASSERT_EQ(store.writes.size(), 1u);
  EXPECT_THAT(store.writes[0], HasSubstr("delete Password auth/"));
}

TEST(ApplyTenants, HashesFromASecretAreReadFromTheStore) {
  auto store = testing::kubeflow_memory_store();
  store.seed({{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata", {{"name", "hashes"}, {"namespace", "auth"}}},
              {"data", {{"ann", base64::encode(hash_a() + "\n")}, {"bad", base64::encode("x")}}}});
  auto t = tenants_of(
      "users:\n"
      "- email: ann@example.com\n  hashFrom: {secretKeyRef: {namespace: auth, name: hashes, key: "
      "ann}}\n"
      "- email: ben@example.com\n  hashFrom: {secretKeyRef: {namespace: auth, name: hashes, key: "
      "ben}}\n"
      "- email: cat@example.com\n  hashFrom: {secretKeyRef: {namespace: auth, name: hashes, key: "
      "bad}}\n"
      "- email: dan@example.com\n  hashFrom: {secretKeyRef: {namespace: auth, name: nope, key: "
      "x}}\n");
  auto problems = resolve_secret_hashes(store, t);
  std::vector<std::string> messages;
  for (const auto& p : problems) messages.push_back(describe(p));
  EXPECT_THAT(messages,
              ElementsAre(HasSubstr("t.yaml:8: hashFrom: Secret auth/hashes has no key ben"),
                          HasSubstr("t.yaml:10: hashFrom: Secret auth/hashes key bad does not "
                                    "hold a bcrypt hash"),
                          HasSubstr("t.yaml:12: hashFrom: Secret auth/nope not found")));
  EXPECT_EQ(t.users[0].hash, hash_a());
}

TEST(ApplyTenants, ExportAppliedOnAFreshInstallExportsTheSameFile) {
  auto store = testing::kubeflow_memory_store();
  ASSERT_TRUE(apply(store, tenants_of(two_users_and_a_team())));
  auto first = export_users(store, {}, {true});
  ASSERT_TRUE(first);
  const std::string file = write_tenants_yaml(*first, true);
  EXPECT_THAT(file, HasSubstr("profiles:\n- name: \"lab\"\n  owner: \"cat@example.com\"\n"));

  auto again = testing::kubeflow_memory_store();
  auto read = read_tenants(file, "export.yaml");
  ASSERT_TRUE(read.ok()) << describe(read.problems.front()) << "\n" << file;
  ASSERT_TRUE(apply(again, read)) << file;
  auto second = export_users(again, {}, {true});
  ASSERT_TRUE(second);
  EXPECT_EQ(write_tenants_yaml(*second, true), file);

  // Without hashes, applied to the cluster it came from: nothing changes.
  auto without = export_users(store, {}, {});
  ASSERT_TRUE(without);
  store.writes.clear();
  auto plain = read_tenants(write_tenants_yaml(*without, false), "plain.yaml");
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE(apply(store, plain));
  EXPECT_THAT(store.writes, IsEmpty());
}

}  // namespace
}  // namespace kftenant::tenancy
