// `user add` against the test API server (HTTPS on loopback, in this process): API requests per
// command by phase, and wall time per command, for the static and the password-crd backends.
//
//   build-rel/bench_user_add
//
// Baselines (same process, same server): "without the access check", i.e. apply_plan with
// check_access off (no SelfSubjectAccessReviews and no dryRun=All create before the first write);
// and for a batch of users, "separately" (one apply per user, as a script calling `kftenant user
// add` in a loop does) against "composed" (plan::compose of the users' planners: one write of
// the Dex ConfigMap and one restart for the batch).
// Counters: reads = GETs and LISTs while planning (and the ConfigMap re-read of the restart),
// writes = PUT/POST of objects, access_checks = SelfSubjectAccessReviews (sent concurrently) plus
// dryRun=All creates (a create that follows another write), polls = GETs while waiting for the
// Dex rollout, restarts = writes of the Dex Deployment. Batches report per user.
#include <benchmark/benchmark.h>

#include <atomic>

#include "kftenant/kube/client.h"
#include "kftenant/kube/kubeconfig.h"
#include "kftenant/plan/compose.h"
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
  double reads = 0, writes = 0, polls = 0, access_checks = 0, restarts = 0;
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
      if (r.path.find("/deployments/") != std::string::npos) ++c.restarts;
      wrote = true;
    }
  }
  return c;
}

// Adds `batch` users per iteration: one apply per user, or one apply of their composed planners.
void run(benchmark::State& state, dex::Backend backend, int batch, bool composed,
         bool check_access = true) {
  auto& f = fixture();
  store::ClusterStore cluster(*f.client);
  tenancy::TenancyContext context;
  context.backend = backend;
  Counts total;
  for (auto _ : state) {
    f.server->clear_requests();
    std::vector<plan::Planner> planners;
    for (int i = 0; i < batch; ++i)
      planners.push_back(tenancy::add_user_planner(context, request(next_user++)));
    if (composed) planners = {plan::compose(std::move(planners))};
    plan::ApplyOptions options;
    options.check_access = check_access;
    for (const auto& planner : planners) {
      auto applied = plan::apply_plan(cluster, planner, options);
      if (!applied) {
        state.SkipWithError(applied.error().message.c_str());
        return;
      }
    }
    Counts c = count(f.server->requests());
    total.reads += c.reads;
    total.writes += c.writes;
    total.polls += c.polls;
    total.access_checks += c.access_checks;
    total.restarts += c.restarts;
  }
  double n = static_cast<double>(state.iterations()) * batch;
  state.counters["reads"] = total.reads / n;
  state.counters["writes"] = total.writes / n;
  state.counters["restarts"] = total.restarts / n;
  state.counters["rollout_polls"] = total.polls / n;
  state.counters["access_checks"] = total.access_checks / n;
  state.counters["requests"] = (total.reads + total.writes + total.polls + total.access_checks) / n;
  state.counters["users"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
}

void BM_UserAddStatic(benchmark::State& s) {
  run(s, dex::Backend::kStatic, 1, false);
}
void BM_UserAddStaticNoAccessCheck(benchmark::State& s) {
  run(s, dex::Backend::kStatic, 1, false, false);
}
void BM_UserAddPasswordObject(benchmark::State& s) {
  run(s, dex::Backend::kPasswordObject, 1, false);
}
void BM_UsersAddedSeparately(benchmark::State& s) {
  run(s, dex::Backend::kStatic, static_cast<int>(s.range(0)), false);
}
void BM_UsersAddedComposed(benchmark::State& s) {
  run(s, dex::Backend::kStatic, static_cast<int>(s.range(0)), true);
}

BENCHMARK(BM_UserAddStatic)->Unit(benchmark::kMillisecond)->Iterations(20)->UseRealTime();
BENCHMARK(BM_UserAddStaticNoAccessCheck)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(20)
    ->UseRealTime();
BENCHMARK(BM_UserAddPasswordObject)->Unit(benchmark::kMillisecond)->Iterations(20)->UseRealTime();
BENCHMARK(BM_UsersAddedSeparately)
    ->Arg(10)
    ->Arg(50)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->UseRealTime();
BENCHMARK(BM_UsersAddedComposed)
    ->Arg(10)
    ->Arg(50)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
