// LIST paging/selectors and WATCH streams (transcripts 07, 08, 19).
#include <atomic>

#include "server_test_util.h"

namespace kftenant::testserver::testing {
namespace {

using ListTest = ServerTest;

std::vector<std::string> names(const json& list) {
  std::vector<std::string> out;
  for (const auto& i : list["items"]) out.push_back(i["metadata"]["name"]);
  return out;
}

TEST_F(ListTest, PagingWithSelectorFromOneSnapshot) {
  for (int i = 1; i <= 4; ++i) {
    admin->post(kCm, configmap("rec-pg-" + std::to_string(i), {{"k", "v"}}, {{"rec-set", "pg"}}));
  }
  auto page1 = admin->get(kCm + "?labelSelector=rec-set%3Dpg&limit=2").j();
  EXPECT_EQ(names(page1), (std::vector<std::string>{"rec-pg-1", "rec-pg-2"}));
  ASSERT_TRUE(page1["metadata"].contains("continue"));
  EXPECT_FALSE(page1["metadata"].contains("remainingItemCount"));  // not with a selector
  EXPECT_FALSE(page1["items"][0].contains("kind"));
  admin->del(kCm + "/rec-pg-3");
  admin->post(kCm, configmap("rec-pg-25", {{"k", "v"}}, {{"rec-set", "pg"}}));
  admin->post(kCm, configmap("rec-pg-5", {{"k", "v"}}, {{"rec-set", "pg"}}));
  auto page2 = admin
                   ->get(kCm + "?labelSelector=rec-set%3Dpg&limit=2&continue=" +
                         page1["metadata"]["continue"].get<std::string>())
                   .j();
  EXPECT_EQ(names(page2), (std::vector<std::string>{"rec-pg-3", "rec-pg-4"}));
  EXPECT_EQ(page2["metadata"]["resourceVersion"], page1["metadata"]["resourceVersion"]);
  EXPECT_FALSE(page2["metadata"].contains("continue"));
  auto fresh = admin->get(kCm + "?labelSelector=rec-set%3Dpg").j();
  EXPECT_EQ(names(fresh), (std::vector<std::string>{"rec-pg-1", "rec-pg-2", "rec-pg-25", "rec-pg-4",
                                                    "rec-pg-5"}));
}

TEST_F(ListTest, RemainingItemCountAndResourceVersionZero) {
  for (int i = 1; i <= 3; ++i) admin->post(kCm, configmap("rec-page-" + std::to_string(i)));
  auto page = admin->get(kCm + "?limit=2").j();  // kube-root-ca.crt + 3
  EXPECT_EQ(page["metadata"]["remainingItemCount"], 2);
  auto all = admin->get(kCm + "?limit=2&resourceVersion=0").j();
  EXPECT_EQ(all["items"].size(), 4u);
  EXPECT_FALSE(all["metadata"].contains("continue"));
}

TEST_F(ListTest, ContinueTokenErrors) {
  auto garbage = admin->get(kCm + "?limit=2&continue=not-a-continue-token");
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(garbage.j()["message"],
            "invalid continue token: continue key is not valid: invalid character '\\u009e' "
            "looking for beginning of value");
  // {"v":"meta.k8s.io/v1","rv":2,"start":"rec-pg-2\u0000"}: revision 2 is long compacted.
  auto expired = admin->get(
      kCm +
      "?limit=2&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6Miwic3RhcnQiOiJyZWMtcGctMlx1MDAwMCJ9");
  EXPECT_EQ(expired.status, 410);
  EXPECT_EQ(expired.j()["reason"], "Expired");
  std::string token = expired.j()["metadata"]["continue"];
  EXPECT_EQ(admin->get(kCm + "?limit=2&continue=" + token).status, 200);
  auto with_rv = admin->get(kCm + "?limit=2&resourceVersion=5&continue=" + token);
  EXPECT_EQ(with_rv.status, 400);
  EXPECT_EQ(with_rv.j()["message"],
            "specifying resource version is not allowed when using continue");
}

TEST_F(ListTest, Selectors) {
  admin->post(kCm, configmap("rec-a", {{"k", "v"}}, {{"rec-set", "page"}}));
  admin->post(kCm, configmap("rec-b", {{"k", "v"}}, {{"rec-set", "other"}}));
  EXPECT_EQ(names(admin->get(kCm + "?fieldSelector=metadata.name%3Drec-b").j()),
            (std::vector<std::string>{"rec-b"}));
  EXPECT_EQ(
      names(
          admin->get(kCm + "?labelSelector=rec-set+in+%28page%2Cother%29%2Crec-set%21%3Dpage").j()),
      (std::vector<std::string>{"rec-b"}));
  EXPECT_EQ(names(admin->get("/api/v1/configmaps?labelSelector=rec-set%3Dpage").j()),
            (std::vector<std::string>{"rec-a"}));
  auto bad_field = admin->get(kCm + "?fieldSelector=data.i%3D1");
  EXPECT_EQ(bad_field.status, 400);
  EXPECT_EQ(
      bad_field.j()["message"],
      "\"data.i\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
  auto bad_label = admin->get(kCm + "?labelSelector=%21%21");
  EXPECT_EQ(bad_label.j()["message"],
            "unable to parse requirement: found '!', expected: identifier");
}

using WatchTest = ServerTest;

TEST_F(WatchTest, EventsFromAResourceVersion) {
  auto list = admin->get(kCm + "?labelSelector=rec-watch%3D1").j();
  std::string rv = list["metadata"]["resourceVersion"];
  std::vector<json> events;
  Client watcher(*server, server->admin_token());
  std::thread t([&] {
    watcher.stream(
        kCm + "?labelSelector=rec-watch%3D1&watch=1&resourceVersion=" + rv + "&timeoutSeconds=5",
        [&](const std::string& line) {
          events.push_back(json::parse(line));
          return events.size() < 3;
        });
  });
  ASSERT_TRUE(eventually([&] { return server->open_watches() == 1; }));
  admin->post(kCm, configmap("rec-watch-cm", {{"v", "1"}}, {{"rec-watch", "1"}}));
  admin->patch(kCm + "/rec-watch-cm", {{"data", {{"v", "2"}}}});
  admin->del(kCm + "/rec-watch-cm");
  t.join();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[1]["type"], "MODIFIED");
  EXPECT_EQ(events[1]["object"]["data"]["v"], "2");
  EXPECT_EQ(events[2]["type"], "DELETED");
  EXPECT_NE(events[2]["object"]["metadata"]["resourceVersion"],
            events[1]["object"]["metadata"]["resourceVersion"]);
  EXPECT_EQ(events[2]["object"]["kind"], "ConfigMap");
}

TEST_F(WatchTest, WithoutResourceVersionStartsWithCurrentStateAndEndsAtTimeout) {
  admin->post(kCm, configmap("rec-watch-existing", {{"k", "v"}}, {{"rec-watch", "1"}}));
  std::vector<json> events;
  int status = admin->stream(kCm + "?labelSelector=rec-watch%3D1&watch=1&timeoutSeconds=1",
                             [&](const std::string& line) {
                               events.push_back(json::parse(line));
                               return true;
                             });
  EXPECT_EQ(status, 200);  // the stream ended by itself
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[0]["object"]["metadata"]["name"], "rec-watch-existing");
}

TEST_F(WatchTest, TooOldResourceVersionIsAnErrorEventInA200Stream) {
  std::vector<std::string> lines;
  int status = admin->stream(kCm + "?watch=1&resourceVersion=1&timeoutSeconds=3",
                             [&](const std::string& line) {
                               lines.push_back(line);
                               return true;
                             });
  EXPECT_EQ(status, 200);
  ASSERT_EQ(lines.size(), 1u);
  auto ev = nlohmann::ordered_json::parse(lines[0]);
  EXPECT_EQ(ev["type"], "ERROR");
  EXPECT_EQ(ev["object"]["code"], 410);
  EXPECT_EQ(ev["object"]["reason"], "Expired");
  EXPECT_EQ(ev["object"]["message"].get<std::string>().rfind("too old resource version: 1 (", 0),
            0u);
  auto match = admin->get(kCm + "?watch=true&resourceVersion=1&resourceVersionMatch=NotOlderThan");
  EXPECT_EQ(match.status, 422);
}

TEST_F(WatchTest, BookmarksCarryTheCurrentResourceVersion) {
  std::string rv = admin->get(kCm).j()["metadata"]["resourceVersion"];
  json bookmark;
  admin->stream(
      kCm + "?watch=1&allowWatchBookmarks=true&resourceVersion=" + rv + "&timeoutSeconds=3",
      [&](const std::string& line) {
        auto ev = json::parse(line);
        if (ev["type"] != "BOOKMARK") return true;
        bookmark = ev;
        return false;
      });
  ASSERT_FALSE(bookmark.is_null());
  EXPECT_EQ(bookmark["object"],
            (json{{"kind", "ConfigMap"},
                  {"apiVersion", "v1"},
                  {"metadata", {{"resourceVersion", rv}, {"creationTimestamp", nullptr}}}}));
}

TEST_F(WatchTest, ResumeAfterAResourceVersionSkipsOlderEvents) {
  auto a = admin->post(kCm, configmap("rec-a")).j();
  admin->post(kCm, configmap("rec-b"));
  std::vector<std::string> seen;
  admin->stream(kCm + "?watch=1&timeoutSeconds=2&resourceVersion=" +
                    a["metadata"]["resourceVersion"].get<std::string>(),
                [&](const std::string& line) {
                  seen.push_back(json::parse(line)["object"]["metadata"]["name"]);
                  return false;
                });
  EXPECT_EQ(seen, (std::vector<std::string>{"rec-b"}));
}

TEST_F(WatchTest, CustomResourceWatch) {
  create_profile_crd();
  std::string rv = admin->get("/apis/kubeflow.org/v1/profiles").j()["metadata"]["resourceVersion"];
  std::vector<json> events;
  Client watcher(*server, server->admin_token());
  std::thread t([&] {
    watcher.stream("/apis/kubeflow.org/v1/profiles?watch=1&timeoutSeconds=5&resourceVersion=" + rv,
                   [&](const std::string& line) {
                     events.push_back(json::parse(line));
                     return events.size() < 2;
                   });
  });
  ASSERT_TRUE(eventually([&] { return server->open_watches() == 1; }));
  admin->post("/apis/kubeflow.org/v1/profiles", profile("rec-profile-x"));
  admin->del("/apis/kubeflow.org/v1/profiles/rec-profile-x");
  t.join();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[1]["type"], "DELETED");
}

}  // namespace
}  // namespace kftenant::testserver::testing
