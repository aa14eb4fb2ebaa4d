// `kftenant serve` under load: N users with a profile each in the test API server (HTTPS on
// loopback, in this process), the real `kftenant serve` binary in front of it (its two HTTP
// servers one after the other: --event-loop 0, a thread per connection, then the event loop
// that is serve's default), and wrk (Debian)
// with C connections for D seconds on
//   GET /api/v1/users?limit=100      (an administrator's first page of users)
//   GET /api/v1/users/{email}        (one user)
// and, as the baseline in the same run, the same kind of reads straight to the API server (wrk
// with the admin's bearer token): GET one Profile, and a page of 100 Profiles. Then the server's
// resident memory (VmRSS and its peak VmHWM) at N users.
//
//   build/bench_serve                                   # N = 1000, 200 connections, 30 s
//   build/bench_serve --users 10000 --duration 10       # the memory figure at 10,000 users
//   build/bench_serve --users 50 --duration 2 --connections 20   # what CI runs
//   build/bench_serve --hold                            # seed, serve and wait: wrk, perf by hand
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "kftenant/dex/bcrypt.h"
#include "kftenant/kube/client.h"
#include "kftenant/plan/plan.h"
#include "kftenant/store/cluster_store.h"
#include "kftenant/tenancy/users.h"
#include "testserver/apiserver.h"

extern char** environ;

namespace {

using namespace kftenant;
using SteadyClock = std::chrono::steady_clock;

std::string email_of(int i) {
  return fmt::format("u{:05d}@example.com", i);
}
std::string profile_of(int i) {
  return fmt::format("u{:05d}", i);
}

// Spawns argv with stdout and stderr to `log` (a file); the pid, or -1.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argp[0], &actions, nullptr, argp.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// Runs argv to completion; its stdout ("" when it could not run).
std::string run(const std::vector<std::string>& argv) {
  char path[] = "/tmp/bench_serve_out_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return "";
  close(fd);
  const pid_t pid = spawn(argv, path);
  std::string out;
  if (pid > 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    out = s.str();
  }
  unlink(path);
  return out;
}

int free_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  close(s);
  return port;
}

double to_ms(double value, const std::string& unit) {
  if (unit == "us") return value / 1000;
  if (unit == "s") return value * 1000;
  if (unit == "m") return value * 60000;
  return value;  // ms
}

struct WrkFigures {
  double requests_per_second = 0, p50_ms = 0, p99_ms = 0;
  long non_2xx = 0;
  // wrk's socket errors: a request unanswered for its 2-second timeout is counted here, not in
  // the latency figures (a server that leaves connections waiting shows a short p99 for the
  // ones it serves: read this column with it).
  long socket_errors = 0;
  std::string socket_errors_line;  // wrk's own line, printed when there were some
  bool ok = false;
};

WrkFigures parse_wrk(const std::string& out) {
  WrkFigures f;
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
    f.requests_per_second = std::stod(m[1]);
    f.ok = true;
  }
  if (std::regex_search(out, m, std::regex(R"(\n\s+50%\s+([0-9.]+)(us|ms|s|m)\b)")))
    f.p50_ms = to_ms(std::stod(m[1]), m[2]);
  if (std::regex_search(out, m, std::regex(R"(\n\s+99%\s+([0-9.]+)(us|ms|s|m)\b)")))
    f.p99_ms = to_ms(std::stod(m[1]), m[2]);
  if (std::regex_search(out, m, std::regex(R"(Non-2xx or 3xx responses:\s+([0-9]+))")))
    f.non_2xx = std::stol(m[1]);
  if (std::regex_search(
          out, m,
          std::regex(
              R"(Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+))"))) {
    for (int i = 1; i <= 4; ++i) f.socket_errors += std::stol(m[i]);
    f.socket_errors_line = m[0];
  }
  return f;
}

long status_kib(pid_t pid, const std::string& field) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

