// export_users + write_user_csv/yaml: what import reads back. Round trip: export, import on an
// empty (freshly installed) store, export again: the same file.
#include "kftenant/tenancy/export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kftenant/dex/bcrypt.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/tenancy/onboard.h"
#include "support/kubeflow_memory_store.h"
#include "testserver/seed_kubeflow.h"

namespace kftenant::tenancy {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

testing::MemoryStore fresh_install() {
  return testing::kubeflow_memory_store();
}

OnboardOptions fast() {
  OnboardOptions o;
  o.bcrypt_cost = 10;
  o.jobs = 1;
  return o;
}

std::vector<UserRow> rows_of(const std::string& text, bool yaml) {
  auto file = yaml ? read_user_yaml(text, "users.yaml") : read_user_csv(text, "users.csv");
  EXPECT_THAT(file.problems, IsEmpty()) << text;
  return file.rows;
}

testing::MemoryStore populated() {
  auto store = fresh_install();
  const std::string hash = *dex::bcrypt_hash("password-of-all", 10);
  const std::string csv =
      "email,username,user_id,profile,hash,quota,contributors\n"
      "ann@example.com,Ann,1001,ann,\"" +
      hash +
      "\",\"cpu=4,memory=16Gi\","
      "ben@example.com:view;cat@example.com:edit\n"
      "ben@example.com,,,-,\"" +
      hash +
      "\",,\n"
      "cat@example.com,cat,,team-cat,\"" +
      hash + "\",,\n";
  auto report = onboard(store, {}, rows_of(csv, false), fast());
  EXPECT_TRUE(report && !report->any_failed());
  return store;
}

TEST(Export, CsvAndYamlRoundTripThroughImportOnAFreshInstall) {
  for (bool yaml : {false, true}) {
    auto store = populated();
    auto first = export_users(store, {}, {true});
    ASSERT_TRUE(first) << first.error().message;
    const std::string file =
        yaml ? write_user_yaml(first->rows, true) : write_user_csv(first->rows, true);
    EXPECT_THAT(file, HasSubstr("ann@example.com"));
    EXPECT_THAT(file, HasSubstr("$2"));

    auto again = fresh_install();
    auto report = onboard(again, {}, rows_of(file, yaml), fast());
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_FALSE(report->any_failed()) << file;
    auto second = export_users(again, {}, {true});
    ASSERT_TRUE(second);
    EXPECT_EQ(yaml ? write_user_yaml(second->rows, true) : write_user_csv(second->rows, true),
              file);
  }
}

TEST(Export, TheFileSaysWhatWasThere) {
  auto store = populated();
  auto exported = export_users(store, {}, {true});
  ASSERT_TRUE(exported);
  const std::string csv = write_user_csv(exported->rows, true);
  EXPECT_THAT(csv, HasSubstr("email,username,user_id,profile,hash,quota,contributors\n"));
  EXPECT_THAT(csv, HasSubstr("ann@example.com,Ann,1001,ann,"));
  EXPECT_THAT(csv, HasSubstr(",\"cpu=4,memory=16Gi\",ben@example.com:view;cat@example.com:edit\n"));
  EXPECT_THAT(csv, HasSubstr("\nben@example.com,ben,"));
  EXPECT_THAT(csv, ::testing::ContainsRegex("\nben@example.com,ben,[0-9a-f-]+,-,"));
  EXPECT_THAT(csv, HasSubstr(",team-cat,"));
}

TEST(Export, NoHashesUnlessAskedAndAnExportAppliedToItsClusterChangesNothing) {
  auto store = populated();
  auto exported = export_users(store, {}, {});
  ASSERT_TRUE(exported);
  for (const std::string& file :
       {write_user_csv(exported->rows, false), write_user_yaml(exported->rows, false)}) {
    EXPECT_THAT(file, Not(HasSubstr("$2")));
    EXPECT_THAT(file, Not(HasSubstr("hash")));
  }
  store.writes.clear();
  auto report = onboard(store, {}, rows_of(write_user_csv(exported->rows, false), false), fast());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_FALSE(report->any_failed());
  EXPECT_THAT(store.writes, IsEmpty());
}

TEST(Export, AUserWithTwoProfilesIsOneRowInCsvAndBothProfilesInTheTenantsFile) {
  auto store = populated();
  auto second = kubeflow::build_profile({"ann-lab", "ann@example.com", {}});
  store.seed(second);
  auto exported = export_users(store, {}, {});
  ASSERT_TRUE(exported);
  EXPECT_THAT(exported->csv_warnings,
              Contains(HasSubstr("ann@example.com owns 2 profiles, and the CSV holds one per "
                                 "user: ann is exported, ann-lab not")));
  const std::string yaml = write_tenants_yaml(*exported, false);
  EXPECT_THAT(yaml, HasSubstr("profiles:\n- name: \"ann-lab\"\n  owner: \"ann@example.com\"\n"));
  auto read = read_tenants(yaml, "export.yaml");
  EXPECT_THAT(read.problems, IsEmpty()) << yaml;
}

TEST(Export, AProfileOwnerWithoutADexUserIsAProfileOfTheTenantsFileNotAUser) {
  auto store = fresh_install();
  store.seed(kubeflow::build_profile({"team-oidc", "dora@example.com", {{"cpu", "2"}}}));
  auto exported = export_users(store, {}, {});
  ASSERT_TRUE(exported);
  EXPECT_THAT(exported->without_dex_user, Contains("dora@example.com"));
  const std::string yaml = write_tenants_yaml(*exported, false);
  EXPECT_THAT(yaml, HasSubstr("apiVersion: kftenant.io/v1alpha1\nkind: Tenants\n"));
  EXPECT_THAT(yaml, HasSubstr("- name: \"team-oidc\"\n  owner: \"dora@example.com\"\n  quota:\n"
                              "    \"cpu\": \"2\"\n"));
  EXPECT_THAT(yaml, Not(HasSubstr("- email: \"dora@example.com\"")));
  auto read = read_tenants(yaml, "export.yaml");
  ASSERT_THAT(read.problems, IsEmpty()) << yaml;
  ASSERT_EQ(read.profiles.size(), 2u);  // the stock user's and dora's
}

}  // namespace
}  // namespace kftenant::tenancy
