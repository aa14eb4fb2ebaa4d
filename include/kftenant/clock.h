// Time as a seam: production code reads the real clocks, tests inject a FakeClock so that
// backoff, token expiry and rate limiting are tested without sleeping.
#pragma once

#include <chrono>
#include <memory>
#include <stop_token>

namespace kftenant {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for comparing with timestamps from outside (token expirationTimestamp).
  virtual std::chrono::system_clock::time_point wall_now() const = 0;
  // Monotonic time, for deadlines, backoff and rate limiting.
  virtual std::chrono::steady_clock::time_point now() const = 0;
  // Sleeps for `d` or until `stop` is requested, whichever comes first. Returns false when it
  // returned early because of `stop` (including when it was already requested), true when the
  // whole duration passed. Thread-safe; an empty token never stops the sleep.
  virtual bool sleep_for(std::chrono::nanoseconds d, std::stop_token stop) = 0;
  // Uninterruptible convenience: sleep_for(d, {}).
  void sleep_for(std::chrono::nanoseconds d) { (void)sleep_for(d, std::stop_token{}); }
};

// The process clocks; sleep_for waits on a condition variable woken by the stop token.
std::shared_ptr<Clock> system_clock();

}  // namespace kftenant
