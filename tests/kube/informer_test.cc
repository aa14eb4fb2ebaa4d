// kube::Informer against the test API server over HTTPS: it lists then follows the watch,
// resumes a stream that ends without listing again, re-lists on 410 and reports what vanished,
// keeps retrying a refused watch, shows a writer its own writes at once, and serves readers on
// other threads while it changes (the ThreadSanitizer run covers this file).
#include "kftenant/kube/informer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "support/test_api_client.h"
#include "testserver/apiserver.h"

namespace kftenant::kube {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

json configmap(const std::string& name, const std::string& value, const std::string& ns = "rec") {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"data", {{"k", value}}}};
}

template <class Pred>
bool eventually(Pred pred, milliseconds timeout = milliseconds(10000)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return pred();
}

std::string value_of(const std::optional<json>& object) {
  return object ? object->value(json::json_pointer("/data/k"), std::string()) : "<absent>";
}

class InformerTest : public ::testing::Test {
 protected:
  void SetUp() override { start_server({}); }
  void start_server(testserver::Options options) {
    auto started = testserver::ApiServer::start(options);
    ASSERT_TRUE(started) << started.error().message;
    server = std::move(*started);
    server->add_user_token("jane-token", "jane", {});
    admin = client_with(server->admin_token());
    ASSERT_TRUE(admin);
    ASSERT_TRUE(server->put_object(
        "v1", "namespaces",
        {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "rec"}}}}));
    ASSERT_TRUE(server->put_object(
        "v1", "namespaces",
        {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "other"}}}}));
  }
  std::unique_ptr<Client> client_with(const std::string& token) {
    return kftenant::testing::test_api_client(*server, token);
  }
  void put(const json& object) { ASSERT_TRUE(server->put_object("v1", "configmaps", object)); }
  // GETs of the ConfigMap collection that were lists (not watches).
  int lists_sent(const std::string& path = "/api/v1/namespaces/rec/configmaps") {
    int n = 0;
    for (const auto& r : server->requests())
      if (r.method == "GET" && r.path == path && r.query.find("watch=1") == std::string::npos) ++n;
    return n;
  }
  InformerOptions in_rec() {
    InformerOptions o;
    o.ns = "rec";
    o.retry_initial = milliseconds(50);
    o.retry_max = milliseconds(200);
    return o;
  }

  std::unique_ptr<testserver::ApiServer> server;
  std::unique_ptr<Client> admin;
};

struct Recorder {
  std::mutex mu;
  std::vector<std::string> seen;  // "added a=1", "updated a=2 (was 1)", "deleted a"
  void operator()(const InformerEvent& e) {
    const std::string name = e.object.value(json::json_pointer("/metadata/name"), std::string());
    if (name == "kube-root-ca.crt") return;  // the namespace's own, made by the server
    const std::string v = e.object.value(json::json_pointer("/data/k"), std::string());
    std::lock_guard lock(mu);
    switch (e.type) {
      case InformerEvent::Type::kAdded:
        seen.push_back("added " + name + "=" + v);
        break;
      case InformerEvent::Type::kUpdated:
        seen.push_back("updated " + name + "=" + v + " (was " +
                       e.old.value(json::json_pointer("/data/k"), std::string()) + ")");
        break;
      case InformerEvent::Type::kDeleted:
        seen.push_back("deleted " + name);
        break;
    }
  }
  std::vector<std::string> events() {
    std::lock_guard lock(mu);
    return seen;
  }
};

