// Running exec credential plugins; behaviour and messages follow
// k8s.io/client-go/plugin/pkg/client/auth/exec/exec.go.
#include "kftenant/kube/exec_plugin.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/utf8.h"
#include "kftenant/base64.h"

extern char** environ;

namespace kftenant::kube {
namespace {

using nlohmann::json;

tl::unexpected<Error> plugin_error(std::string_view command, std::string_view msg) {
  return make_error(ErrorCode::kConfig,
                    "exec plugin " + std::string(command) + ": " + std::string(msg));
}

// Owns a file descriptor.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

constexpr size_t kStderrBytes = 4096;  // of a failed plugin's stderr, the tail kept in messages
constexpr size_t kStderrLines = 20;
constexpr const char* kIndent = "\n    ";

// `line` with everything that could move the cursor or start a terminal escape sequence (C0/C1
// controls, DEL, bidi overrides, invalid UTF-8) written as \xNN / \u{...}, so a plugin's output
// is shown as text. A tab becomes two spaces: harmless, and keeps indented output readable.
std::string escape_line(std::string_view line) {
  std::string out;
  for (size_t i = 0; i < line.size();) {
    std::uint32_t cp = 0;
    size_t len = utf8::decode(line, i, cp);
    if (len == 0) {
      out += fmt::format("\\x{:02X}", static_cast<unsigned char>(line[i]));
      ++i;
      continue;
    }
    if (cp == '\t') {
      out += "  ";
    } else if (utf8::is_forbidden_in_text(cp)) {
      out += cp < 0x80 ? fmt::format("\\x{:02X}", cp) : fmt::format("\\u{{{:04X}}}", cp);
    } else {
      out.append(line.substr(i, len));
    }
    i += len;
  }
  return out;
}

// `text` (a plugin's stderr, or an installHint) as indented lines for an error message: at most
// the last kStderrLines lines of its last kStderrBytes bytes, escaped; blank lines at either end
// dropped. Empty when there is nothing to show. Plugins such as gke-gcloud-auth-plugin print a
// multi-line explanation whose last line is just ")", so a single line is not enough.
std::string indented_tail(std::string_view text, bool& cut) {
  cut = false;
  if (text.size() > kStderrBytes) {
    text = text.substr(text.size() - kStderrBytes);
    // Start at a line boundary rather than in the middle of a line (or of a UTF-8 sequence),
    // unless that would leave nothing (one long last line).
    size_t nl = text.find('\n');
    if (nl != std::string_view::npos &&
        text.find_first_not_of(" \t\r\n", nl + 1) != std::string_view::npos) {
      text.remove_prefix(nl + 1);
    }
    cut = true;
  }
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= text.size();) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    lines.push_back(line);
    start = nl + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  size_t first = 0;
  while (first < lines.size() && lines[first].empty()) ++first;
  if (lines.size() - first > kStderrLines) {
    first = lines.size() - kStderrLines;
    cut = true;
  }
  std::string out;
  for (size_t i = first; i < lines.size(); ++i) {
    out += lines[i].empty() ? std::string("\n") : kIndent + escape_line(lines[i]);
  }
  return out;
}

// "; its stderr:" and the indented tail of `err`, or "" when it wrote nothing.
std::string stderr_suffix(std::string_view err) {
  bool cut = false;
  std::string tail = indented_tail(err, cut);
  if (tail.empty()) return "";
  return std::string(cut ? "; the end of its stderr:" : "; its stderr:") + tail;
}

// The environment for the child: ours, then exec.env, then KUBERNETES_EXEC_INFO; a later entry
// replaces an earlier one with the same name (as Go's os/exec does).
std::vector<std::string> child_environment(const ExecConfig& exec, const std::string& exec_info) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  auto set = [&env](const std::string& name, const std::string& value) {
    std::string prefix = name + "=";
    std::erase_if(env,
                  [&](const std::string& kv) { return kv.compare(0, prefix.size(), prefix) == 0; });
    env.push_back(prefix + value);
  };
  for (const auto& [name, value] : exec.env) set(name, value);
  set("KUBERNETES_EXEC_INFO", exec_info);
  return env;
}

