// UserDirectory: static (config.yaml in ConfigMap auth/dex) and Password-object backends against
// an in-memory store seeded with what Kubeflow installs.
#include "kftenant/dex/user_directory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "common/sha256.h"
#include "kftenant/base64.h"
#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/password_object.h"
#include "support/fake_clock.h"
#include "support/memory_store.h"
#include "testserver/seed_kubeflow.h"

namespace kftenant::dex {
namespace {

using nlohmann::json;
using plan::Step;
using plan::StepKind;
using ::testing::HasSubstr;
using testing::MemoryStore;
using ::testing::Not;
using ::testing::StartsWith;

constexpr const char* kHash = "$2y$12$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72";
constexpr const char* kOtherHash = "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W";

const store::ObjectKey kConfigMap{"v1", "ConfigMap", "auth", "dex"};
const store::ObjectKey kDeployment{"apps/v1", "Deployment", "auth", "dex"};
const json::json_pointer kConfigText("/data/config.yaml");
const json::json_pointer kTemplateAnnotations("/spec/template/metadata/annotations");

MemoryStore kubeflow_store() {
  MemoryStore s;
  for (auto& o : testserver::kubeflow_seed_objects()) s.seed(std::move(o));
  return s;
}

DexUser user(std::string email, std::string hash = kHash) {
  DexUser u;
  u.email = std::move(email);
  u.hash = std::move(hash);
  u.username = "alice";
  u.user_id = "0001";
  return u;
}

// Applies the write steps with apply_plan (no controller rolls a Deployment out here, so waits are
// left out), failing the test on an error.
void apply_steps(MemoryStore& store, std::vector<Step> steps) {
  std::erase_if(steps, [](const Step& s) {
    return s.kind == StepKind::kWaitRollout || s.kind == StepKind::kWaitReady;
  });
  plan::ApplyOptions options;
  options.check_access = false;
  auto applied = plan::apply_plan(
      store,
      [steps](store::ObjectStore&) -> Result<plan::Plan> {
        plan::Plan p;
        p.steps = steps;
        return p;
      },
      options);
  ASSERT_TRUE(applied) << applied.error().message;
}

// What plan_restart plans once `pending` is planned.
Result<std::vector<Step>> restart_after(const UserDirectory& dir, MemoryStore& store,
                                        const std::vector<Step>& pending) {
  plan::PlanView view(store);
  view.record(pending);
  return dir.plan_restart(view);
}

std::string config_of(const MemoryStore& store) {
  return store.peek(kConfigMap)->at(kConfigText).get<std::string>();
}

template <typename T>
T must(Result<T> r) {
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  if (!r) throw std::runtime_error(r.error().message);
  return std::move(*r);
}

class StaticDirectoryTest : public ::testing::Test {
 protected:
  MemoryStore store = kubeflow_store();
  testing::FakeClock clock;
  std::unique_ptr<UserDirectory> dir = make_user_directory(Backend::kStatic, {}, &clock);
};

TEST(Backend, NamesRoundTrip) {
  EXPECT_EQ(parse_backend("static"), Backend::kStatic);
  EXPECT_EQ(parse_backend("password-crd"), Backend::kPasswordObject);
  EXPECT_EQ(to_string(Backend::kPasswordObject), "password-crd");
  auto bad = parse_backend("crd");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad.error().message, HasSubstr("'crd'"));
}

TEST_F(StaticDirectoryTest, ListsKubeflowDefaultUser) {
  auto users = must(dir->list(store));
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].email, "user@example.com");
  EXPECT_EQ(users[0].hash_from_env, "DEX_USER_PASSWORD");
  EXPECT_EQ(users[0].user_id, "15841185641784");
  EXPECT_EQ(users[0].location, "ConfigMap auth/dex");
  auto found = must(dir->find(store, "User@Example.COM"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->email, "user@example.com");
  EXPECT_FALSE(must(dir->find(store, "nobody@example.com")));
}

