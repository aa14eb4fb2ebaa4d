// Authentication (bearer tokens, client certificates, anonymous) and authorization: the
// privileged-group authorizer (system:masters may do anything) in front of RBAC over the stored
// Roles, ClusterRoles and bindings (rbac.h), as kube-apiserver 1.26 builds its authorizer chain
// (pkg/kubeapiserver/authorizer/config.go), and the SelfSubjectAccessReview that asks it.
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "testserver/request_body.h"
#include "testserver/server_impl.h"

namespace kftenant::testserver {
namespace {

const char kRbacGroup[] = "rbac.authorization.k8s.io";

// The stored RBAC objects, for the authorizer (store lock held).
class StoreRbacPolicy : public RbacPolicy {
 public:
  explicit StoreRbacPolicy(const Store& store) : store_(store) {}
  std::vector<const ojson*> cluster_role_bindings() const override {
    return objects(std::string("clusterrolebindings.") + kRbacGroup, "");
  }
  std::vector<const ojson*> role_bindings(const std::string& ns) const override {
    return objects(std::string("rolebindings.") + kRbacGroup, ns + "/");
  }
  const ojson* cluster_role(const std::string& name) const override {
    return store_.get(std::string("clusterroles.") + kRbacGroup, Store::key("", name));
  }
  const ojson* role(const std::string& ns, const std::string& name) const override {
    if (ns.empty()) return nullptr;
    return store_.get(std::string("roles.") + kRbacGroup, Store::key(ns, name));
  }

