#include "kftenant/kube/credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <latch>
#include <mutex>
#include <sstream>
#include <stop_token>
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

// A counting stand-in for the exec plugin: answers "Bearer run-<n>", optionally held until
// released, and remembers how many runs overlapped.
struct CountingPlugin {
  std::mutex mu;
  std::condition_variable cv;
  int runs = 0;
  int running = 0;
  int max_running = 0;
  bool hold = false;

  ExecRunner runner() {
    return [this](const ExecConfig&, const RestConfig&) -> Result<ExecCredential> {
      std::unique_lock lock(mu);
      const int n = ++runs;
      max_running = std::max(max_running, ++running);
      cv.notify_all();
      cv.wait(lock, [&] { return !hold; });
      // Long enough for the other threads to pile up behind this run.
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      lock.lock();
      --running;
      ExecCredential c;
      c.token = "run-" + std::to_string(n);
      return c;
    };
  }
  void release() {
    std::lock_guard lock(mu);
    hold = false;
    cv.notify_all();
  }
  void wait_running() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return running > 0; });
  }
};

RestConfig exec_only() {
  RestConfig c;
  c.server = "https://h";
  ExecConfig e;
  e.api_version = "client.authentication.k8s.io/v1";
  e.command = "counting-plugin";
  c.exec = std::move(e);
  return c;
}

TEST(Credentials, ConcurrentInvalidateOfOneGenerationRefreshesOnce) {
  // 8 threads saw a 401 with the same credentials: each invalidates that generation and asks
  // again. The plugin runs once for all of them (plus the first run), never two at a time.
  CountingPlugin plugin;
  CredentialSource s(exec_only(), std::make_shared<FakeClock>(), plugin.runner());
  auto first = s.current();
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->authorization, "Bearer run-1");
  constexpr int kThreads = 8;
  std::vector<std::string> seen(kThreads);
  {
    std::latch start(kThreads);
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        s.invalidate(first->generation);
        auto c = s.current();
        seen[i] = c ? c->authorization : c.error().message;
      });
    }
  }
  for (const auto& a : seen) EXPECT_EQ(a, "Bearer run-2");
  EXPECT_EQ(plugin.runs, 2);
  EXPECT_EQ(plugin.max_running, 1);
  // An unconditional invalidate() still forces a run.
  s.invalidate();
  EXPECT_EQ(auth(s), "Bearer run-3");
}

TEST(Credentials, ThePluginRunsWithoutTheLockAndWaitersCanStop) {
  CountingPlugin plugin;
  plugin.hold = true;
  CredentialSource s(exec_only(), std::make_shared<FakeClock>(), plugin.runner());
  std::jthread runner([&] { EXPECT_EQ(auth(s), "Bearer run-1"); });
  plugin.wait_running();
  // While the plugin runs, the source's lock is free: these return (a hang fails the test by
  // its timeout; the futures below fail it sooner).
  auto other = std::async(std::launch::async, [&] {
    EXPECT_TRUE(s.refreshable());
    s.invalidate(12345);  // not the current generation: no effect
    std::stop_source stop;
    stop.request_stop();
    return s.current(stop.get_token());  // waits for the run in flight, or gives up on stop
  });
  ASSERT_EQ(other.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto stopped = other.get();
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, ErrorCode::kCancelled);
  plugin.release();
  runner.join();
  EXPECT_EQ(plugin.runs, 1);
}

TEST(Credentials, CallersWaitingForAFailedRunGetItsError) {
  std::atomic<int> runs{0};
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;
  ExecRunner failing = [&](const ExecConfig&, const RestConfig&) -> Result<ExecCredential> {
    const int n = ++runs;
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return go; });
    return make_error(ErrorCode::kConfig, "plugin failed (run " + std::to_string(n) + ")");
  };
  CredentialSource s(exec_only(), std::make_shared<FakeClock>(), failing);
  constexpr int kThreads = 4;
  std::vector<std::string> seen(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        auto c = s.current();
        seen[i] = c ? c->authorization : c.error().message;
      });
    }
    // Let them all queue up behind the first run (generous: thread start-up only).
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::lock_guard lock(mu);
    go = true;
    cv.notify_all();
  }
  // Every caller that arrived while run 1 was in flight got its error instead of running the
  // plugin again itself (failures are not cached: the next call after it runs again).
  for (const auto& m : seen) EXPECT_EQ(m, "plugin failed (run 1)");
  EXPECT_EQ(runs.load(), 1);
}

}  // namespace
}  // namespace kftenant::kube
