// Client verbs against a scripted transport: paths, verbs, headers, bodies, retries, conflict
// loop, lost-create resolution, 401 refresh, rate limit, discovery.
#include "kftenant/kube/client.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "support/fake_clock.h"
#include "support/fake_transport.h"
#include "support/temp_dir.h"

namespace kftenant::kube {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using testing::FakeClock;
using testing::FakeTransport;

json configmap(const std::string& name, const std::string& rv = "", json data = {{"k", "v"}}) {
  json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", name}, {"namespace", "rec"}}},
             {"data", data}};
  if (!rv.empty()) cm["metadata"]["resourceVersion"] = rv;
  return cm;
}

struct ClientTest : ::testing::Test {
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  RestConfig config;
  ClientOptions options;
  std::unique_ptr<Client> client;

  ClientTest() {
    config.server = "https://k8s.example:6443";
    config.token = "secret-token";
    options.clock = clock;
    options.transport = transport;
    options.qps = 0;  // tests of the limiter turn it on
    options.retry.jitter = 0;
    options.retry.base_delay = milliseconds(100);
    options.retry.max_attempts = 4;
  }

  void make() {
    auto c = Client::create(config, options);
    ASSERT_TRUE(c) << c.error().message;
    client = std::move(*c);
  }
  void SetUp() override { make(); }

  HttpRequest req(std::size_t i) { return transport->request(i); }
  static std::string header(const HttpRequest& r, std::string_view name) {
    return FakeTransport::header_of(r, name);
  }
};

TEST_F(ClientTest, GetSendsPathAcceptAndBearerToken) {
  transport->push_json(200, configmap("dex", "7"));
  auto got = client->get(resources::kConfigMaps, "auth", "dex");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ((*got)["metadata"]["resourceVersion"], "7");
  ASSERT_EQ(transport->request_count(), 1u);
  EXPECT_EQ(req(0).method, "GET");
  EXPECT_EQ(req(0).path_and_query, "/api/v1/namespaces/auth/configmaps/dex");
  EXPECT_EQ(header(req(0), "Accept"), "application/json");
  EXPECT_EQ(header(req(0), "Authorization"), "Bearer secret-token");
  EXPECT_EQ(req(0).body, "");
}

TEST_F(ClientTest, GetMissingIsNotFoundWithServerMessage) {
  transport->push_status(404, "NotFound", "configmaps \"rec-missing\" not found");
  auto got = client->get(resources::kConfigMaps, "rec", "rec-missing");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(got.error().message, "configmaps \"rec-missing\" not found");
}

TEST_F(ClientTest, NamespacedResourceNeedsANamespace) {
  auto got = client->get(resources::kConfigMaps, "", "dex");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(transport->request_count(), 0u);
  auto bad = client->get(resources::kConfigMaps, "rec", "a/b");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ClientTest, UnknownFieldsSurviveTheRoundTrip) {
  json profile = {{"apiVersion", "kubeflow.org/v1"},
                  {"kind", "Profile"},
                  {"metadata", {{"name", "alice"}, {"resourceVersion", "9"}}},
                  {"spec",
                   {{"owner", {{"kind", "User"}, {"name", "a@x"}}},
                    {"futureField", {{"nested", json::array({1, 2.5, true, nullptr})}}}}}};
  transport->push_json(200, profile);
  ASSERT_TRUE(client->replace(resources::kProfiles, "", profile));
  EXPECT_EQ(json::parse(req(0).body), profile);
  EXPECT_EQ(req(0).path_and_query, "/apis/kubeflow.org/v1/profiles/alice");
}

TEST_F(ClientTest, ListQueryParameters) {
  transport->push_json(200, {{"kind", "ConfigMapList"}, {"items", json::array()}});
  ListOptions o;
  o.label_selector = "rec-set=page";
  o.field_selector = "metadata.name=x";
  o.limit = 2;
  o.resource_version = "0";
  ASSERT_TRUE(client->list(resources::kConfigMaps, "rec", o));
  EXPECT_EQ(req(0).path_and_query,
            "/api/v1/namespaces/rec/configmaps?labelSelector=rec-set%3Dpage&fieldSelector="
            "metadata.name%3Dx&limit=2&resourceVersion=0");
  // All namespaces.
  transport->push_json(200, {{"kind", "ConfigMapList"}, {"items", json::array()}});
  ASSERT_TRUE(client->list(resources::kConfigMaps, ""));
  EXPECT_EQ(req(1).path_and_query, "/api/v1/configmaps");
}

