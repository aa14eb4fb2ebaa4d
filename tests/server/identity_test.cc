// Header identity as Kubeflow's web apps read it: the header (any case of its name), minus the
// prefix; a missing, empty or non-email value is 401; administrators compared in any case, by
// group (the groups header), or by the reviews. Token identity: the bearer token's user, the
// headers ignored; malformed or rejected tokens 401; the reviews' own errors passed on.
#include "server/identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "server/api_error.h"

namespace kftenant::server {
namespace {

using ::testing::Contains;

HeaderLookup headers(std::map<std::string, std::string> h) {
  return [h](std::string_view name) -> std::optional<std::string> {
    for (const auto& [k, v] : h) {
      if (k.size() != name.size()) continue;
      bool same = true;
      for (size_t i = 0; i < k.size(); ++i)
        same = same && std::tolower(k[i]) == std::tolower(name[i]);
      if (same) return v;
    }
    return std::nullopt;
  };
}

TEST(Identity, TheHeaderMinusThePrefixIsTheCallerAsGiven) {
  IdentityOptions options;
  options.userid_prefix = "accounts.google.com:";
  Identity identity(options);
  auto caller = identity.identify(headers({{"kubeflow-userid", "accounts.google.com:Ann@X.org"}}));
  ASSERT_TRUE(caller) << caller.error().message;
  EXPECT_EQ(caller->email, "Ann@X.org");  // Kubeflow compares owners byte for byte
  EXPECT_FALSE(caller->admin);
  // Without the prefix the value is taken as it is.
  caller = identity.identify(headers({{"kubeflow-userid", "bob@x.org"}}));
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->email, "bob@x.org");
}

TEST(Identity, MissingEmptyOrNotAnEmailIs401NamingTheHeader) {
  IdentityOptions options;
  options.userid_header = "x-user";
  Identity identity(options);
  for (const auto& h : std::vector<std::map<std::string, std::string>>{
           {},
           {{"kubeflow-userid", "ann@x.org"}},
           {{"x-user", ""}},
           {{"x-user", "ann"}},
           {{"x-user", "@x.org"}},
           {{"x-user", "ann@"}},
           {{"x-user", "a@b@c"}},
           {{"x-user", "ann @x.org"}},
           {{"x-user", std::string(300, 'a') + "@x.org"}}}) {
    auto caller = identity.identify(headers(h));
    ASSERT_FALSE(caller);
    EXPECT_EQ(caller.error().code, ErrorCode::kUnauthorized);
    EXPECT_EQ(api_error(caller.error()).status, 401);
    EXPECT_NE(caller.error().message.find("x-user"), std::string::npos);
    EXPECT_LT(caller.error().message.size(), 200u);  // a long forged value is not echoed
  }
}

TEST(Identity, AdministratorsAreComparedInAnyCase) {
  IdentityOptions options;
  options.admins = {"Admin@Example.com"};
  Identity identity(options);
  auto caller = identity.identify(headers({{"KubeFlow-UserID", "admin@example.COM"}}));
  ASSERT_TRUE(caller);
  EXPECT_TRUE(caller->admin);
  EXPECT_FALSE(identity.identify(headers({{"kubeflow-userid", "admin2@example.com"}}))->admin);
}

// Answers as the test says; records what it was asked.
class FakeReviews final : public AccessReviews {
 public:
  std::map<std::string, TokenUser> tokens;
  std::vector<std::string> admin_users;
  std::vector<std::string> admin_groups;
  std::optional<Error> failure;
  std::vector<std::string> asked;

  Result<TokenUser> review_token(std::string_view token) override {
    asked.push_back("token");
    if (failure) return fail(*failure);
    auto it = tokens.find(std::string(token));
    if (it == tokens.end()) return make_error(ErrorCode::kUnauthorized, "not accepted");
    return it->second;
  }
  Result<bool> may_administer(const std::string& user,
                              const std::vector<std::string>& groups) override {
    asked.push_back("admin " + user);
    if (failure) return fail(*failure);
    for (const auto& g : groups)
      if (std::find(admin_groups.begin(), admin_groups.end(), g) != admin_groups.end()) return true;
    return std::find(admin_users.begin(), admin_users.end(), user) != admin_users.end();
  }
};

TEST(Identity, TheGroupsHeaderIsCommaSeparatedAndAnAdminGroupMakesAnAdministrator) {
  IdentityOptions options;
  options.admin_groups = {"kubeflow-admins"};
  Identity identity(options);
  auto caller = identity.identify(
      headers({{"kubeflow-userid", "ann@x.org"}, {"kubeflow-groups", " ml ,kubeflow-admins,,"}}));
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->groups, (std::vector<std::string>{"ml", "kubeflow-admins"}));
  EXPECT_TRUE(caller->admin);
  caller =
      identity.identify(headers({{"kubeflow-userid", "ann@x.org"}, {"kubeflow-groups", "ml"}}));
  ASSERT_TRUE(caller);
  EXPECT_FALSE(caller->admin);
  // Group names are compared exactly, as RBAC compares them.
  EXPECT_FALSE(identity
                   .identify(headers(
                       {{"kubeflow-userid", "ann@x.org"}, {"kubeflow-groups", "Kubeflow-Admins"}}))
                   ->admin);
  // No groups header configured: the header is not read.
  options.groups_header = "";
  EXPECT_FALSE(Identity(options)
                   .identify(headers(
                       {{"kubeflow-userid", "ann@x.org"}, {"kubeflow-groups", "kubeflow-admins"}}))
                   ->admin);
}

