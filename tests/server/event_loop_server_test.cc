// The event-loop server (server/event_loop_server.h) over real HTTP: it answers as the httplib
// server does (the dispatcher's statuses and bodies, X-Request-Id, Allow), decodes paths and
// queries, limits bodies (413 before the handler), answers Expect: 100-continue, keeps
// connections alive up to the limit, runs non-GET handlers off the loop, and stops gracefully.
#include "server/event_loop_server.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <sstream>
#include <thread>

#include "server/serving_certificate.h"
#include "support/temp_dir.h"
#include "testserver/certs.h"

namespace kftenant::server {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

struct Running {
  std::unique_ptr<EventLoopServer> server;
  std::thread thread;
  int port = 0;
  std::atomic<bool> returned{false};  // serve() has returned
  ~Running() {
    if (server) server->stop();
    if (thread.joinable()) thread.join();
  }
};

void start(Running& r, RouteTable routes, HttpServerOptions options = {}) {
  options.port = 0;
  options.identity.admins = {"admin@example.com"};
  r.server = std::make_unique<EventLoopServer>(std::move(routes), std::move(options), 2);
  auto port = r.server->bind();
  ASSERT_TRUE(port) << port.error().message;
  r.port = *port;
  r.thread = std::thread([&r] {
    r.server->serve();
    r.returned = true;
  });
}

// Waits up to `limit` for `done`: a step that hangs fails with its name instead of holding the
// test until ctest's timeout.
bool within(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

Route route(std::string method, std::string pattern, Access access, Handler handler) {
  Route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.operation_id = r.method + r.pattern;
  r.access = access;
  r.handler = std::move(handler);
  return r;
}

RouteTable echo_routes(std::atomic<int>* handler_calls = nullptr) {
  RouteTable routes;
  auto echo = [handler_calls](const ApiRequest& r) {
    if (handler_calls) ++*handler_calls;
    json query = json::object();
    for (const auto& [k, v] : r.query) query[k] = v;
    return ApiResponse{
        200,
        {{"method", r.method},
         {"path", r.path},
         {"params", r.path_params},
         {"query", query},
         {"body", r.body},
         {"caller", r.caller ? r.caller->email : ""},
         {"thread", fmt::format("{}", std::hash<std::thread::id>()(std::this_thread::get_id()))}},
        "",
        ""};
  };
  EXPECT_TRUE(routes.add(route("GET", "/api/v1/things/{name}", Access::kSignedIn, echo)));
  EXPECT_TRUE(routes.add(route("POST", "/api/v1/things", Access::kSignedIn, echo)));
  EXPECT_TRUE(routes.add(
      route("GET", "/api/v1/boom", Access::kAnyone,
            [](const ApiRequest&) -> ApiResponse { throw std::runtime_error("boom"); })));
  return routes;
}

httplib::Headers caller() {
  return {{"kubeflow-userid", "ann@example.com"}};
}

TEST(EventLoopServer, AnswersLikeTheHttplibServer) {
  Running r;
  ASSERT_NO_FATAL_FAILURE(start(r, echo_routes()));
  httplib::Client client("127.0.0.1", r.port);
  client.set_url_encode(false);  // the query as written, '+' included
  auto got = client.Get("/api/v1/things/a%40b.c?x=1+2&y=%C3%A9&x=3", caller());
  ASSERT_TRUE(got) << httplib::to_string(got.error());
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->get_header_value("Content-Type"), "application/json");
  EXPECT_FALSE(got->get_header_value("X-Request-Id").empty());
  const json body = json::parse(got->body);
  EXPECT_EQ(body["params"]["name"], "a@b.c") << body.dump();
  EXPECT_EQ(body["query"]["x"], "1 2");  // the first of each, '+' a space
  EXPECT_EQ(body["query"]["y"], "\u00e9");
  EXPECT_EQ(body["caller"], "ann@example.com");

  auto missing = client.Get("/api/v1/nothing", caller());
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(json::parse(missing->body)["code"], "NotFound");
  auto wrong = client.Delete("/api/v1/things", caller());
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->get_header_value("Allow"), "POST");
  auto anonymous = client.Get("/api/v1/things/a");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto boom = client.Get("/api/v1/boom");
  ASSERT_TRUE(boom);
  EXPECT_EQ(boom->status, 500);
  EXPECT_THAT(boom->body, HasSubstr("internal error"));
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
}

