// Password input: stdin/file stripping, file permission checks, and the terminal prompt through
// a pseudo-terminal (echo off, restored on return and on SIGINT).
#include "cli/password_input.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "kftenant/tenancy/validate.h"
#include "support/temp_dir.h"

namespace {

using kftenant::ErrorCode;
using kftenant::testing::TempDir;
using namespace kftenant::cli;
using ::testing::HasSubstr;
using ::testing::Not;

// Feeds `text` through a pipe to read_password_from_fd.
kftenant::Result<std::string> from_pipe(const std::string& text) {
  int fds[2];
  if (pipe(fds) != 0) return kftenant::make_error(ErrorCode::kIo, "pipe");
  std::thread writer([&] {
    (void)!write(fds[1], text.data(), text.size());
    close(fds[1]);
  });
  auto r = read_password_from_fd(fds[0], "stdin");
  writer.join();
  close(fds[0]);
  return r;
}

TEST(PasswordStdin, StripsExactlyOneTrailingNewline) {
  EXPECT_EQ(from_pipe("hunter2hunter2\n").value(), "hunter2hunter2");
  EXPECT_EQ(from_pipe("hunter2hunter2\r\n").value(), "hunter2hunter2");
  EXPECT_EQ(from_pipe("hunter2hunter2").value(), "hunter2hunter2");
  EXPECT_EQ(from_pipe("hunter2hunter2\n\n").value(), "hunter2hunter2\n");
  EXPECT_EQ(from_pipe("  spaces kept  \n").value(), "  spaces kept  ");
  EXPECT_EQ(from_pipe("\n").value(), "");
}

TEST(PasswordStdin, EmptyAndHugeInputsAreErrorsWithoutContent) {
  auto empty = from_pipe("");
  ASSERT_FALSE(empty);
  EXPECT_THAT(empty.error().message, HasSubstr("no password on stdin"));
  const std::string huge(kMaxPasswordInputBytes + 10, 'q');
  auto big = from_pipe(huge);
  ASSERT_FALSE(big);
  EXPECT_THAT(big.error().message, HasSubstr("more than 4096 bytes"));
  EXPECT_THAT(big.error().message, Not(HasSubstr("qqqq")));
}

class PasswordFile : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& content, mode_t mode) {
    std::string path = dir_.write(name, content);
    EXPECT_EQ(chmod(path.c_str(), mode), 0);
    return path;
  }
  TempDir dir_;
};

TEST_F(PasswordFile, ReadsAndStripsOneNewline) {
  EXPECT_EQ(read_password_file(write("pw", "correct horse\n", 0600)).value(), "correct horse");
  EXPECT_EQ(read_password_file(write("pw2", "correct horse\r\n", 0400)).value(), "correct horse");
  auto r = read_password(PasswordSource::kFile, write("pw4", "correct horse\n", 0600), "a@b.c");
  EXPECT_EQ(r.value(), "correct horse");
}

TEST_F(PasswordFile, SymlinkToAPrivateFileIsFollowed) {
  const std::string target = write("real", "via-symlink-pw\n", 0600);
  const std::string link = dir_.file("link");
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  EXPECT_EQ(read_password_file(link).value(), "via-symlink-pw");
}

TEST_F(PasswordFile, RefusesFilesTheGroupOrOthersCanReadOrWrite) {
  // 0640 was accepted before: the README promises that only the owner may read the file.
  for (mode_t mode : {0640, 0620, 0660, 0644, 0604, 0602, 0666, 0610}) {
    const std::string path = write("open", "s3cret-password\n", mode);
    auto r = read_password_file(path);
    ASSERT_FALSE(r) << std::oct << mode;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr("group or other users"));
    EXPECT_THAT(r.error().message, HasSubstr("chmod 600"));
    EXPECT_THAT(r.error().message, Not(HasSubstr("s3cret")));
  }
}

TEST_F(PasswordFile, MissingDirectoryFifoAndBadLength) {
  auto missing = read_password_file(dir_.file("nope"));
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("cannot open password file"));
  EXPECT_THAT(missing.error().message, HasSubstr("No such file"));

  auto dir = read_password_file(dir_.path());
  ASSERT_FALSE(dir);
  EXPECT_THAT(dir.error().message, HasSubstr("not a regular file"));

  const std::string fifo = dir_.file("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto f = read_password_file(fifo);  // must not block
  ASSERT_FALSE(f);
  EXPECT_THAT(f.error().message, HasSubstr("not a regular file"));

  auto short_pw = read_password(PasswordSource::kFile, write("short", "abc\n", 0600), "a@b.c");
  ASSERT_FALSE(short_pw);
  EXPECT_THAT(short_pw.error().message, HasSubstr("password file"));
  EXPECT_THAT(short_pw.error().message, HasSubstr("8 to 72 bytes"));
  EXPECT_THAT(short_pw.error().message, Not(HasSubstr("abc")));
}

TEST(PasswordGenerate, GivesAValidFreshPassword) {
  auto a = read_password(PasswordSource::kGenerate, "", "a@b.c");
  auto b = read_password(PasswordSource::kGenerate, "", "a@b.c");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), kftenant::tenancy::kGeneratedPasswordLength);
  EXPECT_NE(*a, *b);
}

TEST(PasswordPrompt, WithoutATerminalIsAUsageError) {
  if (isatty(STDIN_FILENO)) GTEST_SKIP() << "stdin is a terminal";
  auto r = read_password(PasswordSource::kPrompt, "", "a@b.c");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message,
            "no password given: use --password-stdin, --password-file FILE or --generate-password");
}

// Reads from the pty master until `needle` shows up (or 10 s pass); returns all output.
std::string read_until(int master, const std::string& needle) {
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (seen.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    const ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<std::size_t>(n));
  }
  return seen;
}

