#include "kftenant/kube/rate_limiter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

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

Result<std::chrono::nanoseconds> RateLimiter::wait(
    std::stop_token stop, std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (stop.stop_requested()) {
    return make_error(ErrorCode::kCancelled, "stopped while waiting for the client rate limit");
  }
  if (qps_ <= 0) return std::chrono::nanoseconds(0);
  std::chrono::nanoseconds wait{0};
  {
    std::lock_guard lock(mu_);
    const auto now = clock_->now();
    refill_locked(now);
    // Reserve the token now (the balance may go negative); whoever comes next waits longer.
    const double after = tokens_ - 1.0;
    if (after < 0) wait = std::chrono::nanoseconds(std::llround(-after / qps_ * 1e9));
    if (deadline && now + wait > *deadline) {
      return make_error(
          ErrorCode::kDeadlineExceeded,
          fmt::format("the client rate limit ({:g} requests/s) would hold the request for {} ms, "
                      "past its deadline",
                      qps_, std::chrono::ceil<std::chrono::milliseconds>(wait).count()));
    }
    tokens_ = after;
  }
  if (wait.count() > 0 && !clock_->sleep_for(wait, stop)) {
    // Give the reservation back, so that the callers after this one are not held for it.
    std::lock_guard lock(mu_);
    refill_locked(clock_->now());
    tokens_ = std::min(burst_, tokens_ + 1.0);
    return make_error(ErrorCode::kCancelled, "stopped while waiting for the client rate limit");
  }
  return wait;
}

std::chrono::nanoseconds RateLimiter::accept() {
  // Without a stop token or a deadline, wait() cannot fail.
  return wait().value_or(std::chrono::nanoseconds(0));
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
