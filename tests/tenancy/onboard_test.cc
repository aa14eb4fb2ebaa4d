// onboard(): many rows, one config.yaml write and one restart; rows independent of each other
// (a refusal or a failed write stops only its row); a re-run finishes what is left and changes
// nothing that is in place.
#include "kftenant/tenancy/onboard.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "kftenant/dex/bcrypt.h"
#include "kftenant/plan/render.h"
#include "kftenant/yaml.h"
#include "support/kubeflow_memory_store.h"
#include "testserver/seed_kubeflow.h"

namespace kftenant::tenancy {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

testing::MemoryStore kubeflow_store() {
  return testing::kubeflow_memory_store();
}

std::vector<UserRow> rows_of(const std::string& csv) {
  auto file = read_user_csv(csv, "users.csv");
  EXPECT_THAT(file.problems, IsEmpty());
  return file.rows;
}

OnboardOptions fast() {
  OnboardOptions o;
  o.bcrypt_cost = 10;
  o.jobs = 2;
  return o;
}

std::string config_yaml(testing::MemoryStore& store) {
  return (*store.get({"v1", "ConfigMap", "auth", "dex"}))["data"]["config.yaml"];
}

std::vector<std::string> writes_of(const testing::MemoryStore& store, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& w : store.writes)
    if (w.rfind(prefix, 0) == 0) out.push_back(w);
  return out;
}

const char* const kThree =
    "email,password,quota\n"
    "ann@example.com,password-ann,cpu=2\n"
    "ben@example.com,password-ben,\n"
    "cat@example.com,password-cat,\n";

TEST(Onboard, ThreeRowsAreOneConfigWriteOneRestartAndAProfileEach) {
  auto store = kubeflow_store();
  auto report = onboard(store, {}, rows_of(kThree), fast());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_THAT(store.writes,
              ElementsAre("replace ConfigMap auth/dex", "patch Deployment auth/dex",
                          "create Profile ann", "create Profile ben", "create Profile cat"));
  EXPECT_EQ(report->dex_writes, 1);
  EXPECT_FALSE(report->any_failed());
  for (const auto& r : report->rows) {
    EXPECT_EQ(r.dex, RowResult::kCreated) << r.email;
    EXPECT_EQ(r.profile, RowResult::kCreated) << r.email;
    EXPECT_EQ(r.contributors, RowResult::kNone) << r.email;
  }
  EXPECT_EQ((*store.get({"kubeflow.org/v1", "Profile", "",
                         "ann"}))["spec"]["resourceQuotaSpec"]["hard"]["cpu"],
            "2");
  // The stored hashes are the rows' passwords.
  const std::string text = config_yaml(store);
  EXPECT_THAT(text, HasSubstr("email: \"ben@example.com\""));
  EXPECT_EQ(text.find("password-ben"), std::string::npos);
}

TEST(Onboard, RunningTheSameRowsAgainChangesNothing) {
  auto store = kubeflow_store();
  ASSERT_TRUE(onboard(store, {}, rows_of(kThree), fast()));
  store.writes.clear();
  auto again = onboard(store, {}, rows_of(kThree), fast());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_THAT(store.writes, IsEmpty());
  for (const auto& r : again->rows) {
    EXPECT_EQ(r.dex, RowResult::kUnchanged) << r.email;
    EXPECT_EQ(r.profile, RowResult::kUnchanged) << r.email;
  }
}

TEST(Onboard, ARefusedRowIsReportedWithItsLineAndTheOthersGoOn) {
  auto store = kubeflow_store();
  // ben's profile belongs to someone else; cat exists with another password.
  store.seed({{"apiVersion", "kubeflow.org/v1"},
              {"kind", "Profile"},
              {"metadata", {{"name", "ben"}}},
              {"spec", {{"owner", {{"kind", "User"}, {"name", "other@example.com"}}}}}});
  ASSERT_TRUE(
      onboard(store, {}, rows_of("email,password\ncat@example.com,first-password\n"), fast()));
  store.writes.clear();
  auto report = onboard(store, {}, rows_of(kThree), fast());
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->rows.size(), 3u);
  EXPECT_EQ(report->rows[0].dex, RowResult::kCreated);
  EXPECT_EQ(report->rows[0].profile, RowResult::kCreated);
  EXPECT_EQ(report->rows[1].line, 3);
  EXPECT_EQ(report->rows[1].dex, RowResult::kCreated);  // the Dex user is fine
  EXPECT_EQ(report->rows[1].profile, RowResult::kFailed);
  ASSERT_TRUE(report->rows[1].error);
  EXPECT_THAT(report->rows[1].error->message, HasSubstr("belongs to other@example.com"));
  EXPECT_EQ(report->rows[2].line, 4);
  EXPECT_EQ(report->rows[2].dex, RowResult::kFailed);
  // cat's Dex user stays as it was (the row is refused); its profile was in place already.
  EXPECT_EQ(report->rows[2].profile, RowResult::kUnchanged);
  EXPECT_THAT(report->rows[2].error->message, HasSubstr("different password"));
  EXPECT_TRUE(report->any_failed());
  EXPECT_THAT(writes_of(store, "replace ConfigMap"), ElementsAre("replace ConfigMap auth/dex"));
  EXPECT_THAT(writes_of(store, "create Profile"), ElementsAre("create Profile ann"));
}

