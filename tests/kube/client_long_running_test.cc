// kube::Client for long-running, multi-threaded use: stop tokens and deadlines (CallOptions),
// single-flight credential refresh after concurrent 401s, and separate rate budgets for watches
// and writes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <latch>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "kftenant/kube/client.h"
#include "support/fake_clock.h"
#include "support/fake_transport.h"
#include "support/temp_dir.h"

namespace kftenant::kube {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeAnswer;
using testing::FakeClock;
using testing::FakeTransport;
using testing::TempDir;

json configmap(const std::string& name, const std::string& rv = "1") {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "rec"}, {"resourceVersion", rv}}},
          {"data", {{"k", "v"}}}};
}

FakeAnswer answer(int status, const json& body, Headers headers = {}) {
  return FakeAnswer{testing::json_response(status, body, std::move(headers)), {}, std::nullopt};
}

FakeAnswer status_answer(int code, const std::string& reason, Headers headers = {}) {
  return answer(code, testing::status_body(code, reason, reason), std::move(headers));
}

struct LongRunning : ::testing::Test {
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  RestConfig config;
  ClientOptions options;
  std::unique_ptr<Client> client;
  std::mutex log_mu;
  std::vector<RequestEvent> log;

  LongRunning() {
    config.server = "https://k8s.example:6443";
    config.token = "secret-token";
    options.clock = clock;
    options.transport = transport;
    options.qps = 0;
    options.watch_qps = 0;
    options.retry.jitter = 0;
    options.retry.base_delay = milliseconds(100);
    options.retry.max_attempts = 5;
    options.request_log = [this](const RequestEvent& e) {
      std::lock_guard lock(log_mu);
      log.push_back(e);
    };
  }
  void make() {
    auto c = Client::create(config, options);
    ASSERT_TRUE(c) << c.error().message;
    client = std::move(*c);
  }
  // The rate-limiter waits the request log saw, as "METHOD path: ms".
  std::vector<std::string> rate_waits() {
    std::lock_guard lock(log_mu);
    std::vector<std::string> out;
    for (const auto& e : log) {
      if (e.kind == RequestEvent::Kind::kRateLimitWait) {
        out.push_back(e.method + " " + e.path_and_query.substr(0, e.path_and_query.find('?')) +
                      ": " + std::to_string(e.duration.count()));
      }
    }
    return out;
  }
};

// ---- stop ------------------------------------------------------------------------------------

TEST_F(LongRunning, StopDuringABackoffSleepReturnsCancelledAtOnce) {
  // The real clock, and a server that asks for 30 s before the retry: a stop requested from
  // another thread ends the wait (the test only checks that it ended well under the 30 s).
  options.clock = system_clock();
  make();
  transport->push(status_answer(429, "TooManyRequests", {{"retry-after", "30"}}));
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(milliseconds(100));
    stop.request_stop();
  });
  const auto started = std::chrono::steady_clock::now();
  CallOptions co;
  co.stop = stop.get_token();
  auto r = client->get(resources::kConfigMaps, "rec", "a", co);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCancelled) << r.error().message;
  EXPECT_LT(took, seconds(20));
  EXPECT_EQ(transport->request_count(), 1u);  // no retry after the stop
}

TEST_F(LongRunning, AStopRequestedBeforeTheCallSendsNothing) {
  make();
  std::stop_source stop;
  stop.request_stop();
  CallOptions co;
  co.stop = stop.get_token();
  auto r = client->create(resources::kConfigMaps, "rec", configmap("a", ""), {}, co);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCancelled);
  EXPECT_EQ(transport->request_count(), 0u);
}

TEST_F(LongRunning, TheStopTokenReachesTheTransport) {
  make();
  transport->push_json(200, configmap("a"));
  std::stop_source stop;
  CallOptions co;
  co.stop = stop.get_token();
  ASSERT_TRUE(client->get(resources::kConfigMaps, "rec", "a", co));
  const HttpRequest sent = transport->request(0);
  EXPECT_TRUE(sent.stop.stop_possible());
  stop.request_stop();
  EXPECT_TRUE(sent.stop.stop_requested());
}

TEST_F(LongRunning, StopEndsAWatchReconnectWait) {
  // A watch whose connection keeps failing waits 30 s before reconnecting; stop ends that wait.
  options.clock = system_clock();
  options.retry.base_delay = seconds(30);
  options.retry.max_delay = seconds(60);
  make();
  transport->set_handler([](const HttpRequest&) -> std::optional<FakeAnswer> {
    return FakeAnswer{tl::unexpected(testing::transport_error()), {}, std::nullopt};
  });
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(milliseconds(100));
    stop.request_stop();
  });
  const auto started = std::chrono::steady_clock::now();
  auto r = client->watch(
      resources::kConfigMaps, "rec", {}, [](const WatchEvent&) { return true; }, stop.get_token());
  EXPECT_TRUE(r) << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(20));
}