TEST_F(StaticDirectoryTest, UpsertAddsOneReplaceStepKeepingOtherBytes) {
  const std::string before = config_of(store);
  auto steps = must(dir->plan_upsert(store, user("alice@example.com")));
  ASSERT_EQ(steps.size(), 1u);
  const Step& s = steps[0];
  EXPECT_EQ(s.kind, StepKind::kReplace);
  EXPECT_EQ(s.key, kConfigMap);
  EXPECT_EQ(s.summary, "add Dex user alice@example.com to staticPasswords in ConfigMap auth/dex");
  EXPECT_EQ(s.text_field, (std::vector<std::string>{"data", "config.yaml"}));
  EXPECT_EQ(s.before, *store.peek(kConfigMap));
  const std::string after = s.after.at(kConfigText).get<std::string>();
  EXPECT_EQ(s.after["metadata"]["annotations"][kConfigHashAnnotation], sha256_hex(after));
  EXPECT_EQ(s.after["metadata"]["resourceVersion"], s.before["metadata"]["resourceVersion"]);
  // Everything up to staticClients and from it on is byte-identical; only the entry is added.
  const size_t cut = before.find("staticClients:");
  EXPECT_EQ(after.substr(0, cut), before.substr(0, cut));
  EXPECT_EQ(after.substr(after.find("staticClients:")), before.substr(cut));
  EXPECT_THAT(after, HasSubstr("- email: \"alice@example.com\"\n  hash: \"" + std::string(kHash)));

  apply_steps(store, steps);
  auto found = must(dir->find(store, "ALICE@example.com"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->hash, kHash);
  EXPECT_EQ(found->username, "alice");
  EXPECT_EQ(found->user_id, "0001");
  // Converged: the same upsert again plans nothing.
  EXPECT_TRUE(must(dir->plan_upsert(store, user("alice@example.com"))).empty());
}

TEST_F(StaticDirectoryTest, UpsertMatchesCaseInsensitivelyAndKeepsGivenCase) {
  apply_steps(store, must(dir->plan_upsert(store, user("alice@example.com"))));
  auto steps = must(dir->plan_upsert(store, user("Alice@Example.com", kOtherHash)));
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_THAT(steps[0].summary, StartsWith("update Dex user Alice@Example.com"));
  apply_steps(store, steps);
  auto users = must(dir->list(store));
  ASSERT_EQ(users.size(), 2u);  // replaced, not added
  EXPECT_EQ(users[1].email, "Alice@Example.com");
  EXPECT_EQ(users[1].hash, kOtherHash);
}

TEST_F(StaticDirectoryTest, UpsertOfHashFromEnvUserReplacesEnvWithHash) {
  DexUser u = user("user@example.com");
  u.username = "user";
  u.user_id = "15841185641784";
  apply_steps(store, must(dir->plan_upsert(store, u)));
  auto found = must(dir->find(store, "user@example.com"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->hash, kHash);
  EXPECT_EQ(found->hash_from_env, "");
}

TEST_F(StaticDirectoryTest, ManifestStoreGetsNoHashAnnotation) {
  store.live = false;
  auto steps = must(dir->plan_upsert(store, user("alice@example.com")));
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_FALSE(steps[0].after["metadata"].contains("annotations"));
}

TEST_F(StaticDirectoryTest, RejectsInvalidUsers) {
  auto no_email = dir->plan_upsert(store, user(""));
  ASSERT_FALSE(no_email);
  EXPECT_EQ(no_email.error().code, ErrorCode::kInvalidArgument);
  auto bad_hash = dir->plan_upsert(store, user("a@example.com", "not-a-hash"));
  ASSERT_FALSE(bad_hash);
  EXPECT_EQ(bad_hash.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad_hash.error().message, Not(HasSubstr("not-a-hash")));
  auto bad_utf8 = dir->plan_upsert(store, user("a\xff@example.com"));
  ASSERT_FALSE(bad_utf8);
  EXPECT_EQ(bad_utf8.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(store.writes.empty());
}

TEST_F(StaticDirectoryTest, RefusesWithoutPasswordDb) {
  json cm = *store.peek(kConfigMap);
  std::string text = cm.at(kConfigText).get<std::string>();
  text.replace(text.find("enablePasswordDB: true"), 22, "enablePasswordDB: false");
  cm[kConfigText] = text;
  store.seed(cm);
  auto r = dir->plan_upsert(store, user("alice@example.com"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kRefused);
  EXPECT_THAT(r.error().message, HasSubstr("enablePasswordDB"));
}

TEST_F(StaticDirectoryTest, RemoveDeletesOnlyTheEntry) {
  const std::string original = config_of(store);
  apply_steps(store, must(dir->plan_upsert(store, user("alice@example.com"))));
  auto steps = must(dir->plan_remove(store, "ALICE@EXAMPLE.COM"));
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].kind, StepKind::kReplace);
  EXPECT_THAT(steps[0].summary, HasSubstr("remove Dex user ALICE@EXAMPLE.COM"));
  apply_steps(store, steps);
  EXPECT_EQ(config_of(store), original);
  EXPECT_TRUE(must(dir->plan_remove(store, "alice@example.com")).empty());
}

TEST_F(StaticDirectoryTest, MissingConfigMapKeyAndBrokenYamlAreNamed) {
  auto broken = *store.peek(kConfigMap);
  broken[kConfigText] = "issuer: [unclosed\n";
  store.seed(broken);
  auto parse_error = dir->list(store);
  ASSERT_FALSE(parse_error);
  EXPECT_THAT(parse_error.error().message, HasSubstr("ConfigMap auth/dex key config.yaml"));

  broken["data"].erase("config.yaml");
  store.seed(broken);
  auto no_key = dir->list(store);
  ASSERT_FALSE(no_key);
  EXPECT_THAT(no_key.error().message, HasSubstr("no data key 'config.yaml'"));

  ASSERT_TRUE(store.remove(kConfigMap, std::nullopt));
  auto missing = dir->list(store);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(missing.error().message,
              HasSubstr("ConfigMap auth/dex not found: Dex is not installed where kftenant looks"));
  EXPECT_THAT(missing.error().message, HasSubstr("--dex-configmap"));
}

// ---- plan_restart ----

TEST_F(StaticDirectoryTest, FreshKubeflowOwesNoRestart) {
  // config.yaml as installed: the pods read it at start; kftenant never wrote it.
  EXPECT_TRUE(must(restart_after(*dir, store, {})).empty());
}

TEST_F(StaticDirectoryTest, PendingChangeOwesRestartAndWait) {
  auto pending = must(dir->plan_upsert(store, user("alice@example.com")));
  auto steps = must(restart_after(*dir, store, pending));
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].kind, StepKind::kRestartDeployment);
  EXPECT_EQ(steps[0].key, kDeployment);
  EXPECT_EQ(steps[0].before, *store.peek(kDeployment));
  const json& annotations = steps[0].after.at(kTemplateAnnotations);
  const std::string sha = sha256_hex(pending[0].after.at(kConfigText).get<std::string>());
  EXPECT_EQ(annotations[kDeploymentConfigHashAnnotation], sha);
  EXPECT_EQ(annotations[kRestartedAtAnnotation], "2024-01-01T00:00:00Z");
  // What is sent: the pod template's two annotations, as `kubectl rollout restart` patches.
  EXPECT_EQ(steps[0].patch.at(kTemplateAnnotations),
            (json{{kDeploymentConfigHashAnnotation, sha},
                  {kRestartedAtAnnotation, "2024-01-01T00:00:00Z"}}));
  EXPECT_EQ(steps[0].patch.size(), 1u);  // only "spec"
  EXPECT_EQ(steps[1].kind, StepKind::kWaitRollout);
  EXPECT_EQ(steps[1].key, kDeployment);

  apply_steps(store, pending);
  apply_steps(store, steps);
  EXPECT_TRUE(must(restart_after(*dir, store, {})).empty());  // converged
}

