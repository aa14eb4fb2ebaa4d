// A non-admin kubeconfig user against the test API server's RBAC (issue 7, items 5 and 13):
// writes the caller may not make are found before anything is written, and doctor says what it
// could not check instead of calling it missing.
#include <fstream>
#include <map>

#include "kftenant/base64.h"
#include "lifecycle_fixture.h"

namespace kftenant::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

class PermissionsTest : public LifecycleTest {
 protected:
  // A kubeconfig for `user` (a bearer token, no groups).
  std::string kubeconfig_for(const std::string& user) {
    const std::string token = server_->user_token(user);
    tokens_[user] = token;
    const std::string path = dir_.file("kubeconfig-" + user);
    std::ofstream(path) << "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                        << "    server: " << server_->url() << "\n"
                        << "    certificate-authority-data: " << base64::encode(server_->ca_pem())
                        << "\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n"
                        << "current-context: c\nusers:\n- name: u\n  user:\n    token: " << token
                        << "\n";
    return path;
  }
  ProcessResult as(const std::string& kubeconfig, std::vector<std::string> args,
                   const std::string& input = "") {
    std::vector<std::string> argv = {KFTENANT_BINARY, "--kubeconfig", kubeconfig};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, input);
  }
  void put(const std::string& api_version, const std::string& resource, nlohmann::json o) {
    auto r = server_->put_object(api_version, resource, std::move(o));
    ASSERT_TRUE(r) << r.error().message;
  }
  // Grants `user` what `user add` needs except creating Profiles: Dex's ConfigMap and
  // Deployment in auth (get/update), Password objects (get/list), Profiles and Namespaces
  // (get/list).
  void grant_all_but_profile_create(const std::string& user) {
    put("rbac.authorization.k8s.io/v1", "roles",
        {{"apiVersion", "rbac.authorization.k8s.io/v1"},
         {"kind", "Role"},
         {"metadata", {{"name", "dex-editor"}, {"namespace", "auth"}}},
         {"rules",
          {{{"apiGroups", {""}}, {"resources", {"configmaps"}}, {"verbs", {"get", "update"}}},
           {{"apiGroups", {"apps"}}, {"resources", {"deployments"}}, {"verbs", {"get", "patch"}}},
           {{"apiGroups", {"dex.coreos.com"}},
            {"resources", {"passwords"}},
            {"verbs", {"get", "list"}}}}}});
    put("rbac.authorization.k8s.io/v1", "rolebindings",
        {{"apiVersion", "rbac.authorization.k8s.io/v1"},
         {"kind", "RoleBinding"},
         {"metadata", {{"name", "dex-editor"}, {"namespace", "auth"}}},
         {"roleRef",
          {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", "dex-editor"}}},
         {"subjects",
          {{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "User"}, {"name", user}}}}});
    put("rbac.authorization.k8s.io/v1", "clusterroles",
        {{"apiVersion", "rbac.authorization.k8s.io/v1"},
         {"kind", "ClusterRole"},
         {"metadata", {{"name", "profile-reader"}}},
         {"rules",
          {{{"apiGroups", {"kubeflow.org"}},
            {"resources", {"profiles"}},
            {"verbs", {"get", "list"}}},
           {{"apiGroups", {""}}, {"resources", {"namespaces"}}, {"verbs", {"get", "list"}}}}}});
    put("rbac.authorization.k8s.io/v1", "clusterrolebindings",
        {{"apiVersion", "rbac.authorization.k8s.io/v1"},
         {"kind", "ClusterRoleBinding"},
         {"metadata", {{"name", "profile-reader-" + user}}},
         {"roleRef",
          {{"apiGroup", "rbac.authorization.k8s.io"},
           {"kind", "ClusterRole"},
           {"name", "profile-reader"}}},
         {"subjects",
          {{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "User"}, {"name", user}}}}});
  }
  std::map<std::string, std::string> tokens_;
};

TEST_P(PermissionsTest, Item5_AMissingPermissionIsFoundBeforeAnythingIsWritten) {
  const std::string kc = kubeconfig_for("carol");
  grant_all_but_profile_create("carol");
  const auto config = config_yaml();
  const auto annotations = dex_template_annotations();
  mark_state();
  auto r = as(kc, {"user", "add", "new@example.com", "--password-stdin", "--bcrypt-cost", "10"},
              "new-user-password\n");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("you may not create profiles.kubeflow.org (cluster-wide)"));
  EXPECT_THAT(r.err, HasSubstr("nothing was written"));
  EXPECT_EQ(config_yaml(), config);
  EXPECT_EQ(dex_template_annotations(), annotations);
  for (const auto& w : writes())
    EXPECT_THAT(w.path, HasSubstr("selfsubjectaccessreviews")) << w.method << " " << w.path;

  // With --no-profile everything the plan needs is allowed: it goes through.
  r = as(
      kc,
      {"user", "add", "new@example.com", "--password-stdin", "--bcrypt-cost", "10", "--no-profile"},
      "new-user-password\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(config_yaml(), HasSubstr("new@example.com"));
}

TEST_P(PermissionsTest, Item13_DoctorSaysWhatItCouldNotCheck) {
  const std::string kc = kubeconfig_for("dave");  // no permissions at all
  auto r = as(kc, {"doctor"});
  EXPECT_THAT(r.out, Not(HasSubstr("MISSING")));
  EXPECT_THAT(
      r.out,
      ContainsRegex("unknown +ConfigMap auth/dex config.yaml +cannot check: forbidden \\(needs "
                    "get on configmaps in namespace auth\\)"));
  EXPECT_THAT(r.out, HasSubstr("needs get on customresourcedefinitions.apiextensions.k8s.io"));
  EXPECT_EQ(r.exit_code, 1);  // nothing could be confirmed

  // A refused token is not "MISSING API server" either.
  const std::string bad = dir_.file("kubeconfig-bad");
  {
    std::ifstream in(kc);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    text.replace(text.find(tokens_["dave"]), tokens_["dave"].size(), "wrong-token");
    std::ofstream(bad) << text;
  }
  r = as(bad, {"doctor"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, Not(HasSubstr("MISSING")));
  EXPECT_THAT(r.out, HasSubstr("ERROR"));
}

KFTENANT_ON_BOTH_SERVERS(PermissionsTest);

}  // namespace
}  // namespace kftenant::testing