TEST_F(InformerTest, ListsThenFollowsTheWatchInOrder) {
  put(configmap("a", "1"));
  put(configmap("b", "1"));
  put(configmap("elsewhere", "1", "other"));
  Informer informer(*admin, resources::kConfigMaps, in_rec());
  Recorder recorder;
  informer.on_change([&](const InformerEvent& e) { recorder(e); });
  EXPECT_FALSE(informer.synced());
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(milliseconds(10000)));
  // The namespace's own kube-root-ca.crt is there too; "other" is not watched.
  EXPECT_EQ(value_of(informer.get("rec", "a")), "1");
  EXPECT_EQ(informer.get("other", "elsewhere"), std::nullopt);
  EXPECT_EQ(informer.list("rec").size(), informer.size());
  EXPECT_TRUE(informer.list("other").empty());
  EXPECT_EQ((*informer.get("rec", "a"))["kind"], "ConfigMap");  // filled in from the List
  EXPECT_FALSE(informer.resource_version().empty());
  EXPECT_TRUE(informer.last_heard());
  // Counted with the copy, not when the handlers hear (they may not have yet).
  const uint64_t at_sync = informer.changes();
  EXPECT_EQ(at_sync, informer.size()) << "one change per object the first list brought";
  informer.observe_write(*informer.get("rec", "a"));
  EXPECT_EQ(informer.changes(), at_sync) << "the object it holds, again: no change";

  put(configmap("a", "2"));
  put(configmap("c", "1"));
  ASSERT_TRUE(server->delete_object("v1", "configmaps", "rec", "b"));
  ASSERT_TRUE(eventually([&] { return !informer.get("rec", "b"); }));
  EXPECT_EQ(value_of(informer.get("rec", "a")), "2");
  EXPECT_EQ(value_of(informer.get("rec", "c")), "1");
  EXPECT_EQ(informer.changes(), at_sync + 3);
  auto events = recorder.events();
  ASSERT_GE(events.size(), 3u);
  EXPECT_THAT(events, ::testing::IsSupersetOf({"added a=1", "added b=1"}));
  EXPECT_EQ(std::vector<std::string>(events.end() - 3, events.end()),
            (std::vector<std::string>{"updated a=2 (was 1)", "added c=1", "deleted b"}));
  EXPECT_EQ(informer.lists(), 1);
  informer.stop();
  EXPECT_EQ(lists_sent(), 1);
}

TEST_F(InformerTest, AStreamThatEndsIsResumedWithoutListingAgain) {
  put(configmap("a", "1"));
  Informer informer(*admin, resources::kConfigMaps, in_rec());
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(milliseconds(10000)));
  for (int round = 0; round < 3; ++round) {
    testserver::FaultRule end;
    end.path_regex = "^/api/v1/namespaces/rec/configmaps$";
    end.end_watch = true;
    server->inject_fault(end);
    put(configmap("a", std::to_string(round + 2)));
  }
  ASSERT_TRUE(eventually([&] { return value_of(informer.get("rec", "a")) == "4"; }));
  EXPECT_EQ(informer.lists(), 1);
  EXPECT_EQ(lists_sent(), 1);
}

// While the informer is away, more changes happen than the server keeps for watches: its resume
// gets 410, it lists again, and what was deleted meanwhile is reported deleted.
TEST_F(InformerTest, TooOldAfterAnOutageRelistsAndReportsWhatVanished) {
  testserver::Options options;
  options.watch_history = 20;
  start_server(options);
  put(configmap("gone", "1"));
  put(configmap("kept", "1"));
  Informer informer(*admin, resources::kConfigMaps, in_rec());
  Recorder recorder;
  informer.on_change([&](const InformerEvent& e) { recorder(e); });
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(milliseconds(10000)));

  // The reconnect waits while the changes pile up (5 s, so that a loaded machine still makes
  // all 41 changes first).
  testserver::FaultRule slow;
  slow.method = "GET";
  slow.path_regex = "^/api/v1/namespaces/rec/configmaps$";
  slow.latency = milliseconds(5000);
  server->inject_fault(slow);
  testserver::FaultRule end;
  end.path_regex = slow.path_regex;
  end.end_watch = true;
  server->inject_fault(end);
  ASSERT_TRUE(server->delete_object("v1", "configmaps", "rec", "gone"));
  for (int i = 0; i < 40; ++i) put(configmap("kept", std::to_string(i + 2)));

  ASSERT_TRUE(eventually([&] { return informer.lists() == 2; }));
  ASSERT_TRUE(eventually([&] { return value_of(informer.get("rec", "kept")) == "41"; }));
  EXPECT_EQ(informer.get("rec", "gone"), std::nullopt);
  EXPECT_THAT(recorder.events(), ::testing::Contains("deleted gone"));
  EXPECT_EQ(lists_sent(), 2);
}

// Without the right to list, the informer reports why and keeps trying; once RBAC allows it,
// it syncs by itself.
TEST_F(InformerTest, ARefusedWatchIsRetriedUntilAllowed) {
  auto jane = client_with("jane-token");
  ASSERT_TRUE(jane);
  Informer informer(*jane, resources::kConfigMaps, in_rec());
  informer.start();
  ASSERT_TRUE(eventually([&] { return informer.last_error().has_value(); }));
  EXPECT_EQ(informer.last_error()->code, ErrorCode::kForbidden);
  EXPECT_FALSE(informer.wait_for_sync(milliseconds(300)));

  ASSERT_TRUE(server->put_object(
      "rbac.authorization.k8s.io/v1", "clusterroles",
      {{"apiVersion", "rbac.authorization.k8s.io/v1"},
       {"kind", "ClusterRole"},
       {"metadata", {{"name", "read-configmaps"}}},
       {"rules",
        {{{"apiGroups", {""}}, {"resources", {"configmaps"}}, {"verbs", {"list", "watch"}}}}}}));
  ASSERT_TRUE(server->put_object(
      "rbac.authorization.k8s.io/v1", "rolebindings",
      {{"apiVersion", "rbac.authorization.k8s.io/v1"},
       {"kind", "RoleBinding"},
       {"metadata", {{"name", "jane-reads"}, {"namespace", "rec"}}},
       {"roleRef",
        {{"apiGroup", "rbac.authorization.k8s.io"},
         {"kind", "ClusterRole"},
         {"name", "read-configmaps"}}},
       {"subjects",
        {{{"kind", "User"}, {"apiGroup", "rbac.authorization.k8s.io"}, {"name", "jane"}}}}}));
  EXPECT_TRUE(informer.wait_for_sync(milliseconds(10000)));
  EXPECT_FALSE(informer.last_error().has_value());
}

