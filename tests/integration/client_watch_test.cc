// Client::watch against the test API server over HTTPS: events, resume after an ended or cut
// stream, re-list after 410.
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "client_fixture.h"

namespace kftenant::kube::integration {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Runs a watch on a thread and collects its events.
class WatchRun {
 public:
  WatchRun(Client& client, const ResourceRef& ref, std::string ns, WatchOptions options) {
    thread_ = std::jthread([this, &client, ref, ns, options](std::stop_token stop) {
      auto r = client.watch(
          ref, ns, options,
          [this](const WatchEvent& ev) {
            std::lock_guard lock(mu_);
            events_.push_back(ev);
            cv_.notify_all();
            return true;
          },
          stop);
      std::lock_guard lock(mu_);
      result_ = r;
      done_ = true;
      cv_.notify_all();
    });
  }
  ~WatchRun() {
    thread_.request_stop();
    thread_.join();
  }

  // Waits (up to a generous guard, not a timing assertion) until `pred(events)` holds.
  bool wait_for(const std::function<bool(const std::vector<WatchEvent>&)>& pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 20s, [&] { return done_ || pred(events_); }) && pred(events_);
  }
  std::vector<WatchEvent> events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  Result<void> result() {
    std::lock_guard lock(mu_);
    return result_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WatchEvent> events_;
  Result<void> result_;
  bool done_ = false;
  std::jthread thread_;
};

// Names of the objects of events of `type`.
std::vector<std::string> names(const std::vector<WatchEvent>& events, WatchEventType type) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (e.type == type) out.push_back(e.object["metadata"].value("name", ""));
  }
  return out;
}

auto has(WatchEventType type, const std::string& name) {
  return [type, name](const std::vector<WatchEvent>& events) {
    for (const auto& n : names(events, type)) {
      if (n == name) return true;
    }
    return false;
  };
}

TEST_F(ClientIntegration, WatchDeliversEventsAndResumesAfterEndedStream) {
  make_namespace("w");
  ASSERT_TRUE(client->create(resources::kConfigMaps, "w", configmap("existing")));
  WatchOptions o;
  o.initial_list = true;
  WatchRun run(*client, resources::kConfigMaps, "w", o);
  ASSERT_TRUE(run.wait_for([](const auto& ev) { return !ev.empty(); }));
  auto first = run.events()[0];
  ASSERT_EQ(first.type, WatchEventType::kRelist);
  bool has_existing = false;
  for (const auto& item : first.object["items"]) {
    if (item["metadata"]["name"] == "existing") has_existing = true;
  }
  EXPECT_TRUE(has_existing);

  auto created = client->create(resources::kConfigMaps, "w", configmap("a"));
  ASSERT_TRUE(created);
  ASSERT_TRUE(run.wait_for(has(WatchEventType::kAdded, "a")));

  // The server ends the stream; the watcher reconnects from the last resourceVersion and sees
  // later changes, none twice.
  testserver::FaultRule end;
  end.path_regex = "/namespaces/w/configmaps";
  end.end_watch = true;
  server->inject_fault(end);
  ASSERT_TRUE(client->patch(resources::kConfigMaps, "w", "a", {{"data", {{"k", "2"}}}}));
  ASSERT_TRUE(client->remove(resources::kConfigMaps, "w", "a"));
  ASSERT_TRUE(run.wait_for(has(WatchEventType::kDeleted, "a")));
  auto events = run.events();
  EXPECT_EQ(names(events, WatchEventType::kAdded), std::vector<std::string>{"a"});
  EXPECT_EQ(names(events, WatchEventType::kModified), std::vector<std::string>{"a"});
  EXPECT_GE(count_requests("GET", "/namespaces/w/configmaps"), 2);
}

TEST_F(ClientIntegration, WatchSurvivesACutConnection) {
  make_namespace("wc");
  WatchOptions o;
  o.initial_list = true;
  WatchRun run(*client, resources::kConfigMaps, "wc", o);
  ASSERT_TRUE(run.wait_for([](const auto& ev) { return !ev.empty(); }));
  ASSERT_TRUE(client->create(resources::kConfigMaps, "wc", configmap("one")));
  ASSERT_TRUE(run.wait_for(has(WatchEventType::kAdded, "one")));
  // Cut the socket of the next watch request; the current stream is ended first.
  testserver::FaultRule cut;
  cut.method = "GET";
  cut.path_regex = "/namespaces/wc/configmaps";
  cut.drop_connection = true;
  server->inject_fault(cut);
  testserver::FaultRule end;
  end.path_regex = "/namespaces/wc/configmaps";
  end.end_watch = true;
  server->inject_fault(end);
  ASSERT_TRUE(client->create(resources::kConfigMaps, "wc", configmap("two")));
  ASSERT_TRUE(run.wait_for(has(WatchEventType::kAdded, "two")));
  EXPECT_EQ(names(run.events(), WatchEventType::kAdded), (std::vector<std::string>{"one", "two"}));
}

TEST_F(ClientIntegration, WatchFromTooOldVersionRelists) {
  client.reset();
  server->stop();
  testserver::Options small;
  small.watch_history = 5;
  start(small);
  make_namespace("old");
  auto first = client->create(resources::kConfigMaps, "old", configmap("c0"));
  ASSERT_TRUE(first);
  const std::string old_rv = first->object["metadata"]["resourceVersion"];
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(client->create(resources::kConfigMaps, "old", configmap("c" + std::to_string(i))));
  }
  WatchOptions o;
  o.resource_version = old_rv;
  WatchRun run(*client, resources::kConfigMaps, "old", o);
  ASSERT_TRUE(run.wait_for([](const auto& ev) {
    for (const auto& e : ev) {
      if (e.type == WatchEventType::kRelist) return true;
    }
    return false;
  }));
  auto events = run.events();
  const WatchEvent* relist = nullptr;
  for (const auto& e : events) {
    if (e.type == WatchEventType::kRelist) relist = &e;
  }
  ASSERT_NE(relist, nullptr);
  std::set<std::string> listed;
  for (const auto& item : relist->object["items"]) listed.insert(item["metadata"]["name"]);
  for (int i = 0; i <= 10; ++i) EXPECT_TRUE(listed.count("c" + std::to_string(i))) << i;
  // And the watch goes on from the list's version.
  ASSERT_TRUE(client->create(resources::kConfigMaps, "old", configmap("after")));
  EXPECT_TRUE(run.wait_for(has(WatchEventType::kAdded, "after")));
}

TEST_F(ClientIntegration, WatchRefusedIsAnError) {
  RestConfig bad = config;
  bad.token = "nobody";
  auto c = make_client(bad);
  auto r = c->watch(resources::kConfigMaps, "default", {}, [](const WatchEvent&) { return true; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthorized);
}

}  // namespace
}  // namespace kftenant::kube::integration