TEST_F(StaticDirectoryTest, RerunAfterCrashBetweenWriteAndRestartStillRestarts) {
  apply_steps(store, must(dir->plan_upsert(store, user("alice@example.com"))));
  // Crash here. The re-run plans nothing for the user but the restart is still owed: the
  // ConfigMap's hash annotation says kftenant wrote this config.
  EXPECT_TRUE(must(dir->plan_upsert(store, user("alice@example.com"))).empty());
  auto steps = must(restart_after(*dir, store, {}));
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].kind, StepKind::kRestartDeployment);
}

TEST_F(StaticDirectoryTest, HandEditAfterKftenantRestartOwesRestart) {
  auto pending = must(dir->plan_upsert(store, user("alice@example.com")));
  apply_steps(store, pending);
  apply_steps(store, must(restart_after(*dir, store, pending)));
  // Someone edits config.yaml by hand (ConfigMap hash annotation now stale): the Deployment's
  // recorded hash shows the pods run an older config.
  json cm = *store.peek(kConfigMap);
  cm[kConfigText] = cm.at(kConfigText).get<std::string>() + "# edited\n";
  ASSERT_TRUE(store.replace(cm));
  EXPECT_EQ(must(restart_after(*dir, store, {})).size(), 2u);
}

TEST_F(StaticDirectoryTest, UnrelatedHandEditWithoutKftenantHistoryOwesNothing) {
  json cm = *store.peek(kConfigMap);
  cm[kConfigText] = cm.at(kConfigText).get<std::string>() + "# edited\n";
  ASSERT_TRUE(store.replace(cm));
  EXPECT_TRUE(must(restart_after(*dir, store, {})).empty());
}

TEST_F(StaticDirectoryTest, NoOpPendingStepOwesNothing) {
  Step same;
  same.kind = StepKind::kReplace;
  same.key = kConfigMap;
  same.before = *store.peek(kConfigMap);
  same.after = same.before;
  EXPECT_TRUE(must(restart_after(*dir, store, {same})).empty());
}

TEST_F(StaticDirectoryTest, ManifestsRecordHashOnly) {
  store.live = false;
  auto pending = must(dir->plan_upsert(store, user("alice@example.com")));
  auto steps = must(restart_after(*dir, store, pending));
  ASSERT_EQ(steps.size(), 1u);
  // A patch of the one annotation: the manifests store edits the file that decides it.
  EXPECT_EQ(steps[0].kind, StepKind::kPatch);
  EXPECT_EQ(steps[0].summary,
            "record config hash on Deployment auth/dex so applying the manifests restarts Dex");
  EXPECT_EQ(
      steps[0].patch,
      (json{{"spec",
             {{"template",
               {{"metadata",
                 {{"annotations",
                   {{kDeploymentConfigHashAnnotation,
                     sha256_hex(pending[0].after.at(kConfigText).get<std::string>())}}}}}}}}}}));
  const json& annotations = steps[0].after.at(kTemplateAnnotations);
  EXPECT_EQ(annotations.size(), 1u);
  EXPECT_EQ(annotations[kDeploymentConfigHashAnnotation],
            sha256_hex(pending[0].after.at(kConfigText).get<std::string>()));
  apply_steps(store, pending);
  apply_steps(store, steps);
  EXPECT_TRUE(must(restart_after(*dir, store, {})).empty());
}

