#include "kftenant/kube/rate_limiter.h"

#include <algorithm>

namespace kftenant::kube {

RateLimiter::RateLimiter(double qps, int burst, std::shared_ptr<Clock> clock)
    : qps_(qps),
      burst_(static_cast<double>(std::max(burst, 1))),
      clock_(std::move(clock)),
      tokens_(burst_),
      last_(clock_->now()) {}

void RateLimiter::refill_locked(std::chrono::steady_clock::time_point now) {
  if (now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
  }
}

std::chrono::nanoseconds RateLimiter::accept() {
  if (qps_ <= 0) return std::chrono::nanoseconds(0);
  std::chrono::nanoseconds wait{0};
  {
    std::lock_guard lock(mu_);
    refill_locked(clock_->now());
    // Reserve the token now (the balance may go negative); whoever comes next waits longer.
    // This is golang.org/x/time/rate's Reserve/Wait, which client-go's token bucket uses.
    tokens_ -= 1.0;
    if (tokens_ < 0) {
      wait = std::chrono::nanoseconds(static_cast<long long>(-tokens_ / qps_ * 1e9));
    }
  }
  if (wait.count() > 0) clock_->sleep_for(wait);
  return wait;
}

bool RateLimiter::try_accept() {
  if (qps_ <= 0) return true;
  std::lock_guard lock(mu_);
  refill_locked(clock_->now());
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return true;
  }
  return false;
}

}  // namespace kftenant::kube