bool echo_on(int fd) {
  termios t{};
  return tcgetattr(fd, &t) == 0 && (t.c_lflag & ECHO) != 0;
}

struct Pty {
  int master = -1, slave = -1;
  Pty() { EXPECT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0); }
  ~Pty() {
    if (master >= 0) close(master);
    if (slave >= 0) close(slave);
  }
};

TEST(PasswordPrompt, AsksTwiceWithEchoOffAndRestoresEcho) {
  Pty pty;
  ASSERT_TRUE(echo_on(pty.slave));
  kftenant::Result<std::string> result = kftenant::make_error(ErrorCode::kInternal, "not run");
  std::thread prompter([&] { result = prompt_password(pty.slave, "alice@example.com", true); });

  std::string out = read_until(pty.master, "Password for alice@example.com: ");
  EXPECT_FALSE(echo_on(pty.slave));
  ASSERT_EQ(write(pty.master, "Tr0ub4dor&3x\n", 13), 13);
  out += read_until(pty.master, "Repeat password: ");
  ASSERT_EQ(write(pty.master, "Tr0ub4dor&3x\r\n", 14), 14);
  prompter.join();

  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(*result, "Tr0ub4dor&3x");
  EXPECT_TRUE(echo_on(pty.slave));
  EXPECT_THAT(out, Not(HasSubstr("Tr0ub4dor")));  // nothing echoed
}

TEST(PasswordPrompt, MismatchIsAnErrorAndEchoComesBack) {
  Pty pty;
  kftenant::Result<std::string> result = kftenant::make_error(ErrorCode::kInternal, "not run");
  std::thread prompter([&] { result = prompt_password(pty.slave, "bob@example.com", true); });
  read_until(pty.master, "Password for bob@example.com: ");
  ASSERT_EQ(write(pty.master, "first-password\n", 15), 15);
  read_until(pty.master, "Repeat password: ");
  ASSERT_EQ(write(pty.master, "other-password\n", 15), 15);
  prompter.join();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "the passwords entered do not match");
  EXPECT_TRUE(echo_on(pty.slave));
}

TEST(PasswordPrompt, EndOfInputIsAnError) {
  Pty pty;
  kftenant::Result<std::string> result = kftenant::make_error(ErrorCode::kInternal, "not run");
  std::thread prompter([&] { result = prompt_password(pty.slave, "c@x.io", false); });
  read_until(pty.master, "Password for c@x.io: ");
  ASSERT_EQ(write(pty.master, "\x04", 1), 1);  // Ctrl-D on an empty line
  prompter.join();
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message, HasSubstr("no password entered"));
  EXPECT_TRUE(echo_on(pty.slave));
}

TEST(PasswordPrompt, SigintRestoresEchoBeforeDying) {
  Pty pty;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    (void)prompt_password(pty.slave, "d@x.io", false);
    _exit(0);  // only reached if SIGINT did not kill us
  }
  read_until(pty.master, "Password for d@x.io: ");
  EXPECT_FALSE(echo_on(pty.slave));
  ASSERT_EQ(kill(child, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  if (WIFSIGNALED(status)) {
    EXPECT_EQ(WTERMSIG(status), SIGINT);
  }
  EXPECT_TRUE(echo_on(pty.slave));
}

// The full kPrompt path: stdin and /dev/tty are a pseudo-terminal (forkpty).
TEST(PasswordPrompt, ReadPasswordPromptsOnTheControllingTerminal) {
  int result_pipe[2];
  ASSERT_EQ(pipe(result_pipe), 0);
  int master = -1;
  const pid_t child = forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(result_pipe[0]);
    auto r = read_password(PasswordSource::kPrompt, "", "eve@example.com", true);
    const std::string out = r ? "ok:" + *r : "error:" + r.error().message;
    (void)!write(result_pipe[1], out.data(), out.size());
    _exit(0);
  }
  close(result_pipe[1]);
  std::string screen = read_until(master, "Password for eve@example.com: ");
  ASSERT_EQ(write(master, "pty-password-1\n", 15), 15);
  screen += read_until(master, "Repeat password: ");
  ASSERT_EQ(write(master, "pty-password-1\n", 15), 15);
  std::string got;
  char buf[256];
  ssize_t n;
  while ((n = read(result_pipe[0], buf, sizeof buf)) > 0)
    got.append(buf, static_cast<std::size_t>(n));
  close(result_pipe[0]);
  int status = 0;
  waitpid(child, &status, 0);
  close(master);
  EXPECT_EQ(got, "ok:pty-password-1");
  EXPECT_THAT(screen, Not(HasSubstr("pty-password")));
}

}  // namespace

TEST_F(PasswordFile, RefusesAPasswordWithALineBreakOrAControlCharacter) {
  struct Case {
    const char* content;
    const char* message;
  };
  for (const Case& c : {Case{"first-line\nsecond-line\n", "line break"},
                        Case{"first-line\r\nsecond-line", "line break"},
                        Case{"two-lines-pw\n\n", "line break"},  // one newline is stripped, not two
                        Case{"tab\there-password", "control character"},
                        Case{"escape\x1b[31mpassword", "control character"},
                        Case{"delete\x7fpassword", "control character"}}) {
    const std::string path = write("ctl", c.content, 0600);
    auto r = read_password(PasswordSource::kFile, path, "a@b.c");
    ASSERT_FALSE(r) << c.content;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr(c.message));
    EXPECT_THAT(r.error().message, HasSubstr("password file"));
    EXPECT_THAT(r.error().message, Not(HasSubstr("second-line")));
  }
  // One trailing newline is not part of the password.
  EXPECT_TRUE(read_password(PasswordSource::kFile, write("ok", "one-line-pw\n", 0600), "a@b.c"));
}
