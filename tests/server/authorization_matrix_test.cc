// The authorization matrix: every endpoint of `kftenant serve` (every operationId of its OpenAPI
// document, checked, so that a new route cannot go untested) for every kind of caller — an
// administrator, a profile's owner, its contributors by role (admin, edit, view), another
// signed-in user, anonymous — and, with --identity token, a bad token and the userid header
// without one. An allowed call succeeds (2xx) and a refused one is 401 (no identity) or 403,
// an error object with a message, and writes nothing to the API server. Allowed writes that
// destroy what they act on (delete, transfer, contributor changes) act on a profile made for the
// call, so every cell starts from the same state; refused ones act on the shared profile.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "kftenant/dex/password_object.h"
#include "kftenant/plan/plan.h"
#include "kftenant/tenancy/users.h"
#include "server/import_api.h"
#include "server/kfam_api.h"
#include "server/profile_writes.h"
#include "server/tenancy_api.h"
#include "server/user_writes.h"
#include "support/in_process_api.h"
#include "testserver/apiserver.h"

namespace kftenant::server {
namespace {

using nlohmann::json;

constexpr const char* kServeToken = "kftenant-serve-token";
constexpr const char* kAdmin = "admin@example.com";
constexpr const char* kOwner = "ann@example.com";                 // owns the shared profile "ann"
constexpr const char* kSomeoneElse = "someone-else@example.com";  // no caller
constexpr const char* kDoomed = "doomed@example.com";             // deleted by the admin
constexpr const char* kReset = "reset@example.com";               // password set by the admin

// Who calls, as the matrix's columns see it.
enum class Kind {
  kAdmin,
  kOwner,
  kContributorAdmin,
  kContributorEdit,
  kContributorView,
  kOther,
  kNobody
};

struct Caller {
  std::string name;  // for failure messages
  Kind kind;
  std::string email;  // "" for no identity
  // Token mode: the bearer token sent ("" none); header mode: unused.
  std::string token;
  // The userid header sent ("" none).
  std::string header;
};

const std::vector<std::pair<Kind, std::string>> kPeople = {
    {Kind::kAdmin, kAdmin},
    {Kind::kOwner, kOwner},
    {Kind::kContributorAdmin, "cal@example.com"},
    {Kind::kContributorEdit, "bob@example.com"},
    {Kind::kContributorView, "vic@example.com"},
    {Kind::kOther, "oscar@example.com"}};

std::string email_of(Kind kind) {
  for (const auto& [k, email] : kPeople)
    if (k == kind) return email;
  return "";
}

std::string password_of(const std::string& email) {
  return "password of " + email;
}

std::string token_of(const std::string& email) {
  return "token-of-" + email;
}

// One request of a cell.
struct Request {
  std::string method = "";
  std::string path;
  json body = nullptr;    // sent as JSON unless `text` is set
  std::string text = "";  // a non-JSON body
  std::string content_type = "application/json";
};

// What a row's request is built from.
struct Target {
  std::string profile;  // the shared profile, or one made for an allowed destructive call
  std::string self;     // the caller's email (the owner's for anonymous callers)
  std::string tag;      // unique per cell, for names the call creates
};

struct Row {
  std::string operation;  // the route's operationId ("" for the routes outside the table)
  std::string variant;    // what distinguishes rows of one operation
  std::set<Kind> allowed;
  bool anyone = false;         // no identity needed: every caller, even a bad token, gets 2xx
  bool fresh_profile = false;  // allowed callers act on a profile made for the call
  std::function<Request(const Target&)> request;
};

const std::set<Kind> kSignedIn = {
    Kind::kAdmin,           Kind::kOwner,           Kind::kContributorAdmin,
    Kind::kContributorEdit, Kind::kContributorView, Kind::kOther};
const std::set<Kind> kAdminOnly = {Kind::kAdmin};
const std::set<Kind> kAdminOrOwner = {Kind::kAdmin, Kind::kOwner};
const std::set<Kind> kMembers = {Kind::kAdmin, Kind::kOwner, Kind::kContributorAdmin,
                                 Kind::kContributorEdit, Kind::kContributorView};

json kfam_binding(const std::string& user, const std::string& ns, const std::string& role) {
  return {{"user", {{"kind", "User"}, {"name", user}}},
          {"referredNamespace", ns},
          {"RoleRef", {{"kind", "ClusterRole"}, {"name", role}}}};
}

std::vector<Row> matrix() {
  auto get = [](std::string path) {
    return [path](const Target&) { return Request{"GET", path}; };
  };
  return {
      {"getOpenApi", "", {}, true, false, get("/api/v1/openapi.json")},
      {"", "/healthz", {}, true, false, get("/healthz")},
      {"", "/readyz", {}, true, false, get("/readyz")},
      {"listUsers", "", kAdminOnly, false, false, get("/api/v1/users")},
      {"getUser", "oneself", kSignedIn, false, false,
       [](const Target& t) {
         return Request{"GET", "/api/v1/users/" + t.self};
       }},
      {"getUser", "someone else", kAdminOrOwner, false, false,
       get("/api/v1/users/ann@example.com")},
      {"previewUserRemoval", "", kAdminOnly, false, false,
       get(std::string("/api/v1/users/") + kDoomed + "/removal")},
      {"createUser", "", kAdminOnly, false, false,
       [](const Target& t) {
         return Request{"POST",
                        "/api/v1/users",
                        {{"email", "new-" + t.tag + "@example.com"},
                         {"password", "password of " + t.tag},
                         {"createProfile", false}}};
       }},
      {"deleteUser", "", kAdminOnly, false, false,
       [](const Target&) {
         return Request{"DELETE", std::string("/api/v1/users/") + kDoomed, {{"confirm", kDoomed}}};
       }},
      {"setUserPassword", "", kAdminOnly, false, false,
       [](const Target& t) {
         return Request{"POST",
                        std::string("/api/v1/users/") + kReset + "/password",
                        {{"password", "new password " + t.tag}}};
       }},
      {"changeMyPassword", "", kSignedIn, false, false,
       [](const Target& t) {
         return Request{"POST",
                        "/api/v1/me/password",
                        {{"currentPassword", password_of(t.self)},
                         {"newPassword", "changed password " + t.tag}}};
       }},
      {"getMe", "", kSignedIn, false, false, get("/api/v1/me")},
      {"getDoctor", "", kAdminOnly, false, false, get("/api/v1/doctor")},
      {"listProfiles", "", kSignedIn, false, false, get("/api/v1/profiles")},
      {"getProfile", "", kMembers, false, false, get("/api/v1/profiles/ann")},
      {"createProfile", "for oneself", kSignedIn, false, false,
       [](const Target& t) {
         return Request{"POST", "/api/v1/profiles", {{"name", "own-" + t.tag}}};
       }},
      {"createProfile", "for someone else", kAdminOnly, false, false,
       [](const Target& t) {
         return Request{
             "POST", "/api/v1/profiles", {{"name", "for-" + t.tag}, {"owner", kSomeoneElse}}};
       }},
      {"deleteProfile", "", kAdminOrOwner, false, true,
       [](const Target& t) {
         return Request{"DELETE", "/api/v1/profiles/" + t.profile, {{"confirm", t.profile}}};
       }},
      {"setProfileQuota", "", kAdminOnly, false, true,
       [](const Target& t) {
         return Request{
             "PUT", "/api/v1/profiles/" + t.profile + "/quota", {{"hard", {{"cpu", "2"}}}}};
       }},
      {"clearProfileQuota", "", kAdminOnly, false, true,
       [](const Target& t) {
         return Request{"DELETE", "/api/v1/profiles/" + t.profile + "/quota"};
       }},
      {"addContributor", "", kAdminOrOwner, false, true,
       [](const Target& t) {
         return Request{"POST",
                        "/api/v1/profiles/" + t.profile + "/contributors",
                        {{"email", "new-" + t.tag + "@example.com"}, {"role", "view"}}};
       }},
      {"setContributorRole", "", kAdminOrOwner, false, true,
       [](const Target& t) {
         return Request{"PUT",
                        "/api/v1/profiles/" + t.profile + "/contributors/bob@example.com",
                        {{"role", "view"}}};
       }},
      {"removeContributor", "", kAdminOrOwner, false, true,
       [](const Target& t) {
         return Request{"DELETE",
                        "/api/v1/profiles/" + t.profile + "/contributors/bob@example.com"};
       }},
      {"transferProfile", "", kAdminOrOwner, false, true,
       [](const Target& t) {
         return Request{
             "POST", "/api/v1/profiles/" + t.profile + "/owner", {{"owner", kSomeoneElse}}};
       }},
      {"importUsers", "", kAdminOnly, false, false,
       [](const Target& t) {
         Request r{"POST", "/api/v1/import"};
         r.text = "email,password\nimp-" + t.tag + "@example.com,password of " + t.tag + "\n";
         r.content_type = "text/csv";
         return r;
       }},
      {"kfamListBindings", "", kSignedIn, false, false, get("/kfam/v1/bindings")},
      {"kfamCreateBinding", "", kAdminOrOwner, false, true,
       [](const Target& t) {
         return Request{"POST", "/kfam/v1/bindings",
                        kfam_binding("new-" + t.tag + "@example.com", t.profile, "edit")};
       }},
      {"kfamDeleteBinding", "", kAdminOrOwner, false, true,
       [](const Target& t) {
         return Request{"DELETE", "/kfam/v1/bindings",
                        kfam_binding("bob@example.com", t.profile, "edit")};
       }},
      {"kfamCreateProfile", "for oneself", kSignedIn, false, false,
       [](const Target& t) {
         return Request{"POST",
                        "/kfam/v1/profiles",
                        {{"apiVersion", "kubeflow.org/v1beta1"},
                         {"kind", "Profile"},
                         {"metadata", {{"name", "kfam-" + t.tag}}},
                         {"spec", {{"owner", {{"kind", "User"}, {"name", t.self}}}}}}};
       }},
      {"kfamCreateProfile", "for someone else", kAdminOnly, false, false,
       [](const Target& t) {
         return Request{"POST",
                        "/kfam/v1/profiles",
                        {{"apiVersion", "kubeflow.org/v1beta1"},
                         {"kind", "Profile"},
                         {"metadata", {{"name", "kfam-for-" + t.tag}}},
                         {"spec", {{"owner", {{"kind", "User"}, {"name", kSomeoneElse}}}}}}};
       }},
      {"kfamDeleteProfile", "", kAdminOrOwner, false, true,
       [](const Target& t) {
         return Request{"DELETE", "/kfam/v1/profiles/" + t.profile};
       }},
      {"kfamIsClusterAdmin", "oneself", kSignedIn, false, false,
       [](const Target& t) {
         return Request{"GET", "/kfam/v1/role/clusteradmin?user=" + t.self};
       }},
      {"kfamIsClusterAdmin", "someone else", kAdminOnly, false, false,
       get(std::string("/kfam/v1/role/clusteradmin?user=") + kSomeoneElse)},
  };
}

class AuthorizationMatrixTest : public ::testing::TestWithParam<IdentityMode> {
 protected:
  void SetUp() override {
    testserver::Options options;
    options.seed_kubeflow = true;
    options.rollout_delay = std::chrono::milliseconds(5);
    options.simulate_profile_controller = true;
    options.profile_controller_delay = std::chrono::milliseconds(5);
    HttpServerOptions http;
    http.threads = 4;
    http.identity.mode = GetParam();
    http.identity.admins = {kAdmin};
    env.review_callers = token_mode();
    ASSERT_NO_FATAL_FAILURE(env.start(
        options, [this](store::ObjectStore& store) { seed(store); },
        [this](InProcessApi& e, RouteTable& routes) {
          reads = std::make_unique<TenancyApi>(e.cache(), tenancy::TenancyContext{}, &e.cache());
          reads->add_routes(routes);
          // Enough password attempts for every caller from one address.
          writes = std::make_unique<UserWriteApi>(
              e.cache(), tenancy::TenancyContext{},
              UserWriteOptions{.bcrypt_cost = 10,
                               .contributor = {},
                               .password_attempts = std::make_shared<AttemptLimiter>(1.0, 100)});
          writes->add_routes(routes);
          profile_writes = std::make_unique<ProfileWriteApi>(e.cache(), tenancy::TenancyContext{},
                                                             reads->views());
          profile_writes->add_routes(routes);
          kfam = std::make_unique<KfamApi>(
              reads->views(), *profile_writes,
              [](std::string_view email) { return dex::normalize_email(email) == kAdmin; });
          kfam->add_routes(routes);
          imports = std::make_unique<ImportApi>(e.cache(), tenancy::TenancyContext{},
                                                ImportOptions{10, 2});
          imports->add_routes(routes);
        },
        http, kServeToken));
    api = &env.api_server();
    // The shared profile: ann's, with a contributor of each role.
    ASSERT_NO_FATAL_FAILURE(make_profile("ann"));
  }

