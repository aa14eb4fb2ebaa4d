#include "server/identity.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "kftenant/dex/password_object.h"

namespace kftenant::server {
namespace {

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

Identity::Identity(IdentityOptions options) : options_(std::move(options)) {
  for (auto& a : options_.admins) a = dex::normalize_email(a);
}

Result<Caller> Identity::identify(const HeaderLookup& header) const {
  return options_.mode == IdentityMode::kToken ? from_token(header) : from_header(header);
}

Result<Caller> Identity::from_header(const HeaderLookup& header) const {
  auto value = header(options_.userid_header);
  if (!value || value->empty())
    return make_error(ErrorCode::kUnauthorized,
                      fmt::format("no {} header: sign in through the Kubeflow dashboard (the "
                                  "ingress sets it), or send it when calling inside the mesh",
                                  options_.userid_header));
  std::string_view id = *value;
  if (!options_.userid_prefix.empty() && id.starts_with(options_.userid_prefix))
    id.remove_prefix(options_.userid_prefix.size());
  // An email: one '@' with something on both sides, printable ASCII, no blanks. Anything else
  // is a misconfigured prefix or a forged header.
  const auto at = id.find('@');
  if (id.size() > 254 || !printable_ascii(id) || at == 0 || at == std::string_view::npos ||
      at + 1 == id.size() || id.find('@', at + 1) != std::string_view::npos)
    return make_error(
        ErrorCode::kUnauthorized,
        fmt::format("the {} header does not hold an email{}: check --userid-prefix",
                    options_.userid_header,
                    options_.userid_prefix.empty()
                        ? std::string()
                        : fmt::format(" after the prefix \"{}\"", options_.userid_prefix)));
  Caller caller;
  caller.email = std::string(id);
  if (!options_.groups_header.empty()) {
    if (auto groups = header(options_.groups_header)) {
      std::string_view rest = *groups;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string group = trim(rest.substr(0, comma));
        if (!group.empty() && group.size() <= 256 && printable_ascii(group))
          caller.groups.push_back(std::move(group));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    }
  }
  auto admin = is_admin(caller.email, caller.groups);
  if (!admin) return fail(admin.error());
  caller.admin = *admin;
  return caller;
}

Result<Caller> Identity::from_token(const HeaderLookup& header) const {
  auto value = header("Authorization");
  auto unauthorized = [](std::string message) {
    return make_error(ErrorCode::kUnauthorized, std::move(message));
  };
  if (!value || value->empty())
    return unauthorized(
        "no Authorization header: send `Authorization: Bearer <token>` with a Kubernetes token "
        "(kubectl create token NAME); this server does not read kubeflow-userid (--identity "
        "token)");
  std::string_view text = *value;
  // RFC 6750: the scheme is case-insensitive; one or more spaces, then the token.
  if (text.size() < 7 ||
      !std::equal(text.begin(), text.begin() + 6, "bearer",
                  [](char a, char b) { return std::tolower(a) == b; }) ||
      text[6] != ' ')
    return unauthorized("the Authorization header is not `Bearer <token>`");
  const std::string token = trim(text.substr(7));
  if (token.empty() || token.size() > 16384 || !printable_ascii(token))
    return unauthorized("the Authorization header's bearer token is empty or malformed");
  if (!options_.reviews)
    return make_error(ErrorCode::kInternal, "token identity without a TokenReview client");
  auto user = options_.reviews->review_token(token);
  if (!user) return fail(user.error());
  std::string_view name = user->username;
  if (!options_.userid_prefix.empty() && name.starts_with(options_.userid_prefix))
    name.remove_prefix(options_.userid_prefix.size());
  Caller caller;
  caller.email = std::string(name);
  caller.groups = user->groups;
  if (listed(caller.email, caller.groups)) {
    caller.admin = true;
    return caller;
  }
  // RBAC bindings name the user as the API server does, prefix included.
  auto admin = is_admin(user->username, caller.groups);
  if (!admin) return fail(admin.error());
  caller.admin = *admin;
  return caller;
}

bool Identity::listed(std::string_view user, const std::vector<std::string>& groups) const {
  if (std::find(options_.admins.begin(), options_.admins.end(), dex::normalize_email(user)) !=
      options_.admins.end())
    return true;
  for (const auto& g : groups)
    if (std::find(options_.admin_groups.begin(), options_.admin_groups.end(), g) !=
        options_.admin_groups.end())
      return true;
  return false;
}

Result<bool> Identity::is_admin(std::string_view user,
                                const std::vector<std::string>& groups) const {
  if (listed(user, groups)) return true;
  if (!options_.reviews || !options_.rbac_admins) return false;
  return options_.reviews->may_administer(std::string(user), groups);
}

}  // namespace kftenant::server