// ---- deadlines -------------------------------------------------------------------------------

TEST_F(LongRunning, DeadlineExceededBeforeTheNextRetry) {
  make();
  transport->push_status(503, "ServiceUnavailable", "unavailable");
  transport->push_status(503, "ServiceUnavailable", "unavailable");
  transport->push_json(200, configmap("a"));
  CallOptions co;
  co.deadline = clock->now() + milliseconds(250);
  // Attempt 1 fails, the 100 ms backoff fits; attempt 2 fails, the 200 ms one would end past it.
  auto r = client->get(resources::kConfigMaps, "rec", "a", co);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("HTTP 503"));
  EXPECT_EQ(transport->request_count(), 2u);
  EXPECT_EQ(clock->sleeps(), (std::vector<std::chrono::nanoseconds>{milliseconds(100)}));
  // Without a deadline the same answers are retried to success.
  transport->push_status(503, "ServiceUnavailable", "unavailable");
  auto again = client->get(resources::kConfigMaps, "rec", "a");
  EXPECT_TRUE(again) << again.error().message;
}

TEST_F(LongRunning, DeadlineShortensTheAttemptTimeoutAndATimeoutThereIsDeadlineExceeded) {
  make();
  transport->push(FakeAnswer{
      tl::unexpected(testing::transport_error(ErrorCode::kTimeout, "operation timed out")),
      {},
      std::nullopt});
  CallOptions co;
  co.deadline = clock->now() + seconds(5);
  auto r = client->get(resources::kConfigMaps, "rec", "a", co);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded) << r.error().message;
  ASSERT_EQ(transport->request_count(), 1u);
  EXPECT_EQ(transport->request(0).timeout, milliseconds(5000));  // not request_timeout (60 s)
}

TEST_F(LongRunning, DeadlinePassedSendsNothing) {
  make();
  CallOptions co;
  co.deadline = clock->now() - milliseconds(1);
  auto r = client->get(resources::kConfigMaps, "rec", "a", co);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(transport->request_count(), 0u);
}

TEST_F(LongRunning, RateLimitWaitPastTheDeadlineFailsAtOnce) {
  options.qps = 1;
  options.burst = 1;
  make();
  transport->push_json(200, configmap("a"));
  ASSERT_TRUE(client->get(resources::kConfigMaps, "rec", "a"));
  CallOptions co;
  co.deadline = clock->now() + milliseconds(500);  // the next token is due in 1 s
  auto r = client->get(resources::kConfigMaps, "rec", "a", co);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(transport->request_count(), 1u);
  EXPECT_TRUE(clock->sleeps().empty());
}

// ---- single-flight credential refresh ---------------------------------------------------------

const std::string kPlugin =
    std::string(KFTENANT_SOURCE_DIR) + "/tests/data/exec-plugin/fake-plugin.sh";

int plugin_runs(const TempDir& dir) {
  std::ifstream in(dir.file("count"));
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

TEST_F(LongRunning, ConcurrentUnauthorizedRefreshTheExecCredentialOnce) {
  // 8 threads send with the plugin's first token at once and all get 401: the plugin runs once
  // more (single flight), not once per thread, and every thread's re-send carries its answer.
  TempDir dir;
  config.token.clear();
  ExecConfig e;
  e.api_version = "client.authentication.k8s.io/v1";
  e.command = kPlugin;
  e.interactive_mode = "Never";
  e.env = {{"FAKE_PLUGIN_COUNT_FILE", dir.file("count")}};
  config.exec = e;
  make();
  constexpr int kThreads = 8;
  // Requests with the first token are held until all 8 are in (or 5 s passed), so that all of
  // them were sent with the same credentials; then their 401s go out one at a time, each after
  // the previous thread's re-send arrived, i.e. after the refresh it saw: a client that
  // refreshed on every 401 (not once per credential generation) would run the plugin 8 times.
  std::mutex mu;
  std::condition_variable cv;
  int held = 0;
  int resent = 0;
  transport->set_handler([&](const HttpRequest& r) -> std::optional<FakeAnswer> {
    const std::string auth = FakeTransport::header_of(r, "Authorization");
    if (r.path_and_query == "/version") return answer(200, {{"gitVersion", "v1.30.0"}});
    std::unique_lock lock(mu);
    if (auth == "Bearer fake-token-1") {
      const int ticket = held++;
      cv.notify_all();
      cv.wait_for(lock, seconds(5), [&] { return held >= kThreads && resent >= ticket; });
      return status_answer(401, "Unauthorized");
    }
    ++resent;
    cv.notify_all();
    if (auth == "Bearer fake-token-2") return answer(200, configmap("a"));
    return status_answer(403, "Forbidden: " + auth);
  });
  ASSERT_TRUE(client->get_path("/version"));  // the first plugin run, before the threads
  ASSERT_EQ(plugin_runs(dir), 1);
  std::vector<Result<json>> results(kThreads);
  {
    std::latch start(kThreads);
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[i] = client->get(resources::kConfigMaps, "rec", "a");
      });
    }
  }
  for (const auto& r : results) EXPECT_TRUE(r) << r.error().message;
  EXPECT_EQ(held, kThreads);
  EXPECT_EQ(plugin_runs(dir), 2);  // the first run and one refresh
  EXPECT_EQ(transport->request_count(), 1u + 2u * kThreads);
}

