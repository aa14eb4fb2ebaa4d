#include "server/identity.h"

#include <fmt/format.h>

#include <algorithm>

#include "kftenant/dex/password_object.h"

namespace kftenant::server {

Identity::Identity(IdentityOptions options) : options_(std::move(options)) {
  for (auto& a : options_.admins) a = dex::normalize_email(a);
}

Result<Caller> Identity::identify(const HeaderLookup& header) const {
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
  const bool printable = std::all_of(id.begin(), id.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  if (id.size() > 254 || !printable || at == 0 || at == std::string_view::npos ||
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
  caller.admin = is_admin(id);
  return caller;
}

bool Identity::is_admin(std::string_view email) const {
  return std::find(options_.admins.begin(), options_.admins.end(), dex::normalize_email(email)) !=
         options_.admins.end();
}

}  // namespace kftenant::server