TEST(EventLoopServer, PostsRunOffTheLoopAndBodiesOverTheLimitAre413) {
  std::atomic<int> calls{0};
  HttpServerOptions options;
  options.max_body_bytes = 4096;
  Running r;
  ASSERT_NO_FATAL_FAILURE(start(r, echo_routes(&calls), options));
  httplib::Client client("127.0.0.1", r.port);
  const std::string big_enough(3000, 'a');  // over 1 KiB: curl-like clients send Expect
  auto headers = caller();
  headers.emplace("Expect", "100-continue");
  auto posted = client.Post("/api/v1/things", headers, big_enough, "text/plain");
  ASSERT_TRUE(posted) << httplib::to_string(posted.error());
  EXPECT_EQ(posted->status, 200);
  EXPECT_EQ(json::parse(posted->body)["body"], big_enough);
  EXPECT_EQ(calls, 1);

  auto too_big = client.Post("/api/v1/things", caller(), std::string(5000, 'b'), "text/plain");
  ASSERT_TRUE(too_big) << httplib::to_string(too_big.error());
  EXPECT_EQ(too_big->status, 413);
  EXPECT_EQ(json::parse(too_big->body)["code"], "TooLarge");
  EXPECT_EQ(calls, 1);  // the handler never saw it
}

TEST(EventLoopServer, KeepsAConnectionForTheConfiguredNumberOfRequests) {
  HttpServerOptions options;
  options.keep_alive_requests = 3;
  Running r;
  ASSERT_NO_FATAL_FAILURE(start(r, echo_routes(), options));
  httplib::Client client("127.0.0.1", r.port);
  client.set_keep_alive(true);
  std::vector<std::string> connection;
  for (int i = 0; i < 3; ++i) {
    auto got = client.Get("/api/v1/things/a", caller());
    ASSERT_TRUE(got);
    connection.push_back(got->get_header_value("Connection"));
  }
  EXPECT_EQ(connection[0], "");  // HTTP/1.1: kept alive without saying so
  EXPECT_EQ(connection[2], "close");
}

TEST(EventLoopServer, StopLetsARequestInFlightFinishAndClosesIdleConnections) {
  using namespace std::chrono_literals;
  std::promise<void> entered;
  auto entered_future = entered.get_future();
  std::promise<void> release;
  auto released = release.get_future().share();
  // Lets the handler go whatever this test's assertions do, so that nothing waits on it.
  struct Release {
    std::promise<void>& p;
    bool done = false;
    void now() {
      if (!done) p.set_value();
      done = true;
    }
    ~Release() { now(); }
  } release_guard{release};
  RouteTable routes;
  EXPECT_TRUE(routes.add(route("POST", "/slow", Access::kAnyone, [&](const ApiRequest&) {
    entered.set_value();
    released.wait();
    return ApiResponse{201, {{"done", true}}, "", ""};
  })));
  Running r;
  ASSERT_NO_FATAL_FAILURE(start(r, std::move(routes)));
  httplib::Client idle("127.0.0.1", r.port);
  idle.set_keep_alive(true);
  idle.set_read_timeout(10s);
  ASSERT_TRUE(idle.Get("/healthz"));
  auto slow = std::async(std::launch::async, [&] {
    httplib::Client c("127.0.0.1", r.port);
    c.set_connection_timeout(10s);
    c.set_read_timeout(20s);
    return c.Post("/slow", "", "application/json");
  });
  ASSERT_EQ(entered_future.wait_for(20s), std::future_status::ready)
      << "the POST did not reach its handler";
  r.server->stop();
  release_guard.now();
  ASSERT_EQ(slow.wait_for(20s), std::future_status::ready) << "the answer in flight never came";
  auto answer = slow.get();
  ASSERT_TRUE(answer) << httplib::to_string(answer.error());
  EXPECT_EQ(answer->status, 201);
  // serve() returned: the idle keep-alive connection did not hold it.
  ASSERT_TRUE(within([&] { return r.returned.load(); }, 20s))
      << "serve() has not returned 20 s after stop()";
  r.thread.join();
  httplib::Client late("127.0.0.1", r.port);
  late.set_connection_timeout(1s);
  late.set_read_timeout(1s);
  EXPECT_FALSE(late.Get("/healthz"));
}

