// What the real binary says when the credentials fail: a 401 names the kubeconfig user and context
// and what to check; a failing exec credential plugin shows its whole stderr (bounded, escaped).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "lifecycle/lifecycle_fixture.h"

namespace kftenant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AuthMessagesTest : public FakeLifecycleTest {
 protected:
  // The fixture's kubeconfig with its user's `token: ...` line replaced by `user_block`.
  void replace_user(const std::string& user_block) {
    std::ifstream in(kubeconfig_);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    const std::string token_line = "    token: " + fake_server().admin_token() + "\n";
    auto at = text.find(token_line);
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at, token_line.size(), user_block);
    dir_.write("kubeconfig", text);
  }
};

TEST_F(AuthMessagesTest, RefusedTokenNamesUserContextAndWhatToCheck) {
  replace_user("    token: not-the-right-token-4711\n");
  auto r = kftenant({"user", "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "kftenant: the API server " + server_->url() +
                " refused the credentials of kubeconfig user \"kftenant-test-admin\" (context "
                "\"kftenant-test\" in " +
                kubeconfig_ +
                "; token) with 401 Unauthorized; the token may have expired or been revoked, or "
                "be meant for another cluster: get a new token for "
                "users[kftenant-test-admin].token, and check that context \"kftenant-test\" "
                "points at the cluster you mean\n");
  EXPECT_THAT(r.err + r.out, Not(HasSubstr("not-the-right-token-4711")));
}

TEST_F(AuthMessagesTest, FailingExecPluginShowsItsWholeStderr) {
  // Like gke-gcloud-auth-plugin after the gcloud login expired: the explanation spans lines and
  // the last one is ")".
  replace_user(
      "    exec:\n"
      "      apiVersion: client.authentication.k8s.io/v1\n"
      "      command: /bin/sh\n"
      "      args:\n"
      "      - -c\n"
      "      - |\n"
      "        echo 'F0101 cred.go:145] print credential failed with error: (err: ERROR: "
      "(gcloud.config.config-helper) Reauthentication failed.' >&2\n"
      "        echo 'Please run:' >&2\n"
      "        echo '' >&2\n"
      "        echo '  $ gcloud auth login' >&2\n"
      "        echo ')' >&2\n"
      "        exit 1\n"
      "      interactiveMode: Never\n");
  auto r = kftenant({"user", "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("exec plugin /bin/sh: failed with exit code 1; its stderr:\n"
                               "    F0101 cred.go:145] print credential failed with error: (err: "
                               "ERROR: (gcloud.config.config-helper) Reauthentication failed.\n"
                               "    Please run:\n"
                               "\n"
                               "      $ gcloud auth login\n"
                               "    )\n"));
}

TEST_F(AuthMessagesTest, MissingExecPluginShowsTheInstallHint) {
  replace_user(
      "    exec:\n"
      "      apiVersion: client.authentication.k8s.io/v1beta1\n"
      "      command: kftenant-test-no-such-auth-plugin\n"
      "      installHint: |\n"
      "        Install kftenant-test-no-such-auth-plugin for use with kubectl by following\n"
      "        https://example.com/install\n");
  auto r = kftenant({"user", "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("exec plugin kftenant-test-no-such-auth-plugin: executable not "
                               "found in $PATH; the kubeconfig's installHint says:\n"
                               "    Install kftenant-test-no-such-auth-plugin for use with "
                               "kubectl by following\n"
                               "    https://example.com/install\n"));
}

}  // namespace
}  // namespace kftenant::testing
