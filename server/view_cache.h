// The tenancy views the REST API's requests read, built once and shared until the cluster
// changes.
//
// Building the view of every user lists each kind and parses Dex's config.yaml: at 1,000 users,
// built per request, it held `kftenant serve` to 113 pages/s on 2 cores (bench_serve,
// 2026-12-04), and a request needs one page of it. So the views are
// kept in a ViewSnapshot, sorted, indexed and already serialised, and rebuilt only when the
// CachedStore they were read from says something changed (CachedStore::version()): one build
// per change, however many requests. A snapshot is immutable; requests share it without a lock.
//
// Freshness is what the cache's is: a write made through this process is in the next snapshot;
// another replica's, once its watch event arrives. When a read of the build went past the cache
// (a kind the cluster does not serve, such as AuthorizationPolicy without Istio, is read through
// and could appear), the snapshot is kept for at most a second. Without a cache, or while it
// cannot answer (not synced, watch refused), every request builds its own.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kftenant/clock.h"
#include "kftenant/store/cached_store.h"
#include "kftenant/tenancy/user_view.h"

namespace kftenant::server {

// Pages of a listing as sent, kept with the snapshot they were joined from: every
// administrator's first page of users is the same bytes until something changes, and joining
// it per request was a tenth of the server's CPU (perf, bench_serve, 2026-12-07). Bounded by
// bytes; past the bound a page is joined per request, as before. Safe from several threads.
class PageMemo {
 public:
  static constexpr size_t kMaxBytes = size_t{8} << 20;

  // The page kept under `key`, or null.
  [[nodiscard]] std::shared_ptr<const std::string> find(const std::string& key) const;
  // `page`, kept under `key` unless that would pass kMaxBytes (or another thread kept it first:
  // then that one).
  std::shared_ptr<const std::string> keep(const std::string& key, std::string page) const;
  [[nodiscard]] size_t bytes() const;

 private:
  mutable std::mutex mu_;
  mutable std::map<std::string, std::shared_ptr<const std::string>> pages_;
  mutable size_t bytes_ = 0;
};

struct ViewSnapshot {
  struct User {
    std::string key;  // lower-cased email: the order and the filter
    tenancy::UserView view;
    nlohmann::json json;  // tenancy::to_json(view)
    // `json` as sent: GET /api/v1/users and /users/{email} answer with these bytes, not with a
    // copy of the tree dumped per request (bench_serve: users pages 2,374 -> 14,038+ req/s).
    std::string serialized;
    [[nodiscard]] const std::string& text() const { return view.email; }
  };
  struct Profile {
    std::string key;  // lower-cased name
    tenancy::ProfileView view;
    nlohmann::json json;  // tenancy::to_json(view), without the caller's role
    [[nodiscard]] const std::string& text() const { return view.name; }
  };
  // Ordered by (key, text()): the order of every listing, and what `continue` tokens name.
  std::vector<User> users;
  std::vector<Profile> profiles;  // every profile once
  // Dex lower-cases emails, so a user is found in any case (users[i]); a profile only by its
  // exact name, as Kubernetes names are (profiles[i]).
  std::map<std::string, size_t> user_by_email;
  std::map<std::string, size_t> profile_by_name;
  // Byte for byte, as Kubeflow compares the kubeflow-userid header with owners and contributors:
  // email → profiles[i] → "owner" or the contributor's role.
  std::map<std::string, std::map<size_t, std::string>> roles_by_email;
  // GET /api/v1/users's pages, by their query (the same for every administrator).
  PageMemo user_pages;

  // The role `email` has in profiles[index], "" for none.
  [[nodiscard]] std::string role_of(const std::string& email, size_t index) const;
};

// Sorts, indexes and serialises the views list_users returned.
[[nodiscard]] std::shared_ptr<const ViewSnapshot> make_snapshot(
    std::vector<tenancy::UserView> users);

class ViewCache {
 public:
  // `store` is read from (usually `cache` itself); `cache`, when given, says when to rebuild.
  // Both must outlive the ViewCache. Safe to call from several threads.
  ViewCache(store::ObjectStore& store, tenancy::TenancyContext context,
            store::CachedStore* cache = nullptr);

  // The views as of now: the kept snapshot while the cache's version has not moved, else built
  // anew (one thread builds; the others wait for it rather than build the same thing). The
  // error list_users gives when the views cannot be built; it is not kept.
  [[nodiscard]] Result<std::shared_ptr<const ViewSnapshot>> current();

  // Snapshots built so far (for tests and benchmarks).
  [[nodiscard]] size_t builds() const;

  // How long a snapshot whose build read past the cache is kept.
  static constexpr std::chrono::seconds kReadThroughLifetime{1};

 private:
  struct Kept {
    std::shared_ptr<const ViewSnapshot> snapshot;
    uint64_t version = 0;
    bool read_through = false;
    std::chrono::steady_clock::time_point built_at;
  };
  [[nodiscard]] std::shared_ptr<const ViewSnapshot> kept_if_current() const;  // mu_ held
  [[nodiscard]] Result<std::shared_ptr<const ViewSnapshot>> build();

  store::ObjectStore& store_;
  tenancy::TenancyContext context_;
  store::CachedStore* cache_;
  std::shared_ptr<Clock> system_clock_;
  Clock& clock_;

  mutable std::mutex mu_;  // kept_, builds_
  std::optional<Kept> kept_;
  size_t builds_ = 0;
  std::mutex build_mu_;  // one build at a time while the cache can say what is current
};

}  // namespace kftenant::server
