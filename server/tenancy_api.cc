#include "server/tenancy_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <optional>
#include <tuple>

#include "kftenant/dex/password_object.h"
#include "kftenant/tenancy/doctor.h"
#include "kftenant/tenancy/user_view.h"
#include "server/api_error.h"
#include "server/view_cache.h"

namespace kftenant::server {
namespace {

using nlohmann::json;

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;

ApiResponse forbidden(const ApiRequest& request, std::string_view what) {
  return error_response(
      api_error(ErrorCode::kForbidden,
                fmt::format("{} may not {}: ask an administrator (kftenant serve --admin)",
                            request.caller ? request.caller->email : "the caller", what)));
}

std::string lower(std::string_view s) {
  return dex::normalize_email(s);
}

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

// One page of `items` (in the snapshot's order: by key, then exact text), after ?q= (a
// substring of the key, any case): ?limit= (1..1000, default 100), ?continue= (the `continue`
// of the previous page: the text() of its last item).
template <typename Entry>
struct Page {
  std::vector<const Entry*> items;
  size_t total = 0;                         // after ?q=, over all pages
  std::optional<std::string> continuation;  // the next page's `continue`, if there is one
};

template <typename Entry>
Result<Page<Entry>> page_of(const ApiRequest& request, std::vector<const Entry*> items) {
  auto limit = parse_limit(request);
  if (!limit) return tl::unexpected(limit.error());
  if (auto q = request.query.find("q"); q != request.query.end() && !q->second.empty()) {
    const std::string needle = lower(q->second);
    std::erase_if(items, [&](const Entry* e) { return e->key.find(needle) == std::string::npos; });
  }
  auto begin = items.begin();
  if (auto c = request.query.find("continue"); c != request.query.end() && !c->second.empty()) {
    // Start after the token, not at an offset, so that an item added or removed meanwhile
    // shifts nothing.
    const std::string token_key = lower(c->second);
    begin = std::upper_bound(
        items.begin(), items.end(), std::tie(token_key, c->second),
        [&](const auto& token, const Entry* e) { return token < std::tie(e->key, e->text()); });
  }
  const auto end = items.end() - begin > *limit ? begin + *limit : items.end();
  Page<Entry> page;
  page.total = items.size();
  if (end != items.end()) page.continuation = (*(end - 1))->text();
  page.items.assign(begin, end);
  return page;
}

// {"continue"?, "items", "total"}: the page as a JSON object.
template <typename Entry>
Result<json> paged(const ApiRequest& request, std::vector<const Entry*> items,
                   const std::function<json(const Entry&)>& to_item) {
  auto page = page_of(request, std::move(items));
  if (!page) return tl::unexpected(page.error());
  json out = {{"items", json::array()}, {"total", page->total}};
  for (const Entry* e : page->items) out["items"].push_back(to_item(*e));
  if (page->continuation) out["continue"] = *page->continuation;
  return out;
}

// The same object as paged() would dump (its keys in nlohmann::json's sorted order), joined
// from the entries' pre-serialized JSON.
template <typename Entry>
std::string serialized_page(const Page<Entry>& page) {
  size_t size = 64;
  for (const Entry* e : page.items) size += e->serialized.size() + 1;
  std::string out;
  out.reserve(size + (page.continuation ? page.continuation->size() + 16 : 0));
  out += '{';
  if (page.continuation)
    out += "\"continue\":" +
           json(*page.continuation).dump(-1, ' ', false, json::error_handler_t::replace) + ',';
  out += "\"items\":[";
  for (size_t i = 0; i < page.items.size(); ++i) {
    if (i > 0) out += ',';
    out += page.items[i]->serialized;
  }
  out += "],\"total\":" + std::to_string(page.total) + '}';
  return out;
}

// What names a page of a listing in a snapshot's PageMemo: its parsed limit, `continue` and
// `q` as page_of reads them. None when the limit does not parse (page_of says why).
std::optional<std::string> page_key(const ApiRequest& request) {
  auto limit = parse_limit(request);
  if (!limit) return std::nullopt;
  auto value = [&](const char* name) {
    auto it = request.query.find(name);
    return it == request.query.end() ? std::string() : it->second;
  };
  // Each with its length: a decoded parameter may hold any separator.
  const std::string after = value("continue"), q = value("q");
  return fmt::format("{} {}:{} {}:{}", *limit, after.size(), after, q.size(), q);
}

template <typename Entry>
std::vector<const Entry*> all_of(const std::vector<Entry>& entries) {
  std::vector<const Entry*> out;
  out.reserve(entries.size());
  for (const auto& e : entries) out.push_back(&e);
  return out;
}

json with_caller_role(const ViewSnapshot::Profile& p, const std::string& role) {
  json item = p.json;
  item["callerRole"] = role.empty() ? "admin" : role;
  return item;
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
  routes.add({"GET",
              "/api/v1/doctor",
              "getDoctor",
              "`kftenant doctor -o json`: what the installation lacks and what is wrong with its "
              "users, profiles and contributor bindings (healthy or not, still 200; fixes are "
              "described, not run)",
              Access::kAdmin,
              {},
              {503},
              [this](const ApiRequest& r) { return doctor(r); }});
}

ApiResponse TenancyApi::doctor(const ApiRequest& request) {
  if (!request.caller->admin) return forbidden(request, "run the doctor");
  // Uncached kinds (CRDs, ClusterRoles, Dex's Deployment) are read through: a doctor run asks
  // the API server for them each time, which is what an administrator asking wants.
  const tenancy::DoctorReport report = tenancy::run_doctor(store_, context_);
  return {200, tenancy::to_json(report), "", ""};
}

ApiResponse TenancyApi::list_users(const ApiRequest& request) {
  if (!request.caller->admin) return forbidden(request, "list users");
  auto views = views_.current();
  if (!views) return error_response(views.error());
  const ViewSnapshot& snapshot = **views;
  ApiResponse answer{200, {}, "", "application/json"};
  const std::optional<std::string> key = page_key(request);
  if (key) answer.shared_text = snapshot.user_pages.find(*key);
  if (!answer.shared_text) {
    auto page = page_of<ViewSnapshot::User>(request, all_of(snapshot.users));
    if (!page) return error_response(page.error());
    answer.shared_text = key ? snapshot.user_pages.keep(*key, serialized_page(*page))
                             : std::make_shared<const std::string>(serialized_page(*page));
  }
  return answer;
}

ApiResponse TenancyApi::get_user(const ApiRequest& request) {
  const std::string& email = request.path_params.at("email");
  // Asking for someone else is refused before looking: a 404 would tell who exists.
  if (!request.caller->admin && lower(email) != lower(request.caller->email))
    return forbidden(request, "read another user");
  auto views = views_.current();
  if (views) {
    const auto& snapshot = **views;
    if (auto it = snapshot.user_by_email.find(lower(email)); it != snapshot.user_by_email.end()) {
      ApiResponse answer{200, {}, "", "application/json"};
      // The user's bytes, kept alive by the snapshot they are part of.
      answer.shared_text =
          std::shared_ptr<const std::string>(*views, &snapshot.users[it->second].serialized);
      return answer;
    }
  }
  // Not in the views (or they could not be built): show_user says why, in its own words.
  auto user = tenancy::show_user(store_, context_, email);
  if (!user) return error_response(user.error());
  return {200, tenancy::to_json(*user), "", ""};
}

ApiResponse TenancyApi::list_profiles(const ApiRequest& request) {
  auto views = views_.current();
  if (!views) return error_response(views.error());
  const ViewSnapshot& snapshot = **views;
  const Caller& caller = *request.caller;
  std::vector<const ViewSnapshot::Profile*> visible;
  if (caller.admin) {
    visible = all_of(snapshot.profiles);
  } else if (auto roles = snapshot.roles_by_email.find(caller.email);
             roles != snapshot.roles_by_email.end()) {
    for (const auto& [index, role] : roles->second) visible.push_back(&snapshot.profiles[index]);
  }
  auto page = paged<ViewSnapshot::Profile>(
      request, std::move(visible), [&](const ViewSnapshot::Profile& p) {
        return with_caller_role(p, snapshot.role_of(caller.email, &p - snapshot.profiles.data()));
      });
  if (!page) return error_response(page.error());
  return {200, std::move(*page), "", ""};
}

ApiResponse TenancyApi::get_profile(const ApiRequest& request) {
  const std::string& name = request.path_params.at("name");
  auto views = views_.current();
  if (!views) return error_response(views.error());
  const ViewSnapshot& snapshot = **views;
  const Caller& caller = *request.caller;
  if (auto it = snapshot.profile_by_name.find(name); it != snapshot.profile_by_name.end()) {
    std::string role = snapshot.role_of(caller.email, it->second);
    if (!role.empty() || caller.admin)
      return {200, with_caller_role(snapshot.profiles[it->second], role), "", ""};
  }
  // Someone who is not a member learns nothing, not even whether the profile exists.
  if (!caller.admin) return forbidden(request, fmt::format("read profile {}", name));
  return error_response(
      api_error(ErrorCode::kNotFound,
                fmt::format("profile {} not found: GET /api/v1/profiles lists them", name)));
}

ApiResponse TenancyApi::me(const ApiRequest& request) {
  const Caller& caller = *request.caller;
  auto views = views_.current();
  if (!views) return error_response(views.error());
  const ViewSnapshot& snapshot = **views;
  json out = {{"email", caller.email}, {"admin", caller.admin}, {"user", nullptr}};
  if (auto it = snapshot.user_by_email.find(lower(caller.email));
      it != snapshot.user_by_email.end() && snapshot.users[it->second].view.dex)
    out["user"] = snapshot.users[it->second].json;
  json profiles = json::array();
  if (auto roles = snapshot.roles_by_email.find(caller.email);
      roles != snapshot.roles_by_email.end())
    for (const auto& [index, role] : roles->second)
      profiles.push_back({{"name", snapshot.profiles[index].view.name}, {"role", role}});
  out["profiles"] = std::move(profiles);
  return {200, std::move(out), "", ""};
}

}  // namespace kftenant::server
