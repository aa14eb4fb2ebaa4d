#include "server/access_review.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>

#include "kftenant/kube/client.h"

namespace kftenant::server {
namespace {

const kube::ResourceRef kTokenReviews{"authentication.k8s.io", "v1", "tokenreviews", "TokenReview",
                                      false};
const kube::ResourceRef kSubjectAccessReviews{"authorization.k8s.io", "v1", "subjectaccessreviews",
                                              "SubjectAccessReview", false};

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned int i = 0; i < size; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

// The server's own account refused the review: the operator's to fix, not the caller's.
Error own_account_error(Error e, std::string_view what) {
  if (e.code == ErrorCode::kForbidden || e.code == ErrorCode::kUnauthorized) {
    e.code = ErrorCode::kConfig;
    e.message = fmt::format(
        "the API server refused kftenant serve's own account a {} (grant its ServiceAccount "
        "`create` on {}, as deploy/serve does): {}",
        what, what == "TokenReview" ? "tokenreviews" : "subjectaccessreviews", e.message);
  }
  return e;
}

}  // namespace

ClusterAccessReviews::ClusterAccessReviews(kube::Client& client, std::shared_ptr<Clock> clock)
    : ClusterAccessReviews(client, std::move(clock), CacheOptions{}) {}

ClusterAccessReviews::ClusterAccessReviews(kube::Client& client, std::shared_ptr<Clock> clock,
                                           CacheOptions cache)
    : client_(client), clock_(std::move(clock)), cache_options_(cache) {}

const ClusterAccessReviews::Entry* ClusterAccessReviews::cached(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.expires <= clock_->now()) return nullptr;
  return &it->second;
}

void ClusterAccessReviews::remember(const std::string& key, Entry entry) {
  if (entries_.size() >= cache_options_.max_entries) {
    const auto now = clock_->now();
    std::erase_if(entries_, [now](const auto& e) { return e.second.expires <= now; });
    if (entries_.size() >= cache_options_.max_entries) entries_.clear();
  }
  entries_.insert_or_assign(key, std::move(entry));
}

Result<TokenUser> ClusterAccessReviews::review_token(std::string_view token) {
  const std::string key = "t:" + sha256_hex(token);
  auto answer = [](const Entry& e) -> Result<TokenUser> {
    if (e.allowed) return e.user;
    return make_error(ErrorCode::kUnauthorized, e.message);
  };
  {
    std::lock_guard lock(mu_);
    if (const Entry* e = cached(key)) return answer(*e);
  }
  // No spec.audiences: the API server's own, which is what `kubectl create token` and a
  // projected ServiceAccount token carry.
  nlohmann::json review = {{"apiVersion", "authentication.k8s.io/v1"},
                           {"kind", "TokenReview"},
                           {"spec", {{"token", std::string(token)}}}};
  auto created = client_.create(kTokenReviews, "", review);
  if (!created) return fail(own_account_error(created.error(), "TokenReview"));
  const nlohmann::json status = created->object.value("status", nlohmann::json::object());
  Entry entry;
  if (status.value("authenticated", false)) {
    const nlohmann::json user = status.value("user", nlohmann::json::object());
    entry.user.username = user.value("username", "");
    for (const auto& g : user.value("groups", nlohmann::json::array()))
      if (g.is_string()) entry.user.groups.push_back(g.get<std::string>());
    entry.allowed = !entry.user.username.empty();
  }
  if (!entry.allowed) {
    // The API server's reason ("invalid bearer token", audiences) names no part of the token.
    const std::string why = status.value("error", "");
    entry.message = fmt::format(
        "the bearer token was not accepted by the API server{}: send a current Kubernetes token "
        "(kubectl create token NAME)",
        why.empty() ? std::string() : fmt::format(" ({})", why.substr(0, 200)));
  }
  entry.expires =
      clock_->now() + (entry.allowed ? cache_options_.allowed_ttl : cache_options_.denied_ttl);
  std::lock_guard lock(mu_);
  remember(key, entry);
  return answer(entry);
}

Result<bool> ClusterAccessReviews::may_administer(const std::string& user,
                                                  const std::vector<std::string>& groups) {
  std::vector<std::string> sorted = groups;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  // '\n' cannot be in a username or group the API server accepts, so keys cannot collide.
  const std::string key = fmt::format("a:{}\n{}", user, fmt::join(sorted, "\n"));
  {
    std::lock_guard lock(mu_);
    if (const Entry* e = cached(key)) return e->allowed;
  }
  nlohmann::json review = {
      {"apiVersion", "authorization.k8s.io/v1"},
      {"kind", "SubjectAccessReview"},
      {"spec",
       {{"user", user},
        {"groups", sorted},
        {"resourceAttributes",
         {{"verb", "update"}, {"group", "kubeflow.org"}, {"resource", "profiles"}}}}}};
  auto created = client_.create(kSubjectAccessReviews, "", review);
  if (!created) return fail(own_account_error(created.error(), "SubjectAccessReview"));
  Entry entry;
  entry.allowed = created->object.value(nlohmann::json::json_pointer("/status/allowed"), false);
  entry.expires =
      clock_->now() + (entry.allowed ? cache_options_.allowed_ttl : cache_options_.denied_ttl);
  std::lock_guard lock(mu_);
  remember(key, entry);
  return entry.allowed;
}

}  // namespace kftenant::server