  bool token_mode() const { return GetParam() == IdentityMode::kToken; }

  // Every person a Dex user (no profile), and in token mode a token each.
  void seed(store::ObjectStore& store) {
    ASSERT_NO_FATAL_FAILURE(grant_deploy_rbac(env.api_server(), kServeToken));
    std::vector<std::string> emails = {kDoomed, kReset};
    for (const auto& [kind, email] : kPeople) emails.push_back(email);
    for (const auto& email : emails) {
      tenancy::AddUserRequest add;
      add.email = email;
      add.password = password_of(email);
      add.bcrypt_cost = 10;
      add.create_profile = false;
      auto applied = plan::apply_plan(store, tenancy::add_user_planner({}, add), {});
      ASSERT_TRUE(applied) << email << ": " << applied.error().message;
      env.api_server().add_user_token(token_of(email), email);
    }
  }

  // The columns: each person, anonymous and, with tokens, a bad token and the header alone.
  std::vector<Caller> callers() const {
    std::vector<Caller> out;
    const std::vector<std::string> names = {
        "admin",       "owner", "admin contributor", "edit contributor", "view contributor",
        "another user"};
    for (size_t i = 0; i < kPeople.size(); ++i) {
      const auto& [kind, email] = kPeople[i];
      if (token_mode())
        out.push_back({names[i], kind, email, token_of(email), ""});
      else
        out.push_back({names[i], kind, email, "", email});
    }
    out.push_back({"anonymous", Kind::kNobody, "", "", ""});
    if (token_mode()) {
      // The header is ignored with tokens: neither an unknown token nor the header alone is
      // the administrator it names.
      out.push_back({"unknown token", Kind::kNobody, "", "not-a-token-of-anyone", kAdmin});
      out.push_back({"header, no token", Kind::kNobody, "", "", kAdmin});
    }
    return out;
  }

