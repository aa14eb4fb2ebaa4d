// The REST API (server/) in process for a test suite (tests/server only: it needs
// kftenant_server): the test API server (HTTPS), a kftenant client and
// ClusterStore of it, the CachedStore `kftenant serve` reads from (synced), and an HttpServer on
// a free port with the routes the suite adds; call() is a real HTTP request to it. Access and
// audit lines are kept for the test to read. With review_callers set before start(), callers
// are reviewed by the server's own account (ClusterAccessReviews: TokenReview for
// --identity token, SubjectAccessReview for administrators).
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "kftenant/clock.h"
#include "kftenant/store/cached_store.h"
#include "kftenant/store/cluster_store.h"
#include "kftenant/yaml.h"
#include "server/access_review.h"
#include "server/event_loop_server.h"
#include "server/http_server.h"
#include "server/tenancy_api.h"
#include "support/test_api_client.h"
#include "testserver/apiserver.h"

namespace kftenant::server {

class InProcessApi {
 public:
  struct Answer {
    int status = 0;  // 0: no answer
    nlohmann::json body;
    std::string text;
    httplib::Headers headers;
  };

  // `seed` writes the suite's starting state before the cache starts; `add_routes` adds the
  // suite's routes (the OpenAPI route is added after them); `http` is completed with the port,
  // the readiness check and the logs. The server talks to the API server with `server_token`
  // (seeded by then; the administrator's when empty). Call inside ASSERT_NO_FATAL_FAILURE.
  void start(const testserver::Options& options,
             const std::function<void(store::ObjectStore&)>& seed,
             const std::function<void(InProcessApi&, RouteTable&)>& add_routes,
             HttpServerOptions http, const std::string& server_token = "") {
    auto started = testserver::ApiServer::start(options);
    ASSERT_TRUE(started) << started.error().message;
    owned_api_server_ = std::move(*started);
    api_server_ = owned_api_server_.get();
    admin_client_ = kftenant::testing::test_api_client(*api_server_);
    ASSERT_TRUE(admin_client_);
    admin_cluster_ = std::make_unique<store::ClusterStore>(*admin_client_);
    if (seed) {
      ASSERT_NO_FATAL_FAILURE(seed(*admin_cluster_));
    }
    ASSERT_NO_FATAL_FAILURE(serve(add_routes, std::move(http), server_token));
  }

  // Another replica: a server of its own (client, cache, routes, port) over `shared`, which
  // must outlive it. Call inside ASSERT_NO_FATAL_FAILURE.
  void attach(testserver::ApiServer& shared,
              const std::function<void(InProcessApi&, RouteTable&)>& add_routes,
              HttpServerOptions http, const std::string& server_token = "") {
    api_server_ = &shared;
    admin_client_ = kftenant::testing::test_api_client(*api_server_);
    ASSERT_TRUE(admin_client_);
    admin_cluster_ = std::make_unique<store::ClusterStore>(*admin_client_);
    ASSERT_NO_FATAL_FAILURE(serve(add_routes, std::move(http), server_token));
  }

 private:
  void serve(const std::function<void(InProcessApi&, RouteTable&)>& add_routes,
             HttpServerOptions http, const std::string& server_token) {
    client_ = server_token.empty() ? kftenant::testing::test_api_client(*api_server_)
                                   : kftenant::testing::test_api_client(*api_server_, server_token);
    ASSERT_TRUE(client_);
    cluster_ = std::make_unique<store::ClusterStore>(*client_);
    cache_ = std::make_unique<store::CachedStore>(*cluster_, *client_);
    if (review_callers) {
      reviews_ = std::make_unique<ClusterAccessReviews>(*client_, system_clock());
      http.identity.reviews = reviews_.get();
    }
    ASSERT_TRUE(cache_what_requests_read(*cache_, *cluster_, {}));
    ASSERT_TRUE(cache_->wait_for_sync(std::chrono::seconds(10)));
    RouteTable routes;
    add_routes(*this, routes);
    add_openapi_route(routes, "test");
    http.port = 0;
    http.ready = [this] { return cache_->synced(); };
    http.access_log = &access_log_;
    http.audit_log = &audit_log_;
    server_ = std::make_unique<ServerUnderTest>(std::move(routes), std::move(http));
    auto port = server_->bind();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    serving_ = std::thread([this] { server_->serve(); });
  }

 public:
  ~InProcessApi() {
    if (server_) server_->stop();
    if (serving_.joinable()) serving_.join();
    // Before the log streams (declared after it, so destroyed first): its line writer's thread
    // may still be writing to access_log_ (ThreadSanitizer found it).
    server_.reset();
  }

  // Set before start(): the server reviews callers with its own client.
  bool review_callers = false;

  // `caller` is sent as the kubeflow-userid header (none when null).
  [[nodiscard]] Answer call(const std::string& method, const std::string& path,
                            const char* caller = nullptr, const std::string& body = "",
                            const std::string& content_type = "application/json",
                            httplib::Headers headers = {}) const {
    httplib::Client http("127.0.0.1", port_);
    if (caller) headers.emplace("kubeflow-userid", caller);
    auto res = method == "POST"     ? http.Post(path, headers, body, content_type)
               : method == "PUT"    ? http.Put(path, headers, body, content_type)
               : method == "DELETE" ? http.Delete(path, headers, body, content_type)
                                    : http.Get(path, headers);
    Answer a;
    if (!res) return a;
    a.status = res->status;
    a.text = res->body;
    a.headers = res->headers;
    a.body = nlohmann::json::parse(res->body, nullptr, false);
    return a;
  }

