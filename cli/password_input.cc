#include "password_input.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "kftenant/dex/bcrypt.h"
#include "kftenant/tenancy/validate.h"

namespace kftenant::cli {
namespace {

constexpr const char* kNoPasswordGiven =
    "no password given: use --password-stdin, --password-file FILE or --generate-password";

// Terminal state for the signal handler: restoring it is all the handler does
// (tcsetattr is async-signal-safe).
struct termios g_saved_termios;
volatile sig_atomic_t g_saved_tty_fd = -1;
constexpr std::array<int, 3> kRestoringSignals = {SIGINT, SIGTERM, SIGHUP};

extern "C" void restore_terminal_and_die(int sig) {
  if (g_saved_tty_fd >= 0) {
    tcsetattr(g_saved_tty_fd, TCSANOW, &g_saved_termios);
    (void)!write(g_saved_tty_fd, "\n", 1);
  }
  // SA_RESETHAND put the default action back; the signal is blocked until we return, then
  // it is delivered again and does what it would have done without us.
  raise(sig);
}

// Echo off on `fd` for the lifetime of the guard; previous settings and signal actions come
// back in the destructor, on every return path.
class EchoOffGuard {
 public:
  explicit EchoOffGuard(int fd) : fd_(fd) {}
  Result<void> engage() {
    if (tcgetattr(fd_, &saved_) != 0) {
      return make_error(ErrorCode::kIo,
                        fmt::format("cannot read the terminal settings: {}", std::strerror(errno)));
    }
    g_saved_termios = saved_;
    g_saved_tty_fd = fd_;
    struct sigaction action {};
    action.sa_handler = restore_terminal_and_die;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    for (std::size_t i = 0; i < kRestoringSignals.size(); ++i) {
      sigaction(kRestoringSignals[i], &action, &previous_[i]);
    }
    handlers_installed_ = true;
    struct termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHOE | ECHOK | ECHONL);
    quiet.c_lflag |= ICANON;
    if (tcsetattr(fd_, TCSAFLUSH, &quiet) != 0) {
      return make_error(ErrorCode::kIo,
                        fmt::format("cannot turn off terminal echo: {}", std::strerror(errno)));
    }
    engaged_ = true;
    return ok();
  }
  ~EchoOffGuard() {
    if (engaged_) tcsetattr(fd_, TCSANOW, &saved_);
    if (handlers_installed_) {
      for (std::size_t i = 0; i < kRestoringSignals.size(); ++i) {
        sigaction(kRestoringSignals[i], &previous_[i], nullptr);
      }
      g_saved_tty_fd = -1;
    }
  }
  EchoOffGuard(const EchoOffGuard&) = delete;
  EchoOffGuard& operator=(const EchoOffGuard&) = delete;

 private:
  int fd_;
  struct termios saved_ {};
  std::array<struct sigaction, kRestoringSignals.size()> previous_{};
  bool handlers_installed_ = false;
  bool engaged_ = false;
};

Result<void> write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return make_error(ErrorCode::kIo,
                        fmt::format("cannot write to the terminal: {}", std::strerror(errno)));
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok();
}

// One line from the terminal, without its "\n" (and a "\r" before it).
Result<std::string> read_line(int fd) {
  std::string line;
  bool too_long = false;
  while (true) {
    char c = 0;
    const ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return make_error(ErrorCode::kIo,
                        fmt::format("cannot read from the terminal: {}", std::strerror(errno)));
    }
    if (n == 0) {
      if (line.empty()) return make_error(ErrorCode::kInvalidArgument, "no password entered");
      break;  // Ctrl-D after some characters
    }
    if (c == '\n') break;
    if (line.size() < kMaxPasswordInputBytes) {
      line += c;
    } else {
      too_long = true;
    }
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (too_long) {
    OPENSSL_cleanse(line.data(), line.size());
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("the password entered is longer than {} bytes", kMaxPasswordInputBytes));
  }
  return line;
}

