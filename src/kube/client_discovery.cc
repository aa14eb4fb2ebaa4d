// Client::resolve and Client::serves: (apiVersion, kind) → ResourceRef via the built-in table or
// discovery.
#include <fmt/format.h>

#include "client_impl.h"
#include "kftenant/kube/client.h"

namespace kftenant::kube {
namespace {

std::optional<ResourceRef> find_kind(const std::vector<ResourceRef>& resources,
                                     std::string_view kind) {
  for (const auto& r : resources) {
    if (r.kind == kind) return r;
  }
  return std::nullopt;
}

}  // namespace

// The resources of `api_version` as discovery lists them now (and into the cache). kNotFound
// when the server does not serve the group/version at all.
Result<std::vector<ResourceRef>> Client::discover(std::string_view api_version,
                                                  const CallOptions& co) {
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
  std::lock_guard lock(impl_->mu);
  impl_->discovery_cache[std::string(api_version)] = *parsed;
  return std::move(*parsed);
}

Result<ResourceRef> Client::resolve(std::string_view api_version, std::string_view kind,
                                    const CallOptions& co) {
  if (auto builtin = find_builtin(api_version, kind)) return *builtin;
  std::vector<ResourceRef> resources;
  bool cached = false;
  {
    std::lock_guard lock(impl_->mu);
    if (auto it = impl_->discovery_cache.find(std::string(api_version));
        it != impl_->discovery_cache.end()) {
      resources = it->second;
      cached = true;
    }
  }
  if (!cached) {
    auto listed = discover(api_version, co);
    if (!listed) return fail(listed.error());
    resources = std::move(*listed);
  }
  if (auto found = find_kind(resources, kind)) return *found;
  return make_error(
      ErrorCode::kNotFound,
      fmt::format("the API server has no kind \"{}\" in apiVersion \"{}\"", kind, api_version));
}

Result<bool> Client::serves(std::string_view api_version, std::string_view kind,
                            const CallOptions& co) {
  {
    std::lock_guard lock(impl_->mu);
    if (auto it = impl_->discovery_cache.find(std::string(api_version));
        it != impl_->discovery_cache.end() && find_kind(it->second, kind)) {
      return true;
    }
  }
  auto listed = discover(api_version, co);
  if (!listed) {
    if (listed.error().code == ErrorCode::kNotFound) return false;
    return fail(listed.error());
  }
  return find_kind(*listed, kind).has_value();
}

}  // namespace kftenant::kube
