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

TEST_F(FaultConvergenceTest, AnImportFailingHalfWayIsFinishedByTheRerun) {
  auto hashed = kftenant({"hash", "--password-stdin", "--bcrypt-cost", "10"}, "row-password\n");
  ASSERT_EQ(hashed.exit_code, 0) << hashed.err;
  const std::string hash = hashed.out.substr(0, hashed.out.find('\n'));
  std::string csv = "email,hash,contributors\n";
  for (int i = 0; i < 8; ++i)
    csv += "row" + std::to_string(i) + "@example.com,\"" + hash + "\"," +
           (i == 7 ? "row0@example.com:view" : "") + "\n";
  const std::string file = dir_.write("rows.csv", csv);
  // The config.yaml write is processed but its answer is cut, and from the fourth Profile on
  // every create fails: rows fail half-way through the run.
  testserver::FaultRule cut;
  cut.method = "PUT";
  cut.path_regex = "/configmaps/dex$";
  cut.drop_connection = true;
  fake_server().inject_fault(cut);
  testserver::FaultRule profiles;
  profiles.method = "POST";
  profiles.path_regex = "^/apis/kubeflow.org/v1/profiles$";
  profiles.skip = 3;
  profiles.count = 1000;
  profiles.status = 500;
  fake_server().inject_fault(profiles);
  auto faulted = kftenant({"import", file, "--wait=20s", "-j", "2"});
  EXPECT_EQ(faulted.exit_code, 1) << faulted.out << faulted.err;
  EXPECT_THAT(faulted.out, ::testing::HasSubstr("failed"));
  fake_server().clear_faults();

  auto rerun = kftenant({"import", file, "--wait=20s"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  for (int i = 0; i < 8; ++i) {
    const std::string email = "row" + std::to_string(i) + "@example.com";
    int entries = 0;
    for (const auto& e : static_passwords()) entries += e.value("email", "") == email;
    EXPECT_EQ(entries, 1) << email << "\n" << config_yaml();
    EXPECT_TRUE(exists("kubeflow.org/v1", "profiles", "", "row" + std::to_string(i))) << email;
  }
  EXPECT_TRUE(entry_for("user@example.com").is_object());
  EXPECT_TRUE(exists("rbac.authorization.k8s.io/v1", "rolebindings", "row7",
                     "user-row0-example-com-clusterrole-view"));
  EXPECT_EQ(dex_template_annotations().value("kftenant.io/dex-config-sha256", ""),
            sha256_hex(config_yaml()));
  mark_state();
  auto third = kftenant({"import", file});
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(changes(), "");
}

TEST_F(FaultConvergenceTest, AnApplyFailingHalfWayIsFinishedByTheRerun) {
  auto hashed = kftenant({"hash", "--password-stdin", "--bcrypt-cost", "10"}, "set-password\n");
  ASSERT_EQ(hashed.exit_code, 0) << hashed.err;
  const std::string hash = hashed.out.substr(0, hashed.out.find('\n'));
  std::string text = "apiVersion: kftenant.io/v1alpha1\nkind: Tenants\nusers:\n";
  for (int i = 0; i < 4; ++i)
    text += "- email: set" + std::to_string(i) + "@example.com\n  hash: \"" + hash + "\"\n";
  text +=
      "profiles:\n- name: shared\n  owner: set0@example.com\n  contributors:\n"
      "  - {email: set1@example.com, role: edit}\n";
  const std::string file = dir_.write("tenants.yaml", text);
  testserver::FaultRule profiles;
  profiles.method = "POST";
  profiles.path_regex = "^/apis/kubeflow.org/v1/profiles$";
  // Before the first write each of the 5 Profile creates is sent once with dryRun=All; the
  // third real one fails, after the Dex write and two Profiles.
  profiles.skip = 5 + 2;
  profiles.count = 1000;
  profiles.status = 500;
  fake_server().inject_fault(profiles);
  auto faulted = kftenant({"apply", "-f", file, "--wait=20s"});
  EXPECT_EQ(faulted.exit_code, 1) << faulted.out << faulted.err;
  fake_server().clear_faults();
  EXPECT_EQ(static_passwords().size(), 5u) << "the Dex write came first and stays";

  auto rerun = kftenant({"apply", "-f", file, "--wait=20s"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  EXPECT_EQ(static_passwords().size(), 5u) << config_yaml();
  for (const char* p : {"set0", "set1", "set2", "set3", "shared"})
    EXPECT_TRUE(exists("kubeflow.org/v1", "profiles", "", p)) << p;
  EXPECT_TRUE(exists("rbac.authorization.k8s.io/v1", "rolebindings", "shared",
                     "user-set1-example-com-clusterrole-edit"));
  mark_state();
  auto again = kftenant({"apply", "-f", file});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, ::testing::HasSubstr("Nothing to change."));
  EXPECT_EQ(changes(), "");
}

}  // namespace
}  // namespace kftenant::testing