TEST(Identity, TheReviewsDecideWhoElseIsAnAdministratorUnlessListedOrTurnedOff) {
  FakeReviews reviews;
  reviews.admin_users = {"rbac@x.org"};
  IdentityOptions options;
  options.admins = {"listed@x.org"};
  options.reviews = &reviews;
  Identity identity(options);
  EXPECT_TRUE(identity.identify(headers({{"kubeflow-userid", "rbac@x.org"}}))->admin);
  EXPECT_FALSE(identity.identify(headers({{"kubeflow-userid", "other@x.org"}}))->admin);
  reviews.asked.clear();
  EXPECT_TRUE(identity.identify(headers({{"kubeflow-userid", "listed@x.org"}}))->admin);
  EXPECT_TRUE(reviews.asked.empty()) << "a listed administrator needs no review";
  options.rbac_admins = false;
  EXPECT_FALSE(Identity(options).identify(headers({{"kubeflow-userid", "rbac@x.org"}}))->admin);
  // The review failing is the server's problem, passed on (not a quiet "no").
  reviews.failure = make_error(ErrorCode::kTransport, "API server unreachable").value();
  auto caller = identity.identify(headers({{"kubeflow-userid", "other@x.org"}}));
  ASSERT_FALSE(caller);
  EXPECT_EQ(caller.error().code, ErrorCode::kTransport);
}

TEST(Identity, HeaderModeIgnoresABearerToken) {
  FakeReviews reviews;
  reviews.tokens["admin-token"] = {"admin@x.org", {}};
  IdentityOptions options;
  options.admins = {"admin@x.org"};
  options.reviews = &reviews;
  Identity identity(options);
  // oauth2-proxy puts Dex's ID token in Authorization: it is not who the caller is.
  auto caller = identity.identify(headers({{"Authorization", "Bearer admin-token"}}));
  ASSERT_FALSE(caller);
  EXPECT_EQ(caller.error().code, ErrorCode::kUnauthorized);
  caller = identity.identify(
      headers({{"Authorization", "Bearer admin-token"}, {"kubeflow-userid", "ann@x.org"}}));
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->email, "ann@x.org");
  EXPECT_FALSE(caller->admin);
  EXPECT_THAT(reviews.asked, ::testing::Not(::testing::Contains("token")));
}

TEST(Identity, TokenModeTakesTheTokensUserAndIgnoresTheHeaders) {
  FakeReviews reviews;
  reviews.tokens["ann-token"] = {"oidc:ann@x.org", {"ml", "system:authenticated"}};
  reviews.tokens["ci-token"] = {"system:serviceaccount:ci:deployer", {"system:serviceaccounts"}};
  reviews.admin_users = {"oidc:ann@x.org"};  // RBAC names the user with the prefix
  IdentityOptions options;
  options.mode = IdentityMode::kToken;
  options.userid_prefix = "oidc:";
  options.admins = {"admin@x.org"};
  options.reviews = &reviews;
  Identity identity(options);
  auto caller = identity.identify(headers({{"authorization", "bearer   ann-token "},
                                           {"kubeflow-userid", "admin@x.org"},
                                           {"kubeflow-groups", "kubeflow-admins"}}));
  ASSERT_TRUE(caller) << caller.error().message;
  EXPECT_EQ(caller->email, "ann@x.org");
  EXPECT_EQ(caller->groups, (std::vector<std::string>{"ml", "system:authenticated"}));
  EXPECT_TRUE(caller->admin);
  EXPECT_THAT(reviews.asked, Contains("admin oidc:ann@x.org"));
  caller = identity.identify(headers({{"Authorization", "Bearer ci-token"}}));
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->email, "system:serviceaccount:ci:deployer");
  EXPECT_FALSE(caller->admin);
  // An admin group matches the token's groups.
  options.admin_groups = {"system:serviceaccounts"};
  EXPECT_TRUE(Identity(options).identify(headers({{"Authorization", "Bearer ci-token"}}))->admin);
}

TEST(Identity, TokenModeRefusesWhatIsNotAnAcceptedBearerToken) {
  FakeReviews reviews;
  reviews.tokens["good"] = {"ann@x.org", {}};
  IdentityOptions options;
  options.mode = IdentityMode::kToken;
  options.reviews = &reviews;
  Identity identity(options);
  for (const auto& h : std::vector<std::map<std::string, std::string>>{
           {},
           {{"kubeflow-userid", "ann@x.org"}},
           {{"Authorization", ""}},
           {{"Authorization", "Basic YW5uOnB3"}},
           {{"Authorization", "Bearer"}},
           {{"Authorization", "Bearer "}},
           {{"Authorization", "Bearergood"}},
           {{"Authorization", "Bearer go od"}},
           {{"Authorization", "Bearer bad-token-value"}}}) {
    auto caller = identity.identify(headers(h));
    ASSERT_FALSE(caller) << (h.empty() ? "" : h.begin()->second);
    EXPECT_EQ(caller.error().code, ErrorCode::kUnauthorized);
    EXPECT_EQ(caller.error().message.find("bad-token-value"), std::string::npos);
    EXPECT_EQ(caller.error().message.find("YW5uOnB3"), std::string::npos);
  }
  reviews.failure = make_error(ErrorCode::kConfig, "grant create on tokenreviews").value();
  auto caller = identity.identify(headers({{"Authorization", "Bearer good"}}));
  ASSERT_FALSE(caller);
  EXPECT_EQ(caller.error().code, ErrorCode::kConfig);
  EXPECT_EQ(api_error(caller.error()).status, 500);
}

}  // namespace
}  // namespace kftenant::server