int parse_int(std::string_view s, size_t pos, size_t len, bool& ok) {
  int v = 0;
  if (pos + len > s.size()) {
    ok = false;
    return 0;
  }
  for (size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') ok = false;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  bool ok = true;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  int y = parse_int(s, 0, 4, ok), mo = parse_int(s, 5, 2, ok), d = parse_int(s, 8, 2, ok);
  int h = parse_int(s, 11, 2, ok), mi = parse_int(s, 14, 2, ok), sec = parse_int(s, 17, 2, ok);
  if (!ok || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  size_t i = 19;
  nanoseconds frac{0};
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t start = i;
    int64_t scale = 100'000'000;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      frac += nanoseconds((s[i] - '0') * scale);
      scale /= 10;
      ++i;
    }
    if (i == start) return std::nullopt;
  }
  seconds offset{0};
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i] == '-' ? -1 : 1;
    if (i + 6 != s.size() || s[i + 3] != ':') return std::nullopt;
    int oh = parse_int(s, i + 1, 2, ok), om = parse_int(s, i + 4, 2, ok);
    if (!ok || oh > 23 || om > 59) return std::nullopt;
    offset = sign * (hours(oh) + minutes(om));
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  sys_time<nanoseconds> t = sys_days(ymd) + hours(h) + minutes(mi) + seconds(sec) + frac - offset;
  return time_point_cast<system_clock::duration>(t);
}

std::string exec_info_json(const ExecConfig& exec, const RestConfig& cluster) {
  // k8s.io/client-go/pkg/apis/clientauthentication/v1 ExecCredentialSpec / Cluster (omitempty
  // fields).
  json spec = {{"interactive", false}};
  if (exec.provide_cluster_info) {
    json c = {{"server", cluster.server}};
    if (!cluster.tls_server_name.empty()) c["tls-server-name"] = cluster.tls_server_name;
    if (cluster.insecure_skip_tls_verify) c["insecure-skip-tls-verify"] = true;
    if (!cluster.ca_pem.empty()) c["certificate-authority-data"] = base64::encode(cluster.ca_pem);
    spec["cluster"] = std::move(c);
  }
  json info = {
      {"kind", "ExecCredential"}, {"apiVersion", exec.api_version}, {"spec", std::move(spec)}};
  return info.dump();
}

