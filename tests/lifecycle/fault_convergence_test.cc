// Faults injected at each request of `user add` in turn (500, a dropped connection after the
// server acted, 409): whatever the faulted run did, running the same command again converges —
// exactly one entry for the user, nothing else lost, the Profile there, and Dex restarted with
// the config it now holds.
#include <openssl/sha.h>

#include <set>

#include "lifecycle_fixture.h"

namespace kftenant::testing {
namespace {

std::string sha256_hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

std::string escape_regex(const std::string& s) {
  std::string out = "^";
  for (char c : s) {
    if (std::string(".^$|()[]{}*+?\\").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out + "$";
}

struct Fault {
  const char* name;
  int status;
  bool drop;
};

class FaultConvergenceTest : public FakeLifecycleTest {};

TEST_F(FaultConvergenceTest, EveryRequestOfUserAddCanFailAndTheRerunConverges) {
  // The requests of a clean run, in order.
  fake_server().clear_requests();
  ASSERT_EQ(add_user("probe@example.com", "probe-password", {"--wait=20s"}).exit_code, 0);
  std::vector<testserver::RequestRecord> requests;
  for (const auto& r : fake_server().requests())
    if (r.path.rfind("/api", 0) == 0) requests.push_back(r);
  ASSERT_GE(requests.size(), 5u);
  std::printf("user add made %zu API requests\n", requests.size());

  const Fault faults[] = {
      {"500", 500, false}, {"dropped connection", 0, true}, {"409", 409, false}};
  std::set<std::string> seen;
  int runs = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& target = requests[i];
    // Occurrence index of this (method, path) among the earlier requests.
    int occurrence = 0;
    for (size_t j = 0; j < i; ++j)
      if (requests[j].method == target.method && requests[j].path == target.path) ++occurrence;
    if (!seen.insert(target.method + " " + target.path + " " + std::to_string(occurrence)).second)
      continue;
    for (const auto& fault : faults) {
      SCOPED_TRACE(std::string(fault.name) + " at request " + std::to_string(i) + ": " +
                   target.method + " " + target.path);
      // A fresh cluster for every case.
      TearDown();
      SetUp();
      std::string email = "victim@example.com";
      testserver::FaultRule rule;
      rule.method = target.method;
      rule.path_regex = escape_regex(target.path);
      rule.skip = occurrence;
      rule.count = 1;
      rule.status = fault.status;
      rule.drop_connection = fault.drop;
      if (fault.status == 409) rule.reason = target.method == "POST" ? "AlreadyExists" : "Conflict";
      fake_server().inject_fault(rule);
      auto faulted = add_user(email, "victim-password", {"--wait=20s"});
      fake_server().clear_faults();
      auto rerun = add_user(email, "victim-password", {"--wait=20s"});
      ASSERT_EQ(rerun.exit_code, 0) << "faulted: " << faulted.err << "\nrerun: " << rerun.err;
      ++runs;

      auto entries = static_passwords();
      int mine = 0;
      for (const auto& e : entries)
        if (e.value("email", "") == email) ++mine;
      EXPECT_EQ(mine, 1) << config_yaml();
      EXPECT_EQ(entries.size(), 2u);
      EXPECT_TRUE(python_checkpw("victim-password", entry_for(email).value("hash", "")));
      EXPECT_TRUE(entry_for("user@example.com").is_object());
      EXPECT_EQ(dex_template_annotations().value("kftenant.io/dex-config-sha256", ""),
                sha256_hex(config_yaml()));
      auto profile = object("kubeflow.org/v1", "profiles", "", "victim");
      EXPECT_EQ(profile.value(nlohmann::json::json_pointer("/spec/owner/name"), std::string()),
                email);
    }
  }
  std::printf("%d faulted runs converged\n", runs);
}

}  // namespace
}  // namespace kftenant::testing