json page(std::vector<std::string> names, const std::string& cont, const std::string& rv = "30") {
  json items = json::array();
  for (auto& n : names) items.push_back({{"metadata", {{"name", n}}}});
  json p = {{"kind", "ConfigMapList"},
            {"apiVersion", "v1"},
            {"metadata", {{"resourceVersion", rv}}},
            {"items", items}};
  if (!cont.empty()) {
    p["metadata"]["continue"] = cont;
    p["metadata"]["remainingItemCount"] = 3;
  }
  return p;
}

TEST_F(ClientTest, ListAllFollowsContinue) {
  transport->push_json(200, page({"a", "b"}, "t1"));
  transport->push_json(200, page({"c", "d"}, "t2"));
  transport->push_json(200, page({"e"}, ""));
  ListOptions o;
  o.limit = 2;
  o.label_selector = "x=y";
  auto all = client->list_all(resources::kConfigMaps, "rec", o);
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ((*all)["items"].size(), 5u);
  EXPECT_EQ((*all)["items"][4]["metadata"]["name"], "e");
  EXPECT_EQ((*all)["kind"], "ConfigMapList");
  EXPECT_EQ((*all)["metadata"], json({{"resourceVersion", "30"}}));
  EXPECT_EQ(req(1).path_and_query,
            "/api/v1/namespaces/rec/configmaps?labelSelector=x%3Dy&limit=2&continue=t1");
  EXPECT_EQ(req(2).path_and_query,
            "/api/v1/namespaces/rec/configmaps?labelSelector=x%3Dy&limit=2&continue=t2");
}

TEST_F(ClientTest, ListAllRestartsOnceWhenContinueExpires) {
  transport->push_json(200, page({"a", "b"}, "t1"));
  transport->push_status(410, "Expired",
                         "The provided continue parameter is too old to display a consistent "
                         "list result.");
  transport->push_json(200, page({"a", "b"}, "t9", "40"));
  transport->push_json(200, page({"c"}, "", "40"));
  ListOptions o;
  o.limit = 2;
  auto all = client->list_all(resources::kConfigMaps, "rec", o);
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ((*all)["items"].size(), 3u);  // no duplicates from the abandoned snapshot
  EXPECT_EQ((*all)["metadata"]["resourceVersion"], "40");
  EXPECT_EQ(req(2).path_and_query, "/api/v1/namespaces/rec/configmaps?limit=2");
}

TEST_F(ClientTest, ListAllGivesUpOnSecondExpiry) {
  transport->push_json(200, page({"a"}, "t1"));
  transport->push_status(410, "Expired", "too old");
  transport->push_json(200, page({"a"}, "t2"));
  transport->push_status(410, "Expired", "too old");
  ListOptions o;
  o.limit = 1;
  auto all = client->list_all(resources::kConfigMaps, "rec", o);
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code, ErrorCode::kGone);
}

TEST_F(ClientTest, CreatePostsToCollection) {
  transport->push_json(201, configmap("a", "5"));
  CreateOptions o;
  o.field_manager = "kftenant";
  auto created = client->create(resources::kConfigMaps, "", configmap("a"), o);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_FALSE(created->resolved_by_read);
  EXPECT_EQ(created->object["metadata"]["resourceVersion"], "5");
  EXPECT_EQ(req(0).method, "POST");
  EXPECT_EQ(req(0).path_and_query, "/api/v1/namespaces/rec/configmaps?fieldManager=kftenant");
  EXPECT_EQ(header(req(0), "Content-Type"), "application/json");
  EXPECT_EQ(json::parse(req(0).body), configmap("a"));
}

TEST_F(ClientTest, CreateDryRunAndClusterScoped) {
  transport->push_json(201, {{"metadata", {{"name", "ns1"}}}});
  CreateOptions o;
  o.dry_run = true;
  json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "ns1"}}}};
  ASSERT_TRUE(client->create(resources::kNamespaces, "ignored", ns, o));
  EXPECT_EQ(req(0).path_and_query, "/api/v1/namespaces?dryRun=All");
}

TEST_F(ClientTest, CreateRefusesResourceVersionAndNamespaceMismatch) {
  auto r1 = client->create(resources::kConfigMaps, "rec", configmap("a", "3"));
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r1.error().message.find("resourceVersion"), std::string::npos);
  auto r2 = client->create(resources::kConfigMaps, "other", configmap("a"));
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(transport->request_count(), 0u);
}

