// `user add` against the test API server (HTTPS on loopback, in this process): API requests per
// command by phase, and wall time per command, for the static and the password-crd backends.
//
//   build-rel/bench_user_add
//
// Baselines (same process, same server): "planning without the read cache", i.e. the planner run
// directly on the ClusterStore, which reads the Dex ConfigMap three times per pass (find the user,
// edit the entry, decide on the restart); and "without the access check", i.e. apply_plan with
// check_access off (no SelfSubjectAccessReviews and no dryRun=All create before the first write).
// Counters: reads = GETs and LISTs while planning (and the ConfigMap re-read of the restart),
// writes = PUT/POST of objects, access_checks = SelfSubjectAccessReviews (sent concurrently) plus
// dryRun=All creates (a create that follows another write), polls = GETs while waiting for the
// Dex rollout.
#include <benchmark/benchmark.h>

#include <atomic>

#include "kftenant/kube/client.h"
#include "kftenant/kube/kubeconfig.h"
#include "kftenant/store/cluster_store.h"
#include "kftenant/tenancy/users.h"
#include "testserver/apiserver.h"

namespace {

using namespace kftenant;

struct Fixture {
  std::unique_ptr<testserver::ApiServer> server;
  std::unique_ptr<kube::Client> client;
  std::string kubeconfig = "/tmp/kftenant-bench-user-add.kubeconfig";

  Fixture() {
    testserver::Options options;
    options.seed_kubeflow = true;
    options.rollout_delay = std::chrono::milliseconds(20);
    server = std::move(*testserver::ApiServer::start(options));
    (void)server->write_kubeconfig(kubeconfig);
    kube::KubeconfigOptions kc;
    kc.explicit_path = kubeconfig;
    // No client-side rate limit: a single CLI run stays within client-go's burst of 10, but 20
    // back-to-back adds would otherwise measure the 5 QPS limiter.
    kube::ClientOptions client_options;
    client_options.qps = 0;
    client = std::move(*kube::Client::create(*kube::load_rest_config(kc), client_options));
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

std::atomic<int> next_user{0};

tenancy::AddUserRequest request(int n) {
  tenancy::AddUserRequest r;
  r.email = "bench" + std::to_string(n) + "@example.com";
  r.password = "bench-password";
  r.bcrypt_cost = 10;
  r.profile = "bench" + std::to_string(n);
  return r;
}

struct Counts {
  double reads = 0, writes = 0, polls = 0, access_checks = 0;
};

Counts count(const std::vector<testserver::RequestRecord>& requests) {
  Counts c;
  bool wrote = false;
  for (const auto& r : requests) {
    if (r.path.rfind("/api", 0) != 0) continue;
    if (r.path.find("selfsubjectaccessreviews") != std::string::npos ||
        r.query.find("dryRun=All") != std::string::npos) {
      ++c.access_checks;
      continue;
    }
    if (r.method == "GET") {
      if (wrote && r.path.find("/deployments/") != std::string::npos)
        ++c.polls;
      else
        ++c.reads;
    } else {
      ++c.writes;
      wrote = true;
    }
  }
  return c;
}

void run(benchmark::State& state, dex::Backend backend, bool cached, bool check_access = true) {
  auto& f = fixture();
  store::ClusterStore cluster(*f.client);
  tenancy::TenancyContext context;
  context.backend = backend;
  Counts total;
  for (auto _ : state) {
    f.server->clear_requests();
    auto planner = tenancy::add_user_planner(context, request(next_user++));
    tenancy::Planner run_planner = planner;
    if (!cached) {
      // Baseline: no read cache — the planner sees the store directly on every read.
      run_planner = [&cluster, planner](store::ObjectStore&) { return planner(cluster); };
    }
    tenancy::ApplyOptions options;
    options.check_access = check_access;
    auto applied = tenancy::apply_plan(cluster, run_planner, options);
    if (!applied) {
      state.SkipWithError(applied.error().message.c_str());
      return;
    }
    Counts c = count(f.server->requests());
    total.reads += c.reads;
    total.writes += c.writes;
    total.polls += c.polls;
    total.access_checks += c.access_checks;
  }
  double n = static_cast<double>(state.iterations());
  state.counters["reads"] = total.reads / n;
  state.counters["writes"] = total.writes / n;
  state.counters["rollout_polls"] = total.polls / n;
  state.counters["access_checks"] = total.access_checks / n;
  state.counters["requests"] = (total.reads + total.writes + total.polls + total.access_checks) / n;
}

void BM_UserAddStatic(benchmark::State& s) {
  run(s, dex::Backend::kStatic, true);
}
void BM_UserAddStaticNoReadCache(benchmark::State& s) {
  run(s, dex::Backend::kStatic, false);
}
void BM_UserAddStaticNoAccessCheck(benchmark::State& s) {
  run(s, dex::Backend::kStatic, true, false);
}
void BM_UserAddPasswordObject(benchmark::State& s) {
  run(s, dex::Backend::kPasswordObject, true);
}

BENCHMARK(BM_UserAddStatic)->Unit(benchmark::kMillisecond)->Iterations(20)->UseRealTime();
BENCHMARK(BM_UserAddStaticNoReadCache)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(20)
    ->UseRealTime();
BENCHMARK(BM_UserAddStaticNoAccessCheck)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(20)
    ->UseRealTime();
BENCHMARK(BM_UserAddPasswordObject)->Unit(benchmark::kMillisecond)->Iterations(20)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
