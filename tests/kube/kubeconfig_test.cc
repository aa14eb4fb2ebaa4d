#include "kftenant/kube/kubeconfig.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "kftenant/base64.h"
#include "kftenant/kube/credentials.h"
#include "support/fake_clock.h"
#include "support/temp_dir.h"

namespace kftenant::kube {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

const std::string kDataDir = std::string(KFTENANT_SOURCE_DIR) + "/tests/data/kubeconfig";
const std::string kCaPem = "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n";
const std::string kSecretToken = "s3cr3t-t0ken-value";

// A complete single-file kubeconfig with one context.
std::string simple_config(std::string_view server = "https://k8s.example:6443") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
         "clusters:\n- name: c1\n  cluster:\n    server: " +
         std::string(server) + "\n    certificate-authority-data: " + base64::encode(kCaPem) +
         "\n    tls-server-name: api.internal\n"
         "users:\n- name: alice\n  user:\n    token: " +
         kSecretToken +
         "\n"
         "contexts:\n- name: dev\n  context:\n    cluster: c1\n    user: alice\n    namespace: "
         "team-dev\n"
         "- name: other\n  context:\n    cluster: c1\n    user: alice\n";
}

KubeconfigOptions only_env(std::string kubeconfig_env, std::string home = "/nonexistent-home") {
  KubeconfigOptions o;
  o.kubeconfig_env = std::move(kubeconfig_env);
  o.home = std::move(home);
  return o;
}

std::string error_of(const Result<RestConfig>& r) {
  EXPECT_FALSE(r.has_value());
  return r ? std::string() : r.error().message;
}

// ---- single file
// ---------------------------------------------------------------------------------

TEST(Kubeconfig, ResolvesTheCurrentContext) {
  auto cfg = parse_kubeconfig(simple_config(), "/x/config");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->server, "https://k8s.example:6443");
  EXPECT_EQ(cfg->ca_pem, kCaPem);
  EXPECT_EQ(cfg->tls_server_name, "api.internal");
  EXPECT_FALSE(cfg->insecure_skip_tls_verify);
  EXPECT_EQ(cfg->token, kSecretToken);
  EXPECT_EQ(cfg->namespace_name, "team-dev");
  EXPECT_EQ(cfg->context_name, "dev");
  EXPECT_EQ(cfg->user_name, "alice");
  EXPECT_EQ(cfg->source, "/x/config");
  EXPECT_FALSE(cfg->exec.has_value());
}

TEST(Kubeconfig, ExplicitContextAndDefaultNamespace) {
  auto cfg = parse_kubeconfig(simple_config(), "/x/config", "other");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->context_name, "other");
  EXPECT_EQ(cfg->namespace_name, "default");
}

TEST(Kubeconfig, ServerIsNormalised) {
  auto cfg = parse_kubeconfig(simple_config("https://h:6443/"), "/x/config");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->server, "https://h:6443");
  cfg = parse_kubeconfig(simple_config("10.0.0.1:6443"), "/x/config");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->server, "https://10.0.0.1:6443");
}

TEST(Kubeconfig, MissingContextListsTheAvailableOnes) {
  auto r = parse_kubeconfig(simple_config(), "/x/config", "prod");
  EXPECT_EQ(error_of(r), "context \"prod\" not found in /x/config (available: dev, other)");
  // A --context that is not there is the caller's mistake (a usage error in the CLI)...
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  // ...but a current-context naming a missing context is a broken kubeconfig.
  std::string text = simple_config();
  text.replace(text.find("current-context: dev"), 20, "current-context: gone");
  auto broken = parse_kubeconfig(text, "/x/config");
  EXPECT_EQ(error_of(broken), "context \"gone\" not found in /x/config (available: dev, other)");
  EXPECT_EQ(broken.error().code, ErrorCode::kConfig);
}

