// Header identity as Kubeflow's web apps read it: the header (any case of its name), minus the
// prefix; a missing, empty or non-email value is 401; administrators compared in any case.
#include "server/identity.h"

#include <gtest/gtest.h>

#include <map>

#include "server/api_error.h"

namespace kftenant::server {
namespace {

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

}  // namespace
}  // namespace kftenant::server
