// `kftenant serve` as a process: it listens, becomes ready once its cache has synced, answers
// as the API does, and on SIGTERM stops and exits 0; bad flags are refused with exit 2 before
// anything is contacted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <regex>
#include <thread>

#include "support/run_process.h"
#include "support/temp_dir.h"
#include "testserver/apiserver.h"

namespace kftenant::server {
namespace {

using ::testing::HasSubstr;

TEST(ServeCommand, ServesUntilSigtermThenExitsZero) {
  testserver::Options options;
  options.seed_kubeflow = true;
  auto api_server = testserver::ApiServer::start(options);
  ASSERT_TRUE(api_server) << api_server.error().message;
  testing::TempDir dir;
  const std::string kubeconfig = dir.file("kubeconfig");
  ASSERT_TRUE((*api_server)->write_kubeconfig(kubeconfig));

  bool asked = false;
  int readyz = 0, me_status = 0;
  std::string me_body, users_as_user, metrics;
  auto result = testing::run_process(
      {KFTENANT_BINARY, "serve", "--kubeconfig", kubeconfig, "--listen", "127.0.0.1:0", "--admin",
       "admin@example.com", "--userid-prefix", "accounts:"},
      "", {}, [&](pid_t pid, const std::string&, const std::string& err) {
        std::smatch m;
        static const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
        if (asked || !std::regex_search(err, m, listening)) return;
        asked = true;
        httplib::Client http("127.0.0.1", std::stoi(m[1]));
        for (int i = 0; i < 200 && readyz != 200; ++i) {
          auto r = http.Get("/readyz");
          readyz = r ? r->status : 0;
          if (readyz != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        auto me = http.Get("/api/v1/me", {{"kubeflow-userid", "accounts:Admin@example.com"}});
        if (me) {
          me_status = me->status;
          me_body = me->body;
        }
        auto users = http.Get("/api/v1/users", {{"kubeflow-userid", "accounts:u@example.com"}});
        if (users) users_as_user = std::to_string(users->status) + " " + users->body;
        if (auto scraped = http.Get("/metrics"); scraped && scraped->status == 200)
          metrics = scraped->body;
        kill(pid, SIGTERM);
      });
  ASSERT_TRUE(asked) << result.err;
  EXPECT_EQ(readyz, 200);
  EXPECT_EQ(me_status, 200) << me_body;
  auto me = nlohmann::json::parse(me_body, nullptr, false);
  EXPECT_EQ(me.value("email", ""), "Admin@example.com");
  EXPECT_EQ(me.value("admin", false), true);
  EXPECT_THAT(users_as_user, ::testing::StartsWith("403 "));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("kftenant serve: stopped"));
  // One access line per request, JSON, naming the route.
  EXPECT_THAT(result.err, HasSubstr("\"route\":\"/api/v1/me\""));
  // /metrics: the requests answered, the API server's requests (the cache's lists among them;
  // its watches count when they end), the cache; never a caller.
  EXPECT_THAT(metrics, HasSubstr("kftenant_http_requests_total{code=\"200\",method=\"GET\","
                                 "route=\"/api/v1/me\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("kftenant_apiserver_requests_total{code=\"200\",verb=\"GET\"}"));
  EXPECT_THAT(metrics, HasSubstr("kftenant_cache_synced 1"));
  EXPECT_THAT(metrics, HasSubstr("kftenant_build_info{version="));
  EXPECT_THAT(metrics, ::testing::Not(HasSubstr("example.com")));
}

TEST(ServeCommand, BadFlagsAreRefusedBeforeAnythingIsContacted) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  testing::TempDir dir;
  const std::vector<Case> cases = {
      {{"--listen", "8080"}, "--listen 8080"},
      {{"--listen", "127.0.0.1:99999"}, "--listen 127.0.0.1:99999"},
      {{"--listen", "127.0.0.1:x"}, "HOST:PORT"},
      {{"--manifests", dir.path()}, "serve needs a cluster"},
      {{"--threads", "0"}, "--threads"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {KFTENANT_BINARY, "serve", "--kubeconfig", dir.file("none")};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto result = testing::run_process(argv);
    EXPECT_EQ(result.exit_code, 2) << c.says << ": " << result.err;
    EXPECT_THAT(result.err, HasSubstr(c.says));
  }
}

}  // namespace
}  // namespace kftenant::server