  InProcessApi::Answer send(const Caller& caller, const Request& request) {
    httplib::Headers headers;
    if (!caller.token.empty()) headers.emplace("Authorization", "Bearer " + caller.token);
    const std::string body = !request.text.empty()    ? request.text
                             : request.body.is_null() ? ""
                                                      : request.body.dump();
    return env.call(request.method, request.path,
                    caller.header.empty() ? nullptr : caller.header.c_str(), body,
                    request.content_type, headers);
  }

  Caller admin() const { return callers().front(); }

  // A profile owned by ann with cal (admin), bob (edit) and vic (view) as contributors, its
  // namespace made, made through the server (so that its next reads see it).
  void make_profile(const std::string& name) {
    auto made = send(
        admin(),
        {"POST", "/api/v1/profiles", {{"name", name}, {"owner", kOwner}, {"waitSeconds", 30}}});
    ASSERT_EQ(made.status, 201) << made.text;
    for (const auto& [kind, role] :
         std::vector<std::pair<Kind, std::string>>{{Kind::kContributorAdmin, "admin"},
                                                   {Kind::kContributorEdit, "edit"},
                                                   {Kind::kContributorView, "view"}}) {
      auto added = send(admin(), {"POST",
                                  "/api/v1/profiles/" + name + "/contributors",
                                  {{"email", email_of(kind)}, {"role", role}}});
      ASSERT_EQ(added.status, 201) << added.text;
    }
  }

