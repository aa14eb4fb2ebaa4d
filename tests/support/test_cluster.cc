#include "support/test_cluster.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "kftenant/kube/client.h"
#include "kftenant/kube/resource.h"
#include "support/control_plane.h"
#include "support/kubeflow_install.h"
#include "support/stand_in_controllers.h"

namespace kftenant::testing {
using json = nlohmann::json;

std::string to_string(ClusterKind kind) {
  return kind == ClusterKind::kFake ? "fake" : "real";
}

namespace {

// The kinds a kftenant command writes (see TestCluster::snapshot).
struct Watched {
  const char* api_version;
  const char* resource;
};
constexpr Watched kWatched[] = {
    {"v1", "configmaps"},
    {"v1", "secrets"},
    {"apps/v1", "deployments"},
    {"v1", "namespaces"},
    {"kubeflow.org/v1", "profiles"},
    {"dex.coreos.com/v1", "passwords"},
    {"rbac.authorization.k8s.io/v1", "rolebindings"},
    {"security.istio.io/v1beta1", "authorizationpolicies"},
    {"v1", "resourcequotas"},
    {"v1", "serviceaccounts"},
};

int64_t int_at(const json& j, const char* pointer, int64_t fallback) {
  const json::json_pointer ptr(pointer);
  if (!j.contains(ptr)) return fallback;
  const json& v = j.at(ptr);
  return v.is_number_integer() ? v.get<int64_t>() : fallback;
}

bool cluster_scoped(const std::string& resource) {
  static const std::set<std::string> kClusterScoped = {
      "namespaces", "profiles", "clusterroles", "clusterrolebindings", "customresourcedefinitions"};
  return kClusterScoped.count(resource) > 0;
}

kube::ResourceRef ref_for(const std::string& api_version, const std::string& resource) {
  kube::ResourceRef ref;
  auto slash = api_version.find('/');
  if (slash == std::string::npos) {
    ref.version = api_version;
  } else {
    ref.group = api_version.substr(0, slash);
    ref.version = api_version.substr(slash + 1);
  }
  ref.resource = resource;
  ref.namespaced = !cluster_scoped(resource);
  return ref;
}

// ---- the fake -------------------------------------------------------------------------------

class FakeCluster : public TestCluster {
 public:
  explicit FakeCluster(std::unique_ptr<testserver::ApiServer> server)
      : server_(std::move(server)) {}
  ClusterKind kind() const override { return ClusterKind::kFake; }
  std::string url() const override { return server_->url(); }
  std::string ca_pem() const override { return server_->ca_pem(); }
  std::string admin_token() const override { return server_->admin_token(); }
  Result<void> write_kubeconfig(const std::string& path) const override {
    return server_->write_kubeconfig(path);
  }
  std::string user_token(const std::string& user) override {
    std::string token = "token-for-" + user;
    server_->add_user_token(token, user);
    return token;
  }
  Result<json> get_object(const std::string& api_version, const std::string& resource,
                          const std::string& ns, const std::string& name) override {
    return server_->get_object(api_version, resource, ns, name);
  }
  Result<json> put_object(const std::string& api_version, const std::string& resource,
                          json object) override {
    return server_->put_object(api_version, resource, std::move(object));
  }
  Result<void> delete_object(const std::string& api_version, const std::string& resource,
                             const std::string& ns, const std::string& name) override {
    return server_->delete_object(api_version, resource, ns, name);
  }
  Result<std::vector<json>> list_objects(const std::string& api_version,
                                         const std::string& resource,
                                         const std::string& ns) override {
    return server_->list_objects(api_version, resource, ns);
  }
  void set_profile_controller_paused(bool paused) override {
    server_->set_profile_controller_paused(paused);
  }
  void settle() override {
    for (int i = 0; i < 400 && !server_->profile_controller_idle(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    wait_for_dex_rollout(*this);
  }
  testserver::ApiServer* fake() override { return server_.get(); }

  static void wait_for_dex_rollout(TestCluster& c) {
    for (int i = 0; i < 400; ++i) {
      auto d = c.get_object("apps/v1", "deployments", "auth", "dex");
      if (!d) return;
      const auto gen = int_at(*d, "/metadata/generation", 1);
      if (int_at(*d, "/status/observedGeneration", 0) == gen &&
          int_at(*d, "/status/updatedReplicas", 0) == int_at(*d, "/spec/replicas", 1))
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

 private:
  std::unique_ptr<testserver::ApiServer> server_;
};

// ---- the real one ---------------------------------------------------------------------------

class RealCluster : public TestCluster {
 public:
  ClusterKind kind() const override { return ClusterKind::kReal; }
  std::string url() const override { return plane_->url(); }
  std::string ca_pem() const override { return plane_->ca_pem(); }
  std::string admin_token() const override { return plane_->admin_token(); }
  Result<void> write_kubeconfig(const std::string& path) const override {
    return write_token_kubeconfig(path, plane_->url(), plane_->ca_pem(), plane_->admin_token());
  }
  std::string user_token(const std::string& user) override { return plane_->token_for(user); }

  Result<json> get_object(const std::string& api_version, const std::string& resource,
                          const std::string& ns, const std::string& name) override {
    return client_->get(ref_for(api_version, resource), ns, name);
  }
  Result<json> put_object(const std::string& api_version, const std::string& resource,
                          json object) override {
    const auto ref = ref_for(api_version, resource);
    const std::string ns = ref.namespaced ? object["metadata"].value("namespace", "") : "";
    const std::string name = object["metadata"].value("name", "");
    object["metadata"].erase("resourceVersion");
    for (int attempt = 0; attempt < 10; ++attempt) {
      auto current = client_->get(ref, ns, name);
      if (!current && current.error().code != ErrorCode::kNotFound)
        return tl::unexpected(current.error());
      if (!current) {
        auto created = client_->create(ref, ns, object);
        if (created) return created->object;
        if (created.error().code == ErrorCode::kAlreadyExists) continue;
        return tl::unexpected(created.error());
      }
      json replacement = object;
      replacement["metadata"]["resourceVersion"] =
          (*current)["metadata"].value("resourceVersion", "");
      auto replaced = client_->replace(ref, ns, replacement);
      if (replaced || replaced.error().code != ErrorCode::kConflict) return replaced;
    }
    return make_error(ErrorCode::kConflict, "put_object: kept conflicting on " + name);
  }
  Result<void> delete_object(const std::string& api_version, const std::string& resource,
                             const std::string& ns, const std::string& name) override {
    auto r = client_->remove(ref_for(api_version, resource), ns, name);
    if (!r) return tl::unexpected(r.error());
    return {};
  }
  Result<std::vector<json>> list_objects(const std::string& api_version,
                                         const std::string& resource,
                                         const std::string& ns) override {
    auto list = client_->list(ref_for(api_version, resource), ns);
    if (!list) return tl::unexpected(list.error());
    // List items carry no apiVersion/kind: give them those of the list, as the fake does.
    std::string kind = list->value("kind", "");
    if (kind.size() > 4 && kind.ends_with("List")) kind.resize(kind.size() - 4);
    std::vector<json> out;
    for (auto& item : (*list)["items"]) {
      item["apiVersion"] = api_version;
      item["kind"] = kind;
      out.push_back(std::move(item));
    }
    return out;
  }
  void set_profile_controller_paused(bool paused) override {
    profiles_->set_paused(paused);
    if (!paused) wait_for_passes(1);
  }
  void settle() override {
    wait_for_passes(2);
    FakeCluster::wait_for_dex_rollout(*this);
  }

  // Puts everything back as it was right after start(): objects tests created are deleted
  // (namespaces waited for until gone), baseline objects that changed or went away are restored,
  // the controllers caught up. Objects a Profile controls are left to the profile controller.
  Result<void> reset(const testserver::Options& options);

  static Result<std::unique_ptr<RealCluster>> start(const testserver::Options& options) {
    auto plane = ControlPlane::start({});
    if (!plane) return tl::unexpected(plane.error());
    auto c = std::unique_ptr<RealCluster>(new RealCluster);
    c->plane_ = std::move(*plane);
    c->admin_.server = c->plane_->url();
    c->admin_.ca_pem = c->plane_->ca_pem();
    c->admin_.token = c->plane_->admin_token();
    c->admin_.qps = 0;
    auto client = kube::Client::create(c->admin_);
    if (!client) return tl::unexpected(client.error());
    c->client_ = std::move(*client);
    const auto begin = std::chrono::steady_clock::now();
    if (options.seed_kubeflow) {
      auto objects = kubeflow_install_objects();
      if (!objects) return tl::unexpected(objects.error());
      if (auto r = install_kubeflow(*c->client_, *objects); !r) return tl::unexpected(r.error());
    }
    c->rollout_ =
        std::make_unique<StandInRolloutController>(c->admin_, "auth", "dex", options.rollout_delay);
    c->profiles_ = std::make_unique<StandInProfileController>(c->admin_);
    if (!options.simulate_profile_controller || options.profile_controller_paused)
      c->profiles_->set_paused(true);
    if (options.seed_kubeflow) {
      // Ready like a running install: Dex rolled out, the default Profile's namespace made.
      FakeCluster::wait_for_dex_rollout(*c);
      if (options.simulate_profile_controller && !options.profile_controller_paused) {
        for (int i = 0; i < 300; ++i) {
          if (c->get_object("rbac.authorization.k8s.io/v1", "rolebindings",
                            "kubeflow-user-example-com", "namespaceAdmin"))
            break;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    }
    c->baseline_ = c->capture();
    fmt::print(stderr,
               "real kube-apiserver: ready in {:.1f} s, Kubeflow installed in {:.1f} s ({})\n",
               c->plane_->startup_seconds(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count(),
               c->plane_->url());
    return c;
  }

  ~RealCluster() override {
    profiles_.reset();
    rollout_.reset();
    client_.reset();
    if (plane_) plane_->stop();
  }

 private:
  RealCluster() = default;

  struct Stored {
    Watched kind;
    json object;
  };
  // Every object of the kinds reset() restores, keyed like snapshot().
  std::map<std::string, Stored> capture();

  void wait_for_passes(int n) {
    if (!profiles_) return;
    const int64_t target = profiles_->passes() + n;
    for (int i = 0; i < 500 && profiles_->passes() < target; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  std::unique_ptr<ControlPlane> plane_;
  kube::RestConfig admin_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<StandInRolloutController> rollout_;
  std::unique_ptr<StandInProfileController> profiles_;
  std::map<std::string, Stored> baseline_;
};

// What reset() restores: the watched kinds plus RBAC roles and CRDs, CRDs first.
constexpr Watched kRestored[] = {
    {"apiextensions.k8s.io/v1", "customresourcedefinitions"},
    {"v1", "namespaces"},
    {"kubeflow.org/v1", "profiles"},
    {"rbac.authorization.k8s.io/v1", "clusterroles"},
    {"rbac.authorization.k8s.io/v1", "clusterrolebindings"},
    {"rbac.authorization.k8s.io/v1", "roles"},
    {"rbac.authorization.k8s.io/v1", "rolebindings"},
    {"v1", "serviceaccounts"},
    {"v1", "configmaps"},
    {"v1", "secrets"},
    {"apps/v1", "deployments"},
    {"dex.coreos.com/v1", "passwords"},
    {"security.istio.io/v1beta1", "authorizationpolicies"},
    {"v1", "resourcequotas"},
};

bool system_namespace(const std::string& ns) {
  return ns == "default" || ns.rfind("kube-", 0) == 0;
}

bool controlled_by_profile(const json& o) {
  for (const auto& ref : o["metadata"].value("ownerReferences", json::array()))
    if (ref.value("kind", "") == "Profile") return true;
  return false;
}

std::string key_of(const Watched& w, const json& o) {
  return fmt::format("{} {}/{}", w.resource, o["metadata"].value("namespace", ""),
                     o["metadata"].value("name", ""));
}

// The object as a client would send it again: without what the server sets.
json sendable(json o) {
  auto& m = o["metadata"];
  for (const char* f : {"uid", "resourceVersion", "creationTimestamp", "generation",
                        "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds"})
    m.erase(f);
  o.erase("status");
  return o;
}

std::map<std::string, RealCluster::Stored> RealCluster::capture() {
  std::map<std::string, Stored> out;
  for (const auto& w : kRestored) {
    auto list = list_objects(w.api_version, w.resource, "");
    if (!list) continue;
    for (auto& o : *list) {
      const std::string ns = std::string(w.resource) == "namespaces"
                                 ? o["metadata"].value("name", "")
                                 : o["metadata"].value("namespace", "");
      if (system_namespace(ns)) continue;
      const std::string name = o["metadata"].value("name", "");
      if (name.rfind("system:", 0) == 0 || name == "kube-root-ca.crt") continue;
      std::string key = key_of(w, o);  // before the move below
      out[key] = Stored{w, std::move(o)};
    }
  }
  return out;
}

Result<void> RealCluster::reset(const testserver::Options& options) {
  profiles_->set_paused(false);
  auto current = capture();
  // CRDs that went away first: what lives in them comes back below. A deleted CRD stays
  // (terminating) until its objects are gone.
  bool recreated_crd = false;
  for (const auto& [key, stored] : baseline_) {
    if (std::string(stored.kind.resource) != "customresourcedefinitions") continue;
    auto now = current.find(key);
    if (now != current.end() && !now->second.object["metadata"].contains("deletionTimestamp"))
      continue;
    const std::string name = stored.object["metadata"].value("name", "");
    for (int i = 0;
         i < 600 && get_object("apiextensions.k8s.io/v1", "customresourcedefinitions", "", name);
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::vector<json> crd;
    crd.push_back(sendable(stored.object));
    if (auto r = install_kubeflow(*client_, crd); !r) return r;
    recreated_crd = true;
  }
  if (recreated_crd) current = capture();
  // Delete what tests made, Profiles first (their namespaces follow through the garbage
  // collector), then the rest.
  for (bool profiles_pass : {true, false}) {
    for (const auto& [key, stored] : current) {
      if (baseline_.count(key)) continue;
      if ((std::string(stored.kind.resource) == "profiles") != profiles_pass) continue;
      const auto& m = stored.object["metadata"];
      (void)delete_object(stored.kind.api_version, stored.kind.resource, m.value("namespace", ""),
                          m.value("name", ""));
    }
  }
  // Wait for namespaces to be gone (and no namespace terminating, e.g. a deleted Profile's).
  for (int i = 0;; ++i) {
    auto list = list_objects("v1", "namespaces", "");
    bool busy = !list;
    if (list) {
      for (const auto& ns : *list) {
        const std::string key = key_of(kRestored[1], ns);
        if (ns["metadata"].contains("deletionTimestamp") ||
            (!baseline_.count(key) && !system_namespace(ns["metadata"].value("name", ""))))
          busy = true;
      }
    }
    if (!busy) break;
    if (i > 1200) return make_error(ErrorCode::kTimeout, "reset: namespaces still terminating");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Restore the baseline (the profile controller makes what a Profile controls).
  current = capture();
  for (const auto& w : kRestored) {
    for (auto& [key, stored] : baseline_) {
      if (std::string(stored.kind.resource) != w.resource) continue;
      if (controlled_by_profile(stored.object)) continue;
      auto it = current.find(key);
      const std::string rv = stored.object["metadata"].value("resourceVersion", "");
      if (it != current.end() && it->second.object["metadata"].value("resourceVersion", "") == rv)
        continue;
      json want = sendable(stored.object);
      auto put = put_object(w.api_version, w.resource, want);
      if (!put) return tl::unexpected(put.error().with_context("reset: restore " + key));
    }
  }
  rollout_ =
      std::make_unique<StandInRolloutController>(admin_, "auth", "dex", options.rollout_delay);
  FakeCluster::wait_for_dex_rollout(*this);
  for (int i = 0; i < 500; ++i) {
    if (get_object("rbac.authorization.k8s.io/v1", "rolebindings", "kubeflow-user-example-com",
                   "namespaceAdmin"))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  wait_for_passes(2);
  baseline_ = capture();
  if (!options.simulate_profile_controller || options.profile_controller_paused)
    profiles_->set_paused(true);
  return {};
}

// One real control plane per test process: started by the first test that asks, reset for
// each test after, stopped after the last (gtest environment teardown).
std::unique_ptr<RealCluster>& shared_real_cluster() {
  static std::unique_ptr<RealCluster> cluster;
  return cluster;
}

class SharedRealClusterEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { shared_real_cluster().reset(); }
};
[[maybe_unused]] ::testing::Environment* const kSharedRealClusterEnvironment =
    ::testing::AddGlobalTestEnvironment(new SharedRealClusterEnvironment);

// The handle a test holds: forwards to the shared cluster, owns nothing.
class SharedRealCluster : public TestCluster {
 public:
  explicit SharedRealCluster(RealCluster* c) : c_(c) {}
  ClusterKind kind() const override { return c_->kind(); }
  std::string url() const override { return c_->url(); }
  std::string ca_pem() const override { return c_->ca_pem(); }
  std::string admin_token() const override { return c_->admin_token(); }
  Result<void> write_kubeconfig(const std::string& path) const override {
    return c_->write_kubeconfig(path);
  }
  std::string user_token(const std::string& user) override { return c_->user_token(user); }
  Result<json> get_object(const std::string& a, const std::string& r, const std::string& ns,
                          const std::string& n) override {
    return c_->get_object(a, r, ns, n);
  }
  Result<json> put_object(const std::string& a, const std::string& r, json o) override {
    return c_->put_object(a, r, std::move(o));
  }
  Result<void> delete_object(const std::string& a, const std::string& r, const std::string& ns,
                             const std::string& n) override {
    return c_->delete_object(a, r, ns, n);
  }
  Result<std::vector<json>> list_objects(const std::string& a, const std::string& r,
                                         const std::string& ns) override {
    return c_->list_objects(a, r, ns);
  }
  void set_profile_controller_paused(bool paused) override {
    c_->set_profile_controller_paused(paused);
  }
  void settle() override { c_->settle(); }

 private:
  RealCluster* c_;
};

}  // namespace

Result<std::unique_ptr<TestCluster>> TestCluster::start(ClusterKind kind,
                                                        const testserver::Options& options) {
  if (kind == ClusterKind::kFake) {
    auto server = testserver::ApiServer::start(options);
    if (!server) return tl::unexpected(server.error());
    return std::unique_ptr<TestCluster>(new FakeCluster(std::move(*server)));
  }
  auto& shared = shared_real_cluster();
  if (!shared) {
    auto real = RealCluster::start(options);
    if (!real) return tl::unexpected(real.error());
    shared = std::move(*real);
  } else {
    const auto begin = std::chrono::steady_clock::now();
    if (auto r = shared->reset(options); !r) return tl::unexpected(r.error());
    fmt::print(stderr, "real kube-apiserver: reset in {:.1f} s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
  }
  return std::unique_ptr<TestCluster>(new SharedRealCluster(shared.get()));
}

std::string real_cluster_unavailable() {
  auto assets = find_assets();
  return assets ? "" : assets.error().message;
}

Snapshot TestCluster::snapshot() {
  settle();
  Snapshot out;
  for (const auto& w : kWatched) {
    auto list = list_objects(w.api_version, w.resource, "");
    if (!list) continue;  // e.g. a CRD a test deleted
    for (const auto& o : *list) {
      const auto& m = o["metadata"];
      const std::string name = m.value("name", "");
      if (std::string(w.resource) == "configmaps" && name == "kube-root-ca.crt") continue;
      out[fmt::format("{} {}/{}", w.resource, m.value("namespace", ""), name)] =
          m.value("resourceVersion", "");
    }
  }
  return out;
}

std::string TestCluster::changes_since(const Snapshot& before) {
  const Snapshot now = snapshot();
  std::string out;
  for (const auto& [key, rv] : now) {
    auto it = before.find(key);
    if (it == before.end()) {
      out += "created " + key + "\n";
    } else if (it->second != rv) {
      out += "changed " + key + "\n";
    }
  }
  for (const auto& [key, rv] : before)
    if (!now.count(key)) out += "deleted " + key + "\n";
  return out;
}

}  // namespace kftenant::testing
