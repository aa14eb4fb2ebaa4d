// The Prometheus metrics of `kftenant serve`, served at GET /metrics in the text format
// (version 0.0.4) by prometheus-cpp's registry and serializer:
//
//   kftenant_http_requests_total{method, route, code}        counter
//   kftenant_http_request_duration_seconds{method, route}    histogram (1 ms .. 10 s)
//   kftenant_http_requests_in_flight                          gauge
//   kftenant_apiserver_requests_total{verb, code}             counter: every attempt the
//       Kubernetes client made, counted when it ended (verb WATCH for a watch, which ends at the
//       server's timeout or when it breaks; code "error" when no answer came)
//   kftenant_apiserver_request_duration_seconds{verb}         histogram, watches excluded (their
//       duration is how long the stream stayed open)
//   kftenant_cache_synced                                     gauge, 1 once every informer listed
//   kftenant_cache_objects{resource, selector}                gauge: objects each informer holds
//   kftenant_cache_last_heard_seconds{resource, selector}     gauge: seconds since the watch last
//       told the informer something (a list, an event or a bookmark); absent before the first list
//   kftenant_cache_lists_total{resource, selector}            counter: lists (1, plus one per
//       relist after a 410 or a broken watch)
//   kftenant_build_info{version}                              gauge, 1
//
// Labels are bounded: `route` is the route's pattern ("/api/v1/users/{email}", never an email),
// "unmatched" for a path no route serves; `resource` is "configmaps", "profiles.kubeflow.org", ...
// and `selector` what narrows an informer ("namespace=auth,metadata.name=dex"; "" for a whole
// kind). No label or value carries a caller, a query string or a body. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/kube/client.h"
#include "kftenant/kube/informer.h"

namespace prometheus {
class Registry;
class Gauge;
template <typename T>
class Family;
class Counter;
class Histogram;
}  // namespace prometheus

namespace kftenant::server {

// What the cache gauges read at each scrape.
struct CacheSource {
  std::function<bool()> synced;
  std::function<std::vector<const kube::Informer*>()> informers;
};

class ServeMetrics {
 public:
  explicit ServeMetrics(std::string version);
  ~ServeMetrics();
  ServeMetrics(const ServeMetrics&) = delete;
  ServeMetrics& operator=(const ServeMetrics&) = delete;

  // One answered request: its method, route pattern ("" when none matched), status, duration.
  void observe_request(std::string_view method, std::string_view route, int status,
                       std::chrono::nanoseconds duration);
  // Brackets a request being served (the in-flight gauge).
  void request_started();
  void request_finished();
  // One event of the Kubernetes client's request log (ClientOptions::request_log); only
  // kResponse events count.
  void observe_apiserver(const kube::RequestEvent& event);
  // The cache the gauges describe (optional). Call before serving; the informers must outlive
  // every render().
  void set_cache(CacheSource cache);

  // The text exposition of every metric.
  [[nodiscard]] std::string render() const;

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* durations_;
  prometheus::Gauge* in_flight_;
  prometheus::Family<prometheus::Counter>* apiserver_requests_;
  prometheus::Family<prometheus::Histogram>* apiserver_durations_;
  CacheSource cache_;
};

// The selector label of an informer: "namespace=auth,metadata.name=dex", "" for a whole kind.
[[nodiscard]] std::string selector_label(const kube::InformerOptions& options);

// The verb label of an API-server request: its method, or WATCH for a watch.
[[nodiscard]] std::string verb_label(const kube::RequestEvent& event);

}  // namespace kftenant::server
