#include "kftenant/tenancy/export.h"

#include <fmt/format.h>

#include <algorithm>

#include "kftenant/csv.h"
#include "kftenant/dex/password_object.h"
#include "kftenant/tenancy/user_view.h"
#include "kftenant/yaml.h"

namespace kftenant::tenancy {
namespace {

std::string format_quota(const std::map<std::string, std::string>& quota) {
  std::string out;
  for (const auto& [k, v] : quota) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

std::string yaml_string(std::string_view s) {
  // Export holds only what a store returned as JSON strings (valid UTF-8).
  auto q = yaml::quote_string(s);
  return q ? *q : std::string("\"\"");
}

std::vector<ContributorGrant> grants_of(const ProfileView& p) {
  std::vector<ContributorGrant> out;
  for (const auto& c : p.contributors) out.push_back({dex::normalize_email(c.email), c.role});
  std::sort(out.begin(), out.end(),
            [](const ContributorGrant& a, const ContributorGrant& b) { return a.email < b.email; });
  return out;
}

TenantProfile tenant_profile(const ProfileView& p, const std::string& owner) {
  TenantProfile out;
  out.name = p.name;
  out.owner = owner;
  if (!p.quota.empty()) out.quota = p.quota;
  out.contributors = grants_of(p);
  return out;
}

// The quota and contributors keys of an entry (a user's or a profile's), two-space indented.
void write_quota_and_contributors(std::string& out, const std::map<std::string, std::string>& quota,
                                  const std::vector<ContributorGrant>& contributors) {
  if (!quota.empty()) {
    out += "  quota:\n";
    for (const auto& [k, v] : quota) out += "    " + yaml_string(k) + ": " + yaml_string(v) + "\n";
  }
  if (!contributors.empty()) {
    out += "  contributors:\n";
    for (const auto& c : contributors)
      out += "  - email: " + yaml_string(c.email) +
             "\n    role: " + yaml_string(kubeflow::to_string(c.role)) + "\n";
  }
}

}  // namespace

Result<UserExport> export_users(store::ObjectStore& store, const TenancyContext& context,
                                const ExportOptions& options) {
  auto views = list_users(store, context);
  if (!views) return fail(views.error());
  std::map<std::string, const dex::DexUser*> hashes;  // normalised email → effective record
  std::vector<dex::DexAccount> accounts;
  if (options.with_hashes) {
    auto listed = dex::list_dex_accounts(store, context.dex, context.backend);
    if (!listed) return fail(listed.error());
    accounts = std::move(*listed);
    for (const auto& a : accounts)
      if (const dex::DexUser* u = a.effective_record()) hashes[a.key] = u;
  }
  UserExport out;
  for (const auto& v : *views) {
    if (v.email == "(no owner)") continue;  // a Profile without a User owner: not a user
    UserRow row;
    row.email = dex::normalize_email(v.email);
    if (v.dex && !v.dex->username.empty()) row.username = v.dex->username;
    if (v.dex && !v.dex->user_id.empty()) row.user_id = v.dex->user_id;
    row.password_spec = PasswordSpec::kNone;
    if (options.with_hashes && v.dex) {
      auto it = hashes.find(row.email);
      if (it != hashes.end() && !it->second->hash.empty()) {
        row.password_spec = PasswordSpec::kHash;
        row.hash = it->second->hash;
      } else {
        out.warnings.push_back(fmt::format(
            "{}: no hash to export (it comes from environment variable {}, a Secret)", row.email,
            it != hashes.end() ? it->second->hash_from_env : std::string("?")));
      }
    }
    std::vector<const ProfileView*> owned;
    for (const auto& p : v.profiles) owned.push_back(&p);
    std::sort(owned.begin(), owned.end(),
              [](const ProfileView* a, const ProfileView* b) { return a->name < b->name; });
    if (!owned.empty()) {
      const ProfileView& p = *owned.front();
      row.profile = p.name;
      row.quota = p.quota;
      row.contributors = grants_of(p);
      if (owned.size() > 1) {
        std::string others;
        for (size_t k = 1; k < owned.size(); ++k) {
          others += (others.empty() ? "" : ", ") + owned[k]->name;
          out.more_profiles.push_back(tenant_profile(*owned[k], row.email));
        }
        out.csv_warnings.push_back(fmt::format(
            "{} owns {} profiles, and the CSV holds one per user: {} is exported, {} not (-o "
            "yaml has them all)",
            row.email, owned.size(), p.name, others));
      }
    }
    if (!v.dex) out.without_dex_user.insert(row.email);
    out.rows.push_back(std::move(row));
  }
  std::sort(out.more_profiles.begin(), out.more_profiles.end(),
            [](const TenantProfile& a, const TenantProfile& b) { return a.name < b.name; });
  std::sort(out.rows.begin(), out.rows.end(),
            [](const UserRow& a, const UserRow& b) { return a.email < b.email; });
  return out;
}

std::string write_user_csv(const std::vector<UserRow>& rows, bool with_hashes) {
  std::vector<std::string> header = {"email", "username", "user_id", "profile"};
  if (with_hashes) header.push_back("hash");
  header.push_back("quota");
  header.push_back("contributors");
  std::string out = csv::row(header);
  for (const auto& r : rows) {
    std::vector<std::string> f = {r.email, r.username.value_or(""), r.user_id.value_or(""),
                                  r.profile.value_or("-")};
    if (with_hashes) f.push_back(r.password_spec == PasswordSpec::kHash ? r.hash : "");
    f.push_back(format_quota(r.quota));
    f.push_back(format_contributors(r.contributors));
    out += csv::row(f);
  }
  return out;
}

std::string write_user_yaml(const std::vector<UserRow>& rows, bool with_hashes) {
  std::string out = "users:";
  if (rows.empty()) return out + " []\n";
  out += "\n";
  for (const auto& r : rows) {
    out += "- email: " + yaml_string(r.email) + "\n";
    if (r.username) out += "  username: " + yaml_string(*r.username) + "\n";
    if (r.user_id) out += "  userID: " + yaml_string(*r.user_id) + "\n";
    out += "  profile: " + yaml_string(r.profile.value_or("-")) + "\n";
    if (with_hashes && r.password_spec == PasswordSpec::kHash)
      out += "  hash: " + yaml_string(r.hash) + "\n";
    write_quota_and_contributors(out, r.quota, r.contributors);
  }
  return out;
}

std::string write_tenants_yaml(const UserExport& exported, bool with_hashes) {
  std::vector<UserRow> users;
  std::vector<TenantProfile> profiles = exported.more_profiles;
  for (const auto& r : exported.rows) {
    if (!exported.without_dex_user.count(r.email)) {
      users.push_back(r);
      continue;
    }
    if (!r.profile) continue;
    TenantProfile p;
    p.name = *r.profile;
    p.owner = r.email;
    if (!r.quota.empty()) p.quota = r.quota;
    p.contributors = r.contributors;
    profiles.push_back(std::move(p));
  }
  std::sort(profiles.begin(), profiles.end(),
            [](const TenantProfile& a, const TenantProfile& b) { return a.name < b.name; });
  std::string out = fmt::format("apiVersion: {}\nkind: {}\n", kTenantsApiVersion, kTenantsKind);
  out += write_user_yaml(users, with_hashes);
  if (profiles.empty()) return out;
  out += "profiles:\n";
  for (const auto& p : profiles) {
    out += "- name: " + yaml_string(p.name) + "\n";
    out += "  owner: " + yaml_string(p.owner) + "\n";
    write_quota_and_contributors(out, p.quota.value_or(std::map<std::string, std::string>{}),
                                 p.contributors);
  }
  return out;
}

}  // namespace kftenant::tenancy