volatile std::sig_atomic_t stop_requested = 0;
void on_stop_signal(int) {
  stop_requested = 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kftenant serve under wrk, against the API server as the baseline"};
  int users = 1000, duration = 30, connections = 200, wrk_threads = 2, event_loop = 0;
  app.add_option("--users", users, "users (each with a profile and a namespace)")
      ->capture_default_str();
  app.add_option("--duration", duration, "seconds per wrk run")->capture_default_str();
  app.add_option("--connections", connections, "wrk connections")->capture_default_str();
  app.add_option("--wrk-threads", wrk_threads, "wrk threads")->capture_default_str();
  app.add_option("--event-loop", event_loop,
                 "loop threads of the event-loop server measured after --event-loop 0 (0: 2)")
      ->capture_default_str();
  bool hold = false;
  app.add_flag("--hold", hold,
               "seed, start the event-loop server, print how to reach it and wait (for perf, "
               "wrk by hand); SIGINT ends it");
  CLI11_PARSE(app, argc, argv);

  if (run({"/bin/sh", "-c", "command -v wrk"}).empty()) {
    std::printf("bench_serve: skipped: wrk is not installed (apt-get install wrk)\n");
    return 0;
  }

  testserver::Options options;
  options.seed_kubeflow = true;
  options.rollout_delay = std::chrono::milliseconds(0);
  // As many as kftenant serve's: with its default of 64, the baseline answered 64 of the 200
  // connections (the others' requests sat unread for the whole run, seen with `ss -tn`) and its
  // p99 was that of 64 connections.
  options.threads = std::max(32, connections + 8);
  auto started = testserver::ApiServer::start(options);
  if (!started) {
    std::fprintf(stderr, "bench_serve: %s\n", started.error().message.c_str());
    return 1;
  }
  auto& api_server = **started;
  const std::string kubeconfig = fmt::format("/tmp/bench_serve_kubeconfig_{}", getpid());
  if (!api_server.write_kubeconfig(kubeconfig)) return 1;

  // Seeding: one config.yaml write for every user (one bcrypt hash shared: the figures are about
  // reads), then the Profiles and their namespaces straight into the store.
  const auto seed_start = SteadyClock::now();
  kube::RestConfig config;
  config.server = api_server.url();
  config.ca_pem = api_server.ca_pem();
  config.token = api_server.admin_token();
  config.qps = 0;
  auto client = kube::Client::create(config, {});
  if (!client) return 1;
  store::ClusterStore cluster(**client);
  auto hash = dex::bcrypt_hash("bench-password", 10);
  if (!hash) return 1;
  std::vector<tenancy::AddUserRequest> requests;
  for (int i = 0; i < users; ++i) {
    tenancy::AddUserRequest r;
    r.email = email_of(i);
    r.hash = *hash;
    r.create_profile = false;
    requests.push_back(std::move(r));
  }
  tenancy::AddDexUsersPlanner planner({}, std::move(requests));
  auto applied = plan::apply_plan(cluster, planner, {});
  if (!applied) {
    std::fprintf(stderr, "bench_serve: seeding Dex: %s\n", applied.error().message.c_str());
    return 1;
  }
  for (int i = 0; i < users; ++i) {
    const std::string name = profile_of(i);
    if (!api_server.put_object(
            "kubeflow.org/v1", "profiles",
            {{"apiVersion", "kubeflow.org/v1"},
             {"kind", "Profile"},
             {"metadata", {{"name", name}}},
             {"spec", {{"owner", {{"kind", "User"}, {"name", email_of(i)}}}}}}) ||
        !api_server.put_object(
            "v1", "namespaces",
            {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}}))
      return 1;
  }
  const double seed_s = std::chrono::duration<double>(SteadyClock::now() - seed_start).count();

  // Both of kftenant serve's HTTP servers, one after the other over the same API server: a
  // thread per connection (cpp-httplib) and the event loop (--event-loop, Boost.Beast).
  struct Server {
    std::string label;
    std::vector<std::string> extra;
    pid_t pid = -1;
    std::string base = {}, log = {};
  };
  std::vector<Server> servers = {{"kftenant --event-loop 0", {"--event-loop", "0"}},
                                 {"kftenant --event-loop 2", {"--event-loop", "2"}}};
  if (event_loop > 0)
    servers[1] = {fmt::format("kftenant --event-loop {}", event_loop),
                  {"--event-loop", std::to_string(event_loop)}};
  auto start_server = [&](Server& server) {
    const int port = free_port();
    server.log = fmt::format("/tmp/bench_serve_log_{}_{}", getpid(), port);
    std::vector<std::string> argv = {
        KFTENANT_BINARY, "serve",
        "--kubeconfig",  kubeconfig,
        "--listen",      fmt::format("127.0.0.1:{}", port),
        "--admin",       "admin@example.com",
        "--threads",     std::to_string(std::max(32, connections + 8))};
    argv.insert(argv.end(), server.extra.begin(), server.extra.end());
    server.pid = spawn(argv, server.log);
    if (server.pid <= 0) return -1.0;
    server.base = fmt::format("http://127.0.0.1:{}", port);
    const auto ready_start = SteadyClock::now();
    for (int i = 0; i < 600; ++i) {
      if (run({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
               server.base + "/readyz"}) == "200")
        return std::chrono::duration<double>(SteadyClock::now() - ready_start).count();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::fprintf(stderr, "bench_serve: %s did not get ready (log: %s)\n", server.label.c_str(),
                 server.log.c_str());
    kill(server.pid, SIGTERM);
    return -1.0;
  };
  // SIGTERM, and whether it exited 0 (its log kept when not).
  auto stop_server = [](Server& server) {
    kill(server.pid, SIGTERM);
    int status = 0;
    waitpid(server.pid, &status, 0);
    const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!clean)
      std::printf("%s did not exit 0 on SIGTERM (log: %s)\n", server.label.c_str(),
                  server.log.c_str());
    else
      unlink(server.log.c_str());
    return clean;
  };

  const std::string admin = "kubeflow-userid: admin@example.com";
  const std::string bearer = "Authorization: Bearer " + api_server.admin_token();
  const std::string one = email_of(users / 2);
  std::printf(
      "kftenant serve: %d users with a profile each; seeded in %.1f s; wrk -t%d -c%d -d%ds, %u "
      "cores\n\n",
      users, seed_s, wrk_threads, connections, duration, std::thread::hardware_concurrency());
  std::printf("%-56s %12s %10s %10s %8s %8s\n", "request", "requests/s", "p50 ms", "p99 ms",
              "non-2xx", "sockerr");
  bool all_ok = true;
  auto measure = [&](const std::string& name, const std::string& url, const std::string& header) {
    auto out =
        run({"/bin/sh", "-c", "wrk --latency -t\"$1\" -c\"$2\" -d\"$3\"s -H \"$4\" \"$5\" 2>&1",
             "sh", std::to_string(wrk_threads), std::to_string(connections),
             std::to_string(duration), header, url});
    auto f = parse_wrk(out);
    if (!f.ok || f.non_2xx > 0) all_ok = false;
    if (!f.ok) {
      std::printf("%-56s wrk failed: %s\n", name.c_str(), out.substr(0, 200).c_str());
      return f;
    }
    std::printf("%-56s %12.0f %10.2f %10.2f %8ld %8ld\n", name.c_str(), f.requests_per_second,
                f.p50_ms, f.p99_ms, f.non_2xx, f.socket_errors);
    if (f.socket_errors > 0) std::printf("%56s %s\n", "", f.socket_errors_line.c_str());
    return f;
  };
  // One profile first: the page baseline leaves the API server busy with the requests wrk
  // gave up on (each over a second) for a while after it ends, which the next run would wait
  // behind; kftenant's runs read their cache, and start after a pause that lets it drain.
  if (hold) {
    Server& server = servers[1];
    if (start_server(server) < 0) return 1;
    std::printf("%s (pid %d) at %s, log %s\n  wrk --latency -t%d -c%d -d%ds -H '%s' %s\n",
                server.label.c_str(), server.pid, server.base.c_str(), server.log.c_str(),
                wrk_threads, connections, duration, admin.c_str(),
                (server.base + "/api/v1/users?limit=100").c_str());
    std::fflush(stdout);
    // Any thread may take the signal: the handler only sets the flag this loop reads.
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    while (stop_requested == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const bool clean = stop_server(server);
    unlink(kubeconfig.c_str());
    return clean ? 0 : 1;
  }
  const WrkFigures one_baseline =
      measure("API server GET profiles/{name} (baseline)",
              api_server.url() + "/apis/kubeflow.org/v1/profiles/" + profile_of(users / 2), bearer);
  const WrkFigures page_baseline =
      measure("API server GET profiles?limit=100 (baseline)",
              api_server.url() + "/apis/kubeflow.org/v1/profiles?limit=100", bearer);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  struct Row {
    WrkFigures page, one;
    double rss_mib = 0, hwm_mib = 0, ready_s = 0;
  };
  std::vector<Row> rows;
  bool clean = true;
  for (auto& server : servers) {
    Row row;
    row.ready_s = start_server(server);
    if (row.ready_s < 0) return 1;
    row.page = measure(server.label + " GET /api/v1/users?limit=100",
                       server.base + "/api/v1/users?limit=100", admin);
    row.one = measure(server.label + " GET /api/v1/users/{email}",
                      server.base + "/api/v1/users/" + one, admin);
    row.rss_mib = status_kib(server.pid, "VmRSS") / 1024.0;
    row.hwm_mib = status_kib(server.pid, "VmHWM") / 1024.0;
    clean = stop_server(server) && clean;
    rows.push_back(row);
  }
  std::printf("\n");
  auto ratio = [](const WrkFigures& a, const WrkFigures& b) {
    return b.requests_per_second > 0 ? a.requests_per_second / b.requests_per_second : 0.0;
  };
  for (size_t i = 0; i < servers.size(); ++i) {
    std::printf(
        "%s: over the baseline users page %.2fx, one user %.2fx; ready %.1f s after start; "
        "memory at %d users VmRSS %.1f MiB, peak VmHWM %.1f MiB\n",
        servers[i].label.c_str(), ratio(rows[i].page, page_baseline),
        ratio(rows[i].one, one_baseline), rows[i].ready_s, users, rows[i].rss_mib, rows[i].hwm_mib);
  }
  std::printf("%s over %s: users page %.2fx, one user %.2fx\n", servers[1].label.c_str(),
              servers[0].label.c_str(), ratio(rows[1].page, rows[0].page),
              ratio(rows[1].one, rows[0].one));
  unlink(kubeconfig.c_str());
  return all_ok && clean ? 0 : 1;
}
