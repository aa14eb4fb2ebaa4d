// AttemptLimiter: a bucket per key, refused past the burst until a token comes back, every key
// of an attempt charged, idle buckets dropped (memory bounded by the recent callers).
#include "server/attempt_limiter.h"

#include <gtest/gtest.h>

#include "support/fake_clock.h"

namespace kftenant::server {
namespace {

TEST(AttemptLimiter, RefusesPastTheBurstUntilATokenIsBack) {
  auto clock = std::make_shared<kftenant::testing::FakeClock>();
  AttemptLimiter limiter(1.0 / 10, 3, clock);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.attempt({"caller a"})) << i;
  auto refused = limiter.attempt({"caller a"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kTooManyRequests);
  EXPECT_EQ(refused.error().retry_after, std::chrono::milliseconds(10000));
  EXPECT_NE(refused.error().message.find("caller a"), std::string::npos);
  EXPECT_TRUE(limiter.attempt({"caller b"}));  // another key has its own bucket
  clock->advance(std::chrono::seconds(10));
  EXPECT_TRUE(limiter.attempt({"caller a"}));
  EXPECT_FALSE(limiter.attempt({"caller a"}));
}

TEST(AttemptLimiter, EveryKeyOfAnAttemptIsCharged) {
  auto clock = std::make_shared<kftenant::testing::FakeClock>();
  AttemptLimiter limiter(1.0 / 10, 2, clock);
  EXPECT_TRUE(limiter.attempt({"caller a", "address 1"}));
  EXPECT_TRUE(limiter.attempt({"caller b", "address 1"}));
  // The address is spent, whoever the caller.
  EXPECT_FALSE(limiter.attempt({"caller c", "address 1"}));
  // The caller's bucket, spent by attempts from two addresses, refuses a third.
  EXPECT_TRUE(limiter.attempt({"caller d", "address 2"}));
  EXPECT_TRUE(limiter.attempt({"caller d", "address 3"}));
  EXPECT_FALSE(limiter.attempt({"caller d", "address 4"}));
}

TEST(AttemptLimiter, IdleBucketsAreDropped) {
  auto clock = std::make_shared<kftenant::testing::FakeClock>();
  AttemptLimiter limiter(1.0, 5, clock);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.attempt({"caller " + std::to_string(i)}));
  EXPECT_EQ(limiter.buckets(), 1000u);
  clock->advance(std::chrono::seconds(5));  // full again after burst/rate
  ASSERT_TRUE(limiter.attempt({"caller new"}));
  EXPECT_EQ(limiter.buckets(), 1u);
}

}  // namespace
}  // namespace kftenant::server