TEST_F(ClientTest, CreateAlreadyExists) {
  transport->push_status(409, "AlreadyExists", "configmaps \"a\" already exists");
  auto r = client->create(resources::kConfigMaps, "rec", configmap("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(transport->request_count(), 1u);
}

TEST_F(ClientTest, LostCreateResolvedByReadingTheObject) {
  transport->push_error(testing::transport_error(ErrorCode::kTimeout, "timed out"));
  transport->push_json(200, configmap("a", "8"));
  auto r = client->create(resources::kConfigMaps, "rec", configmap("a"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->resolved_by_read);
  EXPECT_EQ(r->object["metadata"]["resourceVersion"], "8");
  ASSERT_EQ(transport->request_count(), 2u);
  EXPECT_EQ(req(1).method, "GET");
  EXPECT_EQ(req(1).path_and_query, "/api/v1/namespaces/rec/configmaps/a");
}

TEST_F(ClientTest, LostCreateRepostedWhenTheObjectIsMissing) {
  transport->push_status(503, "ServiceUnavailable", "etcd leader changed");
  transport->push_status(404, "NotFound", "configmaps \"a\" not found");
  transport->push_json(201, configmap("a", "9"));
  auto r = client->create(resources::kConfigMaps, "rec", configmap("a"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->resolved_by_read);
  ASSERT_EQ(transport->request_count(), 3u);
  EXPECT_EQ(req(0).method, "POST");
  EXPECT_EQ(req(1).method, "GET");
  EXPECT_EQ(req(2).method, "POST");
}

TEST_F(ClientTest, RepostAfterLostAnswerThatRacesIntoAlreadyExistsReadsIt) {
  transport->push_error(testing::transport_error());
  transport->push_status(404, "NotFound", "configmaps \"a\" not found");
  transport->push_status(409, "AlreadyExists", "configmaps \"a\" already exists");
  transport->push_json(200, configmap("a", "11"));
  auto r = client->create(resources::kConfigMaps, "rec", configmap("a"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->resolved_by_read);
}

TEST_F(ClientTest, LostCreateWithGenerateNameIsNotRetried) {
  json obj = {{"metadata", {{"generateName", "rec-gen-"}}}, {"data", {{"k", "v"}}}};
  transport->push_error(testing::transport_error());
  auto r = client->create(resources::kConfigMaps, "rec", obj);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTransport);
  EXPECT_EQ(transport->request_count(), 1u);
}

TEST_F(ClientTest, CreateRetriedOn429HonouringRetryAfter) {
  transport->push_status(429, "TooManyRequests", "slow down", {{"retry-after", "2"}});
  transport->push_json(201, configmap("a", "3"));
  auto r = client->create(resources::kConfigMaps, "rec", configmap("a"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(transport->request_count(), 2u);
  EXPECT_EQ(req(1).method, "POST");
  ASSERT_EQ(clock->sleeps().size(), 1u);
  EXPECT_EQ(clock->sleeps()[0], std::chrono::seconds(2));
}

TEST_F(ClientTest, ReplaceRequiresResourceVersion) {
  auto r = client->replace(resources::kConfigMaps, "rec", configmap("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("resourceVersion"), std::string::npos);
  EXPECT_EQ(transport->request_count(), 0u);
}

TEST_F(ClientTest, ReplaceIsRetriedOnServerErrors) {
  transport->push_status(500, "InternalError", "boom");
  transport->push_error(testing::transport_error());
  transport->push_json(200, configmap("a", "6"));
  auto r = client->replace(resources::kConfigMaps, "rec", configmap("a", "5"));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(transport->request_count(), 3u);
  EXPECT_EQ(req(2).method, "PUT");
  EXPECT_EQ(req(2).path_and_query, "/api/v1/namespaces/rec/configmaps/a");
  EXPECT_EQ(clock->sleeps(),
            (std::vector<std::chrono::nanoseconds>{milliseconds(100), milliseconds(200)}));
}

TEST_F(ClientTest, RetriesStopAtMaxAttempts) {
  for (int i = 0; i < 4; ++i) transport->push_error(testing::transport_error());
  auto r = client->get(resources::kConfigMaps, "rec", "a");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTransport);
  EXPECT_EQ(transport->request_count(), 4u);
}

TEST_F(ClientTest, StaleReplaceIsConflict) {
  transport->push_status(409, "Conflict",
                         "Operation cannot be fulfilled on configmaps \"a\": the object has been "
                         "modified; please apply your changes to the latest version and try "
                         "again");
  auto r = client->replace(resources::kConfigMaps, "rec", configmap("a", "1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(transport->request_count(), 1u);
}

TEST_F(ClientTest, ReplaceStatusUsesSubresource) {
  json p = {{"metadata", {{"name", "alice"}, {"resourceVersion", "4"}}},
            {"status", {{"phase", "Ready"}}}};
  transport->push_json(200, p);
  ASSERT_TRUE(client->replace_status(resources::kProfiles, "", p));
  EXPECT_EQ(req(0).method, "PUT");
  EXPECT_EQ(req(0).path_and_query, "/apis/kubeflow.org/v1/profiles/alice/status");
}

TEST_F(ClientTest, PatchContentTypes) {
  struct Case {
    PatchType type;
    const char* content_type;
  };
  for (auto c : {Case{PatchType::kMerge, "application/merge-patch+json"},
                 Case{PatchType::kStrategicMerge, "application/strategic-merge-patch+json"}}) {
    transport->push_json(200, configmap("a", "2"));
    PatchOptions o;
    o.type = c.type;
    ASSERT_TRUE(client->patch(resources::kConfigMaps, "rec", "a", {{"data", {{"k", nullptr}}}}, o));
    auto r = transport->requests().back();
    EXPECT_EQ(r.method, "PATCH");
    EXPECT_EQ(header(r, "Content-Type"), c.content_type);
    EXPECT_EQ(r.body, R"({"data":{"k":null}})");
  }
  transport->push_json(200, configmap("a", "3"));
  PatchOptions jp;
  jp.type = PatchType::kJsonPatch;
  json ops = json::array({{{"op", "test"}, {"path", "/data/k"}, {"value", "v"}}});
  ASSERT_TRUE(client->patch(resources::kConfigMaps, "rec", "a", ops, jp));
  EXPECT_EQ(header(transport->requests().back(), "Content-Type"), "application/json-patch+json");
  // A JSON patch must be an array, the others objects.
  EXPECT_FALSE(client->patch(resources::kConfigMaps, "rec", "a", json::object(), jp));
}

TEST_F(ClientTest, ServerSideApply) {
  PatchOptions o;
  o.type = PatchType::kApply;
  auto missing_manager = client->patch(resources::kConfigMaps, "rec", "a", configmap("a"), o);
  ASSERT_FALSE(missing_manager);
  EXPECT_EQ(missing_manager.error().code, ErrorCode::kInvalidArgument);
  o.field_manager = "kftenant";
  o.force = true;
  transport->push_json(200, configmap("a", "2"));
  ASSERT_TRUE(client->patch(resources::kConfigMaps, "rec", "a", configmap("a"), o));
  EXPECT_EQ(req(0).path_and_query,
            "/api/v1/namespaces/rec/configmaps/a?fieldManager=kftenant&force=true");
  EXPECT_EQ(header(req(0), "Content-Type"), "application/apply-patch+yaml");
}

TEST_F(ClientTest, PatchIsNotRetriedOnLostAnswer) {
  transport->push_status(503, "ServiceUnavailable", "down");
  auto r = client->patch(resources::kConfigMaps, "rec", "a", {{"data", {{"k", "v"}}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kServerError);
  EXPECT_EQ(transport->request_count(), 1u);
}

TEST_F(ClientTest, DeleteReturnsStatusOrObject) {
  json status = {{"kind", "Status"},
                 {"apiVersion", "v1"},
                 {"metadata", json::object()},
                 {"status", "Success"},
                 {"details", {{"name", "a"}, {"kind", "configmaps"}, {"uid", "u"}}}};
  transport->push_json(200, status);
  auto r = client->remove(resources::kConfigMaps, "rec", "a");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["kind"], "Status");
  EXPECT_EQ(req(0).method, "DELETE");
  EXPECT_EQ(req(0).path_and_query, "/api/v1/namespaces/rec/configmaps/a");
  EXPECT_EQ(req(0).body, "");

  json pending = {{"kind", "Profile"},
                  {"metadata", {{"name", "p"}, {"finalizers", {"foregroundDeletion"}}}}};
  transport->push_json(200, pending);
  DeleteOptions fg;
  fg.propagation_policy = "Foreground";
  auto r2 = client->remove(resources::kProfiles, "", "p", fg);
  ASSERT_TRUE(r2);
  EXPECT_EQ((*r2)["kind"], "Profile");
  EXPECT_EQ(req(1).path_and_query, "/apis/kubeflow.org/v1/profiles/p?propagationPolicy=Foreground");
}

TEST_F(ClientTest, DeletePreconditionsGoInTheBody) {
  transport->push_status(409, "Conflict",
                         "Operation cannot be fulfilled on ConfigMap \"a\": the UID in the "
                         "precondition (1111) does not match the UID in record (2222). The "
                         "object might have been deleted and then recreated");
  DeleteOptions o;
  o.precondition_uid = "1111";
  o.precondition_resource_version = "7";
  o.propagation_policy = "Background";
  auto r = client->remove(resources::kConfigMaps, "rec", "a", o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(req(0).path_and_query, "/api/v1/namespaces/rec/configmaps/a");
  EXPECT_EQ(header(req(0), "Content-Type"), "application/json");
  EXPECT_EQ(json::parse(req(0).body),
            json({{"kind", "DeleteOptions"},
                  {"apiVersion", "v1"},
                  {"preconditions", {{"uid", "1111"}, {"resourceVersion", "7"}}},
                  {"propagationPolicy", "Background"}}));
}

TEST_F(ClientTest, ReadModifyWriteRetriesOnConflict) {
  transport->push_json(200, configmap("a", "1", {{"n", "1"}}));
  transport->push_status(409, "Conflict", "the object has been modified");
  transport->push_json(200, configmap("a", "2", {{"n", "5"}}));
  transport->push_json(200, configmap("a", "3", {{"n", "6"}}));
  int calls = 0;
  auto r =
      client->read_modify_write(resources::kConfigMaps, "rec", "a", [&](json& obj) -> Result<bool> {
        ++calls;
        int n = std::stoi(obj["data"]["n"].get<std::string>());
        obj["data"]["n"] = std::to_string(n + 1);
        return true;
      });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(calls, 2);
  EXPECT_EQ((*r)["metadata"]["resourceVersion"], "3");
  ASSERT_EQ(transport->request_count(), 4u);
  auto second_put = json::parse(req(3).body);
  EXPECT_EQ(second_put["data"]["n"], "6");  // re-applied on the fresh read
  EXPECT_EQ(second_put["metadata"]["resourceVersion"], "2");
}

TEST_F(ClientTest, ReadModifyWriteWithoutChangeDoesNotWrite) {
  transport->push_json(200, configmap("a", "1"));
  auto r = client->read_modify_write(resources::kConfigMaps, "rec", "a",
                                     [](json&) -> Result<bool> { return false; });
  ASSERT_TRUE(r);
  EXPECT_EQ(transport->request_count(), 1u);
}

TEST_F(ClientTest, ReadModifyWriteGivesUp) {
  for (int i = 0; i < 2; ++i) {
    transport->push_json(200, configmap("a", std::to_string(i + 1)));
    transport->push_status(409, "Conflict", "the object has been modified");
  }
  auto r = client->read_modify_write(
      resources::kConfigMaps, "rec", "a",
      [](json& o) -> Result<bool> {
        o["data"]["x"] = "y";
        return true;
      },
      2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_NE(r.error().message.find("2 attempts"), std::string::npos);
}

TEST_F(ClientTest, ReadModifyWriteMutationErrorStops) {
  transport->push_json(200, configmap("a", "1"));
  auto r = client->read_modify_write(resources::kConfigMaps, "rec", "a", [](json&) -> Result<bool> {
    return make_error(ErrorCode::kRefused, "no");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kRefused);
}

TEST_F(ClientTest, RateLimitAppliesToEveryRequest) {
  options.qps = 2;
  options.burst = 1;
  make();
  for (int i = 0; i < 3; ++i) transport->push_json(200, configmap("a", "1"));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->get(resources::kConfigMaps, "rec", "a"));
  EXPECT_EQ(clock->sleeps(),
            (std::vector<std::chrono::nanoseconds>{milliseconds(500), milliseconds(500)}));
}

TEST_F(ClientTest, UnauthorizedWithStaticTokenIsNotRetried) {
  transport->push_status(401, "Unauthorized", "Unauthorized");
  auto r = client->get(resources::kConfigMaps, "rec", "a");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(transport->request_count(), 1u);
  EXPECT_EQ(r.error().message.find("secret-token"), std::string::npos);
}

TEST_F(ClientTest, UnauthorizedRefreshesATokenFileOnce) {
  auto dir = std::filesystem::temp_directory_path() /
             ("kftenant-client-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / "token";
  std::ofstream(file) << "old-token";
  config.token.clear();
  config.token_file = file.string();
  make();
  transport->set_handler([&](const HttpRequest& r) -> std::optional<testing::FakeAnswer> {
    if (FakeTransport::header_of(r, "Authorization") == "Bearer new-token") {
      return testing::FakeAnswer{testing::json_response(200, configmap("a", "1")), {}, {}};
    }
    return testing::FakeAnswer{
        testing::json_response(401, testing::status_body(401, "Unauthorized", "Unauthorized")),
        {},
        {}};
  });
  ASSERT_TRUE(client->get(resources::kConfigMaps, "rec", "a").has_value() == false);
  EXPECT_EQ(transport->request_count(), 2u);  // 401, refresh, 401 again: give up
  std::ofstream(file) << "new-token";         // rotated
  auto r = client->get(resources::kConfigMaps, "rec", "a");
  EXPECT_TRUE(r) << r.error().message;
  EXPECT_EQ(header(transport->requests().back(), "Authorization"), "Bearer new-token");
  std::filesystem::remove_all(dir);
}

// The Error of one GET answered 401, for the client as configured now.
std::string unauthorized_message(ClientTest& t) {
  t.make();
  t.transport->set_handler([](const HttpRequest&) -> std::optional<testing::FakeAnswer> {
    return testing::FakeAnswer{
        testing::json_response(401, testing::status_body(401, "Unauthorized", "Unauthorized")),
        {},
        {}};
  });
  auto r = t.client->get(resources::kConfigMaps, "rec", "a");
  EXPECT_FALSE(r);
  if (r) return "";
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(r.error().http_status, 401);
  EXPECT_EQ(r.error().reason, "Unauthorized");
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
  return r.error().message;
}

TEST_F(ClientTest, UnauthorizedNamesUserContextAndWhatToCheckPerAuthKind) {
  using ::testing::HasSubstr;
  using ::testing::Not;
  config.user_name = "alice";
  config.context_name = "prod";
  config.source = "/home/a/.kube/config";

  // Static token.
  std::string m = unauthorized_message(*this);
  EXPECT_THAT(m, ::testing::StartsWith(
                     "the API server https://k8s.example:6443 refused the credentials of "
                     "kubeconfig user \"alice\" (context \"prod\" in /home/a/.kube/config; "
                     "token) with 401 Unauthorized; the token may have expired"));
  EXPECT_THAT(m, HasSubstr("check that context \"prod\" points at the cluster you mean"));
  EXPECT_THAT(m, Not(HasSubstr("secret-token")));

  // Token file (re-read once on the 401, then refused again).
  testing::TempDir dir;
  config.token.clear();
  config.token_file = dir.write("token", "file-token-value\n");
  m = unauthorized_message(*this);
  EXPECT_THAT(m, HasSubstr("(context \"prod\" in /home/a/.kube/config; token file " +
                           config.token_file + ")"));
  EXPECT_THAT(m, HasSubstr("the token in " + config.token_file + " (read again) may have expired"));
  EXPECT_THAT(m, Not(HasSubstr("file-token-value")));
  config.token_file.clear();

  // Client certificate.
  config.client_cert_pem = "-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n";
  config.client_key_pem =
      "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleQ==\n-----END PRIVATE KEY-----\n";
  m = unauthorized_message(*this);
  EXPECT_THAT(m, HasSubstr("; client certificate) with 401"));
  EXPECT_THAT(m, HasSubstr("the client certificate may have expired or not be signed by this "
                           "cluster's CA"));
  EXPECT_THAT(m, Not(HasSubstr("c2VjcmV0LWtleQ")));
  config.client_cert_pem.clear();
  config.client_key_pem.clear();

  // Basic auth.
  config.username = "admin";
  config.password = "hunter2-password";
  m = unauthorized_message(*this);
  EXPECT_THAT(m, HasSubstr("; basic auth) with 401"));
  EXPECT_THAT(m, HasSubstr("use a token, a client certificate or an exec plugin"));
  EXPECT_THAT(m, Not(HasSubstr("hunter2")));
  config.username.clear();
  config.password.clear();

  // Exec plugin: run again after the first 401, then the message says to log in again.
  ExecConfig exec;
  exec.api_version = "client.authentication.k8s.io/v1";
  exec.command = std::string(KFTENANT_SOURCE_DIR) + "/tests/data/exec-plugin/fake-plugin.sh";
  exec.interactive_mode = "Never";
  exec.env.emplace_back("FAKE_PLUGIN_TOKEN", "plugin-secret");
  config.exec = exec;
  const std::size_t before = transport->request_count();
  m = unauthorized_message(*this);
  EXPECT_EQ(transport->request_count() - before, 2u);  // the plugin ran again before giving up
  EXPECT_THAT(m, HasSubstr("; exec plugin " + exec.command + ") with 401"));
  EXPECT_THAT(m, HasSubstr("log in again with the tool behind " + exec.command));
  EXPECT_THAT(m, Not(HasSubstr("plugin-secret")));
  config.exec.reset();

  // No credentials at all.
  m = unauthorized_message(*this);
  EXPECT_THAT(m, HasSubstr("; no credentials) with 401"));
  EXPECT_THAT(m, HasSubstr("the request was anonymous: give users[alice] a token"));
  config.user_name.clear();
  m = unauthorized_message(*this);
  EXPECT_THAT(m, HasSubstr("refused the credentials for context \"prod\" in "
                           "/home/a/.kube/config, which names no user"));
}

TEST_F(ClientTest, UnauthorizedKeepsAServerMessageThatSaysMore) {
  config.user_name = "alice";
  config.context_name = "prod";
  config.source = "/k";
  make();
  transport->push_status(401, "Unauthorized", "token has been invalidated");
  auto r = client->create(resources::kConfigMaps, "rec", configmap("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthorized);
  EXPECT_THAT(r.error().message,
              ::testing::HasSubstr(
                  "with 401 Unauthorized (the server said: token has been invalidated); the token "
                  "may have expired"));
}

TEST_F(ClientTest, RequestLogSeesEveryAttemptWaitAndRateLimitButNoSecret) {
  std::vector<RequestEvent> events;
  options.request_log = [&events](const RequestEvent& e) { events.push_back(e); };
  options.qps = 1;
  options.burst = 1;
  make();
  transport->push_json(200, configmap("a", "1"));
  transport->push_status(503, "ServiceUnavailable", "try later");
  transport->push_error(testing::transport_error());
  transport->push_json(200, configmap("a", "6"));
  ASSERT_TRUE(client->get(resources::kConfigMaps, "rec", "a"));
  ASSERT_TRUE(client->replace(resources::kConfigMaps, "rec", configmap("a", "5")));

  using Kind = RequestEvent::Kind;
  std::vector<std::string> lines;
  for (const auto& e : events) {
    std::string kind = e.kind == Kind::kResponse    ? "response"
                       : e.kind == Kind::kRetryWait ? "retry-wait"
                                                    : "rate-limit-wait";
    lines.push_back(fmt::format("{} {} {} attempt={} status={} error={} ms={}", kind, e.method,
                                e.path_and_query, e.attempt, e.status, e.error,
                                e.duration.count()));
  }
  const std::string path = "/api/v1/namespaces/rec/configmaps/a";
  EXPECT_EQ(lines,
            (std::vector<std::string>{
                "response GET " + path + " attempt=1 status=200 error= ms=0",
                "rate-limit-wait PUT " + path + " attempt=1 status=0 error= ms=1000",
                "response PUT " + path + " attempt=1 status=503 error= ms=0",
                "retry-wait PUT " + path + " attempt=2 status=0 error= ms=100",
                "rate-limit-wait PUT " + path + " attempt=2 status=0 error= ms=900",
                "response PUT " + path + " attempt=2 status=0 error=connection reset by peer ms=0",
                "retry-wait PUT " + path + " attempt=3 status=0 error= ms=200",
                "rate-limit-wait PUT " + path + " attempt=3 status=0 error= ms=800",
                "response PUT " + path + " attempt=3 status=200 error= ms=0",
            }));
  for (const auto& line : lines) EXPECT_EQ(line.find("secret-token"), std::string::npos) << line;
}

TEST_F(ClientTest, RequestLogNumbersTheResendOfALostCreate) {
  std::vector<RequestEvent> events;
  options.request_log = [&events](const RequestEvent& e) { events.push_back(e); };
  make();
  transport->push_error(testing::transport_error());     // POST: answer lost
  transport->push_status(404, "NotFound", "not found");  // GET: not there
  transport->push_json(201, configmap("a", "3"));        // POST again
  ASSERT_TRUE(client->create(resources::kConfigMaps, "rec", configmap("a")));
  std::vector<std::string> seen;
  for (const auto& e : events) {
    seen.push_back(
        fmt::format("{} {} {} {}", static_cast<int>(e.kind), e.method, e.attempt, e.status));
  }
  EXPECT_EQ(seen,
            (std::vector<std::string>{"0 POST 1 0", "1 POST 2 0", "0 GET 1 404", "0 POST 2 201"}));
}

TEST_F(ClientTest, ResolveUsesTableThenCachedDiscovery) {
  auto builtin = client->resolve("apps/v1", "Deployment");
  ASSERT_TRUE(builtin);
  EXPECT_EQ(*builtin, resources::kDeployments);
  EXPECT_EQ(transport->request_count(), 0u);

  transport->push_json(
      200, json::parse(R"({"kind":"APIResourceList","groupVersion":"dex.coreos.com/v1","resources":[
      {"name":"authcodes","namespaced":true,"kind":"AuthCode"},
      {"name":"refreshtokens","namespaced":true,"kind":"RefreshToken"}]})"));
  auto code = client->resolve("dex.coreos.com/v1", "AuthCode");
  ASSERT_TRUE(code) << code.error().message;
  EXPECT_EQ(code->resource, "authcodes");
  EXPECT_EQ(req(0).path_and_query, "/apis/dex.coreos.com/v1");
  auto refresh = client->resolve("dex.coreos.com/v1", "RefreshToken");
  ASSERT_TRUE(refresh);
  EXPECT_EQ(transport->request_count(), 1u);  // cached
  auto missing = client->resolve("dex.coreos.com/v1", "Nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  transport->push(testing::FakeAnswer{[] {
                                        HttpResponse r;
                                        r.status = 404;
                                        r.body = "404 page not found\n";
                                        return r;
                                      }(),
                                      {},
                                      {}});
  auto no_group = client->resolve("no.such.group/v1", "Foo");
  ASSERT_FALSE(no_group);
  EXPECT_EQ(no_group.error().code, ErrorCode::kNotFound);
  EXPECT_NE(no_group.error().message.find("no.such.group/v1"), std::string::npos);
}

// serves() asks discovery even for a kind of the built-in table (Password is one: a cluster
// without Dex's CRD must answer no), caches a yes and asks a no again (a CRD installed since).
TEST_F(ClientTest, ServesAsksDiscoveryAndCachesOnlyAYes) {
  auto not_found = [] {
    HttpResponse r;
    r.status = 404;
    r.body = "404 page not found\n";
    return testing::FakeAnswer{r, {}, {}};
  };
  transport->push(not_found());
  auto before = client->serves("dex.coreos.com/v1", "Password");
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_FALSE(*before);
  EXPECT_EQ(req(0).path_and_query, "/apis/dex.coreos.com/v1");

  const auto installed =
      json::parse(R"({"kind":"APIResourceList","groupVersion":"dex.coreos.com/v1",
      "resources":[{"name":"passwords","namespaced":true,"kind":"Password"}]})");
  transport->push_json(200, installed);
  auto after = client->serves("dex.coreos.com/v1", "Password");
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_TRUE(*after);
  EXPECT_EQ(transport->request_count(), 2u);  // the no was not cached
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->serves("dex.coreos.com/v1", "Password").value());
  EXPECT_EQ(transport->request_count(), 2u);  // the yes was

  transport->push_json(200, installed);
  auto other_kind = client->serves("dex.coreos.com/v1", "AuthCode");
  ASSERT_TRUE(other_kind);
  EXPECT_FALSE(*other_kind);
  EXPECT_EQ(transport->request_count(), 3u);

  transport->push_json(
      403,
      json{{"kind", "Status"}, {"code", 403}, {"reason", "Forbidden"}, {"message", "forbidden"}});
  auto forbidden = client->serves("kubeflow.org/v1", "Profile");
  ASSERT_FALSE(forbidden);
  EXPECT_EQ(forbidden.error().code, ErrorCode::kForbidden);
}

TEST_F(ClientTest, NonJsonSuccessIsParseError) {
  transport->push(testing::FakeAnswer{[] {
                                        HttpResponse r;
                                        r.status = 200;
                                        r.body = "apiVersion: v1\n";
                                        return r;
                                      }(),
                                      {},
                                      {}});
  auto r = client->get(resources::kConfigMaps, "rec", "a");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kParse);
}

}  // namespace
}  // namespace kftenant::kube
