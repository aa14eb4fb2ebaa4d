// FakeClock: a kftenant::Clock that only moves when a test says so. sleep_for() advances it
// instantly and records the requested durations, so backoff and expiry are tested without waiting.
// A sleep whose stop token is already requested returns false at once (not recorded, no advance).
// With set_sleep_advances(false) sleeps are recorded but time stands still, so that concurrent
// sleepers all see the same now() (e.g. rate-limiter reservations made at one instant).
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <stop_token>
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
  using Clock::sleep_for;
  bool sleep_for(std::chrono::nanoseconds d, std::stop_token stop) override {
    if (stop.stop_requested()) return false;
    std::function<void(std::chrono::nanoseconds)> hook;
    {
      std::lock_guard<std::mutex> lock(mu_);
      hook = on_sleep_;
    }
    if (hook) hook(d);
    if (stop.stop_requested()) return false;  // the hook may stand for a stop during the sleep
    std::lock_guard<std::mutex> lock(mu_);
    sleeps_.push_back(d);
    if (sleep_advances_) {
      wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
      mono_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    }
    return true;
  }
  void set_sleep_advances(bool advances) {
    std::lock_guard<std::mutex> lock(mu_);
    sleep_advances_ = advances;
  }
  // Called (without the clock's lock) at the start of every sleep that is not already stopped,
  // e.g. to request a stop "while" the caller sleeps: the sleep then returns false, unrecorded.
  void set_on_sleep(std::function<void(std::chrono::nanoseconds)> hook) {
    std::lock_guard<std::mutex> lock(mu_);
    on_sleep_ = std::move(hook);
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
  bool sleep_advances_ = true;
  std::function<void(std::chrono::nanoseconds)> on_sleep_;
};

}  // namespace kftenant::testing