TEST(KubeconfigLoad, UnknownContextIsInvalidArgumentAndOtherProblemsStayConfig) {
  TempDir dir;
  KubeconfigOptions o;
  o.explicit_path = dir.write("config", simple_config());
  o.context = "prod";
  auto r = load_rest_config(o);
  EXPECT_EQ(error_of(r),
            "context \"prod\" not found in " + o.explicit_path + " (available: dev, other)");
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  o.explicit_path = dir.file("missing");
  EXPECT_EQ(load_rest_config(o).error().code, ErrorCode::kConfig);
}

TEST(Kubeconfig, NoCurrentContext) {
  std::string text = "contexts:\n- name: a\n  context: {cluster: c}\n";
  auto r = parse_kubeconfig(text, "/x/config");
  EXPECT_EQ(r.error().code, ErrorCode::kConfig);
  EXPECT_EQ(
      error_of(r),
      "kubeconfig /x/config: no current-context is set; choose one with --context (available: a)");
}

TEST(Kubeconfig, MissingClusterUserOrServer) {
  std::string base = "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n";
  EXPECT_EQ(error_of(parse_kubeconfig(base, "/x/config")),
            "cluster \"c\" (context \"x\") not found in /x/config (available: none defined)");
  std::string with_cluster = base + "clusters:\n- name: c\n  cluster: {}\n";
  EXPECT_EQ(error_of(parse_kubeconfig(with_cluster, "/x/config")),
            "kubeconfig /x/config: cluster \"c\" (context \"x\") has no server");
  std::string with_server = base + "clusters:\n- name: c\n  cluster: {server: https://h}\n";
  EXPECT_EQ(error_of(parse_kubeconfig(with_server, "/x/config")),
            "user \"u\" (context \"x\") not found in /x/config (available: none defined)");
  std::string no_cluster = "current-context: x\ncontexts:\n- name: x\n  context: {user: u}\n";
  EXPECT_EQ(error_of(parse_kubeconfig(no_cluster, "/x/config")),
            "kubeconfig /x/config: contexts[x].cluster: not set");
}

TEST(Kubeconfig, ContextWithoutUserIsAnonymous) {
  std::string text =
      "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n"
      "clusters:\n- name: c\n  cluster: {server: 'https://h', insecure-skip-tls-verify: true}\n";
  auto cfg = parse_kubeconfig(text, "/x/config");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_TRUE(cfg->insecure_skip_tls_verify);
  EXPECT_TRUE(cfg->token.empty());
  EXPECT_TRUE(cfg->client_cert_pem.empty());
}

TEST(Kubeconfig, BadBase64NamesFileStanzaAndFieldButNotTheValue) {
  std::string text =
      "current-context: dev\nusers:\n- name: alice\n  user:\n    client-key-data: "
      "'sec!ret-key=='\n";
  auto r = parse_kubeconfig(text, "/x/config");
  EXPECT_EQ(r.error().code, ErrorCode::kConfig);
  EXPECT_EQ(error_of(r), "kubeconfig /x/config: users[alice].client-key-data: not valid base64");
  EXPECT_THAT(error_of(r), Not(HasSubstr("sec!ret")));

  // Also in a stanza that is not selected: client-go decodes the whole file.
  std::string bad_ca = simple_config() + "- name: unused\n  context: {cluster: other}\n";
  bad_ca.replace(bad_ca.find("clusters:\n"), 10,
                 "clusters:\n- name: other\n  cluster:\n    server: https://h\n"
                 "    certificate-authority-data: abc\n");
  EXPECT_EQ(error_of(parse_kubeconfig(bad_ca, "/x/config")),
            "kubeconfig /x/config: clusters[other].certificate-authority-data: not valid base64");
}

TEST(Kubeconfig, Base64ToleratesLineBreaksAndSurroundingBlanks) {
  std::string data = base64::encode(kCaPem);
  std::string text =
      "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\nclusters:\n- name: c\n"
      "  cluster:\n    server: https://h\n    certificate-authority-data: |\n      " +
      data.substr(0, 20) + "\n      " + data.substr(20) + "\n";
  auto cfg = parse_kubeconfig(text, "/x/config");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->ca_pem, kCaPem);
}

