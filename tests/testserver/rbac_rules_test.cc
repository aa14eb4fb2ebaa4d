// The pure parts of authorization: request attributes (requestinfo.go), rule matching
// (evaluation_helpers.go), the authorizer over a fixed policy, the 403 text and aggregation.
#include <gtest/gtest.h>

#include <map>

#include "testserver/rbac.h"
#include "testserver/request_info.h"
#include "testserver/role_aggregation.h"

namespace kftenant::testserver {
namespace {

RequestInfo info(const char* method, const char* path, const char* query = "") {
  auto r = request_info(method, path, query);
  EXPECT_FALSE(r.error) << path;
  return r.info;
}

TEST(RequestInfo, ResourceRequests) {
  auto get = info("GET", "/api/v1/namespaces/rec/configmaps/a");
  EXPECT_TRUE(get.resource_request);
  EXPECT_EQ(get.verb, "get");
  EXPECT_EQ(get.api_group, "");
  EXPECT_EQ(get.api_version, "v1");
  EXPECT_EQ(get.ns, "rec");
  EXPECT_EQ(get.resource, "configmaps");
  EXPECT_EQ(get.name, "a");
  EXPECT_EQ(info("GET", "/api/v1/namespaces/rec/configmaps").verb, "list");
  EXPECT_EQ(info("GET", "/api/v1/namespaces/rec/configmaps", "watch=1").verb, "watch");
  EXPECT_EQ(info("GET", "/api/v1/namespaces/rec/configmaps", "watch=false").verb, "list");
  EXPECT_EQ(info("GET", "/api/v1/namespaces/rec/configmaps", "watch=").verb, "watch");
  EXPECT_EQ(info("DELETE", "/api/v1/namespaces/rec/configmaps").verb, "deletecollection");
  EXPECT_EQ(info("POST", "/api/v1/namespaces/rec/configmaps").verb, "create");
  EXPECT_EQ(info("PATCH", "/api/v1/namespaces/rec/configmaps/a").verb, "patch");
  EXPECT_EQ(info("PUT", "/api/v1/namespaces/rec/configmaps/a").verb, "update");
  auto status = info("PUT", "/apis/apps/v1/namespaces/rec/deployments/web/status");
  EXPECT_EQ(status.api_group, "apps");
  EXPECT_EQ(status.resource, "deployments");
  EXPECT_EQ(status.subresource, "status");
  EXPECT_EQ(status.name, "web");
  // A namespace's own URLs are in that namespace, its subresources too.
  auto ns = info("GET", "/api/v1/namespaces/rec");
  EXPECT_EQ(ns.ns, "rec");
  EXPECT_EQ(ns.resource, "namespaces");
  EXPECT_EQ(ns.name, "rec");
  auto fin = info("PUT", "/api/v1/namespaces/rec/finalize");
  EXPECT_EQ(fin.ns, "rec");
  EXPECT_EQ(fin.resource, "namespaces");
  EXPECT_EQ(fin.subresource, "finalize");
  auto all = info("GET", "/api/v1/namespaces");
  EXPECT_EQ(all.ns, "");
  EXPECT_EQ(all.verb, "list");
  auto profile = info("GET", "/apis/kubeflow.org/v1/profiles/p");
  EXPECT_EQ(profile.api_group, "kubeflow.org");
  EXPECT_EQ(profile.ns, "");
  // Special verbs.
  auto watch = info("GET", "/api/v1/watch/namespaces/rec/configmaps");
  EXPECT_EQ(watch.verb, "watch");
  EXPECT_EQ(watch.ns, "rec");
  EXPECT_EQ(watch.resource, "configmaps");
  auto proxy = info("GET", "/api/v1/proxy/namespaces/rec/services/s/a/b");
  EXPECT_EQ(proxy.verb, "proxy");
  EXPECT_EQ(proxy.subresource, "");
  auto bad = request_info("GET", "/api/v1/watch", "x=1");
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(*bad.error, "unable to determine kind and namespace from url, /api/v1/watch?x=1");
}

TEST(RequestInfo, FieldSelectorOnTheNameNamesTheRequest) {
  const char* cms = "/api/v1/namespaces/rec/configmaps";
  EXPECT_EQ(info("GET", cms, "fieldSelector=metadata.name%3Da").name, "a");
  EXPECT_EQ(info("GET", cms, "watch=1&fieldSelector=metadata.name%3D%3Da").name, "a");
  EXPECT_EQ(info("GET", cms, "fieldSelector=metadata.name!%3Da").name, "");
  EXPECT_EQ(info("GET", cms, "fieldSelector=metadata.namespace%3Drec").name, "");
  // Any list option that fails to decode drops it (the verb still follows watch).
  auto bad_limit = info("GET", cms, "fieldSelector=metadata.name%3Da&limit=x&watch=true");
  EXPECT_EQ(bad_limit.name, "");
  EXPECT_EQ(bad_limit.verb, "watch");
  // With a name the delete stays a delete only for an explicit name in the path.
  EXPECT_EQ(info("DELETE", cms, "fieldSelector=metadata.name%3Da").verb, "deletecollection");
}

TEST(RequestInfo, NonResourceRequests) {
  for (const char* path : {"/", "/api", "/api/v1", "/apis", "/apis/apps", "/apis/apps/v1",
                           "/version", "/healthz", "/testserver/faults", "/foo/bar/baz"}) {
    auto i = info("GET", path);
    EXPECT_FALSE(i.resource_request) << path;
    EXPECT_EQ(i.verb, "get");
    EXPECT_EQ(i.path, path);
  }
  EXPECT_EQ(info("POST", "/testserver/faults").verb, "post");
}

ojson parse(const char* text) {
  return ojson::parse(text);
}

RequestInfo resource(const char* verb, const char* group, const char* res, const char* sub = "",
                     const char* name = "", const char* ns = "") {
  RequestInfo r;
  r.resource_request = true;
  r.verb = verb;
  r.api_group = group;
  r.resource = res;
  r.subresource = sub;
  r.name = name;
  r.ns = ns;
  return r;
}

RequestInfo path(const char* verb, const char* p) {
  RequestInfo r;
  r.verb = verb;
  r.path = p;
  return r;
}

TEST(RuleAllows, VerbsGroupsResourcesNames) {
  auto r = parse(R"({"verbs":["get"],"apiGroups":[""],"resources":["configmaps"]})");
  EXPECT_TRUE(rule_allows(resource("get", "", "configmaps"), r));
  EXPECT_FALSE(rule_allows(resource("list", "", "configmaps"), r));
  EXPECT_FALSE(rule_allows(resource("get", "apps", "configmaps"), r));
  EXPECT_FALSE(rule_allows(resource("get", "", "secrets"), r));
  EXPECT_FALSE(rule_allows(resource("get", "", "configmaps", "status"), r));
  auto all = parse(R"({"verbs":["*"],"apiGroups":["*"],"resources":["*"]})");
  EXPECT_TRUE(rule_allows(resource("escalate", "x.io", "things", "sub", "n"), all));
  auto sub = parse(R"({"verbs":["get"],"apiGroups":["apps"],"resources":["*/scale"]})");
  EXPECT_TRUE(rule_allows(resource("get", "apps", "deployments", "scale"), sub));
  EXPECT_FALSE(rule_allows(resource("get", "apps", "deployments"), sub));
  EXPECT_FALSE(rule_allows(resource("get", "apps", "deployments", "status"), sub));
  auto named = parse(
      R"({"verbs":["get","create"],"apiGroups":[""],"resources":["configmaps"],"resourceNames":["a"]})");
  EXPECT_TRUE(rule_allows(resource("get", "", "configmaps", "", "a"), named));
  EXPECT_FALSE(rule_allows(resource("get", "", "configmaps", "", "b"), named));
  EXPECT_FALSE(rule_allows(resource("create", "", "configmaps"), named));
  // A resource rule never allows a path, a path rule never a resource.
  EXPECT_FALSE(rule_allows(path("get", "/configmaps"), r));
  auto urls = parse(R"({"verbs":["get"],"nonResourceURLs":["/healthz","/apis/*"]})");
  EXPECT_TRUE(rule_allows(path("get", "/healthz"), urls));
  EXPECT_FALSE(rule_allows(path("get", "/healthz/etcd"), urls));
  EXPECT_TRUE(rule_allows(path("get", "/apis/"), urls));
  EXPECT_TRUE(rule_allows(path("get", "/apis/apps/v1"), urls));
  EXPECT_FALSE(rule_allows(path("get", "/apis"), urls));
  EXPECT_FALSE(rule_allows(path("post", "/healthz"), urls));
  EXPECT_FALSE(rule_allows(resource("get", "", "healthz"), urls));
}

// A policy over fixed objects.
class FixedPolicy : public RbacPolicy {
 public:
  std::vector<ojson> crbs;
  std::map<std::string, std::vector<ojson>> rbs;
  std::map<std::string, ojson> cluster_roles, roles;  // roles keyed "ns/name"
  std::vector<const ojson*> cluster_role_bindings() const override {
    std::vector<const ojson*> out;
    for (const auto& b : crbs) out.push_back(&b);
    return out;
  }
  std::vector<const ojson*> role_bindings(const std::string& ns) const override {
    std::vector<const ojson*> out;
    if (auto it = rbs.find(ns); it != rbs.end()) {
      for (const auto& b : it->second) out.push_back(&b);
    }
    return out;
  }
  const ojson* cluster_role(const std::string& name) const override {
    auto it = cluster_roles.find(name);
    return it == cluster_roles.end() ? nullptr : &it->second;
  }
  const ojson* role(const std::string& ns, const std::string& name) const override {
    auto it = roles.find(ns + "/" + name);
    return it == roles.end() ? nullptr : &it->second;
  }
};

TEST(RbacAuthorize, FirstAllowingBindingIsTheReason) {
  FixedPolicy p;
  p.cluster_roles["reader"] = parse(
      R"({"metadata":{"name":"reader"},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]})");
  p.roles["rec/writer"] = parse(
      R"({"metadata":{"name":"writer"},"rules":[{"verbs":["create"],"apiGroups":[""],"resources":["pods"]}]})");
  p.crbs.push_back(parse(R"({"metadata":{"name":"sa-read"},
    "subjects":[{"kind":"User","name":"x"},{"kind":"ServiceAccount","name":"bot","namespace":"ops"}],
    "roleRef":{"kind":"ClusterRole","name":"reader"}})"));
  p.rbs["rec"].push_back(parse(R"({"metadata":{"name":"bots"},
    "subjects":[{"kind":"ServiceAccount","name":"bot"}],
    "roleRef":{"kind":"Role","name":"writer"}})"));
  UserInfo bot{"system:serviceaccount:ops:bot", {"system:serviceaccounts"}};
  auto d = rbac_authorize(p, bot, resource("get", "", "pods", "", "", "rec"));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason,
            "RBAC: allowed by ClusterRoleBinding \"sa-read\" of ClusterRole \"reader\" to "
            "ServiceAccount \"bot/ops\"");
  // The RoleBinding's namespace-less ServiceAccount subject is rec's bot, not ops's.
  EXPECT_FALSE(rbac_authorize(p, bot, resource("create", "", "pods", "", "", "rec")).allowed);
  UserInfo rec_bot{"system:serviceaccount:rec:bot", {}};
  d = rbac_authorize(p, rec_bot, resource("create", "", "pods", "", "", "rec"));
  EXPECT_EQ(d.reason,
            "RBAC: allowed by RoleBinding \"bots/rec\" of Role \"writer\" to ServiceAccount "
            "\"bot/rec\"");
  d = rbac_authorize(p, rec_bot, resource("create", "", "pods", "", "", "other"));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "");
  // Errors of applying bindings are the denied reason, de-duplicated.
  p.rbs["rec"].push_back(parse(
      R"({"metadata":{"name":"g1"},"subjects":[{"kind":"Group","name":"g"}],"roleRef":{"kind":"Role","name":"gone"}})"));
  p.rbs["rec"].push_back(parse(
      R"({"metadata":{"name":"g2"},"subjects":[{"kind":"Group","name":"g"}],"roleRef":{"kind":"Role","name":"gone"}})"));
  d = rbac_authorize(p, UserInfo{"y", {"g"}}, resource("get", "", "secrets", "", "", "rec"));
  EXPECT_EQ(d.reason, "RBAC: role.rbac.authorization.k8s.io \"gone\" not found");
  auto rules = rbac_rules_for(p, UserInfo{"x", {}}, "");
  ASSERT_EQ(rules.rules.size(), 1u);
  EXPECT_EQ(rules.errors, "");
}

TEST(ForbiddenRequest, MessagesAsTheRealServer) {
  EXPECT_EQ(
      forbidden_request(resource("list", "", "namespaces"), "alice", "").dump(),
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces is forbidden: User \"alice\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope","reason":"Forbidden","details":{"kind":"namespaces"},"code":403})");
  EXPECT_EQ(
      forbidden_request(resource("get", "kubeflow.org", "profiles", "", "p"), "alice", "").dump(),
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"profiles.kubeflow.org \"p\" is forbidden: User \"alice\" cannot get resource \"profiles\" in API group \"kubeflow.org\" at the cluster scope","reason":"Forbidden","details":{"name":"p","group":"kubeflow.org","kind":"profiles"},"code":403})");
  EXPECT_EQ(forbidden_request(resource("update", "apps", "deployments", "status", "w", "rec"),
                              "alice", "RBAC: x")["message"],
            "deployments.apps \"w\" is forbidden: User \"alice\" cannot update resource "
            "\"deployments/status\" in API group \"apps\" in the namespace \"rec\": RBAC: x");
  EXPECT_EQ(forbidden_request(path("get", "/<x>&"), "a<b", "<r>")["message"],
            "forbidden: User \"a&lt;b\" cannot get path \"/&lt;x&gt;&amp;\": <r>");
}

TEST(RoleAggregation, UnionInSelectorThenNameOrder) {
  ojson agg = parse(R"({"metadata":{"name":"agg"},"aggregationRule":{"clusterRoleSelectors":[
      {"matchLabels":{"x":"1"}},{"matchExpressions":[{"key":"y","operator":"Exists"}]}]}})");
  ojson b = parse(R"({"metadata":{"name":"b","labels":{"x":"1"}},"rules":[{"verbs":["get"]}]})");
  ojson a = parse(
      R"({"metadata":{"name":"a","labels":{"x":"1","y":""}},"rules":[{"verbs":["list"]},{"verbs":["get"],"apiGroups":[]}]})");
  ojson c = parse(R"({"metadata":{"name":"c","labels":{"y":"2"}},"rules":[{"verbs":["watch"]}]})");
  ojson self =
      parse(R"({"metadata":{"name":"agg","labels":{"x":"1"}},"rules":[{"verbs":["delete"]}]})");
  auto rules = aggregated_rules(agg, {&a, &self, &b, &c});
  ASSERT_TRUE(rules);
  // a's rules, b's (its get equals a's second: an empty list is no list), then c's.
  EXPECT_EQ(rules->dump(),
            R"([{"verbs":["list"]},{"verbs":["get"],"apiGroups":[]},{"verbs":["watch"]}])");
  EXPECT_FALSE(aggregated_rules(b, {&a, &b}));  // not aggregated
  ojson bad = parse(R"({"metadata":{"name":"bad"},"aggregationRule":{"clusterRoleSelectors":[
      {"matchExpressions":[{"key":"y","operator":"Gt"}]}]}})");
  EXPECT_FALSE(aggregated_rules(bad, {&a}));
  EXPECT_TRUE(same_rules(parse("null"), parse("[]")));
  EXPECT_FALSE(same_rules(parse(R"([{"verbs":["get"]}])"), parse("[]")));
  EXPECT_EQ(label_selector_matches(parse("{}"), parse("{}")), true);
  EXPECT_EQ(label_selector_matches(
                parse(R"({"matchExpressions":[{"key":"k","operator":"NotIn","values":["v"]}]})"),
                parse(R"({"k":"v"})")),
            false);
  EXPECT_EQ(label_selector_matches(
                parse(R"({"matchExpressions":[{"key":"k","operator":"DoesNotExist"}]})"),
                parse(R"({"j":"v"})")),
            true);
}

}  // namespace
}  // namespace kftenant::testserver