TEST(EventLoopServer, StreamsAnAnswerChunkByChunkAndStopsWhenTheClientGoes) {
  std::atomic<int> written_after_gone{-1};
  RouteTable routes;
  EXPECT_TRUE(routes.add(route("POST", "/events", Access::kAnyone, [](const ApiRequest&) {
    ApiResponse a{200, {}, "", "text/event-stream"};
    a.stream = [](const std::function<bool(std::string_view)>& write) {
      for (int i = 0; i < 3; ++i)
        if (!write(fmt::format("data: {}\n\n", i))) return;
    };
    return a;
  })));
  EXPECT_TRUE(routes.add(route("POST", "/forever", Access::kAnyone, [&](const ApiRequest&) {
    ApiResponse a{200, {}, "", "text/event-stream"};
    a.stream = [&](const std::function<bool(std::string_view)>& write) {
      for (int i = 0; i < 100000; ++i) {
        if (!write(std::string(1024, 'x'))) {
          written_after_gone = i;
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    };
    return a;
  })));
  Running r;
  ASSERT_NO_FATAL_FAILURE(start(r, std::move(routes)));
  httplib::Client client("127.0.0.1", r.port);
  auto got = client.Post("/events", "", "application/json");
  ASSERT_TRUE(got) << httplib::to_string(got.error());
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->get_header_value("Transfer-Encoding"), "chunked");
  EXPECT_EQ(got->get_header_value("Content-Type"), "text/event-stream");
  EXPECT_EQ(got->body, "data: 0\n\ndata: 1\n\ndata: 2\n\n");

  // A client that reads a little and goes: the writer learns it and returns.
  httplib::Client leaving("127.0.0.1", r.port);
  size_t received = 0;
  httplib::Request req;
  req.method = "POST";
  req.path = "/forever";
  req.content_receiver = [&](const char*, size_t n, uint64_t, uint64_t) {
    received += n;
    return received < 8 * 1024;  // false: httplib closes the connection
  };
  (void)leaving.send(req);
  for (int i = 0; i < 500 && written_after_gone < 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(written_after_gone, 8) << "the writer was not told the client had gone";
}

TEST(EventLoopServer, ServesHttpsThatAVerifyingClientAccepts) {
  testing::TempDir dir;
  auto ca = testserver::make_ca("event-loop-ca").value();
  auto serving = testserver::make_serving_cert(ca).value();
  auto other_ca = testserver::make_ca("another-ca").value();
  auto cert = ServingCertificate::load(dir.write("tls.crt", serving.cert_pem),
                                       dir.write("tls.key", serving.key_pem));
  ASSERT_TRUE(cert) << cert.error().message;
  HttpServerOptions options;
  options.tls = *cert;
  Running r;
  ASSERT_NO_FATAL_FAILURE(start(r, echo_routes(), options));

  httplib::SSLClient https("127.0.0.1", r.port);
  https.set_ca_cert_path(dir.write("ca.crt", ca.cert_pem).c_str());
  https.enable_server_certificate_verification(true);
  https.set_keep_alive(true);
  for (int i = 0; i < 3; ++i) {  // one connection, kept alive
    auto got = https.Get("/api/v1/things/x", caller());
    ASSERT_TRUE(got) << httplib::to_string(got.error());
    EXPECT_EQ(got->status, 200);
    EXPECT_EQ(json::parse(got->body)["params"]["name"], "x");
  }
  httplib::SSLClient stranger("127.0.0.1", r.port);
  stranger.set_ca_cert_path(dir.write("other-ca.crt", other_ca.cert_pem).c_str());
  stranger.enable_server_certificate_verification(true);
  EXPECT_FALSE(stranger.Get("/healthz"));
  httplib::Client plain("127.0.0.1", r.port);
  plain.set_read_timeout(std::chrono::seconds(2));
  auto answer = plain.Get("/healthz");
  EXPECT_TRUE(!answer || answer->status != 200);
}

TEST(EventLoopServer, APortInUseIsRefusedNamingIt) {
  Running r;
  ASSERT_NO_FATAL_FAILURE(start(r, RouteTable{}));
  HttpServerOptions options;
  options.port = r.port;
  EventLoopServer second(RouteTable{}, options, 1);
  auto refused = second.bind();
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr(fmt::format("127.0.0.1:{}", r.port)));
}

}  // namespace
}  // namespace kftenant::server