TEST(Kubeconfig, WrongTypesNameTheField) {
  std::string text =
      "clusters:\n- name: c\n  cluster:\n    server: https://h\n    insecure-skip-tls-verify: "
      "\"yes\"\n";
  EXPECT_EQ(error_of(parse_kubeconfig(text, "/x/config")),
            "kubeconfig /x/config: clusters[c].insecure-skip-tls-verify: must be true or false, "
            "not a string");
  EXPECT_EQ(error_of(parse_kubeconfig("users: {}\n", "/x/config")),
            "kubeconfig /x/config: users: must be a list, not a mapping");
  EXPECT_EQ(
      error_of(parse_kubeconfig("users:\n- name: u\n  user:\n    token: 12345\n", "/x/config")),
      "kubeconfig /x/config: users[u].token: must be a string, not a number (quote the value)");
  EXPECT_EQ(error_of(parse_kubeconfig("- a\n", "/x/config")),
            "kubeconfig /x/config: expected a mapping with clusters, users and contexts");
  EXPECT_EQ(error_of(parse_kubeconfig("users:\n- name: u\n  user:\n    exec:\n      args: [1]\n",
                                      "/x/config")),
            "kubeconfig /x/config: users[u].exec.args[0]: must be a string, not a number");
}

TEST(Kubeconfig, YamlErrorsNameFileAndLine) {
  auto r = parse_kubeconfig("clusters:\n- name: a\n   bad: [\n", "/x/config");
  EXPECT_EQ(r.error().code, ErrorCode::kParse);
  EXPECT_THAT(error_of(r), ::testing::StartsWith("kubeconfig /x/config:"));
}

TEST(Kubeconfig, DuplicateNameInOneFileIsRefused) {
  std::string text =
      "clusters:\n- name: c\n  cluster: {server: https://a}\n- name: c\n  cluster: {server: "
      "https://b}\n";
  EXPECT_EQ(error_of(parse_kubeconfig(text, "/x/config")),
            "kubeconfig /x/config: clusters[c]: defined twice in this file");
}

std::string user_config(std::string_view user_body) {
  return "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
         "clusters:\n- name: c\n  cluster: {server: 'https://h'}\nusers:\n- name: u\n  user:\n" +
         std::string(user_body);
}

TEST(Kubeconfig, UserAuthConflictsAreRefusedWithoutShowingSecrets) {
  auto msg = error_of(parse_kubeconfig(
      user_config("    token: " + kSecretToken + "\n    username: a\n    password: pw-secret\n"),
      "/x/config"));
  EXPECT_EQ(msg,
            "kubeconfig /x/config: users[u]: more than one authentication method found (token and "
            "username/password); only one is allowed");
  EXPECT_THAT(msg, Not(HasSubstr(kSecretToken)));
  EXPECT_THAT(msg, Not(HasSubstr("pw-secret")));
  std::string cert = base64::encode("CERT");
  EXPECT_EQ(error_of(parse_kubeconfig(user_config("    client-certificate-data: " + cert + "\n"),
                                      "/x/config")),
            "kubeconfig /x/config: users[u]: client-key or client-key-data must be set to use "
            "client-certificate");
  EXPECT_EQ(
      error_of(parse_kubeconfig(user_config("    client-key-data: " + cert + "\n"), "/x/config")),
      "kubeconfig /x/config: users[u]: client-certificate or client-certificate-data must be set "
      "to use "
      "client-key");
  EXPECT_EQ(error_of(parse_kubeconfig(
                user_config("    client-certificate-data: " + cert +
                            "\n    client-certificate: c.crt\n    client-key-data: " + cert + "\n"),
                "/x/config")),
            "kubeconfig /x/config: users[u]: client-certificate-data and client-certificate are "
            "both set; keep one");
  EXPECT_THAT(
      error_of(parse_kubeconfig(user_config("    auth-provider: {name: oidc}\n"), "/x/config")),
      HasSubstr("users[u].auth-provider: auth-provider plugins are not supported"));
}