TEST_F(StaticDirectoryTest, MissingDeploymentIsNamed) {
  ASSERT_TRUE(store.remove(kDeployment, std::nullopt));
  auto pending = must(dir->plan_upsert(store, user("alice@example.com")));
  auto r = restart_after(*dir, store, pending);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message, HasSubstr("Deployment auth/dex not found"));
  EXPECT_THAT(r.error().message, HasSubstr("--dex-deployment"));
}

TEST_F(StaticDirectoryTest, OtherLocation) {
  DexLocation loc;
  loc.ns = "dex";
  loc.configmap = "dex-config";
  auto other = make_user_directory(Backend::kStatic, loc, &clock);
  auto r = other->list(store);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("ConfigMap dex/dex-config not found"));
}

// ---- plan_upsert_all ----

// What plan_upsert of each user in turn gives (the base implementation), to hold the static
// directory's single-pass version to.
UpsertAll one_by_one(const UserDirectory& dir, MemoryStore& store,
                     const std::vector<DexUser>& users) {
  return must(dir.UserDirectory::plan_upsert_all(store, users));
}

void expect_same_outcome(const UpsertAll& together, const UpsertAll& sequential) {
  ASSERT_EQ(together.steps.size(), sequential.steps.size());
  for (size_t i = 0; i < together.steps.size(); ++i) {
    EXPECT_EQ(together.steps[i].kind, sequential.steps[i].kind);
    EXPECT_EQ(together.steps[i].key, sequential.steps[i].key);
    EXPECT_EQ(together.steps[i].summary, sequential.steps[i].summary);
    EXPECT_EQ(together.steps[i].before, sequential.steps[i].before);
    EXPECT_EQ(together.steps[i].after, sequential.steps[i].after);
    EXPECT_EQ(together.steps[i].writes_password, sequential.steps[i].writes_password);
  }
  EXPECT_EQ(together.changes, sequential.changes);
  EXPECT_EQ(together.first_too_large, sequential.first_too_large);
  ASSERT_EQ(together.errors.size(), sequential.errors.size());
  for (size_t i = 0; i < together.errors.size(); ++i) {
    ASSERT_EQ(together.errors[i].has_value(), sequential.errors[i].has_value()) << "user " << i;
    if (!together.errors[i]) continue;
    EXPECT_EQ(together.errors[i]->code, sequential.errors[i]->code) << "user " << i;
    EXPECT_EQ(together.errors[i]->message, sequential.errors[i]->message) << "user " << i;
  }
}

