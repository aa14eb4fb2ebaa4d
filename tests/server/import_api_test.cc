// POST /api/v1/import in process over real HTTP, the server running as deploy/serve's
// ServiceAccount with exactly its rules: a CSV body becomes Dex users (one config.yaml write, one
// restart), profiles with quota and contributors, generated passwords returned once in the
// result; the same body again changes nothing; the progress as Server-Sent Events ending with
// the result; a client that goes away does not stop the job; one job at a time (429); bad bodies
// (another content type, problems listed by line, no rows, bad parameters) write nothing; a dry
// run writes nothing; administrators only; no password in any log line.
#include "server/import_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <future>
#include <thread>

#include "kftenant/dex/bcrypt.h"
#include "server/tenancy_api.h"
#include "support/in_process_api.h"
#include "testserver/apiserver.h"

namespace kftenant::server {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kAdmin = "admin@example.com";
constexpr const char* kServeToken = "kftenant-serve-token";

const char* const kUsers =
    "email,username,password,generate,quota,contributors\n"
    "Ann@Example.com,Ann,password-of-ann,,cpu=2,ben@example.com:edit\n"
    "ben@example.com,,password-of-ben,,,\n"
    "cat@example.com,,,yes,,\n";

// One Server-Sent Event.
struct Event {
  std::string name;
  json data;
};

// Parses a text/event-stream body: "event:" and "data:" lines, blank line between events,
// comment lines (":") skipped.
std::vector<Event> parse_events(const std::string& text) {
  std::vector<Event> out;
  Event current;
  std::string data;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) {
      if (!current.name.empty()) {
        current.data = json::parse(data, nullptr, false);
        out.push_back(current);
      }
      current = {};
      data.clear();
    } else if (line.rfind("event: ", 0) == 0) {
      current.name = line.substr(7);
    } else if (line.rfind("data: ", 0) == 0) {
      data += line.substr(6);
    }
  }
  return out;
}

class ImportApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testserver::Options options;
    options.seed_kubeflow = true;
    options.rollout_delay = std::chrono::milliseconds(20);
    options.simulate_profile_controller = true;
    options.profile_controller_delay = std::chrono::milliseconds(20);
    HttpServerOptions http;
    http.threads = 4;
    http.identity.admins = {kAdmin};
    ASSERT_NO_FATAL_FAILURE(env.start(
        options, [this](store::ObjectStore&) { grant_deploy_rbac(env.api_server(), kServeToken); },
        [this](InProcessApi& e, RouteTable& routes) {
          reads = std::make_unique<TenancyApi>(e.cache(), tenancy::TenancyContext{}, &e.cache());
          reads->add_routes(routes);
          imports = std::make_unique<ImportApi>(e.cache(), tenancy::TenancyContext{},
                                                ImportOptions{10, 2});
          imports->add_routes(routes);
        },
        http, kServeToken));
    api = &env.api_server();
  }
  void TearDown() override { api->set_profile_controller_paused(false); }

  InProcessApi::Answer import(const std::string& body, const std::string& query = "",
                              const char* caller = kAdmin, const std::string& type = "text/csv") {
    return env.call("POST", "/api/v1/import" + query, caller, body, type);
  }

  // POST with Accept: text/event-stream; `keep_reading` may end the stream early.
  std::string import_events(const std::string& body, const std::string& type,
                            const std::string& query = "",
                            const std::function<bool(const std::string&)>& keep_reading = {}) {
    httplib::Client http("127.0.0.1", env.port());
    http.set_read_timeout(std::chrono::seconds(60));
    std::string text;
    httplib::Request req;
    req.method = "POST";
    req.path = "/api/v1/import" + query;
    req.headers = {
        {"kubeflow-userid", kAdmin}, {"Accept", "text/event-stream"}, {"Content-Type", type}};
    req.body = body;
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      text.append(data, n);
      return !keep_reading || keep_reading(text);
    };
    auto res = http.send(req);
    if (res) stream_type = res->get_header_value("Content-Type");
    return text;
  }

  std::vector<std::string> writes_seen() { return writes_to(*api); }

  std::string config_yaml() {
    auto cm = api->get_object("v1", "configmaps", "auth", "dex");
    return cm ? (*cm)["data"]["config.yaml"].get<std::string>() : "";
  }

  std::unique_ptr<TenancyApi> reads;
  std::unique_ptr<ImportApi> imports;
  InProcessApi env;  // destroyed first: stops the server before the APIs go
  testserver::ApiServer* api = nullptr;
  std::string stream_type;
};

