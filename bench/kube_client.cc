// Kubernetes client figures against the project's test API server over HTTPS on loopback.
//
//   build/bench_kube_client
//
// - BM_GetConfigMap/reused: one Client (kept-alive TLS connection) doing GETs.
// - BM_GetConfigMap/fresh:  the baseline: a new Client per GET (new TCP + TLS handshake each
//   time), which is what a script calling kubectl once per step pays. The ratio of the two is the
//   gain of connection reuse.
// - BM_WatchDecode: decoding a watch stream (NDJSON) delivered in 1 KiB chunks, in MB/s, against
//   the baseline of parsing the same lines with nlohmann::json directly.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "kftenant/kube/client.h"
#include "kftenant/kube/kubeconfig.h"
#include "kftenant/kube/watch.h"
#include "testserver/apiserver.h"

namespace {

using kftenant::kube::Client;
namespace res = kftenant::kube::resources;

struct Fixture {
  std::unique_ptr<kftenant::testserver::ApiServer> server;
  kftenant::kube::RestConfig config;
};

Fixture& fixture() {
  static Fixture f = [] {
    Fixture fx;
    kftenant::testserver::Options options;
    options.seed_kubeflow = true;
    fx.server = std::move(*kftenant::testserver::ApiServer::start(options));
    const std::string path = "/tmp/kftenant-bench-kubeconfig";
    (void)fx.server->write_kubeconfig(path);
    kftenant::kube::KubeconfigOptions kc;
    kc.explicit_path = path;
    fx.config = *kftenant::kube::load_rest_config(kc);
    fx.config.qps = 0;  // measure the client, not the rate limiter
    return fx;
  }();
  return f;
}

void BM_GetConfigMap_Reused(benchmark::State& state) {
  auto client = std::move(*Client::create(fixture().config));
  for (auto _ : state) {
    auto cm = client->get(res::kConfigMaps, "auth", "dex");
    if (!cm) state.SkipWithError(cm.error().message.c_str());
    benchmark::DoNotOptimize(cm);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GetConfigMap_Reused)->Name("BM_GetConfigMap/reused")->UseRealTime();

void BM_GetConfigMap_Fresh(benchmark::State& state) {
  for (auto _ : state) {
    auto client = std::move(*Client::create(fixture().config));
    auto cm = client->get(res::kConfigMaps, "auth", "dex");
    if (!cm) state.SkipWithError(cm.error().message.c_str());
    benchmark::DoNotOptimize(cm);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GetConfigMap_Fresh)->Name("BM_GetConfigMap/fresh")->UseRealTime();

std::string watch_stream(int events) {
  std::string s;
  for (int i = 0; i < events; ++i) {
    s +=
        R"({"type":"MODIFIED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm-)" +
        std::to_string(i) +
        R"(","namespace":"auth","uid":"0f5c1a52-7d1e-4d8e-9a51-2a4f0d0c1b2e","resourceVersion":")" +
        std::to_string(1000 + i) +
        R"(","creationTimestamp":"2026-11-29T08:00:00Z","labels":{"app":"dex"}},"data":{"config.yaml":"issuer: http://dex.auth.svc.cluster.local:5556/dex\nenablePasswordDB: true\n"}}})"
        "\n";
  }
  return s;
}

void BM_WatchDecode(benchmark::State& state) {
  const std::string stream = watch_stream(1000);
  std::vector<kftenant::kube::WatchEvent> events;
  for (auto _ : state) {
    kftenant::kube::WatchDecoder decoder;
    events.clear();
    for (size_t off = 0; off < stream.size(); off += 1024) {
      auto r = decoder.feed(std::string_view(stream).substr(off, 1024), events);
      if (!r) state.SkipWithError(r.error().message.c_str());
    }
    (void)decoder.finish(events);
    benchmark::DoNotOptimize(events);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_WatchDecode)->Name("BM_WatchDecode/decoder");

void BM_WatchDecode_Baseline(benchmark::State& state) {
  const std::string stream = watch_stream(1000);
  for (auto _ : state) {
    size_t start = 0;
    std::vector<nlohmann::json> parsed;
    while (start < stream.size()) {
      size_t nl = stream.find('\n', start);
      parsed.push_back(nlohmann::json::parse(stream.substr(start, nl - start)));
      start = nl + 1;
    }
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_WatchDecode_Baseline)->Name("BM_WatchDecode/plain-json-parse");

}  // namespace

BENCHMARK_MAIN();