TEST_F(StaticDirectoryTest, UpsertAllIsOneWriteEqualToUpsertingOneByOne) {
  apply_steps(store, must(dir->plan_upsert(store, user("carol@example.com"))));
  std::vector<DexUser> users = {
      user("alice@example.com"),
      user("bad@example.com", "not-a-hash"),  // refused, left out
      user("carol@example.com"),              // already so: no change
      user("Carol@Example.com", kOtherHash),  // a case variant: updates carol's entry
      user("bob@example.com"),
      user("alice@example.com", kOtherHash),  // a second row for alice: updates her new entry
  };
  const size_t writes_before = store.writes.size();
  UpsertAll together = must(dir->plan_upsert_all(store, users));
  EXPECT_EQ(store.writes.size(), writes_before);  // planning writes nothing
  expect_same_outcome(together, one_by_one(*dir, store, users));
  ASSERT_EQ(together.steps.size(), 1u);
  EXPECT_EQ(together.changes, (std::vector<char>{1, 0, 0, 1, 1, 1}));
  ASSERT_TRUE(together.errors[1]);
  EXPECT_EQ(together.errors[1]->code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(together.first_too_large);
  EXPECT_TRUE(together.steps[0].writes_password);
  EXPECT_THAT(together.steps[0].summary, HasSubstr("alice@example.com"));
  EXPECT_THAT(together.steps[0].summary, HasSubstr("Carol@Example.com"));

  apply_steps(store, together.steps);
  auto listed = must(dir->list(store));
  ASSERT_EQ(listed.size(), 4u);  // user@, carol (updated in place), alice, bob
  EXPECT_EQ(listed[1].email, "Carol@Example.com");
  EXPECT_EQ(listed[1].hash, kOtherHash);
  EXPECT_EQ(listed[2].email, "alice@example.com");
  EXPECT_EQ(listed[2].hash, kOtherHash);
  EXPECT_EQ(listed[3].email, "bob@example.com");
  // Converged: the users as they now are plan nothing (the refused user stays refused).
  std::vector<DexUser> settled = {user("alice@example.com", kOtherHash),
                                  user("bad@example.com", "not-a-hash"),
                                  user("Carol@Example.com", kOtherHash), user("bob@example.com")};
  UpsertAll again = must(dir->plan_upsert_all(store, settled));
  EXPECT_TRUE(again.steps.empty());
  EXPECT_EQ(again.changes, (std::vector<char>(settled.size(), 0)));
  EXPECT_TRUE(again.errors[1]);
}

TEST_F(StaticDirectoryTest, UpsertAllOfNothingToChangePlansNothing) {
  UpsertAll none = must(dir->plan_upsert_all(store, {}));
  EXPECT_TRUE(none.steps.empty());
  EXPECT_TRUE(none.errors.empty());
  DexUser stock;  // Kubeflow's user as installed, hashFromEnv and all, is already so
  stock = must(dir->list(store))[0];
  UpsertAll same = must(dir->plan_upsert_all(store, {stock}));
  EXPECT_TRUE(same.steps.empty());
  EXPECT_EQ(same.changes, (std::vector<char>{0}));
}

TEST_F(StaticDirectoryTest, UpsertAllStopsAtTheFirstUserThatDoesNotFit) {
  json cm = *store.peek(kConfigMap);
  std::string text = cm.at(kConfigText).get<std::string>();
  // Room for two entries of about 150 bytes, not three.
  text += "# " + std::string(store::kMaxConfigMapDataBytes - text.size() - 380, 'x') + "\n";
  cm[kConfigText] = text;
  store.seed(cm);
  std::vector<DexUser> users = {user("a1@example.com"), user("bad@example.com", "nope"),
                                user("a2@example.com"), user("a3@example.com"),
                                user("a4@example.com")};
  UpsertAll together = must(dir->plan_upsert_all(store, users));
  expect_same_outcome(together, one_by_one(*dir, store, users));
  ASSERT_EQ(together.first_too_large, std::optional<size_t>(3));
  EXPECT_EQ(together.errors[3]->code, ErrorCode::kTooLarge);
  EXPECT_THAT(together.errors[3]->message, HasSubstr("adding a3@example.com"));
  EXPECT_THAT(together.errors[3]->message, HasSubstr("--dex-backend password-crd"));
  EXPECT_FALSE(together.errors[4]);  // left out, not refused
  EXPECT_EQ(together.changes, (std::vector<char>{1, 0, 1, 0, 0}));
  ASSERT_EQ(together.steps.size(), 1u);
  EXPECT_LE(store::configmap_data_bytes(together.steps[0].after), store::kMaxConfigMapDataBytes);
}

TEST_F(StaticDirectoryTest, UpsertAllOntoABrokenConfigIsOneWriteWhenTheBatchFixesIt) {
  // A hand-written entry without a hash: Dex would not start ("no password hash provided").
  json cm = *store.peek(kConfigMap);
  std::string text = cm.at(kConfigText).get<std::string>();
  const std::string broken =
      "- email: \"broken@example.com\"\n  username: \"broken\"\n  userID: \"77\"\n";
  text.insert(text.find("staticPasswords:\n") + 17, broken);
  cm[kConfigText] = text;
  store.seed(cm);
  DexUser fixer = user("broken@example.com");
  fixer.username = "broken";
  fixer.user_id = "77";
  std::vector<DexUser> users = {user("before@example.com"), fixer, user("after@example.com")};
  // One by one, the user before the fix is refused: config.yaml after adding them would not load.
  UpsertAll sequential = one_by_one(*dir, store, users);
  ASSERT_TRUE(sequential.errors[0]);
  EXPECT_EQ(sequential.errors[0]->code, ErrorCode::kRefused);
  EXPECT_THAT(sequential.errors[0]->message, HasSubstr("Dex would not start"));
  EXPECT_FALSE(sequential.errors[1] || sequential.errors[2]);
  // Together there is one write, and it loads: every user is in it.
  UpsertAll together = must(dir->plan_upsert_all(store, users));
  EXPECT_FALSE(together.errors[0] || together.errors[1] || together.errors[2]);
  EXPECT_EQ(together.changes, (std::vector<char>{1, 1, 1}));
  ASSERT_EQ(together.steps.size(), 1u);
  apply_steps(store, together.steps);
  auto fixed = must(dir->find(store, "broken@example.com"));
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->hash, kHash);
  EXPECT_TRUE(must(dir->find(store, "before@example.com")));
  EXPECT_TRUE(must(dir->plan_upsert_all(store, users)).steps.empty());

  // A batch that leaves config.yaml broken is planned one by one, so that the refusal names the
  // user whose entry Dex could not load.
  store.seed(cm);  // broken again
  std::vector<DexUser> unfixed = {user("x@example.com"), user("y@example.com")};
  UpsertAll refused = must(dir->plan_upsert_all(store, unfixed));
  expect_same_outcome(refused, one_by_one(*dir, store, unfixed));
  EXPECT_TRUE(refused.steps.empty());
  EXPECT_TRUE(refused.errors[0] && refused.errors[1]);
}

