// Ctrl-C during `user add`: the binary stops at the next safe point (here: the wait for Dex's
// rollout), says what was applied and that running the command again finishes, and the re-run
// does. A second signal is not needed and no step is cut half-way.
#include <csignal>

#include "lifecycle_fixture.h"

namespace kftenant::testing {
namespace {

using ::testing::HasSubstr;

class InterruptTest : public FakeLifecycleTest {};

TEST_F(InterruptTest, CtrlCDuringTheRolloutWaitStopsAndTheRerunFinishes) {
  // Dex's rollout never completes while the first run waits.
  fake_server().set_deployment_rollout_delay(std::chrono::minutes(10));
  std::vector<std::string> argv = {
      KFTENANT_BINARY,   "--kubeconfig",     kubeconfig_,     "user", "add",
      "ann@example.com", "--password-stdin", "--bcrypt-cost", "10"};
  bool sent = false;
  auto r = run_process(argv, "ann-password\n", {},
                       [&](pid_t pid, const std::string&, const std::string& err) {
                         if (!sent && err.find("… ") != std::string::npos) {
                           sent = true;
                           ::kill(pid, SIGINT);
                         }
                       });
  ASSERT_TRUE(sent) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("interrupted: stopping at the next safe point"));
  EXPECT_THAT(r.err, HasSubstr("stopped while waiting"));
  EXPECT_THAT(r.err, HasSubstr("run the same command again to finish"));
  // What ran before the wait is there (the Dex user, the restart); what comes after is not.
  EXPECT_FALSE(entry_for("ann@example.com").is_null());
  EXPECT_FALSE(exists("kubeflow.org/v1", "profiles", "", "ann"));

  fake_server().set_deployment_rollout_delay(std::chrono::milliseconds(50));
  auto again = add_user("ann@example.com", "ann-password");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(eventually([&] { return exists("kubeflow.org/v1", "profiles", "", "ann"); }));
  EXPECT_EQ(static_passwords().size(), 2u);  // the seed's user and ann, once
}

}  // namespace
}  // namespace kftenant::testing
