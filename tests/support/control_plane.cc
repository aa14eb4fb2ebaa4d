#include "support/control_plane.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "kftenant/base64.h"
#include "testserver/certs.h"

namespace kftenant::testing {
namespace fs = std::filesystem;

namespace {

Error fail(std::string message) {
  Error e;
  e.code = ErrorCode::kIo;
  e.message = std::move(message);
  return e;
}

bool executable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && executable(dir + "/" + name)) return dir + "/" + name;
  }
  return "";
}

// `n` distinct free loopback ports: bind port 0 n times, read them back, then close all (held
// open together, so that no two are the same). Another process can still take one before the
// component binds it (envtest accepts the same race); start() then tries again on new ones.
std::vector<int> free_ports(int n) {
  std::vector<int> fds, ports;
  for (int i = 0; i < n; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      ports.push_back(ntohs(addr.sin_port));
    }
    if (fd >= 0) fds.push_back(fd);
  }
  for (int fd : fds) ::close(fd);
  if (static_cast<int>(ports.size()) != n) return {};
  return ports;
}

std::string random_token() {
  std::random_device rd;
  std::string s;
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (int i = 0; i < 32; ++i) s += kChars[rd() % (sizeof kChars - 1)];
  return s;
}

Result<void> write_file(const std::string& path, const std::string& content, mode_t mode = 0600) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) return tl::unexpected(fail("cannot write " + path));
  }
  ::chmod(path.c_str(), mode);
  return {};
}

