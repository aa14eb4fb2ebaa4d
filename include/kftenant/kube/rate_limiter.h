// Client-side rate limit: a token bucket like client-go's
// (kubernetes/client-go util/flowcontrol/throttle.go, NewTokenBucketRateLimiter): `qps` tokens a
// second, at most `burst` saved up, full at start. Time comes from a kftenant::Clock so tests
// use a fake clock.
//
// Thread-safe. Concurrent callers are served in order: each reserves its token under the lock
// (the balance may go negative, so whoever comes next waits one interval longer), then sleeps
// outside it — golang.org/x/time/rate's Reserve/Wait, which client-go's token bucket uses.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>

#include "kftenant/clock.h"
#include "kftenant/error.h"

namespace kftenant::kube {

class RateLimiter {
 public:
  // qps <= 0 disables the limit (every wait returns at once). burst < 1 counts as 1.
  RateLimiter(double qps, int burst, std::shared_ptr<Clock> clock);

  // Takes a token, sleeping on the clock until it is due, and returns how long it slept (for
  // request logs). Fails with kCancelled when `stop` is requested before or during the sleep
  // (a reservation not slept out is given back), and with kDeadlineExceeded at once, without
  // taking a token, when the token would only be due after `deadline`.
  [[nodiscard]] Result<std::chrono::nanoseconds> wait(
      std::stop_token stop = {},
      std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);
  // wait() that cannot be stopped and has no deadline.
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
