#include "server/metrics.h"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>

namespace kftenant::server {
namespace {

// Served requests answer in about a millisecond from the cache; writes wait on the API server
// and bcrypt (tens to hundreds of ms); a Dex rollout waited for runs to seconds.
const prometheus::Histogram::BucketBoundaries& request_buckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return buckets;
}

std::string status_label(int status) {
  return status > 0 ? std::to_string(status) : "error";
}

prometheus::MetricFamily family(std::string name, std::string help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

}  // namespace

std::string selector_label(const kube::InformerOptions& options) {
  std::vector<std::string> parts;
  if (!options.ns.empty()) parts.push_back("namespace=" + options.ns);
  if (!options.label_selector.empty()) parts.push_back(options.label_selector);
  if (!options.field_selector.empty()) parts.push_back(options.field_selector);
  return fmt::format("{}", fmt::join(parts, ","));
}

std::string verb_label(const kube::RequestEvent& event) {
  // Informers watch with "?watch=1" (client_watch.cc); kubectl-style "watch=true" too.
  const auto& path = event.path_and_query;
  const auto query = path.find('?');
  if (query != std::string::npos) {
    const std::string q = "&" + path.substr(query + 1) + "&";
    if (q.find("&watch=1&") != std::string::npos || q.find("&watch=true&") != std::string::npos)
      return "WATCH";
  }
  return event.method;
}

ServeMetrics::ServeMetrics(std::string version)
    : registry_(std::make_shared<prometheus::Registry>()) {
  requests_ = &prometheus::BuildCounter()
                   .Name("kftenant_http_requests_total")
                   .Help("HTTP requests answered, by method, route pattern and status code")
                   .Register(*registry_);
  durations_ = &prometheus::BuildHistogram()
                    .Name("kftenant_http_request_duration_seconds")
                    .Help("Time to answer an HTTP request, by method and route pattern")
                    .Register(*registry_);
  in_flight_ = &prometheus::BuildGauge()
                    .Name("kftenant_http_requests_in_flight")
                    .Help("HTTP requests being answered")
                    .Register(*registry_)
                    .Add({});
  apiserver_requests_ =
      &prometheus::BuildCounter()
           .Name("kftenant_apiserver_requests_total")
           .Help(
               "Requests to the Kubernetes API server (every attempt), by verb (WATCH for a "
               "watch) and status code (\"error\" when no answer came)")
           .Register(*registry_);
  apiserver_durations_ = &prometheus::BuildHistogram()
                              .Name("kftenant_apiserver_request_duration_seconds")
                              .Help(
                                  "Time of a request to the Kubernetes API server (watches "
                                  "excluded), by verb")
                              .Register(*registry_);
  prometheus::BuildGauge()
      .Name("kftenant_build_info")
      .Help("The kftenant version serving")
      .Register(*registry_)
      .Add({{"version", std::move(version)}})
      .Set(1);
}

ServeMetrics::~ServeMetrics() = default;

void ServeMetrics::observe_request(std::string_view method, std::string_view route, int status,
                                   std::chrono::nanoseconds duration) {
  const std::string route_label = route.empty() ? "unmatched" : std::string(route);
  requests_
      ->Add(
          {{"method", std::string(method)}, {"route", route_label}, {"code", status_label(status)}})
      .Increment();
  durations_->Add({{"method", std::string(method)}, {"route", route_label}}, request_buckets())
      .Observe(std::chrono::duration<double>(duration).count());
}

void ServeMetrics::request_started() {
  in_flight_->Increment();
}

void ServeMetrics::request_finished() {
  in_flight_->Decrement();
}

void ServeMetrics::observe_apiserver(const kube::RequestEvent& event) {
  if (event.kind != kube::RequestEvent::Kind::kResponse) return;
  const std::string verb = verb_label(event);
  apiserver_requests_->Add({{"verb", verb}, {"code", status_label(event.status)}}).Increment();
  if (verb != "WATCH")
    apiserver_durations_->Add({{"verb", verb}}, request_buckets())
        .Observe(std::chrono::duration<double>(event.duration).count());
}

void ServeMetrics::set_cache(CacheSource cache) {
  cache_ = std::move(cache);
}

std::string ServeMetrics::render() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  if (cache_.synced) {
    auto synced = family("kftenant_cache_synced",
                         "1 once every informer of the cache has listed its objects, else 0",
                         prometheus::MetricType::Gauge);
    synced.metric.emplace_back().gauge.value = cache_.synced() ? 1 : 0;
    families.push_back(std::move(synced));
  }
  if (cache_.informers) {
    auto objects = family("kftenant_cache_objects", "Objects the informer holds",
                          prometheus::MetricType::Gauge);
    auto heard = family("kftenant_cache_last_heard_seconds",
                        "Seconds since the informer's watch last told it something (a list, an "
                        "event or a bookmark)",
                        prometheus::MetricType::Gauge);
    auto lists = family("kftenant_cache_lists_total",
                        "Lists the informer made (1, plus one per relist after a 410 or a "
                        "broken watch)",
                        prometheus::MetricType::Counter);
    const auto now = std::chrono::steady_clock::now();
    // Two informers of one kind and selector would give one series twice; keep the first.
    std::map<std::pair<std::string, std::string>, bool> seen;
    for (const kube::Informer* informer : cache_.informers()) {
      const std::string resource = informer->resource().group_resource();
      const std::string selector = selector_label(informer->options());
      if (!seen.emplace(std::pair{resource, selector}, true).second) continue;
      const std::vector<prometheus::ClientMetric::Label> labels = {{"resource", resource},
                                                                   {"selector", selector}};
      auto& o = objects.metric.emplace_back();
      o.label = labels;
      o.gauge.value = static_cast<double>(informer->size());
      if (auto last = informer->last_heard()) {
        auto& h = heard.metric.emplace_back();
        h.label = labels;
        h.gauge.value = std::chrono::duration<double>(now - *last).count();
      }
      auto& l = lists.metric.emplace_back();
      l.label = labels;
      l.counter.value = informer->lists();
    }
    families.push_back(std::move(objects));
    families.push_back(std::move(heard));
    families.push_back(std::move(lists));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace kftenant::server