TEST(Kubeconfig, BasicAuthAndInlineClientCertificate) {
  auto cfg = parse_kubeconfig(
      user_config("    username: admin\n    password: pw\n    client-certificate-data: " +
                  base64::encode("CERT") + "\n    client-key-data: " + base64::encode("KEY") +
                  "\n"),
      "/x/config");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->username, "admin");
  EXPECT_EQ(cfg->password, "pw");
  EXPECT_EQ(cfg->client_cert_pem, "CERT");
  EXPECT_EQ(cfg->client_key_pem, "KEY");
}

TEST(Kubeconfig, InsecureWithCaIsRefused) {
  std::string text =
      "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n"
      "clusters:\n- name: c\n  cluster:\n    server: https://h\n    insecure-skip-tls-verify: "
      "true\n"
      "    certificate-authority-data: " +
      base64::encode(kCaPem) + "\n";
  EXPECT_EQ(error_of(parse_kubeconfig(text, "/x/config")),
            "kubeconfig /x/config: clusters[c]: certificate-authority and insecure-skip-tls-verify "
            "cannot both be "
            "set; remove one of them");
}

TEST(Kubeconfig, ExecPluginValidation) {
  auto exec = [](std::string body) { return user_config("    exec:\n" + body); };
  auto cfg = parse_kubeconfig(
      exec("      apiVersion: client.authentication.k8s.io/v1beta1\n      command: plug\n"
           "      env: [{name: A, value: b}]\n"),
      "/x/config");
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_TRUE(cfg->exec);
  EXPECT_EQ(cfg->exec->interactive_mode, "IfAvailable");  // v1beta1 default
  EXPECT_EQ(cfg->exec->command, "plug");                  // no '/': looked up in $PATH
  ASSERT_EQ(cfg->exec->env.size(), 1u);
  EXPECT_EQ(cfg->exec->env[0], (std::pair<std::string, std::string>{"A", "b"}));

  EXPECT_EQ(error_of(parse_kubeconfig(
                exec("      apiVersion: client.authentication.k8s.io/v1\n      command: p\n"),
                "/x/config")),
            "kubeconfig /x/config: users[u].exec.interactiveMode: must be set for "
            "client.authentication.k8s.io/v1 "
            "(Never, IfAvailable or Always)");
  EXPECT_EQ(
      error_of(parse_kubeconfig(
          exec("      apiVersion: client.authentication.k8s.io/v1alpha1\n      command: p\n"),
          "/x/config")),
      "kubeconfig /x/config: users[u].exec.apiVersion: \"client.authentication.k8s.io/v1alpha1\" "
      "is not "
      "supported (use client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1)");
  EXPECT_EQ(error_of(parse_kubeconfig(exec("      apiVersion: client.authentication.k8s.io/v1\n"),
                                      "/x/config")),
            "kubeconfig /x/config: users[u].exec.command: must be set to use an exec plugin");
  EXPECT_THAT(error_of(parse_kubeconfig(exec("      command: p\n"), "/x/config")),
              HasSubstr("users[u].exec.apiVersion: must be set"));
  EXPECT_EQ(error_of(parse_kubeconfig(
                exec("      apiVersion: client.authentication.k8s.io/v1\n      command: p\n"
                     "      interactiveMode: Sometimes\n"),
                "/x/config")),
            "kubeconfig /x/config: users[u].exec.interactiveMode: \"Sometimes\" is not one of "
            "Never, IfAvailable, "
            "Always");
  EXPECT_EQ(error_of(parse_kubeconfig(
                exec("      apiVersion: client.authentication.k8s.io/v1beta1\n      command: p\n"
                     "      env: [{value: x}]\n"),
                "/x/config")),
            "kubeconfig /x/config: users[u].exec.env[0].name: must be set");
}

// ---- referenced files and relative paths
// ---------------------------------------------------------

KubeconfigOptions relative_fixture(std::string context) {
  KubeconfigOptions o;
  o.explicit_path = kDataDir + "/relative/config";
  o.context = std::move(context);
  return o;
}

