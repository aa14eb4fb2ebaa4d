// The kftenant binary itself: version, help and usage errors (exit code 2).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/run_process.h"
#include "support/temp_dir.h"

namespace {

using kftenant::testing::run_process;
using kftenant::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(CliBasics, VersionPrintsProjectVersion) {
  auto r = run_process({KFTENANT_BINARY, "version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, std::string("kftenant ") + KFTENANT_VERSION + "\n");
}

// The lines of `text` after the line "Subcommands:" up to the next blank line: the names in
// their first column.
std::vector<std::string> listed_subcommands(const std::string& text) {
  std::vector<std::string> names;
  auto at = text.find("\nSubcommands:\n");
  if (at == std::string::npos) return names;
  std::size_t line = at + std::string("\nSubcommands:\n").size();
  while (line < text.size() && text[line] != '\n') {
    auto end = text.find('\n', line);
    if (end == std::string::npos) end = text.size();
    std::string row = text.substr(line, end - line);
    auto first = row.find_first_not_of(' ');
    if (first != std::string::npos)
      names.push_back(row.substr(first, row.find(' ', first) - first));
    line = end + 1;
  }
  return names;
}

TEST(CliBasics, HelpListsSubcommands) {
  auto r = run_process({KFTENANT_BINARY, "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(listed_subcommands(r.out),
              ::testing::ElementsAre("version", "doctor", "user", "profile", "import", "export",
                                     "apply", "hash", "serve"));
  r = run_process({KFTENANT_BINARY, "user", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(listed_subcommands(r.out),
              ::testing::ElementsAre("add", "remove", "passwd", "list", "show"));
  r = run_process({KFTENANT_BINARY, "profile", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(listed_subcommands(r.out),
              ::testing::ElementsAre("create", "delete", "transfer", "quota", "share", "unshare",
                                     "contributors"));
  // Each one with the line saying what it does.
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\n  unshare +Remove a contributor's access"));
}

TEST(CliBasics, UnknownSubcommandIsUsageError) {
  auto r = run_process({KFTENANT_BINARY, "no-such-command"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(r.err.empty());
}

TEST(CliBasics, MissingSubcommandIsUsageError) {
  auto r = run_process({KFTENANT_BINARY});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "kftenant: a command is required: version, doctor, user, profile, import, export, "
            "apply, hash, serve (see kftenant --help)\n");
  r = run_process({KFTENANT_BINARY, "user"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "kftenant: \"user\" needs a subcommand: add, remove, passwd, list, show (see "
            "kftenant user --help)\n");
}

TEST(CliBasics, UnknownCommandIsNamedWithTheValidOnes) {
  auto r = run_process({KFTENANT_BINARY, "usr", "list"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "kftenant: unknown command \"usr\" (did you mean \"user\"?): use one of version, "
            "doctor, user, profile, import, export, apply, hash, serve (see kftenant --help)\n");
  r = run_process({KFTENANT_BINARY, "--kubeconfig", "/nonexistent", "user", "lst"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "kftenant: unknown user subcommand \"lst\" (did you mean \"list\"?): use one of add, "
            "remove, passwd, list, show (see kftenant user --help)\n");
  r = run_process({KFTENANT_BINARY, "profile", "frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown profile subcommand \"frobnicate\": use one of create, "
                               "delete, transfer, quota, "));
  // A word that is not printable is shown escaped.
  r = run_process({KFTENANT_BINARY, "\x1b[2Jx"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown command \"\\x1B[2Jx\""));
  // Other parse errors keep CLI11's wording.
  r = run_process({KFTENANT_BINARY, "user", "list", "extra"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("extra"));
  r = run_process({KFTENANT_BINARY, "user", "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("\"--bogus\" is not an option of kftenant user"));
}

TEST(CliBasics, SubcommandHelpListsTheGlobalOptions) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{KFTENANT_BINARY, "user", "add", "--help"},
                                             {KFTENANT_BINARY, "user", "--help"},
                                             {KFTENANT_BINARY, "profile", "share", "--help"},
                                             {KFTENANT_BINARY, "doctor", "--help"}}) {
    auto r = run_process(args);
    EXPECT_EQ(r.exit_code, 0) << args[1];
    EXPECT_THAT(r.out, HasSubstr("Global options (before or after the subcommand):")) << args[1];
    for (const char* option :
         {"--kubeconfig", "--context", "--manifests", "--dex-backend", "--dex-namespace",
          "--dex-configmap", "--dex-deployment", "-v,--verbose"}) {
      EXPECT_THAT(r.out, HasSubstr(option)) << args[1];
    }
  }
  // The top-level help lists them once, as its own options.
  auto top = run_process({KFTENANT_BINARY, "--help"});
  EXPECT_THAT(top.out, Not(HasSubstr("Global options")));
  EXPECT_THAT(top.out, HasSubstr("--kubeconfig"));
}

TEST(CliBasics, WaitHelpSaysWaitingIsOffUnlessGiven) {
  auto r = run_process({KFTENANT_BINARY, "user", "add", "--help"});
  ASSERT_EQ(r.exit_code, 0);
  const std::size_t at = r.out.find("--wait");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
  EXPECT_THAT(line, ::testing::StartsWith("--wait[=DURATION]"));  // the value is optional
  EXPECT_THAT(line, HasSubstr("off unless given"));
  EXPECT_THAT(line, HasSubstr("--wait alone waits 5m"));
  EXPECT_THAT(line, HasSubstr("--wait=2m"));
  EXPECT_THAT(line, Not(HasSubstr("=5m")));  // not shown as if it were the default
}

// A kubeconfig with contexts "dev" and "staging" (no server is contacted: the context is
// resolved first).
std::string write_kubeconfig(const TempDir& dir, const std::string& current = "dev") {
  return dir.write("kubeconfig",
                   "apiVersion: v1\nkind: Config\ncurrent-context: " + current +
                       "\n"
                       "clusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\n"
                       "users:\n- name: u\n  user: {token: t0ken-value}\n"
                       "contexts:\n- name: dev\n  context: {cluster: c, user: u}\n"
                       "- name: staging\n  context: {cluster: c, user: u}\n");
}

TEST(CliBasics, UnknownContextIsAUsageErrorListingTheContexts) {
  TempDir dir;
  const std::string kc = write_kubeconfig(dir);
  auto r = run_process({KFTENANT_BINARY, "--kubeconfig", kc, "--context", "prod", "user", "list"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "kftenant: context \"prod\" not found in " + kc + " (available: dev, staging)\n");
  EXPECT_TRUE(r.out.empty());
  // After the subcommand too (fallthrough), and for doctor.
  r = run_process({KFTENANT_BINARY, "doctor", "--kubeconfig", kc, "--context", "prod"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("context \"prod\" not found"));
}

TEST(CliBasics, OtherKubeconfigProblemsStayFailures) {
  TempDir dir;
  // current-context names a context the file does not have: the file is broken, exit 1.
  const std::string kc = write_kubeconfig(dir, "gone");
  auto r = run_process({KFTENANT_BINARY, "--kubeconfig", kc, "user", "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("context \"gone\" not found"));
  r = run_process({KFTENANT_BINARY, "--kubeconfig", dir.file("missing"), "user", "list"});
  EXPECT_EQ(r.exit_code, 1);
}

}  // namespace