std::string strip_one_newline(std::string s) {
  if (s.size() >= 2 && s.compare(s.size() - 2, 2, "\r\n") == 0) {
    s.resize(s.size() - 2);
  } else if (!s.empty() && s.back() == '\n') {
    s.pop_back();
  }
  return s;
}

// Read errors already name the source; the length check gets it as context.
Result<std::string> validated(Result<std::string> password, std::string_view where) {
  if (!password) return password;
  if (auto v = dex::validate_password(*password); !v) return fail(v.error().with_context(where));
  return password;
}

}  // namespace

Result<std::string> read_password_from_fd(int fd, std::string_view what) {
  std::string data;
  char buf[512];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return make_error(ErrorCode::kIo, fmt::format("cannot read the password from {}: {}", what,
                                                    std::strerror(errno)));
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > kMaxPasswordInputBytes) {
      OPENSSL_cleanse(data.data(), data.size());
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{} holds more than {} bytes; give only the password", what,
                                    kMaxPasswordInputBytes));
    }
  }
  OPENSSL_cleanse(buf, sizeof buf);
  if (data.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("no password on {} (it is empty)", what));
  }
  return strip_one_newline(std::move(data));
}

Result<std::string> read_password_file(const std::string& path) {
  const std::string shown = tenancy::quote_for_message(path);
  // O_NONBLOCK: opening a FIFO must not hang; it is refused below as not a regular file.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    return make_error(err == ENOENT ? ErrorCode::kInvalidArgument : ErrorCode::kIo,
                      fmt::format("cannot open password file {}: {}", shown, std::strerror(err)));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
  } closer{fd};
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    return make_error(ErrorCode::kIo,
                      fmt::format("cannot stat password file {}: {}", shown, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("password file {} is not a regular file", shown));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("password file {} can be read or written by group or other users (mode "
                    "{:04o}); restrict it with: chmod 600 {} (a mounted Kubernetes Secret: "
                    "defaultMode: 0400)",
                    shown, st.st_mode & 07777, path));
  }
  return read_password_from_fd(fd, fmt::format("password file {}", shown));
}

Result<std::string> prompt_password(int tty_fd, std::string_view email, bool confirm) {
  EchoOffGuard guard(tty_fd);
  if (auto r = guard.engage(); !r) return fail(r.error());
  if (auto w = write_all(tty_fd, fmt::format("Password for {}: ", tenancy::printable(email))); !w) {
    return fail(w.error());
  }
  auto first = read_line(tty_fd);
  (void)write_all(tty_fd, "\n");
  if (!first) return fail(first.error());
  if (!confirm) return first;
  if (auto w = write_all(tty_fd, "Repeat password: "); !w) return fail(w.error());
  auto second = read_line(tty_fd);
  (void)write_all(tty_fd, "\n");
  if (!second) return fail(second.error());
  const bool same = *first == *second;
  OPENSSL_cleanse(second->data(), second->size());
  if (!same) {
    OPENSSL_cleanse(first->data(), first->size());
    return make_error(ErrorCode::kInvalidArgument, "the passwords entered do not match");
  }
  return first;
}

Result<std::string> read_password(PasswordSource source, const std::string& path,
                                  const std::string& email, bool confirm) {
  switch (source) {
    case PasswordSource::kStdin:
      return validated(read_password_from_fd(STDIN_FILENO, "stdin"), "password from stdin");
    case PasswordSource::kFile:
      return validated(read_password_file(path),
                       fmt::format("password file {}", tenancy::quote_for_message(path)));
    case PasswordSource::kGenerate:
      return tenancy::generate_password();
    case PasswordSource::kPrompt:
      break;
  }
  if (!isatty(STDIN_FILENO)) return make_error(ErrorCode::kInvalidArgument, kNoPasswordGiven);
  const int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (tty < 0) return make_error(ErrorCode::kInvalidArgument, kNoPasswordGiven);
  auto password = validated(prompt_password(tty, email, confirm), "password entered");
  close(tty);
  return password;
}

}  // namespace kftenant::cli
