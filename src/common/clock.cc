#include "kftenant/clock.h"

#include <thread>

namespace kftenant {
namespace {

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point now() const override {
    return std::chrono::steady_clock::now();
  }
  void sleep_for(std::chrono::nanoseconds d) override { std::this_thread::sleep_for(d); }
};

}  // namespace

std::shared_ptr<Clock> system_clock() {
  static const std::shared_ptr<Clock> clock = std::make_shared<SystemClock>();
  return clock;
}

}  // namespace kftenant
