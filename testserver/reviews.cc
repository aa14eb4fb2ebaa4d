// The review APIs beside SelfSubjectAccessReview (auth.cc), as kube-apiserver 1.26 serves them:
//   POST /apis/authentication.k8s.io/v1/tokenreviews
//     pkg/registry/authentication/tokenreview/storage.go: the token is authenticated as a
//     bearer token of a request would be, for spec.audiences (default: the API server's
//     audience); the answer carries status.authenticated, user, audiences or error.
//   POST /apis/authorization.k8s.io/v1/subjectaccessreviews and
//   POST /apis/authorization.k8s.io/v1/namespaces/<ns>/localsubjectaccessreviews
//     pkg/registry/authorization/{subjectaccessreview,localsubjectaccessreview}/rest.go with
//     pkg/apis/authorization/validation: the authorizer chain asked for spec.user/groups (as
//     given: system:authenticated is not added) and the attributes.
// Other methods on these paths get 405, as go-restful answers for a create-only resource.
// Messages and key order as the real server's (checked by tests/differential
// k02-access-reviews).
#include "testserver/request_body.h"
#include "testserver/server_impl.h"

namespace kftenant::testserver {
namespace {

const char kApiAudience[] = "https://kubernetes.default.svc.cluster.local";
const char kTokenReviews[] = "/apis/authentication.k8s.io/v1/tokenreviews";
const char kSubjectAccessReviews[] = "/apis/authorization.k8s.io/v1/subjectaccessreviews";
const char kSelfSubjectAccessReviews[] = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
const char kNamespacesPrefix[] = "/apis/authorization.k8s.io/v1/namespaces/";
const char kLocalSuffix[] = "/localsubjectaccessreviews";

std::vector<std::string> strings_field(const ojson& obj, const char* field) {
  std::vector<std::string> out;
  auto it = obj.find(field);
  if (it == obj.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

// Go's %q of a []string: ["a" "b"].
std::string go_quote_list(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? " " : "") + go_quote(values[i]);
  return out + "]";
}

std::vector<std::string> intersect(const std::vector<std::string>& a,
                                   const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& x : a)
    if (std::find(b.begin(), b.end(), x) != b.end()) out.push_back(x);
  return out;
}

ResourceType review_type(const char* group, const char* kind, const char* plural, bool namespaced) {
  ResourceType info;
  info.group = group;
  info.versions = {"v1"};
  info.kind = kind;
  info.plural = plural;
  info.namespaced = namespaced;
  return info;
}

}  // namespace

std::optional<Reply> ApiServer::Impl::review(const User& user, const httplib::Request& req) {
  const std::string& path = req.path;
  std::string local_ns;
  if (path.rfind(kNamespacesPrefix, 0) == 0 && path.size() > sizeof kLocalSuffix &&
      path.compare(path.size() - (sizeof kLocalSuffix - 1), std::string::npos, kLocalSuffix) == 0) {
    local_ns =
        path.substr(sizeof kNamespacesPrefix - 1,
                    path.size() - (sizeof kNamespacesPrefix - 1) - (sizeof kLocalSuffix - 1));
    if (local_ns.find('/') != std::string::npos) return std::nullopt;
  }
  const bool known = path == kTokenReviews || path == kSubjectAccessReviews ||
                     path == kSelfSubjectAccessReviews || !local_ns.empty();
  if (!known) return std::nullopt;
  if (req.method != "POST") return Reply::status_body(generic_server_response(405));
  if (path == kTokenReviews) return token_review(req);
  if (path == kSelfSubjectAccessReviews) return self_subject_access_review(user, req);
  return subject_access_review(req, local_ns);
}

Reply ApiServer::Impl::token_review(const httplib::Request& req) {
  ResourceType info = review_type("authentication.k8s.io", "TokenReview", "tokenreviews", false);
  Route route;
  route.group = info.group;
  route.version = "v1";
  route.plural = info.plural;
  Reply err;
  std::optional<ojson> body = parse_object_body(info, req, &err);
  if (!body) return err;
  if (auto bad = check_type_meta(info, route, *body)) return *bad;
  const ojson spec_in = body->value("spec", ojson::object());
  const std::string token = string_field(spec_in, "token");
  if (token.empty())
    return Reply::status_body(bad_request("token is required for TokenReview in authentication"));
  std::vector<std::string> wanted = strings_field(spec_in, "audiences");
  const bool audiences_given = !wanted.empty();
  if (!audiences_given) wanted = {kApiAudience};

  ojson status = ojson::object();
  std::optional<User> found;
  {
    std::lock_guard<std::mutex> lock(auth_mu);
    if (auto it = tokens.find(token); it != tokens.end()) found = it->second;
  }
  std::vector<std::string> audiences;
  std::string error = "invalid bearer token";
  if (found) {
    if (found->audiences.empty()) {
      // A static token is audience-agnostic: valid for the API server's own audience
      // (authenticator.WrapAudienceAgnosticToken).
      audiences = intersect({kApiAudience}, wanted);
      if (!audiences.empty()) error.clear();
    } else {
      audiences = intersect(found->audiences, wanted);
      if (audiences.empty()) {
        // The union of the token authenticators: the static one's and the service account
        // JWT authenticator's errors.
        error = "[invalid bearer token, token audiences " + go_quote_list(found->audiences) +
                " is invalid for the target audiences " + go_quote_list(wanted) + "]";
      } else {
        error.clear();
      }
    }
  }
  ojson user_info = ojson::object();
  if (error.empty()) {
    status["authenticated"] = true;
    user_info["username"] = found->name;
    if (!found->uid.empty()) user_info["uid"] = found->uid;
    ojson groups = ojson::array();
    for (const auto& g : found->groups) groups.push_back(g);
    groups.push_back("system:authenticated");
    user_info["groups"] = groups;
  }
  status["user"] = user_info;
  if (error.empty()) {
    status["audiences"] = audiences;
  } else {
    status["error"] = error;
  }
  ojson meta = ojson::object();
  if (auto m = body->find("metadata"); m != body->end() && m->is_object()) {
    if (auto name = string_field(*m, "name"); !name.empty()) meta["name"] = name;
  }
  meta["creationTimestamp"] = nullptr;
  ojson spec = ojson::object();
  spec["token"] = token;
  if (audiences_given) spec["audiences"] = spec_in["audiences"];
  ojson review = ojson::object();
  review["kind"] = info.kind;
  review["apiVersion"] = "authentication.k8s.io/v1";
  review["metadata"] = meta;
  review["spec"] = spec;
  review["status"] = status;
  return Reply::object(201, review);
}

Reply ApiServer::Impl::subject_access_review(const httplib::Request& req, const std::string& ns) {
  const bool local = !ns.empty();
  ResourceType info = local ? review_type("authorization.k8s.io", "LocalSubjectAccessReview",
                                          "localsubjectaccessreviews", true)
                            : review_type("authorization.k8s.io", "SubjectAccessReview",
                                          "subjectaccessreviews", false);
  Route route;
  route.group = info.group;
  route.version = "v1";
  route.plural = info.plural;
  route.ns = ns;
  Reply err;
  std::optional<ojson> body = parse_object_body(info, req, &err);
  if (!body) return err;
  if (auto bad = check_type_meta(info, route, *body)) return *bad;
  const ojson meta_in = body->value("metadata", ojson::object());
  if (local) {
    std::string body_ns = string_field(meta_in, "namespace");
    if (!body_ns.empty() && body_ns != ns) {
      return Reply::status_body(bad_request(
          "the namespace of the provided object does not match the namespace sent on the request"));
    }
  }
  const ojson spec_in = body->value("spec", ojson::object());
  const ojson* ra =
      spec_in.contains("resourceAttributes") && spec_in["resourceAttributes"].is_object()
          ? &spec_in["resourceAttributes"]
          : nullptr;
  const ojson* nra =
      spec_in.contains("nonResourceAttributes") && spec_in["nonResourceAttributes"].is_object()
          ? &spec_in["nonResourceAttributes"]
          : nullptr;
  const std::string user_name = string_field(spec_in, "user");
  const std::vector<std::string> groups = strings_field(spec_in, "groups");
  // field.Invalid prints the *NonResourceAttributes with %#v.
  auto nra_repr = [&] {
    return "authorization.NonResourceAttributes{Path:" + go_quote(string_field(*nra, "path")) +
           ", Verb:" + go_quote(string_field(*nra, "verb")) + "}";
  };
  std::vector<FieldError> errors;
  if (!local && ra && nra) {
    errors.push_back(
        field_invalid_raw("spec.nonResourceAttributes", nra_repr(),
                          "cannot be specified in combination with resourceAttributes"));
  }
  if (!ra && !nra) {
    errors.push_back(
        field_invalid("spec.resourceAttributes", "null",
                      "exactly one of nonResourceAttributes or resourceAttributes must "
                      "be specified"));
  }
  if (user_name.empty() && groups.empty()) {
    errors.push_back(
        field_invalid("spec.user", "", "at least one of user or group must be specified"));
  }
  if (local && ra && string_field(*ra, "namespace") != ns) {
    errors.push_back(field_invalid("spec.resourceAttributes.namespace",
                                   string_field(*ra, "namespace"),
                                   "must match metadata.namespace"));
  }
  if (local && nra) {
    errors.push_back(field_invalid_raw("spec.nonResourceAttributes", nra_repr(),
                                       "disallowed on this kind of request"));
  }
  if (!errors.empty()) {
    // The kind is the decoded object's, whose TypeMeta the decoder has cleared.
    return Reply::status_body(make_invalid_status(GroupKind{info.group, ""}, "", errors));
  }

  ojson spec = ojson::object();
  const RequestInfo asked = review_attributes(ra, nra, spec);
  // SubjectAccessReviewSpec field order: the attributes, user, groups, extra, uid.
  if (!user_name.empty()) spec["user"] = user_name;
  if (!groups.empty()) spec["groups"] = spec_in["groups"];
  if (auto extra = spec_in.find("extra");
      extra != spec_in.end() && extra->is_object() && !extra->empty()) {
    spec["extra"] = *extra;
  }
  if (auto uid = string_field(spec_in, "uid"); !uid.empty()) spec["uid"] = uid;

  User subject{user_name, groups, string_field(spec_in, "uid"), {}};
  AuthzDecision d = decide(subject, asked);
  ojson status = ojson::object();
  status["allowed"] = d.allowed;  // `denied` is only set by a Deny decision, which RBAC never makes
  if (!d.reason.empty()) status["reason"] = d.reason;
  ojson meta = ojson::object();
  if (local) meta["namespace"] = ns;
  meta["creationTimestamp"] = nullptr;
  ojson review = ojson::object();
  review["kind"] = info.kind;
  review["apiVersion"] = "authorization.k8s.io/v1";
  review["metadata"] = meta;
  review["spec"] = spec;
  review["status"] = status;
  return Reply::object(201, review);
}

}  // namespace kftenant::testserver
