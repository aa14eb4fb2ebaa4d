// Watch framing (WatchDecoder) and the watch loop (Client::watch) against a scripted transport.
#include "kftenant/kube/watch.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <stop_token>

#include "kftenant/kube/client.h"
#include "support/fake_clock.h"
#include "support/fake_transport.h"

namespace kftenant::kube {
namespace {

using nlohmann::json;
using testing::FakeClock;
using testing::FakeTransport;

// Lines as recorded in 08-watch.json.
const std::string kAdded =
    R"({"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"rec-watch-cm","namespace":"rec","uid":"u1","resourceVersion":"102","creationTimestamp":"2026-01-01T00:00:00Z","labels":{"rec-watch":"1"}},"data":{"v":"1"}}})";
const std::string kModified =
    R"({"type":"MODIFIED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"rec-watch-cm","namespace":"rec","uid":"u1","resourceVersion":"103","creationTimestamp":"2026-01-01T00:00:00Z","labels":{"rec-watch":"1"}},"data":{"v":"2"}}})";
const std::string kDeleted =
    R"({"type":"DELETED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"rec-watch-cm","namespace":"rec","uid":"u1","resourceVersion":"104","creationTimestamp":"2026-01-01T00:00:00Z","labels":{"rec-watch":"1"}},"data":{"v":"2"}}})";
const std::string kBookmark =
    R"({"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"110","creationTimestamp":null}}})";
const std::string kTooOld =
    R"J({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (105)","reason":"Expired","code":410}})J";

std::vector<WatchEvent> decode_all(const std::vector<std::string>& chunks) {
  WatchDecoder d;
  std::vector<WatchEvent> out;
  for (const auto& c : chunks) EXPECT_TRUE(d.feed(c, out));
  EXPECT_TRUE(d.finish(out));
  return out;
}

TEST(WatchDecoder, OneEventPerChunkAsTheServerSends) {
  auto events = decode_all({kAdded + "\n", kModified + "\n", kDeleted + "\n", kBookmark + "\n"});
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].type, WatchEventType::kAdded);
  EXPECT_EQ(events[1].type, WatchEventType::kModified);
  EXPECT_EQ(events[2].type, WatchEventType::kDeleted);
  EXPECT_EQ(events[3].type, WatchEventType::kBookmark);
  EXPECT_EQ(events[1].object["data"]["v"], "2");
  EXPECT_TRUE(events[3].object["metadata"]["creationTimestamp"].is_null());
}

TEST(WatchDecoder, LinesSplitAcrossChunksAndSharingChunks) {
  std::string all = kAdded + "\n" + kModified + "\r\n\n \n" + kDeleted + "\n";
  auto events = decode_all({all.substr(0, 10), all.substr(10, 300), all.substr(310)});
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].type, WatchEventType::kDeleted);
  auto together = decode_all({all});
  EXPECT_EQ(together.size(), 3u);
}

TEST(WatchDecoder, FinalLineWithoutNewlineIsAccepted) {
  auto events = decode_all({kAdded + "\n" + kBookmark});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].type, WatchEventType::kBookmark);
}

TEST(WatchDecoder, TruncatedEventAtEndIsAnError) {
  WatchDecoder d;
  std::vector<WatchEvent> out;
  ASSERT_TRUE(d.feed(kAdded + "\n" + kModified.substr(0, 40), out));
  EXPECT_EQ(out.size(), 1u);
  auto r = d.finish(out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kParse);
}

TEST(WatchDecoder, BadJsonAndBadShapesAreParseErrors) {
  for (std::string line :
       {std::string("{not json"), std::string("[1,2]"), std::string(R"({"type":"ADDED"})"),
        std::string(R"({"type":7,"object":{}})"), std::string(R"({"type":"RENAMED","object":{}})"),
        std::string(R"({"type":"ADDED","object":"x"})")}) {
    WatchDecoder d;
    std::vector<WatchEvent> out;
    auto r = d.feed(line + "\n", out);
    ASSERT_FALSE(r) << line;
    EXPECT_EQ(r.error().code, ErrorCode::kParse) << line;
  }
}

TEST(WatchDecoder, EventsBeforeABadLineAreKept) {
  WatchDecoder d;
  std::vector<WatchEvent> out;
  EXPECT_FALSE(d.feed(kAdded + "\n{oops\n" + kModified + "\n", out));
  ASSERT_EQ(out.size(), 1u);
}

TEST(WatchDecoder, LineLengthGuard) {
  WatchDecoder d(64);
  std::vector<WatchEvent> out;
  auto r1 = d.feed(std::string(40, 'x'), out);
  EXPECT_TRUE(r1);
  auto r2 = d.feed(std::string(40, 'x'), out);  // 80 bytes, no newline yet
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::kParse);
  EXPECT_NE(r2.error().message.find("64"), std::string::npos);
}

