// What a request is, for authorization: k8s.io/apiserver pkg/endpoints/request/requestinfo.go
// (RequestInfoFactory.NewRequestInfo, 1.26) with the kube-apiserver prefixes ("api" groupless,
// "apis"). The router authorizes these attributes before it routes, as the real filter chain
// does, so a forbidden request never learns whether its resource exists.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kftenant::testserver {

struct RequestInfo {
  bool resource_request = false;
  std::string path;  // the URL path (non-resource requests are authorized by path)
  std::string verb;  // create/get/list/watch/update/patch/delete/deletecollection, proxy; or the
                     // lower-case HTTP method for non-resource requests
  std::string api_prefix, api_group, api_version;
  std::string ns, resource, subresource, name;
};

// The request's attributes; an error message when the URL cannot be understood (a special verb
// without a resource: "/api/v1/watch"), which the real server answers with a 500.
struct RequestInfoResult {
  RequestInfo info;
  std::optional<std::string> error;
};

// `raw_query` is the query string without '?' (decoded like url.ParseQuery).
[[nodiscard]] RequestInfoResult request_info(std::string_view method, std::string_view path,
                                             std::string_view raw_query);

}  // namespace kftenant::testserver
