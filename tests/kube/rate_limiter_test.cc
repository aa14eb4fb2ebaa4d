#include "kftenant/kube/rate_limiter.h"

#include <gtest/gtest.h>

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

TEST(RateLimiter, ReservationsQueueUp) {
  // Two callers that both find the bucket empty wait 1/qps and 2/qps: reservations, not a race.
  auto clock = std::make_shared<FakeClock>();
  RateLimiter limiter(10, 1, clock);
  limiter.accept();
  EXPECT_TRUE(clock->sleeps().empty());
  limiter.accept();
  limiter.accept();
  ASSERT_EQ(clock->sleeps().size(), 2u);
  EXPECT_EQ(clock->sleeps()[0], milliseconds(100));
  EXPECT_EQ(clock->sleeps()[1], milliseconds(100));
  EXPECT_EQ(clock->total_slept(), milliseconds(200));
}

}  // namespace
}  // namespace kftenant::kube
