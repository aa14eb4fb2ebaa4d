// `-v`/`--verbose` on the real binary against the test API server: the configuration chosen and
// one line per API request (method, path, status, time) and per retry wait on stderr, and never
// a token, a password, a hash or a header.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lifecycle/lifecycle_fixture.h"

namespace kftenant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class VerboseTest : public FakeLifecycleTest {
 protected:
  // The stderr lines of `err` that start with `prefix`.
  static std::vector<std::string> lines_starting(const std::string& err,
                                                 const std::string& prefix) {
    std::vector<std::string> out;
    for (std::size_t at = 0; at < err.size();) {
      std::size_t nl = err.find('\n', at);
      if (nl == std::string::npos) nl = err.size();
      std::string line = err.substr(at, nl - at);
      if (line.rfind(prefix, 0) == 0) out.push_back(line);
      at = nl + 1;
    }
    return out;
  }
  // The -v lines for API requests ("kftenant: GET /api/..."), in order.
  static std::vector<std::string> request_lines(const std::string& err) {
    std::vector<std::string> out;
    for (const char* method : {"GET ", "POST ", "PUT ", "PATCH ", "DELETE "}) {
      for (auto& l : lines_starting(err, std::string("kftenant: ") + method)) out.push_back(l);
    }
    return out;
  }
  void expect_no_secret(const std::string& text, const std::string& password = "") {
    EXPECT_THAT(text, Not(HasSubstr(fake_server().admin_token())));
    EXPECT_THAT(text, Not(HasSubstr("Bearer")));
    EXPECT_THAT(text, Not(HasSubstr("Authorization")));
    EXPECT_THAT(text, Not(HasSubstr("$2y$")));  // no bcrypt hash from a request body
    if (!password.empty()) {
      EXPECT_THAT(text, Not(HasSubstr(password)));
    }
  }
};

TEST_F(VerboseTest, UserAddPrintsTheConfigAndEveryRequestButNoSecret) {
  const std::string password = "correct-horse-battery-staple";
  auto r = add_user("alice@example.com", password, {"-v"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  EXPECT_THAT(r.err, HasSubstr("kftenant: using kubeconfig " + kubeconfig_ +
                               ", context \"kftenant-test\", user \"kftenant-test-admin\" (token), "
                               "server " +
                               server_->url() + ", namespace default\n"));
  // One line per request the server saw, with the status it answered.
  const auto seen = fake_server().requests();
  const auto lines = request_lines(r.err);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(lines.size(), seen.size()) << r.err;
  for (const auto& rec : seen) {
    const std::string expected = "kftenant: " + rec.method + " " + rec.path +
                                 (rec.query.empty() ? "" : "?" + rec.query) + " " +
                                 std::to_string(rec.status) + " in ";
    EXPECT_THAT(r.err, HasSubstr(expected)) << r.err;
  }
  // The PUT of the Dex ConfigMap carries the new user's hash in its body: only the path shows.
  EXPECT_THAT(r.err, HasSubstr("kftenant: PUT /api/v1/namespaces/auth/configmaps/dex 200 in "));
  expect_no_secret(r.err + r.out, password);
}

TEST_F(VerboseTest, WorksAfterTheSubcommandAndShowsRetryWaits) {
  testserver::FaultRule fault;
  fault.method = "GET";
  fault.path_regex = "/configmaps/dex$";
  fault.status = 503;
  fake_server().inject_fault(fault);
  auto r = kftenant({"user", "list", "--verbose"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string path = "/api/v1/namespaces/auth/configmaps/dex";
  EXPECT_THAT(r.err, HasSubstr("kftenant: GET " + path + " 503 in "));
  EXPECT_THAT(r.err, ::testing::ContainsRegex(
                         "kftenant: waiting [0-9]+ms before attempt 2 of GET " + path + "\n"));
  EXPECT_THAT(r.err, ::testing::ContainsRegex("kftenant: GET " + path +
                                              " 200 in [0-9]+ms \\(attempt 2\\)\n"));
  expect_no_secret(r.err + r.out);
}

TEST_F(VerboseTest, TransportFailuresAreLoggedToo) {
  auto stopped_url = server_->url();
  fake_server().stop();  // nothing listens any more
  auto r = kftenant({"-v", "user", "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("server " + stopped_url));
  EXPECT_THAT(r.err, ::testing::ContainsRegex("kftenant: GET /[^ ]+ failed after [0-9]+ms"));
  EXPECT_THAT(r.err, HasSubstr("(attempt 2)"));
}

TEST_F(VerboseTest, WithoutItNothingIsLogged) {
  auto r = kftenant({"user", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(request_lines(r.err).empty()) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("kftenant: using")));
}

}  // namespace
}  // namespace kftenant::testing
