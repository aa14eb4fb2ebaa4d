#include "kftenant/kube/retry.h"

#include <algorithm>
#include <cmath>

#include "kftenant/kube/status_error.h"

namespace kftenant::kube {

bool is_idempotent(std::string_view method, bool put_has_resource_version) {
  if (method == "GET" || method == "HEAD" || method == "DELETE") return true;
  if (method == "PUT") return put_has_resource_version;
  return false;  // POST, PATCH
}

bool is_lost_answer(const Result<HttpResponse>& outcome) {
  if (!outcome) {
    return outcome.error().code == ErrorCode::kTransport ||
           outcome.error().code == ErrorCode::kTimeout;
  }
  // 501 Not Implemented will not change on a retry.
  return outcome->status >= 500 && outcome->status != 501;
}

Backoff::Backoff(const RetryPolicy& policy)
    : policy_(policy), rng_(policy.seed != 0 ? policy.seed : std::random_device{}()) {}

std::chrono::milliseconds Backoff::delay(int failures) {
  using std::chrono::milliseconds;
  const double base = static_cast<double>(policy_.base_delay.count());
  const double cap = static_cast<double>(policy_.max_delay.count());
  const int exponent = std::clamp(failures - 1, 0, 62);
  double d = std::min(cap, base * std::ldexp(1.0, exponent));
  if (policy_.jitter > 0) {
    std::uniform_real_distribution<double> dist(0.0, policy_.jitter);
    std::lock_guard lock(mu_);
    d += d * dist(rng_);
  }
  d = std::min(d, cap);
  return milliseconds(static_cast<long long>(std::max(0.0, d)));
}

RetryDecision Retrier::decide(int attempt, bool idempotent, const Result<HttpResponse>& outcome) {
  RetryDecision no;
  if (attempt >= policy_.max_attempts) return no;
  std::optional<std::chrono::milliseconds> retry_after;
  if (outcome) {
    const int status = outcome->status;
    if (status == 429) {
      // Not processed: safe for every verb.
    } else if (!(idempotent && is_lost_answer(outcome))) {
      return no;
    }
    retry_after = parse_retry_after(outcome->header("retry-after"));
  } else if (!(idempotent && is_lost_answer(outcome))) {
    return no;
  }
  RetryDecision yes;
  yes.retry = true;
  yes.delay = retry_after ? *retry_after : backoff_.delay(attempt);
  return yes;
}

}  // namespace kftenant::kube