RC_GTEST_PROP(WatchDecoderProp, AnyChunkingGivesTheSameEvents, (std::vector<std::size_t> cuts)) {
  const std::string all = kAdded + "\n" + kModified + "\r\n\n" + kBookmark + "\n" + kDeleted;
  std::vector<std::string> chunks;
  std::size_t pos = 0;
  for (std::size_t c : cuts) {
    if (pos >= all.size()) break;
    std::size_t n = c % 64;
    chunks.push_back(all.substr(pos, n));
    pos += n;
  }
  chunks.push_back(all.substr(std::min(pos, all.size())));
  WatchDecoder d;
  std::vector<WatchEvent> out;
  for (const auto& c : chunks) RC_ASSERT(d.feed(c, out).has_value());
  RC_ASSERT(d.finish(out).has_value());
  RC_ASSERT(out.size() == 4u);
  RC_ASSERT(out[2].type == WatchEventType::kBookmark);
  RC_ASSERT(out[3].object["metadata"]["resourceVersion"] == "104");
}

// ---- the watch loop --------------------------------------------------------------------------

struct WatchFixture : ::testing::Test {
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  std::unique_ptr<Client> client;
  std::vector<WatchEvent> seen;

  void SetUp() override {
    RestConfig config;
    config.server = "https://k8s.example:6443";
    config.token = "tok";
    ClientOptions options;
    options.clock = clock;
    options.transport = transport;
    options.qps = 0;
    options.retry.jitter = 0;
    options.retry.base_delay = std::chrono::milliseconds(100);
    auto c = Client::create(config, options);
    ASSERT_TRUE(c) << c.error().message;
    client = std::move(*c);
  }

  // Collects events; stops after `limit` of them.
  WatchHandler collect(std::size_t limit) {
    return [this, limit](const WatchEvent& ev) {
      seen.push_back(ev);
      return seen.size() < limit;
    };
  }

  std::string path(std::size_t i) { return transport->request(i).path_and_query; }
};

json list_body(const std::string& rv, std::vector<std::string> names) {
  json items = json::array();
  for (const auto& n : names) {
    items.push_back({{"metadata", {{"name", n}, {"namespace", "rec"}, {"resourceVersion", rv}}}});
  }
  return {{"kind", "ConfigMapList"},
          {"apiVersion", "v1"},
          {"metadata", {{"resourceVersion", rv}}},
          {"items", items}};
}

TEST_F(WatchFixture, StreamsEventsAndResumesFromLastResourceVersion) {
  transport->push_stream({kAdded + "\n", kBookmark + "\n"});  // then a clean end (timeout)
  transport->push_stream({kModified + "\n"});
  WatchOptions opts;
  opts.label_selector = "rec-watch=1";
  opts.resource_version = "101";
  opts.timeout_seconds = 5;
  auto r = client->watch(resources::kConfigMaps, "rec", opts, collect(3));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].type, WatchEventType::kModified);
  ASSERT_EQ(transport->request_count(), 2u);
  EXPECT_EQ(transport->request(0).method, "GET");
  EXPECT_EQ(path(0),
            "/api/v1/namespaces/rec/configmaps?watch=1&labelSelector=rec-watch%3D1&"
            "resourceVersion=101&allowWatchBookmarks=true&timeoutSeconds=5");
  // The bookmark's resourceVersion is the resume point.
  EXPECT_NE(path(1).find("resourceVersion=110"), std::string::npos);
  EXPECT_EQ(transport->request(0).timeout.count(), 0);  // no total deadline on a watch
  // A clean end after events reconnects at once.
  EXPECT_TRUE(clock->sleeps().empty());
}

TEST_F(WatchFixture, TooOldErrorEventInHttp200RelistsAndWatchesFromListVersion) {
  transport->push_stream({kTooOld + "\n"});
  transport->push_json(200, list_body("200", {"a", "b"}));
  transport->push_stream({kDeleted + "\n"});
  WatchOptions opts;
  opts.resource_version = "1";
  auto r = client->watch(resources::kConfigMaps, "rec", opts, collect(2));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].type, WatchEventType::kRelist);  // the ERROR itself is not delivered
  EXPECT_EQ(seen[0].object["items"].size(), 2u);
  EXPECT_EQ(seen[0].object["metadata"]["resourceVersion"], "200");
  EXPECT_EQ(seen[1].type, WatchEventType::kDeleted);
  EXPECT_EQ(path(1), "/api/v1/namespaces/rec/configmaps");
  EXPECT_NE(path(2).find("resourceVersion=200"), std::string::npos);
}

TEST_F(WatchFixture, Http410AtSetupRelists) {
  transport->push_status(410, "Gone", "too old resource version");
  transport->push_json(200, list_body("300", {}));
  transport->push_stream({kAdded + "\n"});
  WatchOptions opts;
  opts.resource_version = "5";
  ASSERT_TRUE(client->watch(resources::kConfigMaps, "rec", opts, collect(2)));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].type, WatchEventType::kRelist);
  EXPECT_NE(path(2).find("resourceVersion=300"), std::string::npos);
}

