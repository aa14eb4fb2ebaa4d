// FakeClock: a kftenant::Clock that only moves when a test says so. sleep_for() advances it
// instantly and records the requested durations, so backoff and expiry are tested without waiting.
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "kftenant/clock.h"

namespace kftenant::testing {

class FakeClock final : public Clock {
 public:
  FakeClock()
      : wall_(std::chrono::sys_days(std::chrono::year{2024} / 1 / 1)),
        mono_(std::chrono::hours(1000)) {}

  std::chrono::system_clock::time_point wall_now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return wall_;
  }
  std::chrono::steady_clock::time_point now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return mono_;
  }
  void sleep_for(std::chrono::nanoseconds d) override {
    std::lock_guard<std::mutex> lock(mu_);
    sleeps_.push_back(d);
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    mono_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
  }

  // Moves both clocks forward.
  void advance(std::chrono::nanoseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    mono_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
  }
  void set_wall(std::chrono::system_clock::time_point t) {
    std::lock_guard<std::mutex> lock(mu_);
    wall_ = t;
  }
  // Durations passed to sleep_for so far.
  std::vector<std::chrono::nanoseconds> sleeps() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sleeps_;
  }
  // Sum of sleeps().
  std::chrono::nanoseconds total_slept() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::chrono::nanoseconds total{0};
    for (auto d : sleeps_) total += d;
    return total;
  }

 private:
  mutable std::mutex mu_;
  std::chrono::system_clock::time_point wall_;
  std::chrono::steady_clock::time_point mono_;
  std::vector<std::chrono::nanoseconds> sleeps_;
};

}  // namespace kftenant::testing