TEST_F(StaticDirectoryTest, UpsertAllWithoutPasswordDbRefusesEveryUser) {
  json cm = *store.peek(kConfigMap);
  std::string text = cm.at(kConfigText).get<std::string>();
  text.replace(text.find("enablePasswordDB: true"), 22, "enablePasswordDB: false");
  cm[kConfigText] = text;
  store.seed(cm);
  std::vector<DexUser> users = {user("a@example.com"), user("b@example.com")};
  UpsertAll together = must(dir->plan_upsert_all(store, users));
  expect_same_outcome(together, one_by_one(*dir, store, users));
  EXPECT_TRUE(together.steps.empty());
  for (const auto& e : together.errors) {
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, ErrorCode::kRefused);
    EXPECT_THAT(e->message, HasSubstr("enablePasswordDB"));
  }
}

TEST_F(StaticDirectoryTest, UpsertAllOfAMissingConfigMapIsTheError) {
  ASSERT_TRUE(store.remove(kConfigMap, std::nullopt));
  auto r = dir->plan_upsert_all(store, {user("a@example.com")});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

// ---- Password objects ----

class PasswordDirectoryTest : public ::testing::Test {
 protected:
  MemoryStore store = kubeflow_store();
  std::unique_ptr<UserDirectory> dir = make_user_directory(Backend::kPasswordObject, {});
};

TEST_F(PasswordDirectoryTest, CreatesObjectDexCanRead) {
  auto steps = must(dir->plan_upsert(store, user("Admin@Example.com")));
  ASSERT_EQ(steps.size(), 1u);
  const Step& s = steps[0];
  EXPECT_EQ(s.kind, StepKind::kCreate);
  // dex-contract.md §2 example name for admin@example.com.
  EXPECT_EQ(s.key.name, "mfsg22loibsxqylnobwgkltdn5w4x4u44scceizf");
  EXPECT_EQ(s.key.ns, "auth");
  EXPECT_EQ(s.after["apiVersion"], "dex.coreos.com/v1");
  EXPECT_EQ(s.after["kind"], "Password");
  EXPECT_EQ(s.after["metadata"]["name"], "mfsg22loibsxqylnobwgkltdn5w4x4u44scceizf");
  EXPECT_EQ(s.after["email"], "admin@example.com");
  EXPECT_EQ(base64::decode(s.after["hash"].get<std::string>()), std::string(kHash));
  EXPECT_EQ(s.after["username"], "alice");
  EXPECT_EQ(s.after["userID"], "0001");
  EXPECT_EQ(s.summary,
            "create Password auth/mfsg22loibsxqylnobwgkltdn5w4x4u44scceizf (Dex user "
            "Admin@Example.com)");
  apply_steps(store, steps);
  EXPECT_TRUE(must(restart_after(*dir, store, steps)).empty());
  auto found = must(dir->find(store, "ADMIN@example.com"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->email, "admin@example.com");
  EXPECT_EQ(found->hash, kHash);
  EXPECT_EQ(found->location, "Password auth/mfsg22loibsxqylnobwgkltdn5w4x4u44scceizf");
  EXPECT_EQ(found->backend, Backend::kPasswordObject);
  EXPECT_TRUE(must(dir->plan_upsert(store, user("admin@example.com"))).empty());
}

TEST_F(PasswordDirectoryTest, RealBcryptHashRoundTrips) {
  auto hash = must(bcrypt_hash("correct horse", kMinBcryptCost));
  apply_steps(store, must(dir->plan_upsert(store, user("bob@example.com", hash))));
  const json* o = store.peek(
      {"dex.coreos.com/v1", "Password", "auth", password_object_name("bob@example.com")});
  ASSERT_NE(o, nullptr);
  auto decoded = base64::decode((*o)["hash"].get<std::string>());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(bcrypt_verify("correct horse", *decoded), true);
}

TEST_F(PasswordDirectoryTest, ReplaceKeepsMetadataAndForeignFields) {
  apply_steps(store, must(dir->plan_upsert(store, user("bob@example.com"))));
  const store::ObjectKey key{"dex.coreos.com/v1", "Password", "auth",
                             password_object_name("bob@example.com")};
  json o = *store.peek(key);
  o["groups"] = json::array({"admins"});
  o["metadata"]["labels"] = {{"team", "a"}};
  ASSERT_TRUE(store.replace(o));
  auto steps = must(dir->plan_upsert(store, user("bob@example.com", kOtherHash)));
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].kind, StepKind::kReplace);
  EXPECT_EQ(steps[0].before, *store.peek(key));
  EXPECT_EQ(steps[0].after["metadata"], steps[0].before["metadata"]);
  EXPECT_EQ(steps[0].after["groups"], json::array({"admins"}));
  EXPECT_EQ(base64::decode(steps[0].after["hash"].get<std::string>()), std::string(kOtherHash));
  apply_steps(store, steps);
}