Result<ExecCredential> parse_exec_credential(std::string_view output, std::string_view api_version,
                                             std::string_view command) {
  json doc = json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return plugin_error(command,
                        "output is not an ExecCredential JSON object (decoding stdout failed)");
  }
  auto str = [](const json& obj, const char* key) -> std::optional<std::string> {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::string();
    if (!it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto kind = str(doc, "kind");
  auto version = str(doc, "apiVersion");
  if (!kind || *kind != "ExecCredential") {
    return plugin_error(command,
                        "output has kind \"" + kind.value_or("?") + "\", expected ExecCredential");
  }
  if (!version || *version != api_version) {
    return plugin_error(command, "configured to use API version " + std::string(api_version) +
                                     ", plugin returned version " + version.value_or("?"));
  }
  auto status = doc.find("status");
  if (status == doc.end() || !status->is_object())
    return plugin_error(command, "didn't return a status field");
  ExecCredential cred;
  auto token = str(*status, "token");
  auto cert = str(*status, "clientCertificateData");
  auto key = str(*status, "clientKeyData");
  if (!token || !cert || !key) {
    return plugin_error(
        command,
        "status.token, status.clientCertificateData and status.clientKeyData must be strings");
  }
  if (token->empty() && cert->empty() && key->empty()) {
    return plugin_error(command, "didn't return a token or cert/key pair");
  }
  if (cert->empty() != key->empty())
    return plugin_error(command, "returned only certificate or key, not both");
  cred.token = std::move(*token);
  cred.client_cert_pem = std::move(*cert);
  cred.client_key_pem = std::move(*key);
  auto exp = str(*status, "expirationTimestamp");
  if (!exp) return plugin_error(command, "status.expirationTimestamp must be an RFC 3339 string");
  if (!exp->empty()) {
    cred.expiration = parse_rfc3339(*exp);
    if (!cred.expiration) {
      return plugin_error(command,
                          "status.expirationTimestamp \"" + *exp + "\" is not an RFC 3339 time");
    }
  }
  return cred;
}

Result<ExecCredential> run_exec_plugin(const ExecConfig& exec, const RestConfig& cluster,
                                       const ExecPluginOptions& options) {
  const std::string& cmd = exec.command;
  if (exec.interactive_mode == "Always") {
    // exec.go refuses when the plugin needs a terminal and stdin is not one; kftenant never gives
    // plugins a terminal.
    return plugin_error(
        cmd,
        "requires interactive mode (interactiveMode: Always) but kftenant runs plugins "
        "without a terminal; log in with the plugin first or set interactiveMode: IfAvailable");
  }
  std::vector<std::string> env = child_environment(exec, exec_info_json(exec, cluster));
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args;
  args.push_back(cmd);
  args.insert(args.end(), exec.args.begin(), exec.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return plugin_error(cmd, std::string("pipe: ") + std::strerror(errno));
  Fd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0)
    return plugin_error(cmd, std::string("pipe: ") + std::strerror(errno));
  Fd err_r(err_pipe[0]), err_w(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
  // Default signal handling and an empty mask in the child, whatever this process set up (an
  // ignored SIGPIPE would otherwise be inherited).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  // Without a '/', the command is looked up in $PATH, like Go's exec.Command.
  int rc = cmd.find('/') == std::string::npos
               ? ::posix_spawnp(&pid, cmd.c_str(), &actions, &attr, argv.data(), envp.data())
               : ::posix_spawn(&pid, cmd.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    if (rc == ENOENT) {
      std::string msg = cmd.find('/') == std::string::npos ? "executable not found in $PATH"
                                                           : "executable not found";
      // kubectl prints the kubeconfig's installHint, or else a pointer to the documentation.
      bool cut = false;
      std::string hint = indented_tail(exec.install_hint, cut);
      if (hint.empty()) {
        msg +=
            " (a client-go credential plugin: install it or correct exec.command in the "
            "kubeconfig; see https://kubernetes.io/docs/reference/access-authn-authz/"
            "authentication/#client-go-credential-plugins)";
      } else if (hint.find('\n', 1) == std::string::npos) {
        msg += "; " + hint.substr(std::string_view(kIndent).size());  // one line: inline
      } else {
        msg += "; the kubeconfig's installHint says:" + hint;
      }
      return plugin_error(cmd, msg);
    }
    return plugin_error(cmd, std::string("cannot run: ") + std::strerror(rc));
  }
  out_w.reset();
  err_w.reset();

  std::string out, err;
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool timed_out = false, too_big = false;
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[2] = {{out_r.fd, POLLIN, 0}, {err_r.fd, POLLIN, 0}};
    int n = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[8192];
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      Fd& fd = i == 0 ? out_r : err_r;
      if (got <= 0) {
        fd.reset();
        continue;
      }
      std::string& sink = i == 0 ? out : err;
      sink.append(buf, static_cast<size_t>(got));
      if (i == 1 && err.size() > 2 * kStderrBytes) err.erase(0, err.size() - kStderrBytes);
      if (i == 0 && out.size() > options.max_output_bytes) too_big = true;
    }
    if (too_big) break;
  }
  if (timed_out || too_big) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return plugin_error(cmd, fmt::format("did not finish within {:g}s and was killed{}",
                                         static_cast<double>(options.timeout.count()) / 1000.0,
                                         stderr_suffix(err)));
  }
  if (too_big) {
    return plugin_error(
        cmd, "wrote more than " + std::to_string(options.max_output_bytes) + " bytes to stdout");
  }
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return plugin_error(
        cmd, fmt::format("killed by signal {}{}{}", WTERMSIG(status),
                         name ? fmt::format(" (SIG{})", name) : std::string(), stderr_suffix(err)));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    std::string msg = "failed with exit code " + std::to_string(WEXITSTATUS(status));
    std::string tail = stderr_suffix(err);
    msg += tail.empty() ? " and wrote nothing to stderr" : tail;
    return plugin_error(cmd, msg);
  }
  return parse_exec_credential(out, exec.api_version, cmd);
}

}  // namespace kftenant::kube