TEST_F(ImportApiTest, ACsvBodyIsOneDexWriteOneRestartAndProfilesAndIsIdempotent) {
  api->clear_requests();
  auto done = import(kUsers, "?waitSeconds=20");
  ASSERT_EQ(done.status, 200) << done.text;
  EXPECT_EQ(done.body["failed"], false) << done.text;
  ASSERT_EQ(done.body["rows"].size(), 3u);
  for (const auto& row : done.body["rows"]) EXPECT_EQ(row["dexUser"], "created") << row.dump();
  EXPECT_EQ(done.body["rows"][0]["email"], "ann@example.com");
  EXPECT_EQ(done.body["rows"][0]["contributors"], "created");
  EXPECT_EQ(done.body["dexWrites"], 1);
  EXPECT_EQ(done.body["restarts"], 1);
  int config_writes = 0;
  for (const auto& w : writes_seen())
    if (w.find("/configmaps/dex") != std::string::npos) ++config_writes;
  EXPECT_EQ(config_writes, 1);
  for (const char* email : {"ann@example.com", "ben@example.com", "cat@example.com"})
    EXPECT_THAT(config_yaml(), HasSubstr(email));
  auto ann = api->get_object("kubeflow.org/v1", "profiles", "", "ann");
  ASSERT_TRUE(ann);
  EXPECT_EQ((*ann)["spec"]["resourceQuotaSpec"]["hard"]["cpu"], "2");
  EXPECT_TRUE(api->get_object("rbac.authorization.k8s.io/v1", "rolebindings", "ann",
                              "user-ben-example-com-clusterrole-edit"));
  // cat's generated password: in this result, once, and it is the stored one.
  ASSERT_EQ(done.body["generatedPasswords"].size(), 1u) << done.text;
  const std::string generated = done.body["generatedPasswords"][0]["password"];
  EXPECT_EQ(done.body["generatedPasswords"][0]["email"], "cat@example.com");
  EXPECT_GE(generated.size(), 12u);
  // The audit line names the action and the number of rows, nothing of the body.
  const std::string logs = env.access_log() + env.audit_log();
  EXPECT_THAT(env.audit_log(), HasSubstr(R"("action":"importUsers")"));
  EXPECT_THAT(env.audit_log(), HasSubstr(R"("rows":"3")"));
  for (const std::string& secret : {std::string("password-of-ann"), generated, std::string("$2")})
    EXPECT_THAT(logs, Not(HasSubstr(secret))) << secret;

  // The same body again: nothing to do, nothing written, no password made up.
  api->clear_requests();
  auto again = import(kUsers);
  ASSERT_EQ(again.status, 200) << again.text;
  for (const auto& row : again.body["rows"]) EXPECT_EQ(row["dexUser"], "unchanged") << row.dump();
  EXPECT_EQ(again.body["restarts"], 0);
  EXPECT_THAT(again.body["generatedPasswords"], IsEmpty());
  EXPECT_THAT(writes_seen(), IsEmpty());
}

TEST_F(ImportApiTest, WithAcceptEventStreamTheProgressComesAsEventsEndingWithTheResult) {
  const std::string yaml =
      "users:\n"
      "  - email: dee@example.com\n"
      "    password: password-of-dee\n"
      "  - email: eve@example.com\n"
      "    password: password-of-eve\n"
      "    quota: {cpu: \"1\"}\n";
  const std::string text = import_events(yaml, "application/yaml", "?waitSeconds=20");
  EXPECT_THAT(stream_type, HasSubstr("text/event-stream"));
  auto events = parse_events(text);
  ASSERT_FALSE(events.empty()) << text;
  EXPECT_EQ(events.back().name, "result") << text;
  const json& result = events.back().data;
  EXPECT_EQ(result["failed"], false) << result.dump();
  EXPECT_EQ(result["rows"].size(), 2u);
  int progress = 0, steps = 0, results = 0;
  for (const auto& e : events) {
    progress += e.name == "progress";
    steps += e.name == "step";
    results += e.name == "result";
    if (e.name == "progress") {
      EXPECT_TRUE(e.data.contains("phase") && e.data.contains("done") && e.data.contains("total"))
          << e.data.dump();
    }
  }
  EXPECT_GT(progress, 0);
  EXPECT_GT(steps, 0) << "the Dex phase's steps";
  EXPECT_EQ(results, 1);
  EXPECT_THAT(text, Not(HasSubstr("password-of-dee")));
  EXPECT_TRUE(api->get_object("kubeflow.org/v1", "profiles", "", "eve"));
}