  // The API server writes since clear_requests(), the access reviews of callers apart.
  std::vector<std::string> writes_seen() const { return writes_to(*api); }

  std::unique_ptr<TenancyApi> reads;
  std::unique_ptr<UserWriteApi> writes;
  std::unique_ptr<ProfileWriteApi> profile_writes;
  std::unique_ptr<KfamApi> kfam;
  std::unique_ptr<ImportApi> imports;
  InProcessApi env;  // destroyed first: stops the server before the APIs go
  testserver::ApiServer* api = nullptr;
};

TEST_P(AuthorizationMatrixTest, EveryEndpointForEveryCaller) {
  const std::vector<Row> rows = matrix();

  // Every operation of the OpenAPI document has a row.
  auto document = send(admin(), {"GET", "/api/v1/openapi.json"});
  ASSERT_EQ(document.status, 200);
  std::set<std::string> operations, covered;
  for (const auto& [path, methods] : document.body["paths"].items())
    for (const auto& [method, op] : methods.items()) operations.insert(op["operationId"]);
  for (const auto& row : rows)
    if (!row.operation.empty()) covered.insert(row.operation);
  std::vector<std::string> missing;
  std::set_difference(operations.begin(), operations.end(), covered.begin(), covered.end(),
                      std::back_inserter(missing));
  EXPECT_THAT(missing, ::testing::IsEmpty()) << "routes without a row in the matrix";
  ASSERT_GE(operations.size(), 27u);

  int cells = 0, fresh = 0;
  for (const auto& row : rows) {
    const std::string label =
        row.operation.empty()
            ? row.variant
            : row.operation + (row.variant.empty() ? "" : " (" + row.variant + ")");
    // Refusals first, on the shared state; then the allowed calls.
    std::vector<Caller> ordered;
    for (const auto& c : callers())
      if (!row.anyone && !row.allowed.count(c.kind)) ordered.push_back(c);
    for (const auto& c : callers())
      if (row.anyone || row.allowed.count(c.kind)) ordered.push_back(c);
    for (const auto& caller : ordered) {
      const bool allowed = row.anyone || row.allowed.count(caller.kind);
      Target target{"ann", caller.email.empty() ? kOwner : caller.email, std::to_string(++cells)};
      if (allowed && row.fresh_profile) {
        target.profile = "m-" + std::to_string(++fresh);
        ASSERT_NO_FATAL_FAILURE(make_profile(target.profile)) << label;
      }
      const Request request = row.request(target);
      api->clear_requests();
      auto answer = send(caller, request);
      const std::string where = label + " as " + caller.name + ": " + request.method + " " +
                                request.path + " -> " + answer.text.substr(0, 300);
      if (allowed) {
        EXPECT_GE(answer.status, 200) << where;
        EXPECT_LT(answer.status, 300) << where;
        continue;
      }
      EXPECT_EQ(answer.status, caller.kind == Kind::kNobody ? 401 : 403) << where;
      ASSERT_TRUE(answer.body.is_object()) << where;
      EXPECT_FALSE(answer.body.value("code", "").empty()) << where;
      EXPECT_FALSE(answer.body.value("message", "").empty()) << where;
      EXPECT_THAT(writes_seen(), ::testing::IsEmpty()) << where;
    }
  }
  EXPECT_GT(cells, 200);
}

INSTANTIATE_TEST_SUITE_P(IdentityModes, AuthorizationMatrixTest,
                         ::testing::Values(IdentityMode::kHeader, IdentityMode::kToken),
                         [](const auto& info) {
                           return info.param == IdentityMode::kHeader ? std::string("Header")
                                                                      : std::string("Token");
                         });

}  // namespace
}  // namespace kftenant::server