 private:
  std::vector<const ojson*> objects(const std::string& gr, const std::string& prefix) const {
    std::vector<const ojson*> out;
    for (const auto& [key, obj] : store_.list(gr, prefix)) out.push_back(obj);
    return out;
  }
  const Store& store_;
};

// The spec as the real server echoes it: struct field order, empty strings omitted.
ojson ordered_attributes(const ojson& in, std::initializer_list<const char*> fields) {
  ojson out = ojson::object();
  for (const char* f : fields) {
    std::string v = string_field(in, f);
    if (!v.empty()) out[f] = v;
  }
  return out;
}

}  // namespace

std::string string_field(const ojson& obj, const char* field) {
  auto it = obj.find(field);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

RequestInfo review_attributes(const ojson* resource_attributes,
                              const ojson* non_resource_attributes, ojson& spec) {
  RequestInfo asked;
  if (const ojson* ra = resource_attributes) {
    asked.resource_request = true;
    asked.ns = string_field(*ra, "namespace");
    asked.verb = string_field(*ra, "verb");
    asked.api_group = string_field(*ra, "group");
    asked.api_version = string_field(*ra, "version");
    asked.resource = string_field(*ra, "resource");
    asked.subresource = string_field(*ra, "subresource");
    asked.name = string_field(*ra, "name");
    spec["resourceAttributes"] = ordered_attributes(
        *ra, {"namespace", "verb", "group", "version", "resource", "subresource", "name"});
  } else if (const ojson* nra = non_resource_attributes) {
    asked.path = string_field(*nra, "path");
    asked.verb = string_field(*nra, "verb");
    spec["nonResourceAttributes"] = ordered_attributes(*nra, {"path", "verb"});
  }
  return asked;
}

bool User::is_master() const {
  return std::find(groups.begin(), groups.end(), "system:masters") != groups.end();
}

std::optional<User> ApiServer::Impl::authenticate(const httplib::Request& req) const {
  std::string authz = req.get_header_value("Authorization");
  if (authz.size() > 7 && (authz.rfind("Bearer ", 0) == 0 || authz.rfind("bearer ", 0) == 0)) {
    std::string token = authz.substr(7);
    while (!token.empty() && token.front() == ' ') token.erase(0, 1);
    std::lock_guard<std::mutex> lock(auth_mu);
    auto it = tokens.find(token);
    if (it == tokens.end()) return std::nullopt;
    User u = it->second;
    u.groups.push_back("system:authenticated");
    return u;
  }
  if (req.ssl) {
    X509* peer = SSL_get1_peer_certificate(const_cast<SSL*>(req.ssl));
    if (peer) {
      auto id = verify_client_certificate(peer, client_ca.cert_pem);
      X509_free(peer);
      if (!id) return std::nullopt;
      User u{id->user, id->groups, "", {}};
      u.groups.push_back("system:authenticated");
      return u;
    }
  }
  return User{"system:anonymous", {"system:unauthenticated"}, "", {}};
}

std::unique_ptr<RbacPolicy> ApiServer::Impl::store_rbac_policy() const {
  return std::make_unique<StoreRbacPolicy>(store);
}

AuthzDecision ApiServer::Impl::decide_locked(const User& user, const RequestInfo& request) const {
  // authorizerfactory.NewPrivilegedGroups(system:masters): allowed, no reason, before RBAC.
  if (user.is_master()) return AuthzDecision{true, ""};
  return rbac_authorize(StoreRbacPolicy(store), UserInfo{user.name, user.groups}, request);
}

AuthzDecision ApiServer::Impl::decide(const User& user, const RequestInfo& request) {
  if (user.is_master()) return AuthzDecision{true, ""};
  auto lock = store.lock();
  return decide_locked(user, request);
}

std::optional<Reply> ApiServer::Impl::authorize(const User& user, const RequestInfo& request) {
  AuthzDecision d = decide(user, request);
  if (d.allowed) return std::nullopt;
  return Reply::status_body(forbidden_request(request, user.name, d.reason));
}

// pkg/registry/authorization/selfsubjectaccessreview/rest.go Create, with
// pkg/apis/authorization/validation ValidateSelfSubjectAccessReviewSpec and
// pkg/registry/authorization/util ResourceAttributesFrom / NonResourceAttributesFrom.
Reply ApiServer::Impl::self_subject_access_review(const User& user, const httplib::Request& req) {
  ResourceType info;
  info.group = "authorization.k8s.io";
  info.versions = {"v1"};
  info.kind = "SelfSubjectAccessReview";
  info.plural = "selfsubjectaccessreviews";
  info.namespaced = false;
  Route route;
  route.group = info.group;
  route.version = "v1";
  route.plural = info.plural;
  Reply err;
  std::optional<ojson> body = parse_object_body(info, req, &err);
  if (!body) return err;
  if (auto bad = check_type_meta(info, route, *body)) return *bad;
  const ojson spec_in = body->value("spec", ojson::object());
  const ojson* ra =
      spec_in.contains("resourceAttributes") && spec_in["resourceAttributes"].is_object()
          ? &spec_in["resourceAttributes"]
          : nullptr;
  const ojson* nra =
      spec_in.contains("nonResourceAttributes") && spec_in["nonResourceAttributes"].is_object()
          ? &spec_in["nonResourceAttributes"]
          : nullptr;
  // The validation error names the kind of the decoded object, whose TypeMeta the decoder has
  // already cleared: ".authorization.k8s.io \"\" is invalid" (seen by tests/differential).
  GroupKind kind{info.group, ""};
  if (ra && nra) {
    // field.Invalid prints the *NonResourceAttributes with %#v.
    std::string repr =
        "authorization.NonResourceAttributes{Path:" + go_quote(string_field(*nra, "path")) +
        ", Verb:" + go_quote(string_field(*nra, "verb")) + "}";
    return Reply::status_body(make_invalid_status(
        kind, "",
        {field_invalid_raw("spec.nonResourceAttributes", repr,
                           "cannot be specified in combination with resourceAttributes")}));
  }
  if (!ra && !nra) {
    return Reply::status_body(make_invalid_status(
        kind, "",
        {field_invalid("spec.resourceAttributes", "null",
                       "exactly one of nonResourceAttributes or resourceAttributes must be "
                       "specified")}));
  }
  ojson spec = ojson::object();
  const RequestInfo asked = review_attributes(ra, nra, spec);
  AuthzDecision d = decide(user, asked);
  ojson status = ojson::object();
  status["allowed"] = d.allowed;  // `denied` is only set by a Deny decision, which RBAC never makes
  if (!d.reason.empty()) status["reason"] = d.reason;
  ojson review = ojson::object();
  review["kind"] = info.kind;
  review["apiVersion"] = "authorization.k8s.io/v1";
  review["metadata"] = {{"creationTimestamp", nullptr}};
  review["spec"] = spec;
  review["status"] = status;
  return Reply::object(201, review);
}

}  // namespace kftenant::testserver
