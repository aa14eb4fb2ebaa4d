// Query decoding as Go's url.ParseQuery (transcript 07's set-based selector) and the core/v1
// subresources that 14-discovery lists: namespaces/finalize and serviceaccounts/token.
#include <gmock/gmock.h>

#include "server_test_util.h"
#include "testserver/query.h"

namespace kftenant::testserver::testing {
namespace {

TEST(QueryDecoding, FormEncodingLikeGo) {
  EXPECT_EQ(query_unescape("a+in+%28x%2Cy%29"), "a in (x,y)");
  EXPECT_EQ(query_unescape("%2B+%2b"), "+ +");
  EXPECT_EQ(query_unescape("%zz"), std::nullopt);
  EXPECT_EQ(query_unescape("abc%4"), std::nullopt);
  EXPECT_EQ(query_unescape("%"), std::nullopt);

  auto v = parse_query("labelSelector=a+in+(x,y)&limit=2&&limit=3&flag&x=1=2&bad=%zz&s=a;b");
  EXPECT_EQ(query_get(v, "labelSelector"), "a in (x,y)");
  EXPECT_THAT(v["limit"], ::testing::ElementsAre("2", "3"));
  EXPECT_EQ(query_get(v, "limit"), "2");  // url.Values.Get: the first value
  EXPECT_TRUE(v.count("flag"));
  EXPECT_EQ(query_get(v, "flag"), "");
  EXPECT_EQ(query_get(v, "x"), "1=2");  // split at the first '='
  EXPECT_FALSE(v.count("bad"));         // malformed escape: pair dropped
  EXPECT_FALSE(v.count("s"));           // ';' is no longer a separator: pair dropped
  EXPECT_EQ(query_get(v, "missing"), "");
  EXPECT_TRUE(parse_query("").empty());
}

using QueryServerTest = ServerTest;

std::vector<std::string> names(const json& list) {
  std::vector<std::string> out;
  for (const auto& i : list["items"]) out.push_back(i["metadata"]["name"]);
  return out;
}

TEST_F(QueryServerTest, PlusIsASpaceInEveryParameter) {
  admin->post(kCm, configmap("rec-x", {{"k", "v"}}, {{"a", "x"}}));
  admin->post(kCm, configmap("rec-y", {{"k", "v"}}, {{"a", "y"}}));
  admin->post(kCm, configmap("rec-z", {{"k", "v"}}, {{"a", "z"}}));
  // Unescaped parentheses and commas, '+' for spaces (as a form encoder writes them).
  auto set = admin->get(kCm + "?labelSelector=a+in+(x,y)");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(names(set.j()), (std::vector<std::string>{"rec-x", "rec-y"}));
  EXPECT_EQ(names(admin->get(kCm + "?labelSelector=a+notin+%28x%29,a").j()),
            (std::vector<std::string>{"rec-y", "rec-z"}));
  // fieldSelector goes through the same decoding: "metadata.name=rec-z" with a '+' inside the
  // key is no longer the known field, so the error names the decoded text.
  auto field = admin->get(kCm + "?fieldSelector=metadata.name+x%3Drec-z");
  EXPECT_EQ(field.status, 400);
  EXPECT_THAT(field.j()["message"].get<std::string>(),
              ::testing::HasSubstr("\"metadata.name x\" is not a known field selector"));
  // %2B stays a literal '+': an invalid label value, so the selector is rejected.
  EXPECT_EQ(admin->get(kCm + "?labelSelector=a%3Dx%2By").status, 400);
  // A continue token is decoded too: a token with '+' where the server wrote a space is the
  // same token (limit=1 pages through all three).
  auto page1 = admin->get(kCm + "?limit=2&labelSelector=a+in+(x,y,z)").j();
  std::string token = page1["metadata"]["continue"];
  ASSERT_FALSE(token.empty());
  auto page2 = admin->get(kCm + "?limit=2&labelSelector=a+in+(x,y,z)&continue=" + token);
  ASSERT_EQ(page2.status, 200) << page2.body;
  EXPECT_EQ(names(page2.j()), (std::vector<std::string>{"rec-z"}));
}

TEST_F(QueryServerTest, NamespaceFinalizeIsTheOnlyWayToChangeSpecFinalizers) {
  const std::string ns = "/api/v1/namespaces/rec";
  auto before = admin->get(ns).j();
  ASSERT_EQ(before["spec"]["finalizers"], json({"kubernetes"}));
  // A plain PUT keeps spec.finalizers (namespaceStrategy.PrepareForUpdate).
  json put = before;
  put["spec"]["finalizers"] = json::array();
  put["metadata"]["labels"] = {{"l", "1"}};
  auto updated = admin->put(ns, put);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.j()["spec"]["finalizers"], json({"kubernetes"}));
  EXPECT_EQ(updated.j()["metadata"]["labels"]["l"], "1");
  // PUT /finalize changes them, keeps status.
  json fin = updated.j();
  fin["spec"]["finalizers"] = json::array();
  fin["status"] = {{"phase", "Terminating"}};
  auto finalized = admin->put(ns + "/finalize", fin);
  ASSERT_EQ(finalized.status, 200) << finalized.body;
  EXPECT_EQ(finalized.j()["kind"], "Namespace");
  EXPECT_FALSE(finalized.j()["spec"].contains("finalizers") &&
               !finalized.j()["spec"]["finalizers"].empty());
  EXPECT_EQ(finalized.j()["status"]["phase"], "Active");
  // Only PUT is served there.
  auto get = admin->get(ns + "/finalize");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.j()["reason"], "MethodNotAllowed");
  EXPECT_EQ(admin->get("/api/v1/namespaces/rec-missing/finalize").status, 405);
  EXPECT_EQ(admin->put("/api/v1/namespaces/rec-missing/finalize", fin).status, 400);
}