TEST_F(PasswordDirectoryTest, RefusesStaticEmail) {
  auto r = dir->plan_upsert(store, user("USER@example.com"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kRefused);
  EXPECT_THAT(r.error().message, HasSubstr("static user in ConfigMap auth/dex"));
}

TEST_F(PasswordDirectoryTest, UpsertAllPlansOneObjectPerUserAndLeavesRefusedOnesOut) {
  std::vector<DexUser> users = {user("a@example.com"), user("USER@example.com"),
                                user("b@example.com"), user("A@example.com", kOtherHash)};
  UpsertAll all = must(dir->plan_upsert_all(store, users));
  EXPECT_FALSE(all.first_too_large);
  ASSERT_TRUE(all.errors[1]);
  EXPECT_EQ(all.errors[1]->code, ErrorCode::kRefused);
  EXPECT_FALSE(all.errors[0] || all.errors[2] || all.errors[3]);
  EXPECT_EQ(all.changes, (std::vector<char>{1, 0, 1, 1}));
  // a@ and its case variant are one object (the second row's hash folded into its create).
  ASSERT_EQ(all.steps.size(), 2u);
  for (const auto& s : all.steps) EXPECT_EQ(s.kind, StepKind::kCreate);
  apply_steps(store, all.steps);
  auto a = must(dir->find(store, "a@example.com"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->hash, kOtherHash);
  EXPECT_TRUE(must(dir->find(store, "b@example.com")));
}

TEST_F(PasswordDirectoryTest, MissingConfigMapIsFine) {
  ASSERT_TRUE(store.remove(kConfigMap, std::nullopt));
  EXPECT_EQ(must(dir->plan_upsert(store, user("bob@example.com"))).size(), 1u);
}

TEST_F(PasswordDirectoryTest, RemoveDeletesWithPrecondition) {
  apply_steps(store, must(dir->plan_upsert(store, user("bob@example.com"))));
  auto steps = must(dir->plan_remove(store, "Bob@example.com"));
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].kind, StepKind::kDelete);
  EXPECT_EQ(steps[0].before["email"], "bob@example.com");
  apply_steps(store, steps);
  EXPECT_TRUE(must(dir->plan_remove(store, "bob@example.com")).empty());
  EXPECT_FALSE(must(dir->find(store, "bob@example.com")));
}

TEST_F(PasswordDirectoryTest, MismatchingEmailIsReportedBroken) {
  store.seed(
      {{"apiVersion", "dex.coreos.com/v1"},
       {"kind", "Password"},
       {"metadata", {{"name", password_object_name("bob@example.com")}, {"namespace", "auth"}}},
       {"email", "Bob@example.com"},
       {"hash", base64::encode(kHash)}});
  auto r = dir->find(store, "bob@example.com");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("'Bob@example.com'"));
  // Upserting rewrites it into the form Dex reads.
  auto steps = must(dir->plan_upsert(store, user("bob@example.com")));
  ASSERT_EQ(steps.size(), 1u);
  apply_steps(store, steps);
  EXPECT_TRUE(must(dir->find(store, "bob@example.com")));
}

TEST_F(PasswordDirectoryTest, MissingCrd) {
  store.unknown_kinds.insert({"dex.coreos.com/v1", "Password"});
  auto listed = dir->list(store);
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(listed.error().message,
              HasSubstr("Dex's Password CRD (passwords.dex.coreos.com) is not installed"));
  auto planned = dir->plan_upsert(store, user("bob@example.com"));
  ASSERT_FALSE(planned);
  EXPECT_THAT(planned.error().message, HasSubstr("passwords.dex.coreos.com"));
  // The merged list is just the static users.
  auto all = must(list_dex_accounts(store, {}));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].claim_email(), "user@example.com");
}

json password_object(const std::string& name, const std::string& email,
                     const std::string& hash = kHash) {
  return {{"apiVersion", "dex.coreos.com/v1"},
          {"kind", "Password"},
          {"metadata", {{"name", name}, {"namespace", "auth"}}},
          {"email", email},
          {"hash", base64::encode(hash)},
          {"userID", "id-" + name.substr(0, 4)}};
}

