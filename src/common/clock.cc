#include "kftenant/clock.h"

#include <condition_variable>
#include <mutex>

namespace kftenant {
namespace {

class SystemClock final : public Clock {
 public:
  using Clock::sleep_for;
  std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point now() const override {
    return std::chrono::steady_clock::now();
  }
  bool sleep_for(std::chrono::nanoseconds d, std::stop_token stop) override {
    if (stop.stop_requested()) return false;
    if (d.count() <= 0) return true;
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    // One mutex and condition variable per sleep: nothing else ever notifies it, only the
    // stop token's callback (inside condition_variable_any::wait_until) wakes it early.
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    (void)cv.wait_until(lock, stop, until, [] { return false; });
    return !stop.stop_requested();
  }
};

}  // namespace

std::shared_ptr<Clock> system_clock() {
  static const std::shared_ptr<Clock> clock = std::make_shared<SystemClock>();
  return clock;
}

}  // namespace kftenant