TEST_F(QueryServerTest, ServiceAccountTokenRequest) {
  const std::string sa = "/api/v1/namespaces/rec/serviceaccounts";
  ASSERT_EQ(admin->post(sa, {{"metadata", {{"name", "rec-sa"}}}}).status, 201);
  json tr = {{"apiVersion", "authentication.k8s.io/v1"},
             {"kind", "TokenRequest"},
             {"spec", {{"expirationSeconds", 600}}}};
  auto created = admin->post(sa + "/rec-sa/token", tr);
  ASSERT_EQ(created.status, 201) << created.body;
  auto out = created.oj();
  EXPECT_EQ(out["kind"], "TokenRequest");
  EXPECT_EQ(out["apiVersion"], "authentication.k8s.io/v1");
  // Unlike most virtual resources, a TokenRequest carries a creationTimestamp (the real
  // server's; seen by tests/differential).
  EXPECT_EQ(out["metadata"]["name"], "rec-sa");
  EXPECT_EQ(out["metadata"]["namespace"], "rec");
  EXPECT_EQ(out["metadata"]["creationTimestamp"].get<std::string>().size(), 20u);
  EXPECT_EQ(
      out["spec"].dump(),
      R"({"audiences":["https://kubernetes.default.svc.cluster.local"],"expirationSeconds":600,"boundObjectRef":null})");
  std::string token = out["status"]["token"];
  EXPECT_FALSE(token.empty());
  EXPECT_EQ(out["status"]["expirationTimestamp"].get<std::string>().size(), 20u);
  // The token authenticates as the service account, which (not being a master) is forbidden.
  Client as_sa(*server, token);
  auto denied = as_sa.get(kCm);
  EXPECT_EQ(denied.status, 403);
  EXPECT_THAT(denied.j()["message"].get<std::string>(),
              ::testing::HasSubstr("User \"system:serviceaccount:rec:rec-sa\" cannot list"));

  EXPECT_EQ(admin->post(sa + "/rec-missing/token", tr).j()["message"],
            "serviceaccounts \"rec-missing\" not found");
  auto too_short = admin->post(sa + "/rec-sa/token", {{"spec", {{"expirationSeconds", 60}}}});
  EXPECT_EQ(too_short.status, 422);
  EXPECT_THAT(too_short.j()["message"].get<std::string>(),
              ::testing::HasSubstr("may not specify a duration less than 10 minutes"));
  EXPECT_EQ(admin->get(sa + "/rec-sa/token").status, 405);
}

}  // namespace
}  // namespace kftenant::testserver::testing
