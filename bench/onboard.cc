// Onboarding N users, four ways, against the test API server (HTTPS on loopback, in this
// process) with the Dex rollout simulated at a realistic delay; prints one table.
//
//   build-rel/bench_onboard                      # N = 50, 200, 1000; (b) at 10; 8 importers
//   build-rel/bench_onboard --users 20 --careful-users 2 --rollout-delay-ms 200 --importers 2
//
// (a) by hand, as ../shared/reference/kubeflow-multiuser-seed.md does it, user by user: hash the
//     password (bcrypt, cost 10), GET ConfigMap auth/dex, splice the entry under
//     `staticPasswords:` in config.yaml, PATCH the ConfigMap back (as `kubectl edit` does: no
//     resourceVersion), restart Deployment auth/dex without waiting (`kubectl rollout restart`:
//     a strategic-merge patch of the restartedAt annotation), create the Profile. The requests a
//     script makes with kubectl, over this project's client with no rate limit (a new kubectl
//     process per command never meets its limiter).
// (b) the same, waiting for each Dex rollout before the next user (polling the Deployment as
//     `kubectl rollout status` waits), as a careful administrator must; measured at a small N
//     and reported per user.
// (c) tenancy::onboard, what `kftenant import` runs: bcrypt on every core, one config.yaml
//     write, one restart and its rollout wait, Profiles concurrently, within the CLI's default
//     client rate limit (50 requests/s, burst 100).
// (d) tenancy::apply_tenants, what `kftenant apply -f` runs, on a Tenants file of the same users
//     with their hashes given (apply takes no passwords, so no bcrypt) and a profile each: one
//     plan, one config.yaml write and restart, the steps applied in order at the same rate limit.
// Columns: wall time, API requests, Dex restarts (writes of the Deployment), users kept (a
// staticPasswords entry and a Profile), the ratio to (c) at the same N, and the bcrypt floor
// (N x one hash / cores). Then 8 importers at once on disjoint files, for (a) and (c): users lost.
#include "kftenant/tenancy/onboard.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <ctime>
#include <set>
#include <thread>

#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/static_passwords.h"
#include "kftenant/kube/client.h"
#include "kftenant/kube/kubeconfig.h"
#include "kftenant/store/cluster_store.h"
#include "kftenant/tenancy/apply_tenants.h"
#include "kftenant/tenancy/tenants_file.h"
#include "testserver/apiserver.h"

namespace {

using namespace kftenant;
using Clock = std::chrono::steady_clock;

constexpr int kCost = 10;
const char* const kPassword = "bench-password";

const kube::ResourceRef kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};
const kube::ResourceRef kDeployments{"apps", "v1", "deployments", "Deployment", true};
const kube::ResourceRef kProfiles{"kubeflow.org", "v1", "profiles", "Profile", false};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void die(const std::string& what, const Error& e) {
  fmt::print(stderr, "bench_onboard: {}: {}\n", what, e.message);
  std::exit(1);
}

struct Server {
  std::unique_ptr<testserver::ApiServer> server;
  kube::RestConfig rest;

  explicit Server(std::chrono::milliseconds rollout_delay) {
    testserver::Options options;
    options.seed_kubeflow = true;
    options.rollout_delay = rollout_delay;
    auto started = testserver::ApiServer::start(options);
    if (!started) die("starting the test API server", started.error());
    server = std::move(*started);
    const std::string path = "/tmp/kftenant-bench-onboard.kubeconfig";
    if (auto w = server->write_kubeconfig(path); !w) die("writing " + path, w.error());
    kube::KubeconfigOptions kc;
    kc.explicit_path = path;
    auto loaded = kube::load_rest_config(kc);
    if (!loaded) die("loading " + path, loaded.error());
    rest = *loaded;
  }
  std::unique_ptr<kube::Client> client(std::optional<double> qps, std::optional<int> burst) {
    kube::ClientOptions o;
    o.qps = qps;
    o.burst = burst;
    auto c = kube::Client::create(rest, o);
    if (!c) die("creating a client", c.error());
    return std::move(*c);
  }
};

