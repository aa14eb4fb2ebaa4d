#include "kftenant/kube/credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "kftenant/base64.h"
#include "support/fake_clock.h"
#include "support/temp_dir.h"

namespace kftenant::kube {
namespace {

using testing::FakeClock;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

const std::string kPlugin =
    std::string(KFTENANT_SOURCE_DIR) + "/tests/data/exec-plugin/fake-plugin.sh";

int runs(const TempDir& dir) {
  std::ifstream in(dir.file("count"));
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

RestConfig exec_config(const TempDir& dir, std::string mode = "token") {
  RestConfig c;
  c.server = "https://h";
  ExecConfig e;
  e.api_version = "client.authentication.k8s.io/v1";
  e.command = kPlugin;
  e.interactive_mode = "Never";
  e.env = {{"FAKE_PLUGIN_MODE", std::move(mode)}, {"FAKE_PLUGIN_COUNT_FILE", dir.file("count")}};
  c.exec = std::move(e);
  return c;
}

std::string auth(CredentialSource& s) {
  auto c = s.current();
  EXPECT_TRUE(c) << c.error().message;
  return c ? c->authorization : "";
}

TEST(Credentials, StaticTokenAndBasicAuth) {
  auto clock = std::make_shared<FakeClock>();
  RestConfig c;
  c.token = "abc";
  CredentialSource token(c, clock);
  EXPECT_EQ(auth(token), "Bearer abc");
  EXPECT_FALSE(token.refreshable());

  RestConfig b;
  b.username = "admin";
  b.password = "p@ss";
  CredentialSource basic(b, clock);
  EXPECT_EQ(auth(basic), "Basic " + base64::encode("admin:p@ss"));
  EXPECT_FALSE(basic.refreshable());

  CredentialSource anonymous(RestConfig{}, clock);
  EXPECT_EQ(auth(anonymous), "");
}

TEST(Credentials, TokenFileIsTrimmedCachedAndReReadAfterInvalidate) {
  TempDir dir;
  auto clock = std::make_shared<FakeClock>();
  RestConfig c;
  c.token_file = dir.write("token", "  first\n");
  CredentialSource s(c, clock);
  EXPECT_TRUE(s.refreshable());
  EXPECT_EQ(auth(s), "Bearer first");
  dir.write("token", "second\n");
  clock->advance(std::chrono::seconds(49));
  EXPECT_EQ(auth(s), "Bearer first");
  s.invalidate();
  EXPECT_EQ(auth(s), "Bearer second");
}

TEST(Credentials, TokenFileWinsOverStaticTokenWhichIsOnlyTheFallback) {
  TempDir dir;
  auto clock = std::make_shared<FakeClock>();
  RestConfig c;
  c.token = "static";
  c.token_file = dir.write("token", "from-file");
  CredentialSource s(c, clock);
  EXPECT_EQ(auth(s), "Bearer from-file");

  // The file disappears: the last good token stays in use (token_source.go cachingTokenSource).
  std::filesystem::remove(c.token_file);
  clock->advance(std::chrono::minutes(5));
  EXPECT_EQ(auth(s), "Bearer from-file");

  // Never readable: the static token is used.
  RestConfig missing = c;
  missing.token_file = dir.file("never");
  CredentialSource fallback(missing, clock);
  EXPECT_EQ(auth(fallback), "Bearer static");
}

TEST(Credentials, UnreadableOrEmptyTokenFileIsAnError) {
  TempDir dir;
  auto clock = std::make_shared<FakeClock>();
  RestConfig c;
  c.token_file = dir.file("missing");
  c.source = "/x/config";
  CredentialSource s(c, clock);
  auto r = s.current();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "cannot read tokenFile " + c.token_file +
                                   " (from /x/config): No such file or directory");
  dir.write("missing", " \n");
  r = s.current();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("the file is empty"));
}

TEST(Credentials, StaticCredentialsTakePrecedenceOverExec) {
  TempDir dir;
  auto clock = std::make_shared<FakeClock>();
  RestConfig c = exec_config(dir);
  c.token = "static";
  CredentialSource s(c, clock);
  EXPECT_EQ(auth(s), "Bearer static");
  EXPECT_FALSE(s.refreshable());
  EXPECT_EQ(runs(dir), 0);
}

TEST(Credentials, ExecAnswerIsCachedUntilItExpires) {
  TempDir dir;
  auto clock = std::make_shared<FakeClock>();  // wall clock starts at 2024-01-01T00:00:00Z
  RestConfig c = exec_config(dir);
  c.exec->env.emplace_back("FAKE_PLUGIN_EXPIRATION", "2024-01-01T00:10:00Z");
  CredentialSource s(c, clock);
  EXPECT_TRUE(s.refreshable());
  EXPECT_EQ(auth(s), "Bearer fake-token-1");
  clock->advance(std::chrono::minutes(9));
  EXPECT_EQ(auth(s), "Bearer fake-token-1");
  EXPECT_EQ(runs(dir), 1);
  clock->advance(std::chrono::minutes(2));  // past expirationTimestamp
  EXPECT_EQ(auth(s), "Bearer fake-token-2");
  EXPECT_EQ(runs(dir), 2);
}

TEST(Credentials, ExecAnswerWithoutExpiryIsKeptUntilInvalidate) {
  TempDir dir;
  auto clock = std::make_shared<FakeClock>();
  CredentialSource s(exec_config(dir), clock);
  EXPECT_EQ(auth(s), "Bearer fake-token-1");
  clock->advance(std::chrono::hours(100));
  EXPECT_EQ(auth(s), "Bearer fake-token-1");
  s.invalidate();  // the client got a 401
  EXPECT_EQ(auth(s), "Bearer fake-token-2");
  EXPECT_EQ(runs(dir), 2);
}

TEST(Credentials, ExecClientCertificate) {
  TempDir dir;
  auto clock = std::make_shared<FakeClock>();
  CredentialSource s(exec_config(dir, "cert"), clock);
  auto c = s.current();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->authorization, "");
  EXPECT_THAT(c->client_cert_pem, HasSubstr("BEGIN CERTIFICATE"));
  EXPECT_THAT(c->client_key_pem, HasSubstr("BEGIN PRIVATE KEY"));
}

TEST(Credentials, ExecFailureIsReturnedAndRetriedNextTime) {
  TempDir dir;
  auto clock = std::make_shared<FakeClock>();
  CredentialSource s(exec_config(dir, "exit1"), clock);
  auto c = s.current();
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, HasSubstr("failed with exit code 1"));
  EXPECT_FALSE(s.current());
  EXPECT_EQ(runs(dir), 2);  // failures are not cached
}

TEST(Credentials, ConcurrentCallersShareOnePluginRun) {
  TempDir dir;
  auto clock = std::make_shared<FakeClock>();
  CredentialSource s(exec_config(dir), clock);
  std::vector<std::thread> threads;
  std::vector<std::string> seen(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto c = s.current();
      seen[i] = c ? c->authorization : c.error().message;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& a : seen) EXPECT_EQ(a, "Bearer fake-token-1");
  EXPECT_EQ(runs(dir), 1);
}

}  // namespace
}  // namespace kftenant::kube