TEST_F(WatchFixture, BrokenConnectionReconnectsWithBackoffFromLastVersion) {
  transport->push_stream({kAdded + "\n", kModified.substr(0, 30)}, testing::transport_error());
  transport->push_error(testing::transport_error());
  transport->push_stream({kDeleted + "\n"});
  WatchOptions opts;
  ASSERT_TRUE(client->watch(resources::kConfigMaps, "rec", opts, collect(2)));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].type, WatchEventType::kDeleted);
  EXPECT_EQ(path(0).find("resourceVersion"), std::string::npos);  // started "from now"
  EXPECT_NE(path(1).find("resourceVersion=102"), std::string::npos);
  EXPECT_NE(path(2).find("resourceVersion=102"), std::string::npos);
  auto sleeps = clock->sleeps();
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_EQ(sleeps[0], std::chrono::milliseconds(100));
  EXPECT_EQ(sleeps[1], std::chrono::milliseconds(200));
}

TEST_F(WatchFixture, PermanentErrorEndsTheWatch) {
  transport->push_status(403, "Forbidden",
                         "configmaps is forbidden: User \"alice\" cannot watch resource "
                         "\"configmaps\" in API group \"\" in the namespace \"rec\"");
  auto r = client->watch(resources::kConfigMaps, "rec", {}, collect(10));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kForbidden);
  EXPECT_NE(r.error().message.find("cannot watch"), std::string::npos);
}

TEST_F(WatchFixture, GivesUpAfterMaxConsecutiveFailures) {
  for (int i = 0; i < 3; ++i) transport->push_status(503, "ServiceUnavailable", "down");
  WatchOptions opts;
  opts.max_consecutive_failures = 3;
  auto r = client->watch(resources::kConfigMaps, "rec", opts, collect(10));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kServerError);
  EXPECT_EQ(transport->request_count(), 3u);
}

TEST_F(WatchFixture, ConnectionsThatDeliveredEventsDoNotCountAsFailures) {
  for (const auto& line : {kAdded, kModified, kDeleted}) {
    transport->push_stream({line + "\n"}, testing::transport_error());
  }
  transport->push_stream({kBookmark + "\n"});
  WatchOptions opts;
  opts.max_consecutive_failures = 2;
  ASSERT_TRUE(client->watch(resources::kConfigMaps, "rec", opts, collect(4)));
  EXPECT_EQ(seen.size(), 4u);
}

TEST_F(WatchFixture, InitialListThenWatch) {
  transport->push_json(200, list_body("50", {"x"}));
  transport->push_stream({kAdded + "\n"});
  WatchOptions opts;
  opts.initial_list = true;
  opts.label_selector = "a=b";
  ASSERT_TRUE(client->watch(resources::kProfiles, "", opts, collect(2)));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].type, WatchEventType::kRelist);
  EXPECT_EQ(path(0), "/apis/kubeflow.org/v1/profiles?labelSelector=a%3Db");
  EXPECT_EQ(path(1),
            "/apis/kubeflow.org/v1/profiles?watch=1&labelSelector=a%3Db&resourceVersion=50&"
            "allowWatchBookmarks=true");
}

TEST_F(WatchFixture, OtherErrorEventsAreDeliveredThenReconnect) {
  transport->push_stream(
      {kAdded + "\n",
       R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"internal error","reason":"InternalError","code":500}})"
       "\n"});
  transport->push_stream({kModified + "\n"});
  ASSERT_TRUE(client->watch(resources::kConfigMaps, "rec", {}, collect(3)));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].type, WatchEventType::kError);
  EXPECT_EQ(seen[2].type, WatchEventType::kModified);
  EXPECT_NE(path(1).find("resourceVersion=102"), std::string::npos);
  EXPECT_EQ(clock->sleeps().size(), 1u);
}

TEST_F(WatchFixture, StopTokenEndsTheWatch) {
  std::stop_source source;
  transport->push_stream({kAdded + "\n", kModified + "\n"});
  auto r = client->watch(
      resources::kConfigMaps, "rec", {},
      [&](const WatchEvent& ev) {
        seen.push_back(ev);
        source.request_stop();
        return true;
      },
      source.get_token());
  ASSERT_TRUE(r);
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_EQ(transport->request_count(), 1u);
}

TEST_F(WatchFixture, GarbledStreamReconnects) {
  transport->push_stream({kAdded + "\n", "{garbage\n"});
  transport->push_stream({kModified + "\n"});
  ASSERT_TRUE(client->watch(resources::kConfigMaps, "rec", {}, collect(2)));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(path(1).find("resourceVersion=102"), std::string::npos);
}

}  // namespace
}  // namespace kftenant::kube