TEST(Onboard, AWriteFailingInTheMiddleStopsOnlyItsRowAndTheRerunFinishes) {
  auto store = kubeflow_store();
  auto rows = rows_of(kThree);
  // The config write and ann's profile succeed; ben's profile create fails.
  OnboardOptions options = fast();
  int writes_seen = 0;
  options.apply.before_step = [&](const plan::Step& step) -> Result<void> {
    if (plan::is_write(step.kind) && step.key.kind == "Profile" && step.key.name == "ben" &&
        writes_seen++ == 0) {
      Error e;
      e.code = ErrorCode::kServerError;
      e.message = "etcdserver: request timed out";
      store.next_write_errors.push_back(e);
    }
    return ok();
  };
  auto report = onboard(store, {}, rows, options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->rows[1].profile, RowResult::kFailed);
  EXPECT_THAT(report->rows[1].error->message, HasSubstr("etcdserver: request timed out"));
  EXPECT_EQ(report->rows[2].profile, RowResult::kCreated);
  store.writes.clear();
  auto rerun = onboard(store, {}, rows, fast());
  ASSERT_TRUE(rerun) << rerun.error().message;
  EXPECT_THAT(store.writes, ElementsAre("create Profile ben"));
  EXPECT_FALSE(rerun->any_failed());
}

TEST(Onboard, GeneratedPasswordsAreRecordedBeforeTheWriteThatStoresTheirHashes) {
  auto store = kubeflow_store();
  // ann exists already: her generate row keeps her password and records nothing.
  ASSERT_TRUE(
      onboard(store, {}, rows_of("email,password\nann@example.com,password-ann\n"), fast()));
  store.writes.clear();
  OnboardOptions options = fast();
  std::vector<GeneratedCredential> recorded;
  size_t writes_when_recorded = 99;
  options.record_passwords = [&](const std::vector<GeneratedCredential>& made) -> Result<void> {
    writes_when_recorded = store.writes.size();
    recorded.insert(recorded.end(), made.begin(), made.end());
    return ok();
  };
  auto report = onboard(
      store, {},
      rows_of("email,generate\nann@example.com,true\nben@example.com,true\ncat@example.com,1\n"),
      options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(writes_when_recorded, 0u);
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[0].email, "ben@example.com");
  EXPECT_EQ(recorded[1].email, "cat@example.com");
  EXPECT_EQ(recorded[0].line, 3);
  EXPECT_FALSE(report->rows[0].password_generated);
  EXPECT_TRUE(report->rows[1].password_generated);
  // The recorded password is the one whose hash Dex got.
  auto parsed = yaml::parse(config_yaml(store));
  ASSERT_TRUE(parsed);
  std::string ben_hash;
  for (const auto& e : (*parsed)["staticPasswords"])
    if (e["email"] == "ben@example.com") ben_hash = e["hash"];
  auto same = dex::bcrypt_verify(recorded[0].password, ben_hash);
  ASSERT_TRUE(same);
  EXPECT_TRUE(*same);
}

TEST(Onboard, AFailedPasswordRecordStopsTheWrite) {
  auto store = kubeflow_store();
  OnboardOptions options = fast();
  options.record_passwords = [](const std::vector<GeneratedCredential>&) -> Result<void> {
    return make_error(ErrorCode::kIo, "disk full");
  };
  auto report = onboard(store, {}, rows_of("email,generate\nben@example.com,true\n"), options);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->rows[0].dex, RowResult::kFailed);
  EXPECT_THAT(report->rows[0].error->message, HasSubstr("disk full"));
  // No Dex user (its password could not be recorded); the profile, independent of it, is made
  // and a re-run adds the user.
  EXPECT_THAT(writes_of(store, "replace ConfigMap"), IsEmpty());
  EXPECT_THAT(store.writes, ElementsAre("create Profile ben"));
}

