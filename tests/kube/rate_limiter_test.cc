#include "kftenant/kube/rate_limiter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <stop_token>
#include <thread>
#include <vector>

#include "support/fake_clock.h"

namespace kftenant::kube {
namespace {

using std::chrono::milliseconds;
using testing::FakeClock;

TEST(RateLimiter, BurstIsFreeThenQpsPaces) {
  auto clock = std::make_shared<FakeClock>();
  RateLimiter limiter(5, 10, clock);
  for (int i = 0; i < 10; ++i) limiter.accept();
  EXPECT_TRUE(clock->sleeps().empty());
  limiter.accept();  // 11th: one token at 5 QPS takes 200 ms
  ASSERT_EQ(clock->sleeps().size(), 1u);
  EXPECT_EQ(clock->sleeps()[0], milliseconds(200));
  limiter.accept();
  EXPECT_EQ(clock->sleeps().back(), milliseconds(200));
}

TEST(RateLimiter, TokensRefillOverTimeUpToBurst) {
  auto clock = std::make_shared<FakeClock>();
  RateLimiter limiter(2, 3, clock);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.try_accept());
  EXPECT_FALSE(limiter.try_accept());
  clock->advance(milliseconds(500));  // one token at 2 QPS
  EXPECT_TRUE(limiter.try_accept());
  EXPECT_FALSE(limiter.try_accept());
  clock->advance(std::chrono::seconds(100));  // refill stops at burst
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.try_accept());
  EXPECT_FALSE(limiter.try_accept());
}

TEST(RateLimiter, ZeroQpsDisables) {
  auto clock = std::make_shared<FakeClock>();
  RateLimiter limiter(0, 1, clock);
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 100; ++i) limiter.accept();
  EXPECT_TRUE(clock->sleeps().empty());
}

TEST(RateLimiter, ConcurrentReservationsQueueUpOneIntervalApart) {
  // Callers that find the bucket empty at the same instant reserve in turn: the k-th waits k
  // intervals (100, 200, ... ms at 10 QPS), not all one interval (which a limiter that only
  // waits for "the next token" without reserving it, or that reserves outside its lock, gives).
  // The fake clock stands still while they sleep, so every reservation is made at one instant.
  auto clock = std::make_shared<FakeClock>();
  clock->set_sleep_advances(false);
  RateLimiter limiter(10, 1, clock);
  ASSERT_EQ(limiter.accept(), std::chrono::nanoseconds(0));  // empties the bucket
  constexpr int kThreads = 8;
  std::vector<std::chrono::nanoseconds> waits(kThreads);
  std::latch start(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto w = limiter.wait();
        waits[i] = w ? *w : std::chrono::nanoseconds(-1);
      });
    }
  }
  std::sort(waits.begin(), waits.end());
  for (int k = 0; k < kThreads; ++k) {
    EXPECT_EQ(std::chrono::round<milliseconds>(waits[k]), milliseconds(100 * (k + 1)))
        << "the " << k + 1 << "-th reservation";
  }
  // Each wait is one interval after the previous one.
  for (int k = 1; k < kThreads; ++k) {
    EXPECT_EQ(std::chrono::round<milliseconds>(waits[k] - waits[k - 1]), milliseconds(100));
  }
}

TEST(RateLimiter, WaitPastTheDeadlineFailsAtOnceWithoutTakingTheToken) {
  auto clock = std::make_shared<FakeClock>();
  clock->set_sleep_advances(false);
  RateLimiter limiter(10, 1, clock);
  limiter.accept();
  auto late = limiter.wait({}, clock->now() + milliseconds(50));  // the token is due in 100 ms
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_TRUE(clock->sleeps().empty());
  // The refused caller reserved nothing: the next one waits one interval, not two.
  auto next = limiter.wait({}, clock->now() + milliseconds(100));
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ(*next, milliseconds(100));
}

TEST(RateLimiter, StoppedWaitIsCancelledAndGivesItsReservationBack) {
  auto clock = std::make_shared<FakeClock>();
  clock->set_sleep_advances(false);
  RateLimiter limiter(10, 1, clock);
  limiter.accept();
  std::stop_source stop;
  clock->set_on_sleep([&](std::chrono::nanoseconds) { stop.request_stop(); });
  auto stopped = limiter.wait(stop.get_token());
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, ErrorCode::kCancelled);
  clock->set_on_sleep(nullptr);
  // Its reservation was given back: the next caller waits one interval, not two.
  auto next = limiter.wait();
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, milliseconds(100));
  // A token already stopped takes nothing and does not sleep.
  const auto sleeps = clock->sleeps().size();
  auto at_once = limiter.wait(stop.get_token());
  ASSERT_FALSE(at_once);
  EXPECT_EQ(at_once.error().code, ErrorCode::kCancelled);
  EXPECT_EQ(clock->sleeps().size(), sleeps);
}

TEST(RateLimiter, SystemClockSleepEndsOnStop) {
  // The real clock's sleep is interruptible: a 30 s wait for a token ends when stop is requested.
  RateLimiter limiter(1.0 / 30, 1, system_clock());
  limiter.accept();
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(milliseconds(50));
    stop.request_stop();
  });
  const auto started = std::chrono::steady_clock::now();
  auto w = limiter.wait(stop.get_token());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
}

}  // namespace
}  // namespace kftenant::kube
