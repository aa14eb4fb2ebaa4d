// The route table: what a path matches (placeholders, literal before placeholder, nothing for a
// trailing slash or an empty segment), 405's allowed methods, and the OpenAPI document generated
// from it (every route, its parameters, access rule and errors).
#include "server/route_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kftenant::server {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Route route(std::string method, std::string pattern, std::string id,
            Access access = Access::kSignedIn) {
  Route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.operation_id = id;
  r.summary = "summary of " + id;
  r.access = access;
  r.handler = [id](const ApiRequest&) { return ApiResponse{200, {{"op", id}}, "", ""}; };
  return r;
}

RouteTable table() {
  RouteTable t;
  EXPECT_TRUE(t.add(route("GET", "/api/v1/users", "listUsers", Access::kAdmin)));
  EXPECT_TRUE(t.add(route("GET", "/api/v1/users/{email}", "getUser")));
  EXPECT_TRUE(t.add(route("DELETE", "/api/v1/users/{email}", "deleteUser")));
  EXPECT_TRUE(t.add(route("GET", "/api/v1/users/{email}/profiles/{name}", "getUserProfile")));
  EXPECT_TRUE(t.add(route("GET", "/api/v1/users/me", "getMe")));
  return t;
}

TEST(RouteTable, PlaceholdersMatchOneSegmentAndAreHandedOver) {
  auto t = table();
  auto found = t.find("GET", "/api/v1/users/ann@example.com");
  ASSERT_NE(found.route, nullptr);
  EXPECT_EQ(found.route->operation_id, "getUser");
  EXPECT_EQ(found.path_params.at("email"), "ann@example.com");
  found = t.find("GET", "/api/v1/users/a@x/profiles/team");
  ASSERT_NE(found.route, nullptr);
  EXPECT_EQ(found.path_params.at("email"), "a@x");
  EXPECT_EQ(found.path_params.at("name"), "team");
}

TEST(RouteTable, ALiteralSegmentWinsOverAPlaceholderWhateverTheOrder) {
  auto found = table().find("GET", "/api/v1/users/me");
  ASSERT_NE(found.route, nullptr);
  EXPECT_EQ(found.route->operation_id, "getMe");
}

TEST(RouteTable, UnknownPathsTrailingSlashesAndEmptySegmentsMatchNothing) {
  auto t = table();
  for (const char* path : {"/api/v1/user", "/api/v1/users/", "/api/v1//users", "/api/v1/users/a/b",
                           "", "api/v1/users", "/api/v1/users/a@x/profiles/"}) {
    auto found = t.find("GET", path);
    EXPECT_EQ(found.route, nullptr) << path;
    EXPECT_THAT(found.allowed_methods, IsEmpty()) << path;
  }
}

TEST(RouteTable, AnotherMethodOfAKnownPathListsTheAllowedOnes) {
  auto found = table().find("PUT", "/api/v1/users/ann@example.com");
  EXPECT_EQ(found.route, nullptr);
  EXPECT_THAT(found.allowed_methods, ElementsAre("DELETE", "GET"));
}

TEST(RouteTable, ASecondRouteForTheSameMethodAndPatternIsRefused) {
  auto t = table();
  EXPECT_FALSE(t.add(route("GET", "/api/v1/users", "again")));
  EXPECT_EQ(t.find("GET", "/api/v1/users").route->operation_id, "listUsers");
  EXPECT_EQ(t.routes().size(), 5u);
}

TEST(OpenApi, EveryRouteIsDescribedWithItsParametersAccessAndErrors) {
  auto t = table();
  add_openapi_route(t, "1.2.3");
  auto found = t.find("GET", "/api/v1/openapi.json");
  ASSERT_NE(found.route, nullptr);
  EXPECT_EQ(found.route->access, Access::kAnyone);
  const auto doc = found.route->handler({}).body;
  EXPECT_EQ(doc["openapi"], "3.0.3");
  EXPECT_EQ(doc["info"]["version"], "1.2.3");
  size_t operations = 0;
  for (const auto& r : t.routes()) {
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(c));
    ASSERT_TRUE(doc["paths"].contains(r.pattern)) << r.pattern;
    ASSERT_TRUE(doc["paths"][r.pattern].contains(method)) << r.pattern << " " << method;
    const auto& op = doc["paths"][r.pattern][method];
    EXPECT_EQ(op["operationId"], r.operation_id);
    EXPECT_EQ(op["x-kftenant-access"], std::string(to_string(r.access)));
    ++operations;
  }
  size_t described = 0;
  for (const auto& [path, methods] : doc["paths"].items()) described += methods.size();
  EXPECT_EQ(described, operations);  // nothing described that is not served

  const auto& get_profile = doc["paths"]["/api/v1/users/{email}/profiles/{name}"]["get"];
  ASSERT_EQ(get_profile["parameters"].size(), 2u);
  EXPECT_EQ(get_profile["parameters"][0]["name"], "email");
  EXPECT_EQ(get_profile["parameters"][1]["name"], "name");
  EXPECT_EQ(get_profile["parameters"][1]["in"], "path");
  // Signed-in routes can answer 401; admin routes 403 as well; the document itself neither.
  EXPECT_TRUE(doc["paths"]["/api/v1/users"]["get"]["responses"].contains("403"));
  EXPECT_TRUE(get_profile["responses"].contains("401"));
  EXPECT_FALSE(get_profile["responses"].contains("403"));
  EXPECT_FALSE(doc["paths"]["/api/v1/openapi.json"]["get"]["responses"].contains("401"));
  EXPECT_EQ(doc["paths"]["/api/v1/users"]["get"]["responses"]["403"]["content"]["application/json"]
               ["schema"]["$ref"],
            "#/components/schemas/Error");
  EXPECT_TRUE(doc["components"]["schemas"]["Error"]["properties"].contains("field"));
  // Who the caller is: the ingress's header or a Kubernetes token; open routes need neither.
  EXPECT_EQ(doc["components"]["securitySchemes"]["kubernetesToken"]["scheme"], "bearer");
  EXPECT_EQ(doc["components"]["securitySchemes"]["kubeflowUserid"]["name"], "kubeflow-userid");
  EXPECT_EQ(get_profile["security"].size(), 2u);
  EXPECT_FALSE(doc["paths"]["/api/v1/openapi.json"]["get"].contains("security"));
}

}  // namespace
}  // namespace kftenant::server
