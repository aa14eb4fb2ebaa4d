// User adds composed into one plan (what bulk import builds on): every user is planned over the
// steps of the ones before, so config.yaml is written once, Dex restarts once, and a refusal or a
// collision inside the batch is found before anything is written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "kftenant/plan/compose.h"
#include "kftenant/tenancy/users.h"
#include "support/memory_store.h"
#include "testserver/seed_kubeflow.h"

namespace kftenant::tenancy {
namespace {

using nlohmann::json;
using plan::StepKind;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

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

}  // namespace
}  // namespace kftenant::tenancy