TEST(DexAccounts, StaticWinsAndTheShadowedObjectIsKept) {
  MemoryStore store = kubeflow_store();
  auto objects = make_user_directory(Backend::kPasswordObject, {});
  apply_steps(store, must(objects->plan_upsert(store, user("bob@example.com"))));
  // A Password object for the static user (made by hand): Dex ignores it while the entry lives.
  store.seed(password_object(password_object_name("user@example.com"), "user@example.com"));
  auto all = must(list_dex_accounts(store, {}));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].key, "user@example.com");
  ASSERT_EQ(all[0].records.size(), 2u);
  EXPECT_EQ(all[0].records[0].backend, Backend::kStatic);
  EXPECT_EQ(all[0].records[0].line, 15u);  // "- email: user@example.com" in Kubeflow's config
  EXPECT_EQ(all[0].effective, 0u);
  EXPECT_THAT(all[0].warnings.front(), HasSubstr("is shadowed by the staticPasswords entry"));
  EXPECT_EQ(all[1].claim_email(), "bob@example.com");
  EXPECT_EQ(all[1].records[0].backend, Backend::kPasswordObject);
  EXPECT_TRUE(all[1].warnings.empty());
}

TEST(DexAccounts, CaseVariantsAreOneAccountAndTheLastEntryWins) {
  MemoryStore store = kubeflow_store();
  auto statics = make_user_directory(Backend::kStatic, {});
  json cm = *store.peek(kConfigMap);
  std::string text = cm.at(kConfigText).get<std::string>();
  text.insert(text.find("staticClients:"), std::string("- email: ann@example.com\n  hash: \"") +
                                               kHash + "\"\n- email: Ann@Example.com\n  hash: \"" +
                                               kOtherHash + "\"\n");
  cm[kConfigText] = text;
  ASSERT_TRUE(store.replace(cm));
  auto all = must(list_dex_accounts(store, {}));
  const DexAccount* ann = find_account(all, "ANN@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_EQ(ann->records.size(), 2u);
  EXPECT_EQ(ann->effective, 1u);
  EXPECT_EQ(ann->claim_email(), "Ann@Example.com");
  EXPECT_THAT(ann->warnings[0], HasSubstr("2 staticPasswords entries for this email"));
  EXPECT_THAT(ann->warnings.back(), HasSubstr("puts it so in the email claim"));

  // remove takes both; set_password changes both.
  auto set = must(statics->plan_set_password(store, "ann@example.com", kHash));
  ASSERT_EQ(set.size(), 1u);
  EXPECT_TRUE(set[0].writes_password);
  EXPECT_THAT(set[0].summary, HasSubstr("2 entries"));
  apply_steps(store, set);
  const auto after = must(list_dex_accounts(store, {}));
  for (const auto& r : find_account(after, "ann@example.com")->records) EXPECT_EQ(r.hash, kHash);
  auto removed = must(statics->plan_remove(store, "ann@example.com"));
  ASSERT_EQ(removed.size(), 1u);
  apply_steps(store, removed);
  EXPECT_EQ(find_account(must(list_dex_accounts(store, {})), "ann@example.com"), nullptr);
  EXPECT_THAT(config_of(store), HasSubstr("hashFromEnv: DEX_USER_PASSWORD"));
}

TEST(DexAccounts, MisnamedAndMixedCaseObjectsAreFlaggedAndRemovable) {
  MemoryStore store = kubeflow_store();
  store.seed(password_object("handmade", "carl@example.com"));
  store.seed(password_object(password_object_name("dora@example.com"), "Dora@example.com"));
  auto all = must(list_dex_accounts(store, {}));
  const DexAccount* carl = find_account(all, "carl@example.com");
  ASSERT_NE(carl, nullptr);
  EXPECT_FALSE(carl->effective);
  EXPECT_THAT(carl->records[0].problems[0], HasSubstr("Dex never reads this object"));
  const DexAccount* dora = find_account(all, "dora@example.com");
  ASSERT_NE(dora, nullptr);
  EXPECT_FALSE(dora->effective);
  EXPECT_THAT(dora->records[0].problems[0], HasSubstr("is not lower-case"));
  auto objects = make_user_directory(Backend::kPasswordObject, {});
  auto steps = must(objects->plan_remove(store, "CARL@example.com"));
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].key.name, "handmade");
  auto set = must(objects->plan_set_password(store, "dora@example.com", kOtherHash));
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(base64::decode(set[0].after["hash"].get<std::string>()), std::string(kOtherHash));
}

TEST(DexAccounts, ObjectWithAnUnusableCostIsFlagged) {
  MemoryStore store = kubeflow_store();
  // cost 04: Dex reads it, refuses every login (checkCost 10..16).
  const std::string cost4 = "$2a$04$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W";
  store.seed(password_object(password_object_name("eve@example.com"), "eve@example.com", cost4));
  auto all = must(list_dex_accounts(store, {}));
  const DexAccount* eve = find_account(all, "eve@example.com");
  ASSERT_NE(eve, nullptr);
  EXPECT_EQ(eve->effective, 0u);
  ASSERT_EQ(eve->records[0].problems.size(), 1u);
  EXPECT_THAT(eve->records[0].problems[0], HasSubstr("10..16"));
}

}  // namespace
}  // namespace kftenant::dex