// The public half of a PEM private key (kube-apiserver's --service-account-key-file).
Result<std::string> public_key_pem(const std::string& private_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> in(
      BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!key) return tl::unexpected(fail("cannot read the service-account key"));
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
  if (PEM_write_bio_PUBKEY(out.get(), key.get()) != 1)
    return tl::unexpected(fail("cannot write the service-account public key"));
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

Result<Assets> find_assets(const std::string& assets_dir) {
  std::string dir = assets_dir;
  std::string origin = "the assets folder";
  if (dir.empty()) {
    const char* env = std::getenv("KUBEBUILDER_ASSETS");
    if (env && *env) {
      dir = env;
      origin = "KUBEBUILDER_ASSETS";
    }
  }
#ifdef KFTENANT_DEFAULT_ASSETS_DIR
  if (dir.empty() && fs::is_directory(KFTENANT_DEFAULT_ASSETS_DIR)) {
    dir = KFTENANT_DEFAULT_ASSETS_DIR;
    origin = "the build folder";
  }
#endif
  auto locate = [&](const std::string& name) -> std::string {
    if (!dir.empty() && executable(dir + "/" + name)) return dir + "/" + name;
    return on_path(name);
  };
  Assets a{locate("etcd"), locate("kube-apiserver"), locate("kube-controller-manager")};
  std::vector<std::string> missing;
  if (a.etcd.empty()) missing.push_back("etcd");
  if (a.kube_apiserver.empty()) missing.push_back("kube-apiserver");
  if (a.kube_controller_manager.empty()) missing.push_back("kube-controller-manager");
  if (!missing.empty()) {
    std::string names;
    for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
    return tl::unexpected(fail(fmt::format(
        "real-apiserver tier skipped: {} not found in {} ({}) nor on PATH; to run it, `bash "
        "scripts/envtest-assets.sh build` (unpacks ../shared/envtest) or `setup-envtest use 1.26 "
        "-p path`, and export KUBEBUILDER_ASSETS=<that folder>",
        names, origin, dir.empty() ? "unset" : dir)));
  }
  return a;
}

struct ControlPlane::State {
  ControlPlaneOptions options;
  Assets assets;
  std::string dir;
  int etcd_port = 0, etcd_peer_port = 0, api_port = 0;
  std::string ca_pem, admin_token;
  std::map<std::string, std::string> user_tokens;
  std::string admin_kubeconfig;
  double startup_seconds = 0;
  pid_t group = 0;  // process group of the components
  std::vector<std::pair<std::string, pid_t>> children;
  int watchdog_fd = -1;  // write end of the watchdog's pipe
  pid_t watchdog = 0;
  bool stopped = false;

  ~State() { stop(); }

  // fork + exec with PDEATHSIG, stdout/stderr to DIR/<name>.log, in the components' group.
  Result<void> spawn(const std::string& name, std::vector<std::string> argv) {
    const std::string log = dir + "/" + name + ".log";
    int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log_fd < 0) return tl::unexpected(fail("cannot open " + log));
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t want_group = group;
    pid_t pid = ::fork();
    if (pid < 0) {
      ::close(log_fd);
      return tl::unexpected(fail("fork failed for " + name));
    }
    if (pid == 0) {
      // Only async-signal-safe calls until exec.
      ::setpgid(0, want_group);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
      int null_fd = ::open("/dev/null", O_RDONLY);
      ::dup2(null_fd, 0);
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(log_fd);
    ::setpgid(pid, want_group);  // also from here, so it holds before either side runs on
    if (group == 0) group = pid;
    children.emplace_back(name, pid);
    return {};
  }

  // A shell that waits for EOF on a pipe only this process holds the write end of, then kills
  // the components' group and removes the folder: cleanup also after a crash or SIGKILL.
  Result<void> start_watchdog() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return tl::unexpected(fail("pipe failed"));
    std::string script =
        "read -r _; kill -TERM -- -\"$1\" 2>/dev/null; sleep 2; kill -KILL -- -\"$1\" 2>/dev/null;"
        " rm -rf -- \"$2\"";
    std::vector<std::string> argv = {"/bin/sh", "-c", script, "sh", std::to_string(group), dir};
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) return tl::unexpected(fail("fork failed for the watchdog"));
    if (pid == 0) {
      ::setsid();  // outside the test's process group: a ctest timeout kill must not take it
      ::dup2(fds[0], 0);
      int null_fd = ::open("/dev/null", O_WRONLY);
      ::dup2(null_fd, 1);
      ::dup2(null_fd, 2);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(fds[0]);
    watchdog_fd = fds[1];
    watchdog = pid;
    return {};
  }

  // Waits for etcd to answer, then puts `revisions` values under one key outside /registry
  // (kube-apiserver never reads it) through the gRPC gateway, one revision each.
  Result<void> age_etcd(int revisions, std::chrono::steady_clock::time_point deadline) {
    httplib::Client etcd("127.0.0.1", etcd_port);
    etcd.set_connection_timeout(std::chrono::seconds(1));
    for (;;) {
      auto health = etcd.Get("/health");
      if (health && health->status == 200) break;
      if (auto gone = exited_child(); !gone.empty())
        return tl::unexpected(
            fail(gone + " exited while starting; its log ends:\n" + tail("etcd", 15)));
      if (std::chrono::steady_clock::now() > deadline)
        return tl::unexpected(fail("etcd not healthy in time; its log ends:\n" + tail("etcd", 15)));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const std::string key = base64::encode("/kftenant-envtest/age");
    for (int i = 0; i < revisions; ++i) {
      auto put = etcd.Post(
          "/v3/kv/put",
          fmt::format(R"({{"key":"{}","value":"{}"}})", key, base64::encode(std::to_string(i))),
          "application/json");
      if (!put || put->status != 200)
        return tl::unexpected(fail("etcd put failed while ageing the store"));
    }
    return {};
  }

  // The first child that has exited, as "name (exit N)".
  std::string exited_child() {
    for (auto& [name, pid] : children) {
      int status = 0;
      if (pid > 0 && ::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return fmt::format("{} ({})", name,
                           WIFEXITED(status) ? fmt::format("exit {}", WEXITSTATUS(status))
                                             : fmt::format("signal {}", WTERMSIG(status)));
      }
    }
    return "";
  }

  std::string tail(const std::string& name, size_t lines) const {
    std::ifstream in(dir + "/" + name + ".log");
    std::deque<std::string> last;
    std::string line;
    while (std::getline(in, line)) {
      last.push_back(line);
      if (last.size() > lines) last.pop_front();
    }
    std::string out;
    for (const auto& l : last) out += l + "\n";
    return out;
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    // Controller manager and API server first, etcd last (as envtest does).
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      if (it->second > 0) ::kill(it->second, SIGTERM);
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (it->second > 0) {
        int status = 0;
        if (::waitpid(it->second, &status, WNOHANG) == it->second) break;
        if (std::chrono::steady_clock::now() > deadline) {
          ::kill(it->second, SIGKILL);
          ::waitpid(it->second, &status, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      it->second = -1;
    }
    std::error_code ec;
    if (!dir.empty() && !std::getenv("KFTENANT_KEEP_CONTROL_PLANE")) fs::remove_all(dir, ec);
    if (watchdog_fd >= 0) ::close(watchdog_fd);  // the watchdog finds nothing left to do
    if (watchdog > 0) ::waitpid(watchdog, nullptr, 0);
  }
};

ControlPlane::ControlPlane(std::unique_ptr<State> state) : state_(std::move(state)) {}
ControlPlane::~ControlPlane() {
  stop();
}
void ControlPlane::stop() {
  state_->stop();
}
std::string ControlPlane::url() const {
  return fmt::format("https://127.0.0.1:{}", state_->api_port);
}
const std::string& ControlPlane::ca_pem() const {
  return state_->ca_pem;
}
const std::string& ControlPlane::admin_token() const {
  return state_->admin_token;
}
std::string ControlPlane::token_for(const std::string& user) const {
  auto it = state_->user_tokens.find(user);
  return it == state_->user_tokens.end() ? "" : it->second;
}
std::string ControlPlane::etcd_url() const {
  return fmt::format("http://127.0.0.1:{}", state_->etcd_port);
}

// Through etcd's gRPC gateway (JSON over HTTP, etcd 3.4: /v3/kv/...): the current revision is
// the header of any range request; compaction with physical=true returns once it is done.
Result<int64_t> ControlPlane::compact_etcd() const {
  httplib::Client etcd("127.0.0.1", state_->etcd_port);
  etcd.set_connection_timeout(std::chrono::seconds(5));
  etcd.set_read_timeout(std::chrono::seconds(30));
  // key "\0" with range_end "\0": every key, count only.
  auto range = etcd.Post("/v3/kv/range", R"({"key":"AA==","range_end":"AA==","count_only":true})",
                         "application/json");
  if (!range || range->status != 200)
    return tl::unexpected(
        fail("etcd range request failed" +
             (range ? ": " + std::to_string(range->status) + " " + range->body : std::string())));
  auto header = nlohmann::json::parse(range->body, nullptr, false);
  int64_t revision = 0;
  try {
    revision = std::stoll(header.at("header").at("revision").get<std::string>());
  } catch (...) {
    return tl::unexpected(fail("etcd range answer without header.revision: " + range->body));
  }
  auto compact = etcd.Post("/v3/kv/compaction",
                           fmt::format(R"({{"revision":"{}","physical":true}})", revision),
                           "application/json");
  // An already compacted revision (kube-apiserver's compactor got there first) is fine too.
  if (!compact ||
      (compact->status != 200 && compact->body.find("already been compacted") == std::string::npos))
    return tl::unexpected(fail(
        "etcd compaction failed" +
        (compact ? ": " + std::to_string(compact->status) + " " + compact->body : std::string())));
  return revision;
}

const std::string& ControlPlane::admin_kubeconfig() const {
  return state_->admin_kubeconfig;
}
const std::string& ControlPlane::dir() const {
  return state_->dir;
}
double ControlPlane::startup_seconds() const {
  return state_->startup_seconds;
}
std::string ControlPlane::log_tail(const std::string& component, size_t lines) const {
  return state_->tail(component, lines);
}

Result<void> write_token_kubeconfig(const std::string& path, const std::string& server,
                                    const std::string& ca_pem, const std::string& token) {
  return write_file(path, fmt::format("apiVersion: v1\nkind: Config\nclusters:\n- name: envtest\n"
                                      "  cluster:\n    server: {}\n"
                                      "    certificate-authority-data: {}\n"
                                      "contexts:\n- name: envtest\n  context:\n"
                                      "    cluster: envtest\n    user: u\n    namespace: default\n"
                                      "current-context: envtest\nusers:\n- name: u\n  user:\n"
                                      "    token: {}\n",
                                      server, base64::encode(ca_pem), token));
}

Result<std::unique_ptr<ControlPlane>> ControlPlane::start(ControlPlaneOptions options) {
  // ctest runs the tier's areas (and every other test binding ports) at once: a port chosen
  // free can be taken before etcd or kube-apiserver binds it, which then exits saying so.
  // Whatever else goes wrong is reported the first time.
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    auto plane = start_once(options);
    if (plane || attempt == kAttempts ||
        plane.error().message.find("address already in use") == std::string::npos)
      return plane;
    std::cerr << "control plane: a chosen port was taken meanwhile (attempt " << attempt << " of "
              << kAttempts << "), starting again on others\n";
  }
}

Result<std::unique_ptr<ControlPlane>> ControlPlane::start_once(const ControlPlaneOptions& options) {
  const auto begin = std::chrono::steady_clock::now();
  auto assets = find_assets(options.assets_dir);
  if (!assets) return tl::unexpected(assets.error());
  auto s = std::make_unique<State>();
  s->options = options;
  s->assets = *assets;

  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/kftenant-envtest-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return tl::unexpected(fail("mkdtemp failed: " + tmpl));
  s->dir = tmpl;
  const std::string& d = s->dir;
  fs::create_directories(d + "/etcd");
  fs::create_directories(d + "/run");

  // ---- certificates and keys ----
  auto ca = testserver::make_ca("kftenant-envtest-ca");
  if (!ca) return tl::unexpected(ca.error());
  auto serving = testserver::make_serving_cert(
      *ca, {"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
      {"127.0.0.1", "10.0.0.1"});
  if (!serving) return tl::unexpected(serving.error());
  auto client_ca = testserver::make_ca("kftenant-envtest-client-ca");
  if (!client_ca) return tl::unexpected(client_ca.error());
  auto sa = testserver::make_ca("kftenant-envtest-service-accounts");
  if (!sa) return tl::unexpected(sa.error());
  auto sa_pub = public_key_pem(sa->key_pem);
  if (!sa_pub) return tl::unexpected(sa_pub.error());
  s->ca_pem = ca->cert_pem;
  for (auto r :
       {write_file(d + "/ca.crt", ca->cert_pem), write_file(d + "/tls.crt", serving->cert_pem),
        write_file(d + "/tls.key", serving->key_pem),
        write_file(d + "/client-ca.crt", client_ca->cert_pem),
        write_file(d + "/sa.key", sa->key_pem), write_file(d + "/sa.pub", *sa_pub)}) {
    if (!r) return tl::unexpected(r.error());
  }

  // ---- users ----
  s->admin_token = random_token();
  const std::string kcm_token = random_token();
  std::string tokens = fmt::format("{},admin,admin-uid,\"system:masters\"\n", s->admin_token);
  tokens += fmt::format("{},system:kube-controller-manager,kcm-uid\n", kcm_token);
  std::vector<std::string> users = kTokenUsers;
  users.insert(users.end(), options.extra_token_users.begin(), options.extra_token_users.end());
  for (const auto& user : users) {
    if (s->user_tokens.count(user)) continue;
    s->user_tokens[user] = random_token();
    tokens += fmt::format("{},{},{}-uid\n", s->user_tokens[user], user, user);
  }
  if (auto r = write_file(d + "/tokens.csv", tokens); !r) return tl::unexpected(r.error());

  const std::vector<int> ports = free_ports(3);
  if (ports.empty()) return tl::unexpected(fail("no free loopback port"));
  s->etcd_port = ports[0];
  s->etcd_peer_port = ports[1];
  s->api_port = ports[2];
  const std::string etcd_url = fmt::format("http://127.0.0.1:{}", s->etcd_port);
  const std::string peer_url = fmt::format("http://127.0.0.1:{}", s->etcd_peer_port);

  // ---- etcd ----
  if (auto r =
          s->spawn("etcd", {s->assets.etcd, "--data-dir", d + "/etcd", "--listen-client-urls",
                            etcd_url, "--advertise-client-urls", etcd_url, "--listen-peer-urls",
                            peer_url, "--initial-advertise-peer-urls", peer_url,
                            "--initial-cluster", "default=" + peer_url, "--unsafe-no-fsync=true"});
      !r) {
    return tl::unexpected(r.error());
  }
  if (auto r = s->start_watchdog(); !r) return tl::unexpected(r.error());
  if (options.etcd_age_revisions > 0) {
    if (auto r = s->age_etcd(options.etcd_age_revisions, begin + options.start_timeout); !r)
      return tl::unexpected(r.error());
  }

  // ---- kube-apiserver ----
  if (auto r = s->spawn("kube-apiserver", {s->assets.kube_apiserver,
                                           "--etcd-servers",
                                           etcd_url,
                                           "--bind-address",
                                           "127.0.0.1",
                                           "--secure-port",
                                           std::to_string(s->api_port),
                                           "--advertise-address",
                                           "127.0.0.1",
                                           "--endpoint-reconciler-type",
                                           "none",
                                           "--tls-cert-file",
                                           d + "/tls.crt",
                                           "--tls-private-key-file",
                                           d + "/tls.key",
                                           "--client-ca-file",
                                           d + "/client-ca.crt",
                                           "--token-auth-file",
                                           d + "/tokens.csv",
                                           "--authorization-mode",
                                           "RBAC",
                                           "--service-cluster-ip-range",
                                           "10.0.0.0/24",
                                           "--service-account-issuer",
                                           "https://kubernetes.default.svc.cluster.local",
                                           "--service-account-key-file",
                                           d + "/sa.pub",
                                           "--service-account-signing-key-file",
                                           d + "/sa.key",
                                           "--cert-dir",
                                           d + "/run",
                                           "--allow-privileged=true"});
      !r) {
    return tl::unexpected(r.error());
  }

  // ---- /readyz ----
  auto cp = std::unique_ptr<ControlPlane>(new ControlPlane(std::move(s)));
  State& st = *cp->state_;
  httplib::SSLClient probe("127.0.0.1", st.api_port);
  probe.set_ca_cert_path((st.dir + "/ca.crt").c_str());
  probe.enable_server_certificate_verification(true);
  probe.set_bearer_token_auth(st.admin_token);
  probe.set_connection_timeout(std::chrono::seconds(1));
  const auto deadline = begin + options.start_timeout;
  for (;;) {
    auto res = probe.Get("/readyz");
    if (res && res->status == 200) break;
    if (auto gone = st.exited_child(); !gone.empty()) {
      std::string component = gone.substr(0, gone.find(' '));
      return tl::unexpected(fail(fmt::format("{} exited while starting; its log ends:\n{}", gone,
                                             st.tail(component, 15))));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return tl::unexpected(fail(fmt::format(
          "kube-apiserver not ready after {} s (last answer: {}); its log ends:\n{}",
          options.start_timeout.count(), res ? std::to_string(res->status) : "no connection",
          st.tail("kube-apiserver", 15))));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  st.startup_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();

  st.admin_kubeconfig = st.dir + "/admin.kubeconfig";
  if (auto r = write_token_kubeconfig(st.admin_kubeconfig, cp->url(), st.ca_pem, st.admin_token);
      !r) {
    return tl::unexpected(r.error());
  }

  // ---- kube-controller-manager: garbage collection and namespace deletion ----
  if (options.controller_manager) {
    std::string controllers =
        "garbagecollector,namespace,serviceaccount-token,root-ca-cert-publisher,"
        "clusterrole-aggregation";
    for (const auto& c : options.extra_controllers) controllers += "," + c;
    const std::string kcm_kubeconfig = st.dir + "/kcm.kubeconfig";
    if (auto r = write_token_kubeconfig(kcm_kubeconfig, cp->url(), st.ca_pem, kcm_token); !r)
      return tl::unexpected(r.error());
    if (auto r = st.spawn("kube-controller-manager", {st.assets.kube_controller_manager,
                                                      "--kubeconfig",
                                                      kcm_kubeconfig,
                                                      "--authentication-kubeconfig",
                                                      kcm_kubeconfig,
                                                      "--authorization-kubeconfig",
                                                      kcm_kubeconfig,
                                                      "--authentication-skip-lookup",
                                                      "--controllers",
                                                      controllers,
                                                      "--leader-elect=false",
                                                      "--bind-address",
                                                      "127.0.0.1",
                                                      "--secure-port",
                                                      "0",
                                                      "--service-account-private-key-file",
                                                      st.dir + "/sa.key",
                                                      "--root-ca-file",
                                                      st.dir + "/ca.crt",
                                                      "--use-service-account-credentials",
                                                      "--concurrent-gc-syncs",
                                                      "5",
                                                      "--namespace-sync-period",
                                                      "10s"});
        !r) {
      return tl::unexpected(r.error());
    }
  }
  return cp;
}

}  // namespace kftenant::testing
