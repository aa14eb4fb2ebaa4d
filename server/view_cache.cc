#include "server/view_cache.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "kftenant/dex/password_object.h"

namespace kftenant::server {
namespace {

template <typename Entry>
void sort_by_key(std::vector<Entry>& entries) {
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.key, a.text()) < std::tie(b.key, b.text());
  });
}

// A row list_users made for profiles without an owner is "(no owner)": no email to look up.
bool has_email(const tenancy::UserView& u) {
  return u.dex || (!u.profiles.empty() && !u.profiles.front().owner.empty());
}

}  // namespace

std::shared_ptr<const std::string> PageMemo::find(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = pages_.find(key);
  return it == pages_.end() ? nullptr : it->second;
}

std::shared_ptr<const std::string> PageMemo::keep(const std::string& key, std::string page) const {
  auto shared = std::make_shared<const std::string>(std::move(page));
  std::lock_guard lock(mu_);
  if (auto it = pages_.find(key); it != pages_.end()) return it->second;
  if (bytes_ + key.size() + shared->size() > kMaxBytes) return shared;
  bytes_ += key.size() + shared->size();
  pages_.emplace(key, shared);
  return shared;
}

size_t PageMemo::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::string ViewSnapshot::role_of(const std::string& email, size_t index) const {
  auto roles = roles_by_email.find(email);
  if (roles == roles_by_email.end()) return "";
  auto role = roles->second.find(index);
  return role == roles->second.end() ? "" : role->second;
}

std::shared_ptr<const ViewSnapshot> make_snapshot(std::vector<tenancy::UserView> users) {
  auto snapshot = std::make_shared<ViewSnapshot>();
  std::set<std::string> seen;
  for (auto& u : users) {
    // list_users puts each profile under its owner's row; every profile once.
    for (const auto& p : u.profiles)
      if (seen.insert(p.name).second)
        snapshot->profiles.push_back({dex::normalize_email(p.name), p, tenancy::to_json(p)});
    std::string key = dex::normalize_email(u.email);
    nlohmann::json json = tenancy::to_json(u);
    std::string serialized = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    snapshot->users.push_back(
        {std::move(key), std::move(u), std::move(json), std::move(serialized)});
  }
  sort_by_key(snapshot->users);
  sort_by_key(snapshot->profiles);
  for (size_t i = 0; i < snapshot->users.size(); ++i) {
    const auto& u = snapshot->users[i];
    if (has_email(u.view)) snapshot->user_by_email.emplace(u.key, i);
  }
  for (size_t i = 0; i < snapshot->profiles.size(); ++i) {
    const auto& p = snapshot->profiles[i].view;
    snapshot->profile_by_name.emplace(p.name, i);
    // The owner first: someone who owns a profile and is listed as its contributor owns it.
    snapshot->roles_by_email[p.owner].emplace(i, "owner");
    for (const auto& c : p.contributors)
      snapshot->roles_by_email[c.email].emplace(i, std::string(kubeflow::to_string(c.role)));
  }
  return snapshot;
}

ViewCache::ViewCache(store::ObjectStore& store, tenancy::TenancyContext context,
                     store::CachedStore* cache)
    : store_(store),
      context_(std::move(context)),
      cache_(cache),
      system_clock_(context_.clock ? nullptr : system_clock()),
      clock_(context_.clock ? *context_.clock : *system_clock_) {}

size_t ViewCache::builds() const {
  std::lock_guard lock(mu_);
  return builds_;
}

std::shared_ptr<const ViewSnapshot> ViewCache::kept_if_current() const {
  if (!kept_) return nullptr;
  // Read before the snapshot is used: a change after this shows in the next request's version.
  auto version = cache_->version();
  if (!version || *version != kept_->version) return nullptr;
  if (kept_->read_through && clock_.now() - kept_->built_at >= kReadThroughLifetime) return nullptr;
  return kept_->snapshot;
}

Result<std::shared_ptr<const ViewSnapshot>> ViewCache::current() {
  if (!cache_) return build();
  {
    std::lock_guard lock(mu_);
    if (auto kept = kept_if_current()) return kept;
  }
  // While the cache cannot say what is current nothing built is kept, so waiting for another
  // request's build would only queue the requests behind each other.
  if (!cache_->version()) return build();
  std::lock_guard building(build_mu_);
  {
    // Another request may have built it while this one waited.
    std::lock_guard lock(mu_);
    if (auto kept = kept_if_current()) return kept;
  }
  return build();
}

Result<std::shared_ptr<const ViewSnapshot>> ViewCache::build() {
  // The version before the reads: a change they miss has moved it past this already, or will.
  const std::optional<uint64_t> version = cache_ ? cache_->version() : std::nullopt;
  const size_t read_through_before = cache_ ? cache_->read_through() : 0;
  const auto started = clock_.now();
  auto users = tenancy::list_users(store_, context_);
  if (!users) return fail(users.error());
  auto snapshot = make_snapshot(std::move(*users));
  std::lock_guard lock(mu_);
  ++builds_;
  if (version)
    kept_ = Kept{snapshot, *version, cache_->read_through() != read_through_before, started};
  return snapshot;
}

}  // namespace kftenant::server