TEST(KubeconfigFiles, RelativePathsResolveAgainstTheFilesFolder) {
  auto cfg = load_rest_config(relative_fixture(""));
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->server, "https://127.0.0.1:6443");
  EXPECT_THAT(cfg->ca_pem, HasSubstr("Y2EtZnJvbS1maWxl"));
  EXPECT_THAT(cfg->client_cert_pem, HasSubstr("Y2xpZW50LWNlcnQ="));
  EXPECT_THAT(cfg->client_key_pem, HasSubstr("Y2xpZW50LWtleQ=="));
  EXPECT_EQ(cfg->namespace_name, "team-a");

  cfg = load_rest_config(relative_fixture("file-token"));
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->token_file, kDataDir + "/relative/token");
  EXPECT_TRUE(cfg->token.empty());

  cfg = load_rest_config(relative_fixture("exec-relative"));
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_TRUE(cfg->exec);
  EXPECT_EQ(cfg->exec->command, kDataDir + "/relative/bin/plugin");

  cfg = load_rest_config(relative_fixture("exec-in-path"));
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_TRUE(cfg->exec);
  EXPECT_EQ(cfg->exec->command, "kubelogin");
  EXPECT_EQ(cfg->exec->args, (std::vector<std::string>{"get-token", "--server-id", "abc"}));
  EXPECT_EQ(cfg->exec->install_hint, "install kubelogin");
  EXPECT_TRUE(cfg->exec->provide_cluster_info);
}

TEST(KubeconfigFiles, UnreadableReferencedFileNamesFieldStanzaAndFile) {
  TempDir dir;
  std::string cfg_path = dir.write(
      "config",
      "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
      "clusters:\n- name: c\n  cluster: {server: 'https://h', certificate-authority: ca.crt}\n"
      "users:\n- name: u\n  user: {tokenFile: tok}\n");
  KubeconfigOptions o;
  o.explicit_path = cfg_path;
  auto r = load_rest_config(o);
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_EQ(error_of(r), "cannot read certificate-authority " + dir.file("ca.crt") +
                             " (referenced by clusters[c] in " + cfg_path +
                             "): No such file or directory");
  dir.write("ca.crt", kCaPem);
  EXPECT_EQ(error_of(load_rest_config(o)), "cannot read tokenFile " + dir.file("tok") +
                                               " (referenced by users[u] in " + cfg_path +
                                               "): No such file or directory");
  dir.write("tok", "abc\n");
  auto cfg = load_rest_config(o);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->ca_pem, kCaPem);
  EXPECT_EQ(cfg->token_file, dir.file("tok"));
}

// ---- finding and merging files
// -------------------------------------------------------------------

TEST(KubeconfigLoad, ExplicitPathMustExistAndWins) {
  TempDir dir;
  KubeconfigOptions o = only_env(dir.write("env-config", simple_config("https://from-env")));
  o.explicit_path = dir.file("missing");
  auto r = load_rest_config(o);
  EXPECT_EQ(error_of(r), "cannot read kubeconfig " + dir.file("missing") +
                             " (from --kubeconfig): No such file or directory");
  o.explicit_path = dir.write("explicit", simple_config("https://explicit"));
  auto cfg = load_rest_config(o);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->server, "https://explicit");
  EXPECT_EQ(cfg->source, o.explicit_path);
}

