// When to retry a request and how long to wait first.
//
// Policy (compare client-go, kubernetes/client-go rest/with_retry.go and rest/request.go):
// - 429 TooManyRequests is retried for every verb: the server did not process the request. The
//   wait honours Retry-After (seconds), else exponential backoff.
// - 5xx answers (except 501), connection errors and timeouts are retried only for idempotent
//   requests: GET/HEAD (incl. list and watch setup), DELETE, and PUT carrying a resourceVersion
//   (a duplicate is refused with 409 Conflict). POST and PATCH are never re-sent blindly after a
//   lost answer; Client::create resolves a lost create by reading the object instead.
// Differences from client-go: client-go retries any verb on 429 *and* 5xx, but only when the
// answer carries Retry-After (`checkWait`), and retries connection resets / EOF only for GET
// (`IsRetryableErrorFunc`); it uses Retry-After as the whole wait with no jitter. We also retry
// idempotent verbs on 5xx without Retry-After and on timeouts, with exponential backoff + jitter,
// because a kftenant run is a short-lived batch of writes that should ride out a brief API
// server restart.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string_view>

#include "kftenant/error.h"
#include "kftenant/kube/transport.h"

namespace kftenant::kube {

struct RetryPolicy {
  int max_attempts = 5;                        // total attempts including the first; 1 = no retry
  std::chrono::milliseconds base_delay{200};   // wait before the 2nd attempt (before jitter)
  std::chrono::milliseconds max_delay{10000};  // cap of the exponential wait (also after jitter)
  double jitter = 0.2;                         // adds up to jitter * delay at random
  std::uint64_t seed = 0;                      // RNG seed for the jitter; 0 = random

  // A policy that never retries.
  [[nodiscard]] static RetryPolicy none() {
    RetryPolicy p;
    p.max_attempts = 1;
    return p;
  }
};

// Whether re-sending the request after a lost answer cannot do harm (see the header comment).
[[nodiscard]] bool is_idempotent(std::string_view method, bool put_has_resource_version);

struct RetryDecision {
  bool retry = false;
  std::chrono::milliseconds delay{0};
};

// Exponential backoff with jitter; thread-safe (the RNG is shared).
class Backoff {
 public:
  explicit Backoff(const RetryPolicy& policy);
  // Wait before attempt `failures + 1`, after `failures` (>= 1) failed attempts:
  // min(max_delay, base_delay * 2^(failures-1)) plus up to `jitter` of it, capped at max_delay.
  [[nodiscard]] std::chrono::milliseconds delay(int failures);

 private:
  RetryPolicy policy_;
  std::mutex mu_;
  std::mt19937_64 rng_;
};

// Decides, after attempt number `attempt` (1-based) produced `outcome`, whether to try again.
class Retrier {
 public:
  explicit Retrier(const RetryPolicy& policy) : policy_(policy), backoff_(policy) {}

  [[nodiscard]] RetryDecision decide(int attempt, bool idempotent,
                                     const Result<HttpResponse>& outcome);
  [[nodiscard]] const RetryPolicy& policy() const { return policy_; }
  [[nodiscard]] Backoff& backoff() { return backoff_; }

 private:
  RetryPolicy policy_;
  Backoff backoff_;
};

// Whether an answer (or a failure to get one) is "lost": the request may or may not have been
// processed (transport error, timeout, or 5xx other than 501).
[[nodiscard]] bool is_lost_answer(const Result<HttpResponse>& outcome);

}  // namespace kftenant::kube