// A MemoryStore that several threads may use at once (each call under one lock), holding the
// first Dex write (a Password object) until a Profile has been created or 10 s have passed: with
// profiles made alongside the Dex phase the write goes on as soon as the first profile is there;
// made after it, the write waits the whole 10 s and `overlapped` stays false.
class ProfileFirstStore final : public store::ObjectStore {
 public:
  testing::MemoryStore inner;
  bool overlapped = false;

  std::string description() const override { return "memory, shared"; }
  store::StoreCapabilities capabilities() const override { return {true}; }
  Result<nlohmann::json> get(const store::ObjectKey& key) override {
    std::lock_guard lock(mutex_);
    return inner.get(key);
  }
  Result<std::vector<nlohmann::json>> list(const std::string& api_version, const std::string& kind,
                                           const std::string& ns,
                                           const std::string& selector) override {
    std::lock_guard lock(mutex_);
    return inner.list(api_version, kind, ns, selector);
  }
  Result<nlohmann::json> create(const nlohmann::json& object) override {
    std::unique_lock lock(mutex_);
    if (object.value("kind", "") == "Password" && !waited_) {
      waited_ = true;
      overlapped =
          profile_cv_.wait_for(lock, std::chrono::seconds(10), [&] { return profile_made_; });
    }
    auto created = inner.create(object);
    if (created && object.value("kind", "") == "Profile") {
      profile_made_ = true;
      profile_cv_.notify_all();
    }
    return created;
  }
  Result<nlohmann::json> replace(const nlohmann::json& object) override {
    std::lock_guard lock(mutex_);
    return inner.replace(object);
  }
  Result<nlohmann::json> patch(const store::ObjectKey& key, store::PatchType type,
                               const nlohmann::json& patch) override {
    std::lock_guard lock(mutex_);
    return inner.patch(key, type, patch);
  }
  Result<void> remove(const store::ObjectKey& key,
                      std::optional<std::string> resource_version) override {
    std::lock_guard lock(mutex_);
    return inner.remove(key, std::move(resource_version));
  }

 private:
  std::mutex mutex_;
  std::condition_variable profile_cv_;
  bool profile_made_ = false;
  bool waited_ = false;
};

TEST(Onboard, OnAClusterProfilesAreMadeAlongsideTheDexPhase) {
  ProfileFirstStore store;
  for (auto& o : testserver::kubeflow_seed_objects()) store.inner.seed(std::move(o));
  TenancyContext context;
  context.backend = dex::Backend::kPasswordObject;  // no rollout for a MemoryStore to finish
  auto report = onboard(store, context, rows_of(kThree), fast());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(store.overlapped) << "the Dex write waited 10 s for a profile";
  for (const auto& r : report->rows) {
    EXPECT_EQ(r.dex, RowResult::kCreated) << r.email;
    EXPECT_EQ(r.profile, RowResult::kCreated) << r.email;
  }
  EXPECT_THAT(writes_of(store.inner, "create Password"), ::testing::SizeIs(3));
}

TEST(Onboard, RowsThatDoNotFitInTheConfigMapRefuseTheWholeFile) {
  auto store = kubeflow_store();
  auto cm = *store.get({"v1", "ConfigMap", "auth", "dex"});
  // Fill config.yaml to just under 1 MiB with a comment block.
  std::string text = cm["data"]["config.yaml"];
  text += "# " + std::string(store::kMaxConfigMapDataBytes - text.size() - 250, 'x') + "\n";
  cm["data"]["config.yaml"] = text;
  store.seed(cm);
  auto report = onboard(store, {}, rows_of(kThree), fast());
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kTooLarge);
  EXPECT_THAT(report.error().message, HasSubstr("--dex-backend password-crd"));
  EXPECT_THAT(report.error().message, HasSubstr("after 1 new users"));
  EXPECT_THAT(store.writes, IsEmpty());
}

TEST(Onboard, PasswordObjectsOneEachAndNoRestart) {
  auto store = kubeflow_store();
  TenancyContext context;
  context.backend = dex::Backend::kPasswordObject;
  auto report = onboard(store, context, rows_of(kThree), fast());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->dex_writes, 3);
  EXPECT_EQ(report->restarts, 0);
  EXPECT_THAT(writes_of(store, "create Password"), ::testing::SizeIs(3));
  EXPECT_THAT(writes_of(store, "replace ConfigMap"), IsEmpty());
  EXPECT_THAT(writes_of(store, "patch Deployment"), IsEmpty());
}

