#include "kftenant/kube/retry.h"

#include <gtest/gtest.h>

namespace kftenant::kube {
namespace {

using std::chrono::milliseconds;

RetryPolicy no_jitter() {
  RetryPolicy p;
  p.max_attempts = 5;
  p.base_delay = milliseconds(100);
  p.max_delay = milliseconds(1000);
  p.jitter = 0;
  return p;
}

Result<HttpResponse> status(int code, Headers headers = {}) {
  HttpResponse r;
  r.status = code;
  r.headers = std::move(headers);
  return r;
}

Result<HttpResponse> lost(ErrorCode code = ErrorCode::kTransport) {
  return make_error(code, "connection reset");
}

TEST(Retry, IdempotentVerbs) {
  EXPECT_TRUE(is_idempotent("GET", false));
  EXPECT_TRUE(is_idempotent("HEAD", false));
  EXPECT_TRUE(is_idempotent("DELETE", false));
  EXPECT_TRUE(is_idempotent("PUT", true));
  EXPECT_FALSE(is_idempotent("PUT", false));
  EXPECT_FALSE(is_idempotent("POST", false));
  EXPECT_FALSE(is_idempotent("PATCH", false));
}

TEST(Retry, BackoffDoublesUpToTheCap) {
  Backoff b(no_jitter());
  EXPECT_EQ(b.delay(1), milliseconds(100));
  EXPECT_EQ(b.delay(2), milliseconds(200));
  EXPECT_EQ(b.delay(3), milliseconds(400));
  EXPECT_EQ(b.delay(4), milliseconds(800));
  EXPECT_EQ(b.delay(5), milliseconds(1000));
  EXPECT_EQ(b.delay(60), milliseconds(1000));
}

TEST(Retry, JitterStaysInRangeAndIsReproducibleWithASeed) {
  RetryPolicy p = no_jitter();
  p.jitter = 0.5;
  p.seed = 42;
  Backoff a(p), b(p);
  bool some_jitter = false;
  for (int i = 0; i < 50; ++i) {
    auto d = a.delay(1);
    EXPECT_GE(d, milliseconds(100));
    EXPECT_LE(d, milliseconds(150));
    EXPECT_EQ(d, b.delay(1));
    if (d != milliseconds(100)) some_jitter = true;
  }
  EXPECT_TRUE(some_jitter);
  for (int i = 0; i < 50; ++i) EXPECT_LE(a.delay(10), milliseconds(1000));  // cap after jitter
}

TEST(Retry, TooManyRequestsRetriedForEveryVerbHonouringRetryAfter) {
  Retrier r(no_jitter());
  auto d = r.decide(1, /*idempotent=*/false, status(429, {{"retry-after", "3"}}));
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay, milliseconds(3000));
  auto without = r.decide(2, false, status(429));
  EXPECT_TRUE(without.retry);
  EXPECT_EQ(without.delay, milliseconds(200));
}

TEST(Retry, ServerErrorsAndLostAnswersOnlyForIdempotent) {
  Retrier r(no_jitter());
  for (int code : {500, 502, 503, 504}) {
    EXPECT_TRUE(r.decide(1, true, status(code)).retry) << code;
    EXPECT_FALSE(r.decide(1, false, status(code)).retry) << code;
  }
  EXPECT_FALSE(r.decide(1, true, status(501)).retry);
  EXPECT_TRUE(r.decide(1, true, lost()).retry);
  EXPECT_TRUE(r.decide(1, true, lost(ErrorCode::kTimeout)).retry);
  EXPECT_FALSE(r.decide(1, false, lost()).retry);
  EXPECT_FALSE(r.decide(1, false, lost(ErrorCode::kTimeout)).retry);
  EXPECT_EQ(r.decide(1, true, status(503, {{"retry-after", "1"}})).delay, milliseconds(1000));
}

TEST(Retry, ClientErrorsAreNeverRetried) {
  Retrier r(no_jitter());
  for (int code : {200, 201, 400, 401, 403, 404, 409, 410, 415, 422}) {
    EXPECT_FALSE(r.decide(1, true, status(code)).retry) << code;
  }
  EXPECT_FALSE(r.decide(1, true, lost(ErrorCode::kConfig)).retry);
}

TEST(Retry, StopsAtMaxAttempts) {
  Retrier r(no_jitter());
  EXPECT_TRUE(r.decide(4, true, status(503)).retry);
  EXPECT_FALSE(r.decide(5, true, status(503)).retry);
  Retrier none(RetryPolicy::none());
  EXPECT_FALSE(none.decide(1, true, status(429)).retry);
}

TEST(Retry, LostAnswerClassification) {
  EXPECT_TRUE(is_lost_answer(lost()));
  EXPECT_TRUE(is_lost_answer(status(500)));
  EXPECT_FALSE(is_lost_answer(status(501)));
  EXPECT_FALSE(is_lost_answer(status(429)));
  EXPECT_FALSE(is_lost_answer(status(409)));
}

}  // namespace
}  // namespace kftenant::kube
