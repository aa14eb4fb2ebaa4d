// `kftenant doctor` on a cluster (issue 10): each finding made on purpose, as a person or a
// crash would leave it, then detected; `--fix` repairs the safe ones through the plan path and
// the next doctor run no longer reports them.
#include "kftenant/base64.h"
#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/password_object.h"
#include "lifecycle_fixture.h"

namespace kftenant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class DoctorFindingsTest : public LifecycleTest {
 protected:
  nlohmann::json doctor_json() {
    auto r = kftenant({"doctor", "-o", "json"});
    auto parsed = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << r.out << r.err;
    return parsed;
  }
  // The findings whose message contains `needle`.
  std::vector<nlohmann::json> findings(const std::string& needle) {
    std::vector<nlohmann::json> out;
    const nlohmann::json report = doctor_json();  // the loop below must not outlive it
    for (const auto& f : report["findings"])
      if (f["message"].get<std::string>().find(needle) != std::string::npos) out.push_back(f);
    return out;
  }
};

TEST_P(DoctorFindingsTest, ARestartOwedIsFoundAndFixed) {
  ASSERT_EQ(add_user("ann@example.com", "password-of-ann", {"--no-profile"}).exit_code, 0);
  EXPECT_TRUE(findings("older config.yaml").empty());
  // config.yaml changed after kftenant's restart (by hand, or a crash between write and restart).
  auto cm = object("v1", "configmaps", "auth", "dex");
  cm["data"]["config.yaml"] = cm["data"]["config.yaml"].get<std::string>() + "# edited\n";
  ASSERT_TRUE(server_->put_object("v1", "configmaps", cm));
  auto owed = findings("older config.yaml");
  ASSERT_EQ(owed.size(), 1u);
  EXPECT_EQ(owed[0]["object"], "Deployment auth/dex");
  EXPECT_EQ(owed[0]["fix"], "restart Deployment auth/dex");

  const auto generation = object("apps/v1", "deployments", "auth", "dex")["metadata"]["generation"];
  auto r = kftenant({"doctor", "--fix", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("restart Deployment auth/dex"));
  EXPECT_EQ(object("apps/v1", "deployments", "auth", "dex")["metadata"]["generation"], generation);
  r = kftenant({"doctor", "--fix"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(object("apps/v1", "deployments", "auth", "dex")["metadata"]["generation"],
            generation.get<int64_t>() + 1);
  EXPECT_TRUE(findings("older config.yaml").empty());
  r = kftenant({"doctor", "--fix"});
  EXPECT_THAT(r.err, HasSubstr("nothing for --fix to repair"));
}

TEST_P(DoctorFindingsTest, HalfAContributorPairIsFoundAndFixed) {
  ASSERT_EQ(add_user("owner@example.com", "owner-password", {"--profile", "team", "--wait=20s"})
                .exit_code,
            0);
  ASSERT_EQ(add_user("bob@example.com", "bob-password", {"--no-profile"}).exit_code, 0);
  ASSERT_EQ(kftenant({"profile", "share", "team", "--with", "bob@example.com", "--role", "view"})
                .exit_code,
            0);
  const std::string name = "user-bob-example-com-clusterrole-view";
  ASSERT_TRUE(
      server_->delete_object("security.istio.io/v1beta1", "authorizationpolicies", "team", name));
  auto half = findings("bob@example.com: AuthorizationPolicy");
  ASSERT_EQ(half.size(), 1u) << doctor_json().dump(2);
  EXPECT_EQ(half[0]["object"], "profile team");
  EXPECT_THAT(half[0]["fix"].get<std::string>(), HasSubstr("missing half of bob@example.com"));
  auto r = kftenant({"doctor", "--fix"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(exists("security.istio.io/v1beta1", "authorizationpolicies", "team", name));
  EXPECT_TRUE(findings("bob@example.com: AuthorizationPolicy").empty());
}

TEST_P(DoctorFindingsTest, StateMadeByHandIsExplained) {
  ASSERT_EQ(add_user("owner@example.com", "owner-password", {"--profile", "team", "--wait=20s"})
                .exit_code,
            0);
  // A user without a profile, a contributor without a Dex user.
  ASSERT_EQ(add_user("solo@example.com", "solo-password", {"--no-profile"}).exit_code, 0);
  ASSERT_EQ(kftenant({"profile", "share", "team", "--with", "ghost@example.com", "--role", "edit"})
                .exit_code,
            0);
  bool no_profile = false, ghost = false;
  const nlohmann::json report = doctor_json();
  for (const auto& f : report["findings"]) {
    no_profile = no_profile || (f["object"] == "solo@example.com" &&
                                f["message"].get<std::string>().find("has no profile") == 0);
    ghost = ghost || (f["object"] == "profile team" &&
                      f["message"].get<std::string>().find(
                          "ghost@example.com: contributor with no Dex user") == 0);
  }
  EXPECT_TRUE(no_profile);
  EXPECT_TRUE(ghost);
  EXPECT_TRUE(findings("does not exist").empty());  // the controller made every namespace

  // A namespace whose owner annotation was changed by hand: the profile controller stops there.
  server_->set_profile_controller_paused(true);
  auto ns = object("v1", "namespaces", "", "team");
  ns["metadata"]["annotations"]["owner"] = "someone@else.example";
  ASSERT_TRUE(server_->put_object("v1", "namespaces", ns));
  auto carried = findings("carries owner someone@else.example");
  ASSERT_EQ(carried.size(), 1u);
  EXPECT_EQ(carried[0]["severity"], "error");
  EXPECT_THAT(carried[0]["message"].get<std::string>(),
              HasSubstr("kftenant profile transfer team --to owner@example.com"));
  auto r = kftenant({"doctor"});
  EXPECT_EQ(r.exit_code, 1);  // an error finding
  EXPECT_THAT(r.out, HasSubstr("carries owner someone@else.example"));

  // namespaceAdmin deleted (the controller is paused, so it stays missing).
  ns = object("v1", "namespaces", "", "team");
  ns["metadata"]["annotations"]["owner"] = "owner@example.com";
  ASSERT_TRUE(server_->put_object("v1", "namespaces", ns));
  ASSERT_TRUE(server_->delete_object("rbac.authorization.k8s.io/v1", "rolebindings", "team",
                                     "namespaceAdmin"));
  EXPECT_EQ(findings("RoleBinding team/namespaceAdmin is missing").size(), 1u);
  server_->set_profile_controller_paused(false);
}

TEST_P(DoctorFindingsTest, AConfigMapNearTheSizeLimitSaysHowManyMoreUsersFit) {
  ASSERT_EQ(add_user("ann@example.com", "password-of-ann", {"--no-profile"}).exit_code, 0);
  EXPECT_TRUE(findings("1024 KiB in a ConfigMap").empty());
  auto r = kftenant({"doctor"});
  EXPECT_THAT(r.out, HasSubstr("KiB of the 1024 KiB a ConfigMap may hold"));
  auto cm = object("v1", "configmaps", "auth", "dex");
  // 950 KiB of comment, as a very long config.yaml would weigh.
  cm["data"]["config.yaml"] =
      cm["data"]["config.yaml"].get<std::string>() + "#" + std::string(950 * 1024, 'x') + "\n";
  ASSERT_TRUE(server_->put_object("v1", "configmaps", cm));
  auto near = findings("1024 KiB in a ConfigMap");
  ASSERT_EQ(near.size(), 1u);
  EXPECT_EQ(near[0]["severity"], "warning");
  EXPECT_THAT(near[0]["message"].get<std::string>(), HasSubstr("more users fit"));
  EXPECT_THAT(near[0]["message"].get<std::string>(), HasSubstr("--dex-backend password-crd"));
}

// What kftenant's size checks stand in front of: both API servers refuse a ConfigMap with more
// than 1 MiB of data (kubernetes pkg/apis/core/validation ValidateConfigMap), here the write of
// a `user add` on a config.yaml just under the limit.
TEST_P(DoctorFindingsTest, BothApiServersRefuseAConfigMapOverOneMebibyte) {
  auto cm = object("v1", "configmaps", "auth", "dex");
  std::string config = cm["data"]["config.yaml"];
  config += "#" + std::string(1024 * 1024 - config.size() - 2, 'x') + "\n";
  ASSERT_EQ(config.size(), 1024u * 1024u);
  cm["data"]["config.yaml"] = config;
  ASSERT_TRUE(server_->put_object("v1", "configmaps", cm));
  // kftenant sees it coming and says what to do instead.
  auto r = add_user("ann@example.com", "password-of-ann", {"--no-profile"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("takes at most 1024 KiB in a ConfigMap: add this user with "
                               "--dex-backend password-crd"));
  EXPECT_EQ(config_yaml(), config);
  // The API server refuses the write itself: the same on both (here through a client that
  // does not check, the test's own admin access).
  cm["data"]["config.yaml"] = config + "#\n";
  auto refused = server_->put_object("v1", "configmaps", cm);
  if (!fake()) {  // the fake's admin access writes its store directly, without validation
    ASSERT_FALSE(refused);
    EXPECT_THAT(refused.error().message, HasSubstr("Too long: must have at most 1048576 bytes"));
  }
}

TEST_P(DoctorFindingsTest, APasswordObjectDexCannotReadIsFoundAndFixed) {
  const std::string hash = *dex::bcrypt_hash("password-of-eve", 10);
  auto put = [&](const std::string& name, const std::string& email) {
    nlohmann::json object = {{"apiVersion", "dex.coreos.com/v1"},
                             {"kind", "Password"},
                             {"metadata", {{"name", name}, {"namespace", "auth"}}},
                             {"email", email},
                             {"hash", base64::encode(hash)},
                             {"username", "eve"},
                             {"userID", "id-" + name}};
    ASSERT_TRUE(server_->put_object("dex.coreos.com/v1", "passwords", object));
  };
  put("eve-by-hand", "eve@example.com");  // a name Dex never looks up
  const std::string fay_name = dex::password_object_name("fay@example.com");
  put(fay_name, "Fay@Example.com");  // the right name, an email with capitals
  auto misnamed = findings("is named eve-by-hand");
  ASSERT_EQ(misnamed.size(), 1u);
  EXPECT_EQ(misnamed[0]["fix"],
            "recreate it as Password auth/" + dex::password_object_name("eve@example.com"));
  auto capitals = findings("is not lower-case");
  ASSERT_EQ(capitals.size(), 1u);
  EXPECT_EQ(capitals[0]["fix"], "lower-case its email");

  auto r = kftenant({"doctor", "--fix"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(exists("dex.coreos.com/v1", "passwords", "auth", "eve-by-hand"));
  auto eve = object("dex.coreos.com/v1", "passwords", "auth",
                    dex::password_object_name("eve@example.com"));
  EXPECT_EQ(eve.value("email", ""), "eve@example.com");
  EXPECT_EQ(eve.value("userID", ""), "id-eve-by-hand") << "everything else is kept";
  EXPECT_EQ(*base64::decode(eve.value("hash", "")), hash);
  EXPECT_EQ(object("dex.coreos.com/v1", "passwords", "auth", fay_name).value("email", ""),
            "fay@example.com");
  EXPECT_TRUE(findings("is named").empty());
  EXPECT_TRUE(findings("is not lower-case").empty());
}

KFTENANT_ON_BOTH_SERVERS(DoctorFindingsTest);

}  // namespace
}  // namespace kftenant::testing