  [[nodiscard]] testserver::ApiServer& api_server() { return *api_server_; }
  [[nodiscard]] int port() const { return port_; }
  // The server's own ClusterStore (its token), and one with every permission.
  [[nodiscard]] store::ClusterStore& cluster() { return *cluster_; }
  [[nodiscard]] store::ClusterStore& admin_cluster() { return *admin_cluster_; }
  [[nodiscard]] store::CachedStore& cache() { return *cache_; }
  // The server's reviews of callers (review_callers), null without.
  [[nodiscard]] ClusterAccessReviews* reviews() { return reviews_.get(); }
  // The lines of the requests answered so far (an audit line is written before its answer).
  [[nodiscard]] std::string access_log() const {
    if (server_) server_->flush_logs();  // access lines are written by a thread of their own
    return access_buf_.text();
  }
  [[nodiscard]] std::string audit_log() const {
    if (server_) server_->flush_logs();
    return audit_buf_.text();
  }

 private:
  std::unique_ptr<testserver::ApiServer> owned_api_server_;
  testserver::ApiServer* api_server_ = nullptr;
  std::unique_ptr<kube::Client> admin_client_;
  std::unique_ptr<store::ClusterStore> admin_cluster_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<store::ClusterStore> cluster_;
  std::unique_ptr<store::CachedStore> cache_;
  std::unique_ptr<ClusterAccessReviews> reviews_;
  // kftenant serve's server: the event-loop one (its default), or with
  // KFTENANT_TEST_HTTP_SERVER=threads (ctest's threads.* run of the server tests) the httplib one.
  class ServerUnderTest {
   public:
    ServerUnderTest(RouteTable routes, HttpServerOptions http) {
      const char* which = std::getenv("KFTENANT_TEST_HTTP_SERVER");
      if (which && std::string(which) == "threads")
        threaded_ = std::make_unique<HttpServer>(std::move(routes), std::move(http));
      else
        looped_ = std::make_unique<EventLoopServer>(std::move(routes), std::move(http), 2);
    }
    [[nodiscard]] Result<int> bind() { return looped_ ? looped_->bind() : threaded_->bind(); }
    void serve() { looped_ ? looped_->serve() : threaded_->serve(); }
    void stop() { looped_ ? looped_->stop() : threaded_->stop(); }
    void flush_logs() { looped_ ? looped_->flush_logs() : threaded_->flush_logs(); }

   private:
    std::unique_ptr<HttpServer> threaded_;
    std::unique_ptr<EventLoopServer> looped_;
  };
  std::unique_ptr<ServerUnderTest> server_;
  std::thread serving_;
  int port_ = 0;
  // Written by the server's threads while a test reads it: every write and the read under one
  // lock (no put area, so that even a single character goes through overflow()).
  class LockedLog : public std::streambuf {
   public:
    [[nodiscard]] std::string text() const {
      std::lock_guard lock(mu_);
      return text_;
    }

   protected:
    std::streamsize xsputn(const char* s, std::streamsize n) override {
      std::lock_guard lock(mu_);
      text_.append(s, static_cast<size_t>(n));
      return n;
    }
    int_type overflow(int_type c) override {
      if (!traits_type::eq_int_type(c, traits_type::eof())) {
        std::lock_guard lock(mu_);
        text_.push_back(traits_type::to_char_type(c));
      }
      return traits_type::not_eof(c);
    }

   private:
    mutable std::mutex mu_;
    std::string text_;
  };
  LockedLog access_buf_, audit_buf_;
  std::ostream access_log_{&access_buf_};
  std::ostream audit_log_{&audit_buf_};
};

// The writes `server` was asked for since its clear_requests(), as "METHOD path": every request
// but GETs and the access reviews a server makes of its callers (they store nothing).
inline std::vector<std::string> writes_to(const testserver::ApiServer& server) {
  std::vector<std::string> out;
  for (const auto& r : server.requests())
    if (r.method != "GET" && !r.path.ends_with("reviews")) out.push_back(r.method + " " + r.path);
  return out;
}

// Grants deploy/serve's RBAC (its ClusterRole, Role and bindings, as they are in the folder) and
// makes `token` the token of its ServiceAccount, so that a server run with it has exactly
// what the deploy folder gives it. Call inside ASSERT_NO_FATAL_FAILURE.
inline void grant_deploy_rbac(testserver::ApiServer& server, const std::string& token) {
  const std::map<std::string, std::string> resources = {
      {"ClusterRole", "clusterroles"},
      {"ClusterRoleBinding", "clusterrolebindings"},
      {"Role", "roles"},
      {"RoleBinding", "rolebindings"}};
  for (const char* file : {"cluster-role.yaml", "role-dex.yaml"}) {
    std::ifstream in(std::string(KFTENANT_SOURCE_DIR) + "/deploy/serve/" + file);
    std::stringstream text;
    text << in.rdbuf();
    auto docs = yaml::parse_all(text.str(), file);
    ASSERT_TRUE(docs) << docs.error().message;
    ASSERT_FALSE(docs->empty()) << file;
    for (const auto& doc : *docs) {
      ASSERT_TRUE(server.put_object("rbac.authorization.k8s.io/v1",
                                    resources.at(doc["kind"].get<std::string>()), doc))
          << file;
    }
  }
  server.add_user_token(token, "system:serviceaccount:kubeflow:kftenant-serve",
                        {"system:serviceaccounts", "system:serviceaccounts:kubeflow"});
}

}  // namespace kftenant::server
