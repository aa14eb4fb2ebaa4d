#include "server/attempt_limiter.h"

#include <fmt/format.h>

#include <cmath>

namespace kftenant::server {

AttemptLimiter::AttemptLimiter(double per_second, int burst, std::shared_ptr<Clock> clock)
    : per_second_(per_second),
      burst_(std::max(1, burst)),
      clock_(std::move(clock)),
      last_sweep_(clock_->now()) {}

void AttemptLimiter::drop_full_buckets(std::chrono::steady_clock::time_point now) {
  // Idle for burst/rate: full again, the same as a bucket not yet made.
  const auto refill = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(burst_ / per_second_));
  if (now - last_sweep_ < refill) return;
  last_sweep_ = now;
  std::erase_if(buckets_,
                [&](const auto& entry) { return now - entry.second.last_used >= refill; });
}

Result<void> AttemptLimiter::attempt(const std::vector<std::string>& keys) {
  std::lock_guard lock(mu_);
  const auto now = clock_->now();
  drop_full_buckets(now);
  for (const auto& key : keys) {
    auto [it, made] = buckets_.try_emplace(key);
    if (made) it->second.limiter = std::make_unique<kube::RateLimiter>(per_second_, burst_, clock_);
    it->second.last_used = now;
    if (!it->second.limiter->try_accept()) {
      const auto wait =
          std::chrono::milliseconds(static_cast<long long>(std::ceil(1000.0 / per_second_)));
      Error e = make_error(ErrorCode::kTooManyRequests,
                           fmt::format("too many password attempts from {}: wait {} s", key,
                                       (wait.count() + 999) / 1000))
                    .value();
      e.retry_after = wait;
      return fail(std::move(e));
    }
  }
  return ok();
}

size_t AttemptLimiter::buckets() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace kftenant::server