// Counts the reads of Profiles and Namespaces that reach the store.
class ReadCountingStore : public testing::MemoryStore {
 public:
  int profile_and_namespace_gets = 0;
  Result<nlohmann::json> get(const store::ObjectKey& key) override {
    if (key.kind == "Profile" || key.kind == "Namespace") ++profile_and_namespace_gets;
    return MemoryStore::get(key);
  }
};

TEST(Onboard, ManyProfilesOnAClusterArePlannedFromOneListOfEachKind) {
  ReadCountingStore store;  // live, as a cluster
  for (auto& o : testserver::kubeflow_seed_objects()) store.seed(std::move(o));
  // One profile in place already, one owned by someone else: the LIST's answers decide both.
  store.seed({{"apiVersion", "kubeflow.org/v1"},
              {"kind", "Profile"},
              {"metadata", {{"name", "u01"}}},
              {"spec", {{"owner", {{"kind", "User"}, {"name", "u01@example.com"}}}}}});
  store.seed({{"apiVersion", "kubeflow.org/v1"},
              {"kind", "Profile"},
              {"metadata", {{"name", "u02"}}},
              {"spec", {{"owner", {{"kind", "User"}, {"name", "mallory@example.com"}}}}}});
  std::string csv = "email,hash\n";
  const std::string hash = *dex::bcrypt_hash("password-of-all", 10);
  for (int i = 1; i <= 40; ++i) csv += fmt::format("u{:02}@example.com,{}\n", i, hash);
  TenancyContext context;
  context.backend = dex::Backend::kPasswordObject;  // no rollout to wait for
  OnboardOptions one_at_a_time = fast();
  one_at_a_time.jobs = 1;  // MemoryStore is not thread-safe
  auto report = onboard(store, context, rows_of(csv), one_at_a_time);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(store.profile_and_namespace_gets, 0);
  EXPECT_THAT(writes_of(store, "create Profile"), ::testing::SizeIs(38));
  EXPECT_EQ(report->rows[0].profile, RowResult::kUnchanged);
  EXPECT_EQ(report->rows[1].profile, RowResult::kFailed);
  ASSERT_TRUE(report->rows[1].error);
  EXPECT_THAT(report->rows[1].error->message, HasSubstr("mallory@example.com"));
  for (size_t i = 2; i < report->rows.size(); ++i)
    EXPECT_EQ(report->rows[i].profile, RowResult::kCreated) << report->rows[i].email;
}

TEST(Onboard, ContributorsGetKfamBindingsInTheNewProfile) {
  auto store = kubeflow_store();
  auto report =
      onboard(store, {},
              rows_of("email,password,contributors\n"
                      "ann@example.com,password-ann,bob@example.com:edit;cat@example.com:view\n"),
              fast());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->rows[0].contributors, RowResult::kCreated);
  EXPECT_THAT(writes_of(store, "create RoleBinding"),
              ElementsAre("create RoleBinding ann/user-bob-example-com-clusterrole-edit",
                          "create RoleBinding ann/user-cat-example-com-clusterrole-view"));
  EXPECT_THAT(writes_of(store, "create AuthorizationPolicy"), ::testing::SizeIs(2));
}

TEST(Onboard, TheDryRunPlanIsOneConfigWriteAndWritesNothing) {
  auto store = kubeflow_store();
  ASSERT_TRUE(
      onboard(store, {}, rows_of("email,password\ncat@example.com,first-password\n"), fast()));
  store.writes.clear();
  auto plan = plan_onboard(store, {}, rows_of(kThree), fast());
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_THAT(store.writes, IsEmpty());
  std::vector<std::string> writes;
  for (const auto& s : plan->steps)
    if (plan::is_write(s.kind))
      writes.push_back(std::string(plan::action_of(s)) + " " + s.key.kind);
  EXPECT_THAT(writes, ElementsAre("replace ConfigMap", "patch Deployment", "create Profile",
                                  "create Profile"));
  EXPECT_THAT(plan->notes, Contains(HasSubstr("line 4 (cat@example.com): cat@example.com already "
                                              "exists with a different password")));
  const std::string shown = plan::render_plan(*plan, &store);
  EXPECT_EQ(shown.find("$2y$"), std::string::npos);
}

}  // namespace
}  // namespace kftenant::tenancy
