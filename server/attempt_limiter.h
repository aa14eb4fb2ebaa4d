// Limits attempts at the password endpoints, against guessing: each attempt takes a token from
// the bucket of every key it names (the caller, the client address), and is refused with 429
// and Retry-After when one of them is empty. A bucket holds `burst` attempts and gains one every
// 1/per_second seconds (kube::RateLimiter's token bucket); buckets that have been idle long
// enough to be full again are dropped, so the memory is bounded by the recent callers.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kftenant/clock.h"
#include "kftenant/error.h"
#include "kftenant/kube/rate_limiter.h"

namespace kftenant::server {

class AttemptLimiter {
 public:
  // Default: 5 attempts at once, then one every 12 s (25 a minute at most per key).
  explicit AttemptLimiter(double per_second = 1.0 / 12, int burst = 5,
                          std::shared_ptr<Clock> clock = system_clock());

  // Takes one attempt from every key's bucket; kTooManyRequests (retry_after set) naming the
  // first key whose bucket is empty. An attempt refused by one key still spends the tokens of
  // the keys before it: a guesser gains nothing by spreading over addresses.
  [[nodiscard]] Result<void> attempt(const std::vector<std::string>& keys);

  [[nodiscard]] size_t buckets() const;  // for tests

 private:
  struct Bucket {
    std::unique_ptr<kube::RateLimiter> limiter;
    std::chrono::steady_clock::time_point last_used;
  };
  void drop_full_buckets(std::chrono::steady_clock::time_point now);  // mu_ held

  double per_second_;
  int burst_;
  std::shared_ptr<Clock> clock_;
  mutable std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
  std::chrono::steady_clock::time_point last_sweep_;
};

}  // namespace kftenant::server