// ---- rate budgets ----------------------------------------------------------------------------

const std::string kAddedLine =
    R"({"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","namespace":"rec","resourceVersion":"11"}}})"
    "\n";

TEST_F(LongRunning, WatchesDoNotTakeTokensFromTheMainOrWriteBucket) {
  // Main bucket: 1 request/s, burst 1. Three watch connections, then a write: the write finds
  // its token untouched (no rate-limit wait), because watches have their own bucket.
  options.qps = 1;
  options.burst = 1;
  options.watch_qps = 100;
  options.watch_burst = 100;
  make();
  for (int i = 0; i < 3; ++i) transport->push_stream({kAddedLine});
  int events = 0;
  auto r = client->watch(resources::kConfigMaps, "rec", {},
                         [&](const WatchEvent&) { return ++events < 3; });
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(transport->request_count(), 3u);
  transport->push_json(201, configmap("b"));
  ASSERT_TRUE(client->create(resources::kConfigMaps, "rec", configmap("b", "")));
  EXPECT_THAT(rate_waits(), ::testing::IsEmpty());
  EXPECT_TRUE(clock->sleeps().empty());
}

TEST_F(LongRunning, WatchConnectionsArePacedByTheWatchBucket) {
  options.qps = 0;  // the main bucket is unlimited: any wait is the watch bucket's
  options.watch_qps = 2;
  options.watch_burst = 1;
  make();
  for (int i = 0; i < 3; ++i) transport->push_stream({kAddedLine});
  int events = 0;
  ASSERT_TRUE(client->watch(resources::kConfigMaps, "rec", {},
                            [&](const WatchEvent&) { return ++events < 3; }));
  EXPECT_EQ(rate_waits(), (std::vector<std::string>{"GET /api/v1/namespaces/rec/configmaps: 500",
                                                    "GET /api/v1/namespaces/rec/configmaps: 500"}));
}

TEST_F(LongRunning, WritesHaveTheirOwnBucketWhenWriteQpsIsSet) {
  options.qps = 1;
  options.burst = 1;
  options.write_qps = 1;
  options.write_burst = 1;
  make();
  transport->push_json(200, configmap("a"));
  transport->push_json(201, configmap("b"));
  transport->push_json(200, configmap("a"));
  ASSERT_TRUE(client->get(resources::kConfigMaps, "rec", "a"));
  ASSERT_TRUE(client->create(resources::kConfigMaps, "rec", configmap("b", "")));  // no wait
  ASSERT_TRUE(client->get(resources::kConfigMaps, "rec", "a"));  // the main bucket is empty
  EXPECT_EQ(rate_waits(),
            (std::vector<std::string>{"GET /api/v1/namespaces/rec/configmaps/a: 1000"}));
}

TEST_F(LongRunning, WritesShareTheMainBucketByDefault) {
  options.qps = 1;
  options.burst = 1;
  make();
  transport->push_json(200, configmap("a"));
  transport->push_json(201, configmap("b"));
  ASSERT_TRUE(client->get(resources::kConfigMaps, "rec", "a"));
  ASSERT_TRUE(client->create(resources::kConfigMaps, "rec", configmap("b", "")));
  EXPECT_EQ(rate_waits(),
            (std::vector<std::string>{"POST /api/v1/namespaces/rec/configmaps: 1000"}));
}

}  // namespace
}  // namespace kftenant::kube
