#include "server/tenancy_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "kftenant/dex/password_object.h"
#include "kftenant/tenancy/user_view.h"
#include "server/api_error.h"

namespace kftenant::server {
namespace {

using nlohmann::json;

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;

ApiResponse error_response(const ApiError& error) {
  return ApiResponse{error.status, to_json(error), "", ""};
}
ApiResponse error_response(const Error& error) {
  return error_response(api_error(error));
}

ApiResponse forbidden(const ApiRequest& request, std::string_view what) {
  return error_response(
      api_error(ErrorCode::kForbidden,
                fmt::format("{} may not {}: ask an administrator (kftenant serve --admin)",
                            request.caller ? request.caller->email : "the caller", what)));
}

std::string lower(std::string_view s) {
  return dex::normalize_email(s);
}

// The role `email` has in `profile`: "owner", the contributor's role, or "" for none. Byte for
// byte, as Kubeflow compares (the profile controller and KFAM).
std::string role_in(const tenancy::ProfileView& profile, const std::string& email) {
  if (profile.owner == email) return "owner";
  for (const auto& c : profile.contributors)
    if (c.email == email) return std::string(kubeflow::to_string(c.role));
  return "";
}

// One page of `items` (sorted by `key`), after `q` filtering: ?q= (substring, any case),
// ?limit= (1..1000, default 100), ?continue= (the token of the previous page).
struct Page {
  size_t begin = 0, end = 0;
  std::string next;  // "" on the last page
};

Result<int> parse_limit(const ApiRequest& request) {
  auto it = request.query.find("limit");
  if (it == request.query.end()) return kDefaultLimit;
  int limit = 0;
  const auto& text = it->second;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
  if (ec != std::errc() || ptr != text.data() + text.size() || limit < 1 || limit > kMaxLimit) {
    // A query parameter that does not parse: 400 (422 is for a body that parses but is invalid).
    Error e = make_error(ErrorCode::kBadRequest,
                         fmt::format("limit must be a whole number from 1 to {}", kMaxLimit))
                  .value();
    e.causes.push_back({"FieldValueInvalid", e.message, "limit"});
    return tl::unexpected(std::move(e));
  }
  return limit;
}

template <typename T, typename KeyOf>
Result<json> paged(const ApiRequest& request, std::vector<T> items, KeyOf key_of,
                   const std::function<json(const T&)>& to_item) {
  auto limit = parse_limit(request);
  if (!limit) return tl::unexpected(limit.error());
  if (auto q = request.query.find("q"); q != request.query.end() && !q->second.empty()) {
    const std::string needle = lower(q->second);
    std::erase_if(items, [&](const T& item) {
      return lower(key_of(item)).find(needle) == std::string::npos;
    });
  }
  std::stable_sort(items.begin(), items.end(), [&](const T& a, const T& b) {
    return std::pair(lower(key_of(a)), key_of(a)) < std::pair(lower(key_of(b)), key_of(b));
  });
  size_t begin = 0;
  if (auto c = request.query.find("continue"); c != request.query.end() && !c->second.empty()) {
    // The token is the last key of the previous page: start after it, so that an item added or
    // removed meanwhile shifts nothing.
    const auto token = std::pair(lower(c->second), c->second);
    while (begin < items.size() &&
           !(token < std::pair(lower(key_of(items[begin])), key_of(items[begin]))))
      ++begin;
  }
  const size_t end = std::min(items.size(), begin + static_cast<size_t>(*limit));
  json out = {{"items", json::array()}, {"total", items.size()}};
  for (size_t i = begin; i < end; ++i) out["items"].push_back(to_item(items[i]));
  if (end < items.size()) out["continue"] = key_of(items[end - 1]);
  return out;
}

// Every profile once (list_users puts each under its owner's row).
std::vector<tenancy::ProfileView> all_profiles(const std::vector<tenancy::UserView>& users) {
  std::vector<tenancy::ProfileView> out;
  std::set<std::string> seen;
  for (const auto& u : users)
    for (const auto& p : u.profiles)
      if (seen.insert(p.name).second) out.push_back(p);
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> kinds_read_by_requests() {
  return {{"kubeflow.org/v1", "Profile"},
          {"v1", "Namespace"},
          {"rbac.authorization.k8s.io/v1", "RoleBinding"},
          {"security.istio.io/v1beta1", "AuthorizationPolicy"},
          {"dex.coreos.com/v1", "Password"}};
}

Result<void> cache_what_requests_read(store::CachedStore& cache, store::ObjectStore& inner,
                                      const tenancy::TenancyContext& context,
                                      std::vector<std::string>* skipped) {
  for (const auto& [api_version, kind] : kinds_read_by_requests()) {
    auto served = inner.serves(api_version, kind);
    if (!served) return fail(served.error());
    if (!*served) {
      if (skipped) skipped->push_back(api_version + " " + kind);
      continue;
    }
    if (auto cached = cache.cache(api_version, kind); !cached) return cached;
  }
  if (context.dex.managed) {
    if (auto cached =
            cache.cache_object({"v1", "ConfigMap", context.dex.ns, context.dex.configmap});
        !cached)
      return cached;
  }
  return ok();
}

void TenancyApi::add_routes(RouteTable& routes) {
  const std::vector<QueryParameter> paging = {
      {"q", "only the items whose key (email, profile name) contains this, in any case"},
      {"limit", "at most this many items (1..1000, default 100)"},
      {"continue", "the `continue` of the previous page"}};
  routes.add({"GET",
              "/api/v1/users",
              "listUsers",
              "Every user: Dex users of both backends and profile owners without one, with "
              "their profiles, contributors and warnings (no password hash, ever)",
              Access::kAdmin,
              paging,
              {400, 503},
              [this](const ApiRequest& r) { return list_users(r); }});
  routes.add({"GET",
              "/api/v1/users/{email}",
              "getUser",
              "One user, as `kftenant user show -o json` prints it",
              Access::kAdminOrSelf,
              {},
              {404, 503},
              [this](const ApiRequest& r) { return get_user(r); }});
  routes.add({"GET",
              "/api/v1/profiles",
              "listProfiles",
              "The profiles the caller may see (an administrator: all; others: those they own or "
              "contribute to), each with the caller's role in it",
              Access::kSignedIn,
              paging,
              {400, 503},
              [this](const ApiRequest& r) { return list_profiles(r); }});
  routes.add({"GET",
              "/api/v1/profiles/{name}",
              "getProfile",
              "One profile: owner, quota, contributors, namespace phase",
              Access::kProfileMember,
              {},
              {404, 503},
              [this](const ApiRequest& r) { return get_profile(r); }});
  routes.add({"GET",
              "/api/v1/me",
              "getMe",
              "Who the caller is: administrator or not, their Dex user, and every profile they "
              "have a role in",
              Access::kSignedIn,
              {},
              {503},
              [this](const ApiRequest& r) { return me(r); }});
}

ApiResponse TenancyApi::list_users(const ApiRequest& request) {
  if (!request.caller->admin) return forbidden(request, "list users");
  auto users = tenancy::list_users(store_, context_);
  if (!users) return error_response(users.error());
  auto page = paged<tenancy::UserView>(
      request, std::move(*users), [](const tenancy::UserView& u) { return u.email; },
      [](const tenancy::UserView& u) { return tenancy::to_json(u); });
  if (!page) return error_response(page.error());
  return {200, std::move(*page), "", ""};
}

ApiResponse TenancyApi::get_user(const ApiRequest& request) {
  const std::string& email = request.path_params.at("email");
  // Asking for someone else is refused before looking: a 404 would tell who exists.
  if (!request.caller->admin && lower(email) != lower(request.caller->email))
    return forbidden(request, "read another user");
  auto user = tenancy::show_user(store_, context_, email);
  if (!user) return error_response(user.error());
  return {200, tenancy::to_json(*user), "", ""};
}

ApiResponse TenancyApi::list_profiles(const ApiRequest& request) {
  auto users = tenancy::list_users(store_, context_);
  if (!users) return error_response(users.error());
  auto profiles = all_profiles(*users);
  const Caller& caller = *request.caller;
  if (!caller.admin)
    std::erase_if(profiles,
                  [&](const tenancy::ProfileView& p) { return role_in(p, caller.email).empty(); });
  auto page = paged<tenancy::ProfileView>(
      request, std::move(profiles), [](const tenancy::ProfileView& p) { return p.name; },
      [&](const tenancy::ProfileView& p) {
        json item = tenancy::to_json(p);
        std::string role = role_in(p, caller.email);
        item["callerRole"] = role.empty() ? "admin" : role;
        return item;
      });
  if (!page) return error_response(page.error());
  return {200, std::move(*page), "", ""};
}

ApiResponse TenancyApi::get_profile(const ApiRequest& request) {
  const std::string& name = request.path_params.at("name");
  auto users = tenancy::list_users(store_, context_);
  if (!users) return error_response(users.error());
  const Caller& caller = *request.caller;
  for (const auto& p : all_profiles(*users)) {
    if (p.name != name) continue;
    std::string role = role_in(p, caller.email);
    if (role.empty() && !caller.admin) break;
    json out = tenancy::to_json(p);
    out["callerRole"] = role.empty() ? "admin" : role;
    return {200, std::move(out), "", ""};
  }
  // Someone who is not a member learns nothing, not even whether the profile exists.
  if (!caller.admin) return forbidden(request, fmt::format("read profile {}", name));
  return error_response(
      api_error(ErrorCode::kNotFound,
                fmt::format("profile {} not found: GET /api/v1/profiles lists them", name)));
}

ApiResponse TenancyApi::me(const ApiRequest& request) {
  const Caller& caller = *request.caller;
  auto users = tenancy::list_users(store_, context_);
  if (!users) return error_response(users.error());
  json out = {{"email", caller.email}, {"admin", caller.admin}, {"user", nullptr}};
  for (const auto& u : *users)
    if (u.dex && lower(u.email) == lower(caller.email)) out["user"] = tenancy::to_json(u);
  json profiles = json::array();
  for (const auto& p : all_profiles(*users)) {
    std::string role = role_in(p, caller.email);
    if (!role.empty()) profiles.push_back({{"name", p.name}, {"role", role}});
  }
  out["profiles"] = std::move(profiles);
  return {200, std::move(out), "", ""};
}

}  // namespace kftenant::server
