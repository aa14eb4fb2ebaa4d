// Time as a seam: production code reads the real clocks, tests inject a FakeClock so that
// backoff, token expiry and rate limiting are tested without sleeping.
#pragma once

#include <chrono>
#include <memory>

namespace kftenant {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for comparing with timestamps from outside (token expirationTimestamp).
  virtual std::chrono::system_clock::time_point wall_now() const = 0;
  // Monotonic time, for deadlines, backoff and rate limiting.
  virtual std::chrono::steady_clock::time_point now() const = 0;
  virtual void sleep_for(std::chrono::nanoseconds d) = 0;
};

// The process clocks and std::this_thread::sleep_for.
std::shared_ptr<Clock> system_clock();

}  // namespace kftenant