TEST(KubeconfigLoad, MergesKubeconfigListFirstFileWins) {
  TempDir dir;
  dir.write("b/ca.crt", "CA-OF-B");
  // a: no current-context, defines cluster shared + context ctx-a (namespace from a).
  std::string a =
      dir.write("a/config",
                "clusters:\n- name: shared\n  cluster: {server: 'https://from-a'}\n"
                "contexts:\n- name: ctx\n  context: {cluster: shared, user: u, namespace: ns-a}\n"
                "users:\n- name: u\n  user: {token: token-a}\n");
  // b: sets current-context, redefines shared (ignored), adds cluster only-b with a relative CA.
  std::string b = dir.write(
      "b/config",
      "current-context: ctx\n"
      "clusters:\n- name: shared\n  cluster: {server: 'https://from-b'}\n"
      "- name: only-b\n  cluster: {server: 'https://b-only', certificate-authority: ca.crt}\n"
      "contexts:\n- name: ctx\n  context: {cluster: only-b, user: u}\n"
      "- name: ctx-b\n  context: {cluster: only-b, user: u}\n"
      "users:\n- name: u\n  user: {token: token-b}\n");
  // c: another current-context (ignored: b's came first).
  std::string c = dir.write("c/config", "current-context: ctx-b\n");
  std::string list = ":" + a + "::" + dir.file("missing") + ":" + b + ":" + c + ":" + a;
  auto cfg = load_rest_config(only_env(list));
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->context_name, "ctx");
  EXPECT_EQ(cfg->server, "https://from-a");
  EXPECT_EQ(cfg->token, "token-a");
  EXPECT_EQ(cfg->namespace_name, "ns-a");
  EXPECT_EQ(cfg->source, a + ":" + b + ":" + c);

  KubeconfigOptions o = only_env(list);
  o.context = "ctx-b";
  cfg = load_rest_config(o);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->server, "https://b-only");
  EXPECT_EQ(cfg->ca_pem, "CA-OF-B");  // relative to b's folder, where the stanza was defined
  EXPECT_EQ(cfg->token, "token-a");   // user u: a's definition wins

  o.context = "nope";
  EXPECT_EQ(error_of(load_rest_config(o)),
            "context \"nope\" not found in " + a + ":" + b + ":" + c + " (available: ctx, ctx-b)");
}

TEST(KubeconfigLoad, ABadFileInTheListIsAnError) {
  TempDir dir;
  std::string good = dir.write("good", simple_config());
  std::string bad = dir.write("bad", "users:\n- name: u\n  user:\n    client-key-data: '!!'\n");
  auto r = load_rest_config(only_env(good + ":" + bad));
  EXPECT_EQ(error_of(r), "kubeconfig " + bad + ": users[u].client-key-data: not valid base64");
}

TEST(KubeconfigLoad, HomeConfigIsUsedOnlyWithoutKubeconfigEnv) {
  TempDir dir;
  dir.write(".kube/config", simple_config("https://from-home"));
  auto cfg = load_rest_config(only_env("", dir.path()));
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->server, "https://from-home");
  EXPECT_EQ(cfg->source, dir.file(".kube/config"));

  std::string env_cfg = dir.write("other", simple_config("https://from-env"));
  cfg = load_rest_config(only_env(env_cfg, dir.path()));
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->server, "https://from-env");

  // $KUBECONFIG naming only missing files does not fall back to ~/.kube/config (loader.go).
  if (std::getenv("KUBERNETES_SERVICE_HOST") == nullptr) {
    EXPECT_EQ(error_of(load_rest_config(only_env(dir.file("missing"), dir.path()))),
              "no kubeconfig found: set --kubeconfig or KUBECONFIG, or create ~/.kube/config (none "
              "of the files in "
              "KUBECONFIG exist: " +
                  dir.file("missing") + ")");
  }
}

TEST(KubeconfigLoad, NothingFound) {
  TempDir dir;
  const char* saved = std::getenv("KUBERNETES_SERVICE_HOST");
  std::string saved_value = saved ? saved : "";
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  auto r = load_rest_config(only_env("", dir.path()));
  EXPECT_EQ(r.error().code, ErrorCode::kConfig);
  EXPECT_EQ(error_of(r),
            "no kubeconfig found: set --kubeconfig or KUBECONFIG, or create ~/.kube/config");
  KubeconfigOptions o = only_env("", dir.path());
  o.context = "dev";
  EXPECT_THAT(error_of(load_rest_config(o)),
              HasSubstr("context \"dev\" not found: no kubeconfig found"));
  // An empty file counts as no configuration.
  dir.write(".kube/config", "");
  EXPECT_EQ(error_of(load_rest_config(only_env("", dir.path()))),
            "no kubeconfig found: set --kubeconfig or KUBECONFIG, or create ~/.kube/config");
  if (saved) ::setenv("KUBERNETES_SERVICE_HOST", saved_value.c_str(), 1);
}