TEST_F(ImportApiTest, OneJobAtATimeAndAClientGoingAwayDoesNotStopIt) {
  // The profile controller paused: the job waits for the namespace, so it is still running.
  api->set_profile_controller_paused(true);
  std::promise<void> first_event;
  bool signalled = false;
  auto streaming = std::async(std::launch::async, [&] {
    return import_events("email,password\nfay@example.com,password-of-fay\n", "text/csv",
                         "?waitSeconds=30", [&](const std::string& text) {
                           if (!signalled && text.find("event: ") != std::string::npos) {
                             signalled = true;
                             first_event.set_value();
                           }
                           return false;  // the client goes away after the first chunk
                         });
  });
  ASSERT_EQ(first_event.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
  streaming.get();
  auto busy = import("email,password\ngus@example.com,password-of-gus\n");
  EXPECT_EQ(busy.status, 429) << busy.text;
  EXPECT_TRUE(busy.headers.count("Retry-After"));
  EXPECT_THAT(config_yaml(), Not(HasSubstr("gus@example.com")));
  // The job went on without its client: once the namespace is made it finishes, and the next
  // import is taken.
  api->set_profile_controller_paused(false);
  bool taken = false;
  for (int i = 0; i < 300 && !taken; ++i) {
    auto next = import("email,password\ngus@example.com,password-of-gus\n");
    taken = next.status == 200;
    if (!taken) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(taken);
  EXPECT_THAT(config_yaml(), HasSubstr("fay@example.com"));
  EXPECT_TRUE(api->get_object("v1", "namespaces", "", "fay"));
}

TEST_F(ImportApiTest, BadBodiesAndParametersWriteNothing) {
  api->clear_requests();
  auto json_body = import(R"({"users": []})", "", kAdmin, "application/json");
  EXPECT_EQ(json_body.status, 415) << json_body.text;
  auto problems = import(
      "email,password\nnot-an-email,password-of-x\nhal@example.com,short\nhal@example.com,"
      "password-of-hal\n");
  ASSERT_EQ(problems.status, 422) << problems.text;
  EXPECT_EQ(problems.body["code"], "Invalid");
  ASSERT_GE(problems.body["problems"].size(), 3u) << problems.text;
  EXPECT_EQ(problems.body["problems"][0]["line"], 2);
  EXPECT_EQ(problems.body["problems"][0]["field"], "email");
  EXPECT_THAT(problems.text, Not(HasSubstr("password-of-hal")));
  EXPECT_EQ(import("email,password\n").status, 422) << "no rows";
  auto bad_wait = import(kUsers, "?waitSeconds=forever");
  EXPECT_EQ(bad_wait.status, 400);
  EXPECT_EQ(bad_wait.body["field"], "waitSeconds");
  EXPECT_EQ(import(kUsers, "", "ann@example.com").status, 403);
  EXPECT_EQ(import(kUsers, "", nullptr).status, 401);
  auto dry = import(kUsers, "?dryRun=true");
  ASSERT_EQ(dry.status, 200) << dry.text;
  EXPECT_EQ(dry.body["dryRun"], true);
  EXPECT_FALSE(dry.body["steps"].empty()) << dry.text;
  EXPECT_THAT(dry.text, Not(HasSubstr("password-of-ann")));
  EXPECT_THAT(writes_seen(), IsEmpty());
}

}  // namespace
}  // namespace kftenant::server
