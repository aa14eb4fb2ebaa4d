// Client-side rate limit: a token bucket like client-go's
// (kubernetes/client-go util/flowcontrol/throttle.go, NewTokenBucketRateLimiter): `qps` tokens a
// second, at most `burst` saved up, full at start. Time comes from a kftenant::Clock so tests
// use a fake clock.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>

#include "kftenant/clock.h"

namespace kftenant::kube {

class RateLimiter {
 public:
  // qps <= 0 disables the limit (every accept() returns at once). burst < 1 counts as 1.
  RateLimiter(double qps, int burst, std::shared_ptr<Clock> clock);

  // Takes a token, sleeping on the clock until one is free, and returns how long it slept (for
  // request logs). Concurrent callers are served in order: each reserves its token first, then
  // sleeps outside the lock.
  std::chrono::nanoseconds accept();
  // Takes a token if one is free now; never sleeps.
  [[nodiscard]] bool try_accept();

  [[nodiscard]] bool enabled() const { return qps_ > 0; }

 private:
  void refill_locked(std::chrono::steady_clock::time_point now);

  double qps_;
  double burst_;
  std::shared_ptr<Clock> clock_;
  std::mutex mu_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace kftenant::kube
