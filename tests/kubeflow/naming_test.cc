#include "kftenant/kubeflow/naming.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {

using namespace kftenant::kubeflow;
using ::testing::HasSubstr;

TEST(DefaultProfileName, FollowsTheDashboardRegistrationFlow) {
  EXPECT_EQ(default_profile_name("user@example.com"), "user");
  EXPECT_EQ(default_profile_name("Jane.Doe@example.com"), "jane-doe");
  EXPECT_EQ(default_profile_name("a+b@example.com"), "a-b");
  EXPECT_EQ(default_profile_name("x..y@example.com"), "x--y");              // one '-' per character
  EXPECT_EQ(default_profile_name("snake_case@example.com"), "snake_case");  // \w keeps '_'
}

TEST(ValidateProfileName, AcceptsDns1123Labels) {
  EXPECT_TRUE(validate_profile_name("kubeflow-user-example-com"));
  EXPECT_TRUE(validate_profile_name("a"));
  EXPECT_TRUE(validate_profile_name(std::string(63, 'a')));
}

TEST(ValidateProfileName, RejectsWithAReason) {
  EXPECT_THAT(validate_profile_name("").error().message, HasSubstr("empty"));
  EXPECT_THAT(validate_profile_name(std::string(64, 'a')).error().message, HasSubstr("63"));
  EXPECT_THAT(validate_profile_name("snake_case").error().message,
              HasSubstr("\"snake_case\" is not a valid namespace name"));
  EXPECT_FALSE(validate_profile_name("Upper"));
  EXPECT_FALSE(validate_profile_name("-lead"));
  EXPECT_FALSE(validate_profile_name("trail-"));
  EXPECT_FALSE(validate_profile_name("dots.not.allowed"));
}

TEST(BindingName, MatchesKfam) {
  EXPECT_EQ(binding_name("User", "user@example.com", "edit"),
            "user-user-example-com-clusterrole-edit");
  EXPECT_EQ(binding_name("User", "Jane.Doe+ml@Example.com", "view"),
            "user-jane-doe-ml-example-com-clusterrole-view");
  EXPECT_EQ(binding_name("User", "a--b@x.io", "admin"), "user-a-b-x-io-clusterrole-admin");
  EXPECT_EQ(binding_name("Group", "ml-team", "edit"), "group-ml-team-clusterrole-edit");
}

}  // namespace
