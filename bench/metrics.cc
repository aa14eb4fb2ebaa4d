// What /metrics costs `kftenant serve` (server/metrics.h): per request, and per scrape.
//
//   build/bench_metrics
//
// - BM_AccessLineBaseline: the JSON access line every request already writes (built and dumped
//   as server/http_server.cc does, into a string): the baseline a request's metrics are compared
//   with.
// - BM_ObserveRequest: what the server adds per request: in-flight up and down, the counter and
//   the histogram of its route (40 routes in turn, as many as the API has). Counter
//   x_access_line: its time over the baseline's, measured in the same run.
// - BM_ObserveRequest/threads:2: the same from two threads at once (the families' locks).
// - BM_ObserveApiServer: one API-server response event.
// - BM_Render: one scrape's text with 40 routes x 3 status codes observed.
#include "server/metrics.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

std::vector<std::string> routes() {
  std::vector<std::string> out;
  for (int i = 0; i < 40; ++i) out.push_back(fmt::format("/api/v1/resource{}/{{name}}", i));
  return out;
}

double access_line_ns = 0;  // BM_AccessLineBaseline's figure, for the ratio

void BM_AccessLineBaseline(benchmark::State& state) {
  const auto names = routes();
  size_t i = 0;
  const auto started = std::chrono::steady_clock::now();
  for (auto _ : state) {
    nlohmann::json line = {{"time", "2026-12-06T12:00:00Z"},
                           {"requestId", "0123abcd-42"},
                           {"method", "GET"},
                           {"route", names[i++ % names.size()]},
                           {"status", 200},
                           {"caller", "user@example.com"},
                           {"ms", 0.42}};
    std::string text = line.dump();
    benchmark::DoNotOptimize(text);
  }
  access_line_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - started).count() /
      static_cast<double>(state.iterations());
}
BENCHMARK(BM_AccessLineBaseline);

void BM_ObserveRequest(benchmark::State& state) {
  static kftenant::server::ServeMetrics* metrics = nullptr;
  if (state.thread_index() == 0) metrics = new kftenant::server::ServeMetrics("bench");
  const auto names = routes();
  size_t i = static_cast<size_t>(state.thread_index());
  const auto started = std::chrono::steady_clock::now();
  for (auto _ : state) {
    metrics->request_started();
    metrics->observe_request("GET", names[i++ % names.size()], 200, std::chrono::microseconds(420));
    metrics->request_finished();
  }
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - started).count() /
      static_cast<double>(state.iterations());
  if (state.thread_index() == 0) {
    if (access_line_ns > 0) state.counters["x_access_line"] = ns / access_line_ns;
    delete metrics;
    metrics = nullptr;
  }
}
BENCHMARK(BM_ObserveRequest);
BENCHMARK(BM_ObserveRequest)->Threads(2)->UseRealTime();

void BM_ObserveApiServer(benchmark::State& state) {
  kftenant::server::ServeMetrics metrics("bench");
  kftenant::kube::RequestEvent event;
  event.method = "GET";
  event.path_and_query = "/api/v1/namespaces/auth/configmaps/dex";
  event.status = 200;
  event.duration = std::chrono::milliseconds(3);
  for (auto _ : state) metrics.observe_apiserver(event);
}
BENCHMARK(BM_ObserveApiServer);

void BM_Render(benchmark::State& state) {
  kftenant::server::ServeMetrics metrics("bench");
  for (const auto& route : routes())
    for (int code : {200, 403, 404}) metrics.observe_request("GET", route, code, {});
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = metrics.render();
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Render)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
