#include "user_output.h"

#include <fmt/format.h>

#include "output.h"

namespace kftenant::cli {
namespace {

std::string join_quota(const std::map<std::string, std::string>& quota) {
  std::string out;
  for (const auto& [k, v] : quota) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out.empty() ? "-" : out;
}

std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

}  // namespace

std::string render_user_table(const std::vector<tenancy::UserView>& users) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& u : users) {
    std::string backend = u.dex ? std::string(dex::to_string(u.dex->backend)) : "-";
    std::string username = u.dex ? or_dash(u.dex->username) : "-";
    std::string warnings = u.warnings.empty() ? "" : join(u.warnings, "; ");
    if (u.profiles.empty()) {
      rows.push_back({u.email, backend, username, "-", "-", "-", "-", warnings});
      continue;
    }
    for (const auto& p : u.profiles) {
      std::vector<std::string> contributors;
      for (const auto& c : p.contributors)
        contributors.push_back(c.email + "(" + std::string(kubeflow::to_string(c.role)) + ")");
      rows.push_back({u.email, backend, username, p.name, or_dash(p.namespace_phase),
                      join_quota(p.quota), contributors.empty() ? "-" : join(contributors, ","),
                      warnings});
    }
  }
  return render_table(
      {"EMAIL", "BACKEND", "USERNAME", "PROFILE", "NAMESPACE", "QUOTA", "CONTRIBUTORS", "WARNINGS"},
      rows);
}

std::string render_user_details(const tenancy::UserView& u) {
  std::string out = fmt::format("Email:     {}\n", u.email);
  if (u.dex) {
    out += fmt::format("Backend:   {} ({})\n", dex::to_string(u.dex->backend), u.dex->location);
    out += fmt::format("Username:  {}\n", or_dash(u.dex->username));
    out += fmt::format("User ID:   {}\n", or_dash(u.dex->user_id));
    const std::string& source = u.dex->hash_source;
    out +=
        fmt::format("Password:  {}\n", source == "inline" ? std::string("bcrypt hash stored inline")
                                       : source.starts_with("env:")
                                           ? "hash from environment variable " + source.substr(4)
                                           : std::string("no hash: Dex cannot log this "
                                                         "user in"));
  } else {
    out += "Backend:   - (no Dex user)\n";
  }
  for (const auto& p : u.profiles) {
    out += fmt::format("Profile:   {}\n", p.name);
    if (!p.namespace_phase.empty()) out += fmt::format("  Namespace:    {}\n", p.namespace_phase);
    out += fmt::format("  Quota:        {}\n", join_quota(p.quota));
    if (p.contributors.empty()) out += "  Contributors: -\n";
    for (const auto& c : p.contributors)
      out += fmt::format("  Contributor:  {} ({}){}\n", c.email, kubeflow::to_string(c.role),
                         c.has_policy ? "" : " [AuthorizationPolicy missing]");
  }
  for (const auto& w : u.warnings) out += fmt::format("Warning:   {}\n", w);
  return out;
}

}  // namespace kftenant::cli