TEST(KubeconfigLoad, FallsBackToInClusterWhenNothingIsConfigured) {
  TempDir dir;
  const char* saved_host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* saved_port = std::getenv("KUBERNETES_SERVICE_PORT");
  std::string host = saved_host ? saved_host : "", port = saved_port ? saved_port : "";
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto r = load_rest_config(only_env("", dir.path()));
  // The service-account files do not exist on a test machine: the in-cluster loader says so.
  if (r) {
    EXPECT_EQ(r->source, "in-cluster");
  } else {
    EXPECT_THAT(r.error().message,
                HasSubstr("in-cluster config: cannot read service-account token"));
  }
  saved_host ? (void)::setenv("KUBERNETES_SERVICE_HOST", host.c_str(), 1)
             : (void)::unsetenv("KUBERNETES_SERVICE_HOST");
  saved_port ? (void)::setenv("KUBERNETES_SERVICE_PORT", port.c_str(), 1)
             : (void)::unsetenv("KUBERNETES_SERVICE_PORT");
}

// ---- in-cluster
// ------------------------------------------------------------------------------------

TEST(InCluster, ReadsServiceAccountFiles) {
  TempDir dir;
  dir.write("token", "sa-token-1\n");
  dir.write("ca.crt", kCaPem);
  dir.write("namespace", "kubeflow\n");
  InClusterOptions o;
  o.root = dir.path();
  o.host = "10.96.0.1";
  o.port = "443";
  auto cfg = load_in_cluster_config(o);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->server, "https://10.96.0.1:443");
  EXPECT_EQ(cfg->ca_pem, kCaPem);
  EXPECT_EQ(cfg->token_file, dir.file("token"));
  EXPECT_TRUE(cfg->token.empty());
  EXPECT_EQ(cfg->namespace_name, "kubeflow");
  EXPECT_EQ(cfg->source, "in-cluster");

  o.host = "fd00::1";
  std::filesystem::remove(dir.file("namespace"));
  cfg = load_in_cluster_config(o);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->server, "https://[fd00::1]:443");
  EXPECT_EQ(cfg->namespace_name, "default");
}

TEST(InCluster, Errors) {
  TempDir dir;
  InClusterOptions o;
  o.root = dir.path();
  o.host = "";
  o.port = "443";
  EXPECT_THAT(load_in_cluster_config(o).error().message,
              HasSubstr("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set"));
  o.host = "10.0.0.1";
  EXPECT_EQ(load_in_cluster_config(o).error().message,
            "in-cluster config: cannot read service-account token " + dir.file("token") +
                ": No such file or directory");
  dir.write("token", "t");
  EXPECT_EQ(load_in_cluster_config(o).error().message,
            "in-cluster config: cannot read " + dir.file("ca.crt") + ": No such file or directory");
}

TEST(InCluster, RotatedTokenIsPickedUpAfterTheCachePeriod) {
  TempDir dir;
  dir.write("token", "sa-token-1\n");
  dir.write("ca.crt", kCaPem);
  InClusterOptions o;
  o.root = dir.path();
  o.host = "10.96.0.1";
  o.port = "443";
  auto cfg = load_in_cluster_config(o);
  ASSERT_TRUE(cfg) << cfg.error().message;
  auto clock = std::make_shared<testing::FakeClock>();
  CredentialSource creds(*cfg, clock);
  EXPECT_TRUE(creds.refreshable());
  EXPECT_EQ(creds.current()->authorization, "Bearer sa-token-1");

  dir.write("token", "sa-token-2\n");  // the kubelet rotates the projected token
  clock->advance(std::chrono::seconds(30));
  EXPECT_EQ(creds.current()->authorization, "Bearer sa-token-1");  // still cached
  clock->advance(std::chrono::seconds(31));
  EXPECT_EQ(creds.current()->authorization, "Bearer sa-token-2");

  dir.write("token", "sa-token-3\n");
  creds.invalidate();  // e.g. after a 401
  EXPECT_EQ(creds.current()->authorization, "Bearer sa-token-3");
}

}  // namespace
}  // namespace kftenant::kube
