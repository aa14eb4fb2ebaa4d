// Client::resolve: (apiVersion, kind) → ResourceRef via the built-in table or discovery.
#include <fmt/format.h>

#include "client_impl.h"
#include "kftenant/kube/client.h"

namespace kftenant::kube {

Result<ResourceRef> Client::resolve(std::string_view api_version, std::string_view kind,
                                    const CallOptions& co) {
  if (auto builtin = find_builtin(api_version, kind)) return *builtin;
  const std::string key(api_version);
  std::vector<ResourceRef> resources;
  bool cached = false;
  {
    std::lock_guard lock(impl_->mu);
    if (auto it = impl_->discovery_cache.find(key); it != impl_->discovery_cache.end()) {
      resources = it->second;
      cached = true;
    }
  }
  if (!cached) {
    auto [group, version] = split_api_version(api_version);
    if (version.empty() || (!group.empty() && !validate_path_segment(group, "group")) ||
        !validate_path_segment(version, "version")) {
      return make_error(
          ErrorCode::kInvalidArgument,
          fmt::format("apiVersion \"{}\" is not of the form [group/]version", api_version));
    }
    auto doc = get_path(group_version_path(group, version), co);
    if (!doc) {
      if (doc.error().code == ErrorCode::kNotFound) {
        return make_error(ErrorCode::kNotFound,
                          fmt::format("the API server does not serve apiVersion \"{}\" (is the "
                                      "CRD installed?)",
                                      api_version));
      }
      return fail(doc.error().with_context(fmt::format("discovery of {}", api_version)));
    }
    auto parsed = parse_api_resource_list(*doc);
    if (!parsed)
      return fail(parsed.error().with_context(fmt::format("discovery of {}", api_version)));
    resources = std::move(*parsed);
    std::lock_guard lock(impl_->mu);
    impl_->discovery_cache[key] = resources;
  }
  for (const auto& r : resources) {
    if (r.kind == kind) return r;
  }
  return make_error(
      ErrorCode::kNotFound,
      fmt::format("the API server has no kind \"{}\" in apiVersion \"{}\"", kind, api_version));
}

}  // namespace kftenant::kube
