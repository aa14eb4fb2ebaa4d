// The kftenant binary itself: version, help and usage errors (exit code 2).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/run_process.h"

namespace {

using kftenant::testing::run_process;
using ::testing::HasSubstr;

TEST(CliBasics, VersionPrintsProjectVersion) {
  auto r = run_process({KFTENANT_BINARY, "version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, std::string("kftenant ") + KFTENANT_VERSION + "\n");
}

TEST(CliBasics, HelpListsSubcommands) {
  auto r = run_process({KFTENANT_BINARY, "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("version"));
}

TEST(CliBasics, UnknownSubcommandIsUsageError) {
  auto r = run_process({KFTENANT_BINARY, "no-such-command"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(r.err.empty());
}

TEST(CliBasics, MissingSubcommandIsUsageError) {
  auto r = run_process({KFTENANT_BINARY});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