// A write's answer is in the copy at once; the watch's older news of the object does not undo it,
// and a delete is not undone by an event that was already on its way.
TEST_F(InformerTest, AWriterReadsItsOwnWrites) {
  put(configmap("a", "1"));
  Informer informer(*admin, resources::kConfigMaps, in_rec());
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(milliseconds(10000)));

  // The watch is slow to hand the writes over: it ends, and its reconnect waits.
  testserver::FaultRule slow;
  slow.method = "GET";
  slow.path_regex = "^/api/v1/namespaces/rec/configmaps$";
  slow.latency = milliseconds(800);
  server->inject_fault(slow);
  testserver::FaultRule hold;
  hold.path_regex = slow.path_regex;
  hold.end_watch = true;
  server->inject_fault(hold);

  auto current = admin->get(resources::kConfigMaps, "rec", "a");
  ASSERT_TRUE(current);
  json changed = *current;
  changed["data"]["k"] = "2";
  auto first = admin->replace(resources::kConfigMaps, "rec", changed);
  ASSERT_TRUE(first);
  json again = *first;
  again["data"]["k"] = "3";
  auto second = admin->replace(resources::kConfigMaps, "rec", again);
  ASSERT_TRUE(second);
  informer.observe_write(*second);
  EXPECT_EQ(value_of(informer.get("rec", "a")), "3");  // before the watch has said anything
  // The watch then replays "2" (older) and "3": the copy never goes back to "2".
  for (int i = 0; i < 150; ++i) {
    ASSERT_EQ(value_of(informer.get("rec", "a")), "3");
    std::this_thread::sleep_for(milliseconds(10));
  }

  auto created = admin->create(resources::kConfigMaps, "rec", configmap("tmp", "1"));
  ASSERT_TRUE(created);
  informer.observe_write(created->object);
  ASSERT_TRUE(admin->remove(resources::kConfigMaps, "rec", "tmp"));
  informer.observe_delete("rec", "tmp");
  EXPECT_EQ(informer.get("rec", "tmp"), std::nullopt);
  for (int i = 0; i < 50; ++i) {  // the ADDED of tmp arriving late must not bring it back
    ASSERT_EQ(informer.get("rec", "tmp"), std::nullopt);
    std::this_thread::sleep_for(milliseconds(10));
  }
  // Made again after the delete: a newer version, taken.
  put(configmap("tmp", "again"));
  EXPECT_TRUE(eventually([&] { return value_of(informer.get("rec", "tmp")) == "again"; }));
}

// Readers on other threads while the watch changes the copy, and a handler that reads the
// informer (no lock is held while handlers run). What ThreadSanitizer checks.
TEST_F(InformerTest, ReadersOnOtherThreadsWhileItChanges) {
  Informer informer(*admin, resources::kConfigMaps, in_rec());
  std::atomic<int> handled{0};
  informer.on_change([&](const InformerEvent& e) {
    const std::string name = e.object.value(json::json_pointer("/metadata/name"), std::string());
    (void)informer.get("rec", name);
    handled.fetch_add(1);
  });
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(milliseconds(10000)));
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!done.load()) {
        for (const auto& o : informer.list("rec")) EXPECT_TRUE(o.contains("metadata"));
        (void)informer.size();
        (void)informer.resource_version();
      }
    });
  }
  const int before = handled.load();
  for (int i = 0; i < 100; ++i) put(configmap("n" + std::to_string(i % 10), std::to_string(i)));
  EXPECT_TRUE(eventually([&] { return value_of(informer.get("rec", "n9")) == "99"; }));
  done.store(true);
  for (auto& t : readers) t.join();
  EXPECT_GE(handled.load() - before, 10);
  informer.stop();
  informer.stop();  // idempotent
}

}  // namespace
}  // namespace kftenant::kube
