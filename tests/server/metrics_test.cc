// /metrics (server/metrics.h): the Prometheus text of what the server answered, what it asked
// the API server and what its cache holds — labelled by route pattern, never by a caller, a path's
// value or a query.
#include "server/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "kftenant/kube/informer.h"
#include "support/in_process_api.h"

namespace kftenant::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The value of the one series `series` (name{labels} exactly as the text has it), or nullopt.
std::optional<double> value_of(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

kube::RequestEvent response(std::string method, std::string path, int status, int ms) {
  kube::RequestEvent e;
  e.method = std::move(method);
  e.path_and_query = std::move(path);
  e.status = status;
  e.duration = std::chrono::milliseconds(ms);
  return e;
}

TEST(ServeMetrics, CountsRequestsByRoutePatternAndStatus) {
  ServeMetrics metrics("1.2.3");
  metrics.observe_request("GET", "/api/v1/users/{email}", 200, std::chrono::milliseconds(2));
  metrics.observe_request("GET", "/api/v1/users/{email}", 200, std::chrono::milliseconds(30));
  metrics.observe_request("GET", "/api/v1/users/{email}", 403, std::chrono::milliseconds(1));
  metrics.observe_request("GET", "", 404, std::chrono::microseconds(200));
  const std::string text = metrics.render();
  EXPECT_EQ(
      value_of(text,
               "kftenant_http_requests_total{code=\"200\",method=\"GET\",route=\"/api/v1/users/"
               "{email}\"}"),
      2);
  EXPECT_EQ(
      value_of(text,
               "kftenant_http_requests_total{code=\"403\",method=\"GET\",route=\"/api/v1/users/"
               "{email}\"}"),
      1);
  EXPECT_EQ(
      value_of(text,
               "kftenant_http_requests_total{code=\"404\",method=\"GET\",route=\"unmatched\"}"),
      1);
  // The histogram: 1 ms is within the 1 ms bucket (le is inclusive), 2 ms within 5 ms, all by 50.
  const std::string bucket =
      "kftenant_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/users/"
      "{email}\",le=\"";
  EXPECT_EQ(value_of(text, bucket + "0.001\"}"), 1);
  EXPECT_EQ(value_of(text, bucket + "0.005\"}"), 2);
  EXPECT_EQ(value_of(text, bucket + "0.05\"}"), 3);
  EXPECT_EQ(value_of(text, bucket + "+Inf\"}"), 3);
  auto sum = value_of(
      text,
      "kftenant_http_request_duration_seconds_sum{method=\"GET\",route=\"/api/v1/users/{email}\"}");
  ASSERT_TRUE(sum);
  EXPECT_NEAR(*sum, 0.033, 1e-9);
  EXPECT_EQ(value_of(text, "kftenant_build_info{version=\"1.2.3\"}"), 1);
  EXPECT_THAT(text, HasSubstr("# TYPE kftenant_http_requests_total counter"));
  EXPECT_THAT(text, HasSubstr("# TYPE kftenant_http_request_duration_seconds histogram"));
}

TEST(ServeMetrics, InFlightRisesAndFalls) {
  ServeMetrics metrics("t");
  metrics.request_started();
  metrics.request_started();
  EXPECT_EQ(value_of(metrics.render(), "kftenant_http_requests_in_flight"), 2);
  metrics.request_finished();
  EXPECT_EQ(value_of(metrics.render(), "kftenant_http_requests_in_flight"), 1);
}

TEST(ServeMetrics, ApiServerRequestsByVerbWithWatchesApart) {
  ServeMetrics metrics("t");
  metrics.observe_apiserver(response("GET", "/api/v1/namespaces/auth/configmaps/dex", 200, 3));
  metrics.observe_apiserver(response("GET", "/apis/kubeflow.org/v1/profiles?watch=1&rv=5", 200,
                                     300000));  // a watch open for five minutes
  metrics.observe_apiserver(response("GET", "/api/v1/pods?labelSelector=watch%3D1", 200, 2));
  metrics.observe_apiserver(response("PUT", "/api/v1/namespaces/auth/configmaps/dex", 409, 4));
  metrics.observe_apiserver(response("PATCH", "/apis/apps/v1/x", 0, 30000));  // no answer
  kube::RequestEvent wait = response("GET", "/api/v1/namespaces", 0, 100);
  wait.kind = kube::RequestEvent::Kind::kRateLimitWait;
  metrics.observe_apiserver(wait);  // waits are not requests
  const std::string text = metrics.render();
  EXPECT_EQ(value_of(text, "kftenant_apiserver_requests_total{code=\"200\",verb=\"GET\"}"), 2);
  EXPECT_EQ(value_of(text, "kftenant_apiserver_requests_total{code=\"200\",verb=\"WATCH\"}"), 1);
  EXPECT_EQ(value_of(text, "kftenant_apiserver_requests_total{code=\"409\",verb=\"PUT\"}"), 1);
  EXPECT_EQ(value_of(text, "kftenant_apiserver_requests_total{code=\"error\",verb=\"PATCH\"}"), 1);
  EXPECT_EQ(value_of(text, "kftenant_apiserver_request_duration_seconds_count{verb=\"GET\"}"), 2);
  EXPECT_FALSE(value_of(text, "kftenant_apiserver_request_duration_seconds_count{verb=\"WATCH\"}"));
  // Paths never become labels.
  EXPECT_THAT(text, Not(HasSubstr("configmaps/dex")));
}

TEST(ServeMetrics, LabelsOfInformers) {
  kube::InformerOptions whole;
  EXPECT_EQ(selector_label(whole), "");
  kube::InformerOptions one;
  one.ns = "auth";
  one.field_selector = "metadata.name=dex";
  EXPECT_EQ(selector_label(one), "namespace=auth,metadata.name=dex");
  EXPECT_EQ(verb_label(response("GET", "/api/v1/pods?watch=true", 200, 0)), "WATCH");
  EXPECT_EQ(verb_label(response("GET", "/api/v1/pods?x=1&watch=1", 200, 0)), "WATCH");
  EXPECT_EQ(verb_label(response("GET", "/api/v1/pods?watch=0", 200, 0)), "GET");
  EXPECT_EQ(verb_label(response("DELETE", "/api/v1/pods/watch=1", 200, 0)), "DELETE");
}

// The metrics of a server over the test API server: the requests it answered and its cache.
TEST(ServeMetricsOverHttp, TheServerCountsWhatItAnsweredAndDescribesItsCache) {
  ServeMetrics metrics("test");
  std::unique_ptr<TenancyApi> api;
  InProcessApi env;  // destroyed first: stops the server before the API goes
  testserver::Options options;
  options.seed_kubeflow = true;
  HttpServerOptions http;
  http.identity.admins = {"admin@example.com"};
  http.metrics = &metrics;
  ASSERT_NO_FATAL_FAILURE(env.start(
      options, nullptr,
      [&](InProcessApi& e, RouteTable& routes) {
        api = std::make_unique<TenancyApi>(e.cache(), tenancy::TenancyContext{}, &e.cache());
        api->add_routes(routes);
        metrics.set_cache(
            {[&e] { return e.cache().synced(); }, [&e] { return e.cache().informers(); }});
      },
      std::move(http)));

  ASSERT_EQ(
      env.call("GET", "/api/v1/users/someone.secret@example.com?q=hidden", "admin@example.com")
          .status,
      404);
  ASSERT_EQ(env.call("GET", "/api/v1/users/user@example.com", "user@example.com").status, 200);
  ASSERT_EQ(env.call("GET", "/api/v1/users", "user@example.com").status, 403);
  ASSERT_EQ(env.call("GET", "/no/such/thing").status, 404);

  // No identity is needed to scrape.
  auto scraped = env.call("GET", "/metrics");
  ASSERT_EQ(scraped.status, 200);
  auto type = scraped.headers.find("Content-Type");
  ASSERT_NE(type, scraped.headers.end());
  EXPECT_EQ(type->second, ServeMetrics::kContentType);
  const std::string& text = scraped.text;
  const std::string user_route = "route=\"/api/v1/users/{email}\"";
  EXPECT_EQ(value_of(text, "kftenant_http_requests_total{code=\"404\",method=\"GET\"," +
                               user_route + "}"),
            1);
  EXPECT_EQ(value_of(text, "kftenant_http_requests_total{code=\"200\",method=\"GET\"," +
                               user_route + "}"),
            1);
  EXPECT_EQ(value_of(text,
                     "kftenant_http_requests_total{code=\"403\",method=\"GET\","
                     "route=\"/api/v1/users\"}"),
            1);
  EXPECT_EQ(value_of(text,
                     "kftenant_http_requests_total{code=\"404\",method=\"GET\","
                     "route=\"unmatched\"}"),
            1);
  // The scrape itself is answered after it is rendered: it counts from the next one.
  EXPECT_EQ(value_of(text, "kftenant_http_requests_in_flight"), 1);
  for (const char* secret : {"someone.secret", "hidden", "user@example.com", "admin@example"})
    EXPECT_THAT(text, Not(HasSubstr(secret)));

  EXPECT_EQ(value_of(text, "kftenant_cache_synced"), 1);
  const std::string profiles = "{resource=\"profiles.kubeflow.org\",selector=\"\"}";
  auto listed = env.admin_cluster().list("kubeflow.org/v1", "Profile", "", "");
  ASSERT_TRUE(listed);
  EXPECT_EQ(value_of(text, "kftenant_cache_objects" + profiles),
            static_cast<double>(listed->size()));
  EXPECT_EQ(value_of(text, "kftenant_cache_lists_total" + profiles), 1);
  auto age = value_of(text, "kftenant_cache_last_heard_seconds" + profiles);
  ASSERT_TRUE(age);
  EXPECT_GE(*age, 0);
  EXPECT_LT(*age, 600);

  auto again = env.call("GET", "/metrics");
  EXPECT_EQ(
      value_of(again.text,
               "kftenant_http_requests_total{code=\"200\",method=\"GET\",route=\"/metrics\"}"),
      1);
}

}  // namespace
}  // namespace kftenant::server