std::string email_of(const std::string& prefix, int i) {
  return fmt::format("{}{:04}@uni.example", prefix, i);
}
std::string profile_of(const std::string& prefix, int i) {
  return fmt::format("{}{:04}", prefix, i);
}

// ---- (a) and (b): the hand-made flow --------------------------------------------------------

std::string restarted_at() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void wait_for_rollout(kube::Client& client) {
  for (;;) {
    auto d = client.get(kDeployments, "auth", "dex");
    if (!d) die("reading Deployment auth/dex", d.error());
    const auto& status = d->value("status", nlohmann::json::object());
    const int64_t replicas = (*d)["spec"].value("replicas", int64_t{1});
    if (status.value("observedGeneration", int64_t{0}) >= (*d)["metadata"].value("generation", 0) &&
        status.value("updatedReplicas", int64_t{0}) == replicas &&
        status.value("availableReplicas", int64_t{0}) == replicas)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void add_by_hand(kube::Client& client, const std::string& prefix, int i, bool wait) {
  auto hash = dex::bcrypt_hash(kPassword, kCost);
  if (!hash) die("bcrypt", hash.error());
  auto cm = client.get(kConfigMaps, "auth", "dex");
  if (!cm) die("reading ConfigMap auth/dex", cm.error());
  std::string config = (*cm)["data"]["config.yaml"].get<std::string>();
  const std::string anchor = "staticPasswords:\n";
  const size_t at = config.find(anchor);
  if (at == std::string::npos)
    die("splicing", make_error(ErrorCode::kInternal, "no staticPasswords: in config.yaml").value());
  config.insert(at + anchor.size(),
                fmt::format("- email: {}\n  hash: \"{}\"\n  username: {}\n  userID: \"{}-{}\"\n",
                            email_of(prefix, i), *hash, profile_of(prefix, i), prefix, i));
  kube::PatchOptions merge;
  if (auto p =
          client.patch(kConfigMaps, "auth", "dex", {{"data", {{"config.yaml", config}}}}, merge);
      !p)
    die("patching ConfigMap auth/dex", p.error());
  kube::PatchOptions strategic;
  strategic.type = kube::PatchType::kStrategicMerge;
  nlohmann::json restart = {
      {"spec",
       {{"template",
         {{"metadata",
           {{"annotations", {{"kubectl.kubernetes.io/restartedAt", restarted_at()}}}}}}}}}};
  if (auto p = client.patch(kDeployments, "auth", "dex", restart, strategic); !p)
    die("restarting Deployment auth/dex", p.error());
  if (wait) wait_for_rollout(client);
  nlohmann::json profile = {
      {"apiVersion", "kubeflow.org/v1"},
      {"kind", "Profile"},
      {"metadata", {{"name", profile_of(prefix, i)}}},
      {"spec", {{"owner", {{"kind", "User"}, {"name", email_of(prefix, i)}}}}}};
  if (auto c = client.create(kProfiles, "", profile); !c)
    die("creating Profile " + profile_of(prefix, i), c.error());
}

// ---- (c): what `kftenant import` runs -------------------------------------------------------

void import_users(kube::Client& client, const std::string& prefix, int first, int count) {
  std::vector<tenancy::UserRow> rows;
  for (int i = first; i < first + count; ++i) {
    tenancy::UserRow row;
    row.line = i + 2;
    row.email = email_of(prefix, i);
    row.profile = profile_of(prefix, i);
    row.password_spec = tenancy::PasswordSpec::kPassword;
    row.password = kPassword;
    rows.push_back(std::move(row));
  }
  store::ClusterStore cluster(client);
  tenancy::TenancyContext context;
  tenancy::OnboardOptions options;
  options.bcrypt_cost = kCost;
  auto report = tenancy::onboard(cluster, context, rows, options);
  if (!report) die("onboard", report.error());
  for (const auto& r : report->rows)
    if (r.error) die(fmt::format("onboard row {}", r.line), *r.error);
}

// ---- (d): what `kftenant apply -f` runs -----------------------------------------------------

// A Tenants file of the same users with their hashes given (apply never takes a password), each
// user's profile in the file: one plan for the whole set (one config.yaml write, one restart),
// applied step by step within the same client rate limit.
void apply_users(kube::Client& client, const std::string& prefix, int count,
                 const std::string& hash) {
  tenancy::Tenants tenants;
  tenants.set = "bench";
  for (int i = 0; i < count; ++i) {
    tenancy::TenantUser user;
    user.source = "bench.yaml";
    user.line = i + 1;
    user.email = email_of(prefix, i);
    user.hash_from.kind = tenancy::HashSource::Kind::kInline;
    user.hash = hash;
    tenants.users.push_back(std::move(user));
    tenancy::TenantProfile profile;
    profile.source = "bench.yaml";
    profile.line = i + 1;
    profile.name = profile_of(prefix, i);
    profile.owner = email_of(prefix, i);
    tenants.profiles.push_back(std::move(profile));
  }
  store::ClusterStore cluster(client);
  plan::ApplyOptions apply;
  auto report = tenancy::apply_tenants(cluster, {}, tenants, {}, apply);
  if (!report) die("apply_tenants", report.error());
}

// ---- measuring ------------------------------------------------------------------------------

struct Outcome {
  double seconds = 0;
  size_t requests = 0;
  size_t restarts = 0;
  int kept = 0;  // users with their staticPasswords entry and their Profile
};

int users_kept(testserver::ApiServer& server, const std::string& prefix, int n) {
  auto cm = server.get_object("v1", "configmaps", "auth", "dex");
  if (!cm) die("reading ConfigMap auth/dex", cm.error());
  auto config =
      dex::DexConfig::parse((*cm)["data"]["config.yaml"].get<std::string>(), "config.yaml");
  if (!config) die("parsing config.yaml", config.error());
  int kept = 0;
  for (int i = 0; i < n; ++i) {
    const bool in_dex = config->find(email_of(prefix, i)).has_value();
    const bool profile =
        server.get_object("kubeflow.org/v1", "profiles", "", profile_of(prefix, i)).has_value();
    if (in_dex && profile) ++kept;
  }
  return kept;
}

template <typename Run>
Outcome measure(Server& s, const std::string& prefix, int n, Run run) {
  s.server->clear_requests();
  const auto start = Clock::now();
  run();
  Outcome o;
  o.seconds = seconds_since(start);
  for (const auto& r : s.server->requests()) {
    ++o.requests;
    if (r.method != "GET" && r.path.find("/deployments/dex") != std::string::npos) ++o.restarts;
  }
  o.kept = users_kept(*s.server, prefix, n);
  return o;
}

double one_hash_seconds() {
  const auto start = Clock::now();
  const int rounds = 5;
  for (int i = 0; i < rounds; ++i)
    if (auto h = dex::bcrypt_hash(kPassword, kCost); !h) die("bcrypt", h.error());
  return seconds_since(start) / rounds;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {50, 200, 1000};
  int careful = 10;
  int rollout_ms = 5000;
  int importers = 8;
  int importer_users = 25;
  CLI::App app{"Onboarding N users by hand and with kftenant import, against the test API server"};
  app.add_option("--users", sizes, "N for (a) and (c)")->delimiter(',');
  app.add_option("--careful-users", careful, "N for (b), which waits for every rollout");
  app.add_option("--rollout-delay-ms", rollout_ms, "the simulated Dex rollout");
  app.add_option("--importers", importers, "importers at once for the lost-users test");
  app.add_option("--importer-users", importer_users, "users per importer");
  CLI11_PARSE(app, argc, argv);

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const double hash_s = one_hash_seconds();
  const auto delay = std::chrono::milliseconds(rollout_ms);
  fmt::print(
      "onboarding N users; bcrypt cost {}, one hash {:.1f} ms, {} cores; Dex rollout {} ms\n\n",
      kCost, hash_s * 1000, cores, rollout_ms);
  fmt::print("{:<34} {:>5} {:>9} {:>9} {:>9} {:>10} {:>7} {:>14}\n", "way", "N", "wall s",
             "requests", "restarts", "users kept", "time/(c)", "bcrypt floor s");
  auto row = [&](const std::string& way, int n, const Outcome& o, double c_seconds) {
    fmt::print("{:<34} {:>5} {:>9.2f} {:>9} {:>9} {:>10} {:>7} {:>14.2f}\n", way, n, o.seconds,
               o.requests, o.restarts, fmt::format("{}/{}", o.kept, n),
               c_seconds > 0 ? fmt::format("{:.2f}x", o.seconds / c_seconds) : "1.00x",
               n * hash_s / cores);
  };

  std::vector<std::pair<int, double>> c_times;
  for (int n : sizes) {
    Outcome a, c;
    {
      Server s(delay);
      auto client = s.client(0.0, std::nullopt);
      a = measure(s, "a", n, [&] {
        for (int i = 0; i < n; ++i) add_by_hand(*client, "a", i, false);
      });
    }
    {
      Server s(delay);
      auto client = s.client(50.0, 100);
      c = measure(s, "c", n, [&] { import_users(*client, "c", 0, n); });
    }
    Outcome d;
    {
      Server s(delay);
      auto client = s.client(50.0, 100);
      auto hash = dex::bcrypt_hash(kPassword, kCost);
      if (!hash) die("bcrypt", hash.error());
      d = measure(s, "d", n, [&] { apply_users(*client, "d", n, *hash); });
    }
    row("(a) by hand, restart not awaited", n, a, c.seconds);
    row("(c) kftenant import", n, c, 0);
    row("(d) kftenant apply -f, hashes given", n, d, c.seconds);
    c_times.push_back({n, c.seconds});
  }
  if (careful > 0) {
    Server s(delay);
    auto client = s.client(0.0, std::nullopt);
    Outcome b = measure(s, "b", careful, [&] {
      for (int i = 0; i < careful; ++i) add_by_hand(*client, "b", i, true);
    });
    row("(b) by hand, each rollout awaited", careful, b, 0);
    const double b_per_user = b.seconds / careful;
    fmt::print("(b) per user: {:.2f} s", b_per_user);
    for (auto [n, c_seconds] : c_times)
      fmt::print("; at N = {}: {:.0f} s, {:.1f}x (c)", n, b_per_user * n,
                 b_per_user * n / c_seconds);
    fmt::print("\n");
  }
  fmt::print("\n");

  if (importers <= 0) return 0;
  // Importers at once, on disjoint sets of users.
  const int total = importers * importer_users;
  auto concurrently = [&](const std::string& prefix, auto one) {
    Server s(delay);
    std::vector<std::unique_ptr<kube::Client>> clients;
    for (int k = 0; k < importers; ++k)
      clients.push_back(prefix == "a" ? s.client(0.0, std::nullopt) : s.client(50.0, 100));
    return measure(s, prefix, total, [&] {
      std::vector<std::thread> threads;
      for (int k = 0; k < importers; ++k)
        threads.emplace_back([&, k] { one(*clients[k], prefix, k * importer_users); });
      for (auto& t : threads) t.join();
    });
  };
  Outcome ca = concurrently("a", [&](kube::Client& client, const std::string& prefix, int first) {
    for (int i = first; i < first + importer_users; ++i) add_by_hand(client, prefix, i, false);
  });
  Outcome cc = concurrently("c", [&](kube::Client& client, const std::string& prefix, int first) {
    import_users(client, prefix, first, importer_users);
  });
  fmt::print("{} importers at once, {} users each:\n", importers, importer_users);
  fmt::print("  (a) by hand:          {:.2f} s, {} restarts, users lost: {} of {}\n", ca.seconds,
             ca.restarts, total - ca.kept, total);
  fmt::print("  (c) kftenant import:  {:.2f} s, {} restarts, users lost: {} of {}\n", cc.seconds,
             cc.restarts, total - cc.kept, total);
  return 0;
}
