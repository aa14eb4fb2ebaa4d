// User adds composed into one plan (what bulk import builds on): every user is planned over the
// steps of the ones before, so config.yaml is written once, Dex restarts once, and a refusal or a
// collision inside the batch is found before anything is written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "kftenant/plan/compose.h"
#include "kftenant/store/object_store.h"
#include "kftenant/tenancy/users.h"
#include "support/memory_store.h"
#include "testserver/seed_kubeflow.h"

namespace kftenant::tenancy {
namespace {

using nlohmann::json;
using plan::StepKind;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

testing::MemoryStore kubeflow_store() {
  testing::MemoryStore s;
  for (auto& o : testserver::kubeflow_seed_objects()) s.seed(std::move(o));
  return s;
}

AddUserRequest add(const std::string& name) {
  AddUserRequest r;
  r.email = name + "@example.com";
  r.password = "password-of-" + name;
  r.bcrypt_cost = 10;
  return r;
}

plan::Planner adds(const std::vector<AddUserRequest>& requests) {
  std::vector<plan::Planner> parts;
  for (const auto& r : requests) parts.push_back(add_user_planner({}, r));
  return plan::compose(std::move(parts));
}

std::string config_yaml(testing::MemoryStore& store) {
  return (*store.get({"v1", "ConfigMap", "auth", "dex"}))["data"]["config.yaml"];
}

TEST(ComposedUserAdds, OneConfigWriteOneRestartOneWaitAndAProfileEach) {
  auto store = kubeflow_store();
  auto planned = plan::plan_once(store, adds({add("ann"), add("ben"), add("cat")}));
  ASSERT_TRUE(planned) << planned.error().message;
  std::vector<std::string> kinds;
  for (const auto& s : planned->steps)
    kinds.push_back(s.key.kind + (s.kind == StepKind::kWaitRollout ? " wait" : ""));
  EXPECT_THAT(kinds, ElementsAre("ConfigMap", "Profile", "Profile", "Deployment", "Deployment wait",
                                 "Profile"));
  const plan::Step& config = planned->steps[0];
  EXPECT_EQ(config.kind, StepKind::kReplace);
  EXPECT_TRUE(config.writes_password);
  const std::string text = config.after["data"]["config.yaml"];
  for (const char* email : {"ann@example.com", "ben@example.com", "cat@example.com"})
    EXPECT_THAT(text, HasSubstr(std::string("email: \"") + email + "\""));
  EXPECT_THAT(config.summary, HasSubstr("ann@example.com"));
  EXPECT_THAT(config.summary, HasSubstr("cat@example.com"));
  // The restart is planned from the Deployment as stored, and records the final config's hash.
  EXPECT_EQ(planned->steps[3].kind, StepKind::kRestartDeployment);
  EXPECT_EQ(planned->steps[3].before, *store.get({"apps/v1", "Deployment", "auth", "dex"}));
}

TEST(ComposedUserAdds, AppliedOnAFolderItIsTwoDexWritesForTheBatchAndConverges) {
  auto store = kubeflow_store();
  store.live = false;  // as a manifests folder: the restart is a recorded config hash
  auto batch = adds({add("ann"), add("ben"), add("cat")});
  auto applied = plan::apply_plan(store, batch, {});
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_THAT(store.writes,
              ElementsAre("replace ConfigMap auth/dex", "patch Deployment auth/dex",
                          "create Profile ann", "create Profile ben", "create Profile cat"));
  for (const char* email : {"ann@example.com", "ben@example.com", "cat@example.com"})
    EXPECT_THAT(config_yaml(store), HasSubstr(email));
  // Planning the batch again finds it done.
  auto again = plan::plan_once(store, batch);
  ASSERT_TRUE(again);
  EXPECT_THAT(again->steps, IsEmpty());
}

TEST(ComposedUserAdds, AUserIdTakenEarlierInTheBatchIsRefusedBeforeAnyWrite) {
  auto store = kubeflow_store();
  auto ann = add("ann");
  auto ben = add("ben");
  ann.user_id = "same-id";
  ben.user_id = "same-id";
  auto applied = plan::apply_plan(store, adds({ann, ben}), {});
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, ErrorCode::kRefused);
  EXPECT_THAT(applied.error().message, HasSubstr("ann@example.com"));
  EXPECT_THAT(store.writes, IsEmpty());
}

TEST(ComposedUserAdds, AProfileNameTakenEarlierInTheBatchIsRefused) {
  auto store = kubeflow_store();
  auto ann = add("ann");
  auto ben = add("ben");
  ben.profile = "ann";  // the profile ann's add creates, owned by ann
  auto planned = plan::plan_once(store, adds({ann, ben}));
  ASSERT_FALSE(planned);
  EXPECT_EQ(planned.error().code, ErrorCode::kRefused);
  EXPECT_THAT(planned.error().message, HasSubstr("ann@example.com"));
}

// ---- AddDexUsersPlanner: the Dex part of many adds from one listing and one upsert ----

AddUserRequest dex_only(const std::string& name) {
  AddUserRequest r = add(name);
  r.create_profile = false;
  return r;
}

TEST(AddDexUsers, EachRequestGetsItsOwnRefusalAndTheRestAreOneWrite) {
  auto store = kubeflow_store();
  store.live = false;  // a manifests folder: no rollout to wait for in memory
  auto before = plan::apply_plan(store, adds({dex_only("ann"), dex_only("dan")}), {});
  ASSERT_TRUE(before) << before.error().message;
  store.writes.clear();
  auto dan = dex_only("dan");
  dan.username = "someone-else";
  auto eve = dex_only("eve");
  auto fay = dex_only("fay");
  eve.user_id = "shared-id";
  fay.user_id = "shared-id";  // taken by eve, earlier in the batch
  auto bad = dex_only("bad");
  bad.email = "not an email";
  std::vector<AddUserRequest> requests = {dex_only("ann"), dan, eve, fay, bad, dex_only("gus")};
  AddDexUsersPlanner planner({}, requests);
  auto planned = plan::plan_once(store, planner);
  ASSERT_TRUE(planned) << planned.error().message;

  const auto& errors = planner.errors();
  ASSERT_EQ(errors.size(), requests.size());
  EXPECT_FALSE(errors[0]);
  ASSERT_TRUE(errors[1]);
  EXPECT_EQ(errors[1]->code, ErrorCode::kRefused);
  EXPECT_THAT(errors[1]->message, HasSubstr("already exists with username dan"));
  EXPECT_FALSE(errors[2]);
  ASSERT_TRUE(errors[3]);
  EXPECT_THAT(errors[3]->message, HasSubstr("already the user ID of eve@example.com"));
  ASSERT_TRUE(errors[4]);
  EXPECT_EQ(errors[4]->code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(errors[5]);
  EXPECT_EQ(planner.changes(), (std::vector<char>{0, 0, 1, 0, 0, 1}));
  EXPECT_FALSE(planner.first_too_large());

  std::vector<std::string> kinds;
  for (const auto& st : planned->steps)
    kinds.push_back(st.key.kind + (st.kind == StepKind::kWaitRollout ? " wait" : ""));
  EXPECT_THAT(kinds, ElementsAre("ConfigMap", "Deployment"));
  const std::string text = planned->steps[0].after["data"]["config.yaml"];
  EXPECT_THAT(text, HasSubstr("email: \"eve@example.com\""));
  EXPECT_THAT(text, HasSubstr("email: \"gus@example.com\""));
  EXPECT_THAT(text, Not(HasSubstr("fay@example.com")));
  EXPECT_THAT(planned->notes, Contains(HasSubstr("Dex user ann@example.com already exists")));
  // Hidden when the plan is shown: eve's and gus's new hashes (as written and in base64) and
  // gus's generated user ID; eve's given user ID and the refused requests' values are not.
  EXPECT_EQ(planned->placeholders.size(), 5u);
  for (const auto& [value, shown_as] : planned->placeholders) EXPECT_NE(value, "shared-id");

  // A re-plan (as after a conflict) writes the same text: hashes and user IDs are kept.
  auto again = plan::plan_once(store, planner);
  ASSERT_TRUE(again);
  ASSERT_FALSE(again->steps.empty());
  EXPECT_EQ(again->steps[0].after["data"]["config.yaml"], text);
  EXPECT_THAT(store.writes, IsEmpty());

  // Applied, the accepted requests are in and the next plan of the batch changes nothing.
  auto applied = plan::apply_plan(store, planner, {});
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_THAT(store.writes, ElementsAre("replace ConfigMap auth/dex", "patch Deployment auth/dex"));
  auto settled = plan::plan_once(store, planner);
  ASSERT_TRUE(settled);
  EXPECT_THAT(settled->steps, IsEmpty());
  EXPECT_EQ(planner.changes(), (std::vector<char>(requests.size(), 0)));
}

TEST(AddDexUsers, TheFirstRequestThatDoesNotFitIsNamedByItsOwnIndex) {
  auto store = kubeflow_store();
  auto cm = *store.get({"v1", "ConfigMap", "auth", "dex"});
  std::string text = cm["data"]["config.yaml"];
  // Room for one more entry of about 150 bytes, not two.
  text += "# " + std::string(store::kMaxConfigMapDataBytes - text.size() - 250, 'x') + "\n";
  cm["data"]["config.yaml"] = text;
  store.seed(cm);
  auto bad = dex_only("bad");
  bad.email = "nope";
  AddDexUsersPlanner planner({}, {bad, dex_only("ann"), dex_only("ben"), dex_only("cat")});
  auto planned = plan::plan_once(store, planner);
  ASSERT_TRUE(planned) << planned.error().message;
  ASSERT_EQ(planner.first_too_large(), std::optional<size_t>(2));  // ben, not the 2nd decided
  ASSERT_TRUE(planner.errors()[2]);
  EXPECT_EQ(planner.errors()[2]->code, ErrorCode::kTooLarge);
  EXPECT_THAT(planner.errors()[2]->message, HasSubstr("ben@example.com"));
  EXPECT_FALSE(planner.errors()[3]);
  EXPECT_EQ(planner.changes(), (std::vector<char>{0, 1, 0, 0}));
}

TEST(AddDexUsers, GivenAccountsServeTheFirstPlanOnly) {
  auto store = kubeflow_store();
  AddDexUsersPlanner planner({}, {dex_only("ann")});
  // As if a listing just before had found ann with another user ID: her add is an existing user.
  dex::DexAccount ann;
  ann.key = "ann@example.com";
  dex::DexUser record;
  record.email = "ann@example.com";
  record.user_id = "old";
  record.username = "other";
  record.hash = "$2y$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W";
  ann.records.push_back(record);
  ann.effective = 0;
  planner.use_accounts(
      std::make_shared<const std::vector<dex::DexAccount>>(std::vector<dex::DexAccount>{ann}));
  auto first = plan::plan_once(store, planner);
  ASSERT_TRUE(first);
  ASSERT_TRUE(planner.errors()[0]);
  EXPECT_THAT(planner.errors()[0]->message, HasSubstr("already exists"));
  // The next plan lists Dex itself: ann is new there.
  auto second = plan::plan_once(store, planner);
  ASSERT_TRUE(second);
  EXPECT_FALSE(planner.errors()[0]);
  EXPECT_EQ(planner.changes(), (std::vector<char>{1}));
}

}  // namespace
}  // namespace kftenant::tenancy
