// Authentication (bearer tokens, client certificates, anonymous) and authorisation (only
// system:masters may act; discovery is open to authenticated users), with 13-auth's answers.
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "testserver/server_impl.h"

namespace kftenant::testserver {

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
      User u{id->user, id->groups};
      u.groups.push_back("system:authenticated");
      return u;
    }
  }
  return User{"system:anonymous", {"system:unauthenticated"}};
}

std::optional<Reply> ApiServer::Impl::authorize(const User& user, const std::string& verb,
                                                const Route* route, const std::string& path) const {
  if (user.is_master()) return std::nullopt;
  if (route) {
    return Reply::status_body(
        forbidden_rbac(route->gr(), route->name, user.name, verb,
                       route->info && route->info->namespaced ? route->ns : ""));
  }
  bool authenticated = user.name != "system:anonymous";
  bool public_info = path == "/version" || path == "/healthz" || path == "/livez" ||
                     path == "/readyz" || path.rfind("/version/", 0) == 0;
  bool discovery = path == "/api" || path == "/apis" || path.rfind("/api/", 0) == 0 ||
                   path.rfind("/apis/", 0) == 0 || path.rfind("/openapi", 0) == 0;
  if (public_info || (authenticated && discovery)) return std::nullopt;
  return Reply::status_body(make_status(
      403, "Forbidden",
      "forbidden: User " + go_quote(user.name) + " cannot " + verb + " path " + go_quote(path),
      StatusDetails{}));
}

Reply ApiServer::Impl::self_subject_access_review(const User& user, const ojson& body) const {
  ojson spec = body.is_object() ? body.value("spec", ojson::object()) : ojson::object();
  if (spec.contains("resourceAttributes") && spec["resourceAttributes"].is_object()) {
    ojson ordered = ojson::object();
    for (const char* f :
         {"namespace", "verb", "group", "version", "resource", "subresource", "name"}) {
      if (spec["resourceAttributes"].contains(f)) ordered[f] = spec["resourceAttributes"][f];
    }
    spec["resourceAttributes"] = ordered;
  }
  ojson review = ojson::object();
  review["kind"] = "SelfSubjectAccessReview";
  review["apiVersion"] = "authorization.k8s.io/v1";
  review["metadata"] = {{"creationTimestamp", nullptr}};
  review["spec"] = spec;
  review["status"] = {{"allowed", user.is_master()}};
  return Reply::object(201, review);
}

}  // namespace kftenant::testserver
