// --wait[=DURATION] on the commands that wait for the profile controller: alone it means 5m (a
// regression: CLI11 ran no transform for the bare flag, so `--wait` did not wait at all).
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/apply_command.h"

namespace {

std::string wait_after(std::vector<std::string> args) {
  CLI::App app;
  std::string wait;
  kftenant::cli::add_wait_option(&app, wait);
  std::vector<const char*> argv{"kftenant"};
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return wait;
}

TEST(WaitOption, AloneWaitsFiveMinutesWithAValueThatLongAndAbsentNotAtAll) {
  EXPECT_EQ(wait_after({"--wait"}), "5m");
  EXPECT_EQ(wait_after({"--wait=20s"}), "20s");
  EXPECT_EQ(wait_after({"--wait", "2m"}), "2m");
  EXPECT_EQ(wait_after({}), "");
}

}  // namespace
