// A MemoryStore holding what a Kubeflow install has (testserver::kubeflow_seed_objects): Dex's
// ConfigMap and Deployment, the CRDs, roles and the stock user's profile.
#pragma once

#include "support/memory_store.h"
#include "testserver/seed_kubeflow.h"

namespace kftenant::testing {

// live false: like a manifests folder (restarts are a recorded config hash, nothing waits,
// writes one at a time); live true: like a cluster (not thread-safe: jobs = 1).
inline MemoryStore kubeflow_memory_store(bool live = false) {
  MemoryStore s;
  s.live = live;
  for (auto& o : testserver::kubeflow_seed_objects()) s.seed(std::move(o));
  return s;
}

}  // namespace kftenant::testing
