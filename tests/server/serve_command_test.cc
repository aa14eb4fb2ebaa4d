// `kftenant serve` as a process: it listens, becomes ready once its cache has synced, answers
// as the API does, and on SIGTERM stops and exits 0; bad flags are refused with exit 2 before
// anything is contacted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <regex>
#include <thread>

#include "support/run_process.h"
#include "support/temp_dir.h"
#include "testserver/apiserver.h"
#include "testserver/certs.h"

namespace kftenant::server {
namespace {

using ::testing::HasSubstr;

// A test API server seeded like Kubeflow, and a kubeconfig of its administrator.
struct Cluster {
  std::unique_ptr<testserver::ApiServer> api_server;
  testing::TempDir dir;
  std::string kubeconfig;
};

void start_cluster(Cluster& cluster) {
  testserver::Options options;
  options.seed_kubeflow = true;
  options.rollout_delay = std::chrono::milliseconds(20);
  auto started = testserver::ApiServer::start(options);
  ASSERT_TRUE(started) << started.error().message;
  cluster.api_server = std::move(*started);
  cluster.kubeconfig = cluster.dir.file("kubeconfig");
  ASSERT_TRUE(cluster.api_server->write_kubeconfig(cluster.kubeconfig));
}

struct ServeRun {
  testing::ProcessResult result;
  bool listened = false;  // it said where it listens
  int readyz = 0;         // the last /readyz status before `session` ran
};

// Runs `kftenant serve --kubeconfig K --listen 127.0.0.1:0 ARGS...`; once it says where it
// listens (http or https, verified against `ca_file` when given) and /readyz is 200, runs
// `session` with a client of it, then sends SIGTERM and waits for the exit.
ServeRun serve_then(const Cluster& cluster, const std::vector<std::string>& args,
                    const std::function<void(httplib::Client&)>& session,
                    const std::string& ca_file = "") {
  ServeRun run;
  std::vector<std::string> argv = {KFTENANT_BINARY,    "serve",    "--kubeconfig",
                                   cluster.kubeconfig, "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), args.begin(), args.end());
  // ctest's threads.* run: the binary serves a thread per connection
  // (tests/support/in_process_api.h).
  if (const char* which = std::getenv("KFTENANT_TEST_HTTP_SERVER");
      which && std::string(which) == "threads")
    argv.insert(argv.end(), {"--event-loop", "0"});
  run.result = testing::run_process(
      argv, "", {}, [&](pid_t pid, const std::string&, const std::string& err) {
        std::smatch m;
        static const std::regex listening("listening on (https?)://127\\.0\\.0\\.1:([0-9]+)");
        if (run.listened || !std::regex_search(err, m, listening)) return;
        run.listened = true;
        httplib::Client http(m[1].str() + "://127.0.0.1:" + m[2].str());
        if (!ca_file.empty()) {
          http.set_ca_cert_path(ca_file.c_str());
          http.enable_server_certificate_verification(true);
        }
        for (int i = 0; i < 200 && run.readyz != 200; ++i) {
          auto r = http.Get("/readyz");
          run.readyz = r ? r->status : 0;
          if (run.readyz != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        session(http);
        kill(pid, SIGTERM);
      });
  return run;
}

TEST(ServeCommand, ServesUntilSigtermThenExitsZero) {
  Cluster cluster;
  ASSERT_NO_FATAL_FAILURE(start_cluster(cluster));
  int me_status = 0;
  std::string me_body, users_as_user, metrics;
  auto run = serve_then(
      cluster, {"--admin", "admin@example.com", "--userid-prefix", "accounts:"},
      [&](httplib::Client& http) {
        auto me = http.Get("/api/v1/me", {{"kubeflow-userid", "accounts:Admin@example.com"}});
        if (me) {
          me_status = me->status;
          me_body = me->body;
        }
        auto users = http.Get("/api/v1/users", {{"kubeflow-userid", "accounts:u@example.com"}});
        if (users) users_as_user = std::to_string(users->status) + " " + users->body;
        if (auto scraped = http.Get("/metrics"); scraped && scraped->status == 200)
          metrics = scraped->body;
      });
  const auto& result = run.result;
  ASSERT_TRUE(run.listened) << result.err;
  EXPECT_EQ(run.readyz, 200);
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

// HTTPS with --tls-cert/--tls-key and callers by bearer token: the token's user, whatever the
// kubeflow-userid header says; no token is 401.
TEST(ServeCommand, ServesHttpsAndIdentifiesCallersByToken) {
  Cluster cluster;
  ASSERT_NO_FATAL_FAILURE(start_cluster(cluster));
  cluster.api_server->add_user_token("ann-token-6e2a", "ann@example.com", {"ml"});
  auto ca = testserver::make_ca("serve-ca");
  ASSERT_TRUE(ca);
  auto serving = testserver::make_serving_cert(*ca);
  ASSERT_TRUE(serving);
  std::string me_body;
  int anonymous = 0;
  auto run = serve_then(
      cluster,
      {"--identity", "token", "--admin", "admin@example.com", "--tls-cert",
       cluster.dir.write("tls.crt", serving->cert_pem), "--tls-key",
       cluster.dir.write("tls.key", serving->key_pem)},
      [&](httplib::Client& https) {
        auto me = https.Get("/api/v1/me", {{"Authorization", "Bearer ann-token-6e2a"},
                                           {"kubeflow-userid", "admin@example.com"}});
        if (me) me_body = std::to_string(me->status) + " " + me->body;
        auto none = https.Get("/api/v1/me", {{"kubeflow-userid", "admin@example.com"}});
        anonymous = none ? none->status : 0;
      },
      cluster.dir.write("ca.crt", ca->cert_pem));
  const auto& result = run.result;
  ASSERT_TRUE(run.listened) << result.err;
  EXPECT_THAT(result.err, HasSubstr("listening on https://"));
  EXPECT_EQ(run.readyz, 200);
  EXPECT_THAT(me_body, ::testing::StartsWith("200 "));
  EXPECT_THAT(me_body, HasSubstr("\"email\":\"ann@example.com\""));
  EXPECT_THAT(me_body, HasSubstr("\"admin\":false"));
  EXPECT_EQ(anonymous, 401);
  EXPECT_THAT(result.err, HasSubstr("identity: bearer tokens, by TokenReview"));
  EXPECT_THAT(result.err + result.out, ::testing::Not(HasSubstr("ann-token-6e2a")));
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

// The binary's own output (access lines on stderr, audit lines on stdout) after users are made
// with a password, with a generated one, and passwords changed right and wrong: no password, no
// hash, anywhere.
TEST(ServeCommand, NoPasswordOrHashInAnythingItPrints) {
  Cluster cluster;
  ASSERT_NO_FATAL_FAILURE(start_cluster(cluster));
  const std::string given = "Given-Pass-4417-q";
  const std::string changed = "Changed-Pass-9902-z";
  std::string generated;
  std::vector<int> statuses;
  auto run = serve_then(
      cluster, {"--admin", "admin@example.com", "--bcrypt-cost", "10"}, [&](httplib::Client& http) {
        const httplib::Headers admin = {{"kubeflow-userid", "admin@example.com"}};
        const httplib::Headers ann = {{"kubeflow-userid", "ann@example.com"}};
        auto post = [&](const httplib::Headers& who, const std::string& path,
                        const nlohmann::json& body) {
          auto r = http.Post(path, who, body.dump(), "application/json");
          statuses.push_back(r ? r->status : 0);
          return r ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
        };
        post(admin, "/api/v1/users",
             {{"email", "ann@example.com"}, {"password", given}, {"createProfile", false}});
        auto made = post(
            admin, "/api/v1/users",
            {{"email", "bo@example.com"}, {"generatePassword", true}, {"createProfile", false}});
        if (made.is_object()) generated = made.value("generatedPassword", "");
        post(ann, "/api/v1/me/password",
             {{"currentPassword", "wrong-" + given}, {"newPassword", changed}});
        post(ann, "/api/v1/me/password", {{"currentPassword", given}, {"newPassword", changed}});
      });
  const auto& result = run.result;
  ASSERT_TRUE(run.listened) << result.err;
  EXPECT_EQ(statuses, (std::vector<int>{201, 201, 403, 200})) << result.err;
  ASSERT_GE(generated.size(), 12u);
  const std::string printed = result.out + result.err;
  EXPECT_THAT(printed, HasSubstr("\"action\":\"changeMyPassword\"")) << "audited";
  for (const std::string& secret :
       {given, changed, generated, std::string("$2y$"), std::string("$2a$"), std::string("$2b$")})
    EXPECT_THAT(printed, ::testing::Not(HasSubstr(secret))) << secret;
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
      {{"--tls-cert", dir.file("tls.crt")}, "--tls-cert and --tls-key go together"},
      {{"--tls-cert", dir.file("tls.crt"), "--tls-key", dir.file("tls.key")},
       "--tls-cert " + dir.file("tls.crt") + ": cannot be read"},
      {{"--identity", "cookie"}, "--identity"},
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
