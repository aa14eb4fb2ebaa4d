// POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token: a minimal TokenRequest, after
// kubernetes pkg/registry/core/serviceaccount/storage/token.go (Create) and
// pkg/apis/authentication/validation (expirationSeconds bounds). The token is opaque (not a JWT)
// and authenticates as system:serviceaccount:<ns>:<name>, which, like any non-master, is
// authorised for discovery only. Bound object references are not supported.
#include <chrono>
#include <ctime>
#include <random>

#include "testserver/server_impl.h"

namespace kftenant::testserver {
namespace {

std::string rfc3339_in(std::chrono::seconds from_now) {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + from_now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string opaque_token() {
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string s = "sa-";
  for (int i = 0; i < 48; ++i) s += hex[rd() % 16];
  return s;
}

}  // namespace

Reply ApiServer::Impl::do_token_request(const Route& r, const std::string& body) {
  ojson req = ojson::parse(body, nullptr, false);
  if (req.is_discarded() || !req.is_object()) {
    return Reply::status_body(bad_request("the body of the request is not a TokenRequest"));
  }
  const GroupKind kind{"authentication.k8s.io", "TokenRequest"};
  ojson meta = req.value("metadata", ojson::object());
  if (!meta.is_object()) meta = ojson::object();
  ojson spec = req.value("spec", ojson::object());
  if (!spec.is_object()) spec = ojson::object();
  // authentication/v1 defaulting: one hour.
  int64_t seconds = 3600;
  if (spec.contains("expirationSeconds")) {
    if (!spec["expirationSeconds"].is_number_integer()) {
      return Reply::status_body(bad_request("spec.expirationSeconds must be an integer"));
    }
    seconds = spec["expirationSeconds"].get<int64_t>();
  }
  std::vector<FieldError> errors;
  if (seconds < 600) {
    errors.push_back(field_invalid_raw("spec.expirationSeconds", std::to_string(seconds),
                                       "may not specify a duration less than 10 minutes"));
  } else if (seconds > (int64_t{1} << 32)) {
    errors.push_back(field_invalid_raw("spec.expirationSeconds", std::to_string(seconds),
                                       "may not specify a duration larger than 2^32 seconds"));
  }
  std::string body_name = meta.value("name", "");
  std::string body_ns = meta.value("namespace", "");
  if (!body_name.empty() && body_name != r.name) {
    errors.push_back(field_invalid("metadata.name", body_name,
                                   "must match the service account name if specified"));
  }
  if (!body_ns.empty() && body_ns != r.ns) {
    errors.push_back(field_invalid("metadata.namespace", body_ns,
                                   "must match the service account namespace if specified"));
  }
  if (!errors.empty()) return Reply::status_body(make_invalid_status(kind, body_name, errors));
  if (spec.contains("boundObjectRef") && !spec["boundObjectRef"].is_null()) {
    return Reply::status_body(
        bad_request("the test API server does not support boundObjectRef in a TokenRequest"));
  }
  const ojson* sa = store.get(r.info->group_resource(), Store::key(r.ns, r.name));
  if (!sa) return Reply::status_body(not_found(r.gr(), r.name));
  const std::string sa_uid = (*sa)["metadata"].value("uid", "");
  ojson audiences = spec.value("audiences", ojson::array());
  if (!audiences.is_array() || audiences.empty()) {
    // The API server's --api-audiences default (the service account issuer).
    audiences = ojson::array({"https://kubernetes.default.svc.cluster.local"});
  }
  std::string token = opaque_token();
  {
    std::lock_guard<std::mutex> lock(auth_mu);
    User sa_user{"system:serviceaccount:" + r.ns + ":" + r.name,
                 {"system:serviceaccounts", "system:serviceaccounts:" + r.ns},
                 sa_uid,
                 {}};
    for (const auto& a : audiences) sa_user.audiences.push_back(a.get<std::string>());
    tokens[token] = sa_user;
  }
  ojson out = ojson::object();
  out["kind"] = "TokenRequest";
  out["apiVersion"] = "authentication.k8s.io/v1";
  out["metadata"] = {{"name", r.name}, {"namespace", r.ns}, {"creationTimestamp", now_rfc3339()}};
  out["spec"] = {
      {"audiences", audiences}, {"expirationSeconds", seconds}, {"boundObjectRef", nullptr}};
  out["status"] = {{"token", token},
                   {"expirationTimestamp", rfc3339_in(std::chrono::seconds(seconds))}};
  return Reply::object(201, out);
}

}  // namespace kftenant::testserver
