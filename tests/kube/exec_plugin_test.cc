#include "kftenant/kube/exec_plugin.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kftenant/base64.h"
#include "support/temp_dir.h"

namespace kftenant::kube {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

const std::string kPlugin =
    std::string(KFTENANT_SOURCE_DIR) + "/tests/data/exec-plugin/fake-plugin.sh";
constexpr const char* kV1 = "client.authentication.k8s.io/v1";
constexpr const char* kV1beta1 = "client.authentication.k8s.io/v1beta1";

ExecConfig plugin(std::string mode = "token", std::string api_version = kV1) {
  ExecConfig e;
  e.api_version = std::move(api_version);
  e.command = kPlugin;
  e.interactive_mode = "Never";
  e.env.emplace_back("FAKE_PLUGIN_MODE", std::move(mode));
  return e;
}

RestConfig cluster() {
  RestConfig c;
  c.server = "https://k8s.example:6443";
  c.ca_pem = "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n";
  c.tls_server_name = "api.internal";
  return c;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string error_of(const Result<ExecCredential>& r) {
  EXPECT_FALSE(r.has_value());
  return r ? std::string() : r.error().message;
}

TEST(ExecPlugin, ReturnsTheTokenAndGetsArgsEnvAndExecInfo) {
  TempDir dir;
  ExecConfig e = plugin();
  e.args = {"get-token", "with space"};
  e.env.emplace_back("FAKE_PLUGIN_ARGS_FILE", dir.file("args"));
  e.env.emplace_back("FAKE_PLUGIN_INFO_FILE", dir.file("info"));
  auto cred = run_exec_plugin(e, cluster());
  ASSERT_TRUE(cred) << cred.error().message;
  EXPECT_EQ(cred->token, "fake-token-1");
  EXPECT_TRUE(cred->client_cert_pem.empty());
  EXPECT_FALSE(cred->expiration.has_value());
  EXPECT_EQ(slurp(dir.file("args")), "get-token\nwith space\n");
  auto info = nlohmann::json::parse(slurp(dir.file("info")));
  EXPECT_EQ(info, (nlohmann::json{{"kind", "ExecCredential"},
                                  {"apiVersion", kV1},
                                  {"spec", {{"interactive", false}}}}));
}

TEST(ExecPlugin, ProvideClusterInfoPutsTheClusterIntoExecInfo) {
  TempDir dir;
  ExecConfig e = plugin("token", kV1beta1);
  e.provide_cluster_info = true;
  e.env.emplace_back("FAKE_PLUGIN_INFO_FILE", dir.file("info"));
  auto cred = run_exec_plugin(e, cluster());
  ASSERT_TRUE(cred) << cred.error().message;
  auto info = nlohmann::json::parse(slurp(dir.file("info")));
  EXPECT_EQ(info["apiVersion"], kV1beta1);
  EXPECT_EQ(info["spec"]["interactive"], false);
  EXPECT_EQ(info["spec"]["cluster"]["server"], "https://k8s.example:6443");
  EXPECT_EQ(info["spec"]["cluster"]["tls-server-name"], "api.internal");
  EXPECT_EQ(info["spec"]["cluster"]["certificate-authority-data"],
            base64::encode(cluster().ca_pem));
  EXPECT_FALSE(info["spec"]["cluster"].contains("insecure-skip-tls-verify"));
}

TEST(ExecPlugin, ExecEnvOverridesTheProcessEnvironment) {
  ::setenv("FAKE_PLUGIN_TOKEN", "from-process", 1);
  auto inherited = run_exec_plugin(plugin(), cluster());
  ExecConfig e = plugin();
  e.env.emplace_back("FAKE_PLUGIN_TOKEN", "from-kubeconfig");
  auto overridden = run_exec_plugin(e, cluster());
  ::unsetenv("FAKE_PLUGIN_TOKEN");
  ASSERT_TRUE(inherited) << inherited.error().message;
  ASSERT_TRUE(overridden) << overridden.error().message;
  EXPECT_EQ(inherited->token, "from-process-1");
  EXPECT_EQ(overridden->token, "from-kubeconfig-1");
}

TEST(ExecPlugin, ClientCertificateAndExpiration) {
  ExecConfig e = plugin("cert");
  e.env.emplace_back("FAKE_PLUGIN_EXPIRATION", "2024-01-01T00:10:00Z");
  auto cred = run_exec_plugin(e, cluster());
  ASSERT_TRUE(cred) << cred.error().message;
  EXPECT_TRUE(cred->token.empty());
  EXPECT_EQ(cred->client_cert_pem,
            "-----BEGIN CERTIFICATE-----\nZmFrZQ==\n-----END CERTIFICATE-----\n");
  EXPECT_EQ(cred->client_key_pem,
            "-----BEGIN PRIVATE KEY-----\nZmFrZQ==\n-----END PRIVATE KEY-----\n");
  ASSERT_TRUE(cred->expiration);
  EXPECT_EQ(*cred->expiration,
            std::chrono::sys_days(std::chrono::year{2024} / 1 / 1) + std::chrono::minutes(10));
}

TEST(ExecPlugin, CommandNotFoundShowsTheInstallHint) {
  ExecConfig e = plugin();
  e.command = "kftenant-no-such-plugin";
  e.install_hint = "install it with: brew install no-such-plugin\n";
  EXPECT_EQ(error_of(run_exec_plugin(e, cluster())),
            "exec plugin kftenant-no-such-plugin: executable not found in $PATH; install it with: "
            "brew install no-such-plugin");
  // gke-gcloud-auth-plugin's installHint spans lines: each is kept, indented, controls escaped.
  e.install_hint =
      "Install gke-gcloud-auth-plugin for use with kubectl by following\n"
      "        https://cloud.google.com/kubernetes-engine/docs/how-to/"
      "cluster-access-for-kubectl#install_plugin\x1b]0;pwned\x07\n";
  EXPECT_EQ(error_of(run_exec_plugin(e, cluster())),
            "exec plugin kftenant-no-such-plugin: executable not found in $PATH; the kubeconfig's "
            "installHint says:\n"
            "    Install gke-gcloud-auth-plugin for use with kubectl by following\n"
            "            https://cloud.google.com/kubernetes-engine/docs/how-to/"
            "cluster-access-for-kubectl#install_plugin\\x1B]0;pwned\\x07");
  // Without a hint, kubectl's pointer to the documentation.
  e.command = "/nonexistent/plugin";
  e.install_hint.clear();
  auto r = run_exec_plugin(e, cluster());
  EXPECT_EQ(r.error().code, ErrorCode::kConfig);
  EXPECT_THAT(error_of(r), ::testing::StartsWith("exec plugin /nonexistent/plugin: executable not "
                                                 "found (a client-go credential plugin: install "
                                                 "it or correct exec.command in the kubeconfig"));
  EXPECT_THAT(error_of(r), HasSubstr("#client-go-credential-plugins"));
}

TEST(ExecPlugin, NonZeroExitGivesCodeAndTheWholeStderr) {
  EXPECT_EQ(error_of(run_exec_plugin(plugin("exit1"), cluster())),
            "exec plugin " + kPlugin +
                ": failed with exit code 1; its stderr:\n"
                "    some diagnostic\n"
                "    error: could not log in: account locked");
}

// A plugin run through /bin/sh -c SCRIPT, which needs no file of its own.
ExecConfig shell_plugin(const std::string& script) {
  ExecConfig e;
  e.api_version = kV1;
  e.command = "/bin/sh";
  e.args = {"-c", script};
  e.interactive_mode = "Never";
  return e;
}

TEST(ExecPlugin, GkeStyleStderrIsKeptWholeNotJustItsLastLine) {
  // What gke-gcloud-auth-plugin prints when the gcloud login has expired: the last line is ")".
  const std::string script =
      "printf '%s\\n' "
      "'F0101 12:00:00.000000   12345 cred.go:145] print credential failed with error: Failed "
      "to retrieve access token:: failure while executing gcloud, with args [config "
      "config-helper --format=json]: exit status 1 (err: ERROR: (gcloud.config.config-helper) "
      "There was a problem refreshing your current auth tokens: Reauthentication failed.' "
      "'Please run:' '' '  $ gcloud auth login' '' 'to obtain new credentials.' ')' >&2; exit 1";
  const std::string message = error_of(run_exec_plugin(shell_plugin(script), cluster()));
  EXPECT_THAT(message, ::testing::StartsWith("exec plugin /bin/sh: failed with exit code 1; its "
                                             "stderr:\n    F0101 12:00:00.000000"));
  EXPECT_THAT(message, HasSubstr("Reauthentication failed.\n    Please run:\n\n      $ gcloud "
                                 "auth login\n\n    to obtain new credentials.\n    )"));
  EXPECT_EQ(message.back(), ')');
}

TEST(ExecPlugin, LongStderrIsCutToItsLastLinesAndEscaped) {
  // 100 numbered lines, one with a terminal escape, a carriage return and a bell; then a blank.
  const std::string script =
      "i=1; while [ $i -le 100 ]; do echo \"line $i\" >&2; i=$((i+1)); done; "
      "printf 'red \\033[31mtext\\rover\\a\\tend\\n\\n' >&2; exit 3";
  const std::string message = error_of(run_exec_plugin(shell_plugin(script), cluster()));
  EXPECT_THAT(message, ::testing::StartsWith(
                           "exec plugin /bin/sh: failed with exit code 3; the end of its stderr:\n"
                           "    line 82\n    line 83\n"));
  EXPECT_THAT(message,
              ::testing::EndsWith("    line 100\n    red \\x1B[31mtext\\x0Dover\\x07  end"));
  EXPECT_THAT(message, Not(HasSubstr("line 81\n")));
  for (char c : message) {
    if (c != '\n') {
      EXPECT_GE(static_cast<unsigned char>(c), 0x20) << message;
    }
  }
  // However much it writes, the message stays bounded.
  const std::string flood =
      "i=0; while [ $i -lt 3000 ]; do echo 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' >&2; "
      "i=$((i+1)); done; head -c 20000 /dev/zero | tr '\\0' y >&2; exit 1";
  const std::string flooded = error_of(run_exec_plugin(shell_plugin(flood), cluster()));
  EXPECT_LT(flooded.size(), 4096u + 200u);
  EXPECT_THAT(flooded, HasSubstr("yyyy"));
}

TEST(ExecPlugin, FailureWithoutStderrSaysSo) {
  EXPECT_EQ(error_of(run_exec_plugin(shell_plugin("exit 4"), cluster())),
            "exec plugin /bin/sh: failed with exit code 4 and wrote nothing to stderr");
  EXPECT_EQ(error_of(run_exec_plugin(shell_plugin("echo bye >&2; kill -TERM $$"), cluster())),
            "exec plugin /bin/sh: killed by signal 15 (SIGTERM); its stderr:\n    bye");
}

TEST(ExecPlugin, MalformedAnswers) {
  EXPECT_THAT(error_of(run_exec_plugin(plugin("badjson"), cluster())),
              HasSubstr("output is not an ExecCredential JSON"));
  EXPECT_THAT(error_of(run_exec_plugin(plugin("nostatus"), cluster())),
              HasSubstr("didn't return a status field"));
  EXPECT_THAT(error_of(run_exec_plugin(plugin("empty"), cluster())),
              HasSubstr("didn't return a token or cert/key pair"));
  EXPECT_THAT(error_of(run_exec_plugin(plugin("onlycert"), cluster())),
              HasSubstr("returned only certificate or key, not both"));
  EXPECT_THAT(error_of(run_exec_plugin(plugin("wrongkind"), cluster())),
              HasSubstr("output has kind \"Secret\", expected ExecCredential"));
  EXPECT_EQ(error_of(run_exec_plugin(plugin("wrongversion"), cluster())),
            "exec plugin " + kPlugin + ": configured to use API version " + kV1 +
                ", plugin returned version client.authentication.k8s.io/v1alpha1");
  ExecConfig e = plugin();
  e.env.emplace_back("FAKE_PLUGIN_EXPIRATION", "tomorrow");
  EXPECT_THAT(error_of(run_exec_plugin(e, cluster())),
              HasSubstr("status.expirationTimestamp \"tomorrow\" is not an RFC 3339 time"));
}

TEST(ExecPlugin, HungPluginIsKilledAfterTheTimeout) {
  ExecPluginOptions o;
  o.timeout = std::chrono::milliseconds(200);
  EXPECT_EQ(error_of(run_exec_plugin(plugin("sleep"), cluster(), o)),
            "exec plugin " + kPlugin + ": did not finish within 0.2s and was killed");
}

TEST(ExecPlugin, InteractiveAlwaysCannotBeSatisfied) {
  ExecConfig e = plugin();
  e.interactive_mode = "Always";
  EXPECT_THAT(error_of(run_exec_plugin(e, cluster())), HasSubstr("requires interactive mode"));
}

TEST(ExecPlugin, ParseExecCredentialChecksTypes) {
  EXPECT_TRUE(parse_exec_credential(
      R"({"kind":"ExecCredential","apiVersion":"v","status":{"token":"t"}})", "v", "p"));
  auto r = parse_exec_credential(
      R"({"kind":"ExecCredential","apiVersion":"v","status":{"token":5}})", "v", "p");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("must be strings"));
  EXPECT_FALSE(parse_exec_credential("[]", "v", "p"));
}

TEST(Rfc3339, ParsesUtcFractionsAndOffsets) {
  using namespace std::chrono;
  auto base = sys_days(year{2024} / 3 / 5) + hours(6) + minutes(7) + seconds(8);
  EXPECT_EQ(parse_rfc3339("2024-03-05T06:07:08Z"), base);
  EXPECT_EQ(parse_rfc3339("2024-03-05t06:07:08z"), base);
  EXPECT_EQ(parse_rfc3339("2024-03-05T06:07:08.5Z"), base + milliseconds(500));
  EXPECT_EQ(parse_rfc3339("2024-03-05T08:07:08+02:00"), base);
  EXPECT_EQ(parse_rfc3339("2024-03-05T05:37:08-00:30"), base);
  for (auto bad :
       {"", "2024-03-05", "2024-03-05T06:07:08", "2024-02-30T00:00:00Z", "2024-03-05T25:00:00Z",
        "2024-03-05T06:07:08+0200", "2024-03-05T06:07:08.Z", "2024-03-05T06:07:08Zjunk"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace kftenant::kube
