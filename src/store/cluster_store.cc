#include "kftenant/store/cluster_store.h"

#include <algorithm>
#include <future>
#include <optional>

namespace kftenant::store {

std::string ClusterStore::description() const {
  return "cluster " + client_.config().server;
}

namespace {

// A 404 without a Status body ("404 page not found") means the path itself is not served: the
// kind is known to the client's table but its CRD is not installed (a missing object of a served
// kind is a Status with reason NotFound).
Error kind_not_served(const std::string& api_version, const std::string& kind, Error e) {
  e.reason = kKindNotServedReason;
  e.message = "the cluster does not serve " + kind + " (" + api_version +
              "): its CustomResourceDefinition is not installed";
  return e;
}

template <typename T>
Result<T> classified(Result<T> r, const std::string& api_version, const std::string& kind) {
  if (!r && r.error().code == ErrorCode::kNotFound && r.error().reason.empty())
    return fail(kind_not_served(api_version, kind, r.error()));
  return r;
}

}  // namespace

Result<kube::ResourceRef> ClusterStore::resolve(const std::string& api_version,
                                                const std::string& kind) {
  auto ref = client_.resolve(api_version, kind);
  if (!ref && ref.error().code == ErrorCode::kNotFound)
    return fail(kind_not_served(api_version, kind, ref.error()));
  return ref;
}

Result<std::string> ClusterStore::check_reachable() {
  auto version = client_.get_path("/version");
  if (version) return "reachable, " + version->value("gitVersion", std::string("unknown version"));
  if (version.error().code == ErrorCode::kUnauthorized) return fail(version.error());
  // Some servers do not serve /version to every user; discovery proves reachability too.
  if (auto api = client_.get_path("/api"); api) return std::string("reachable");
  return fail(version.error());
}

Result<nlohmann::json> ClusterStore::get(const ObjectKey& key) {
  auto ref = resolve(key.api_version, key.kind);
  if (!ref) return fail(ref.error());
  return classified(client_.get(*ref, ref->namespaced ? key.ns : "", key.name), key.api_version,
                    key.kind);
}

Result<std::vector<nlohmann::json>> ClusterStore::list(const std::string& api_version,
                                                       const std::string& kind,
                                                       const std::string& ns,
                                                       const std::string& label_selector) {
  auto ref = resolve(api_version, kind);
  if (!ref) return fail(ref.error());
  kube::ListOptions options;
  options.label_selector = label_selector;
  options.limit = 500;
  auto list =
      classified(client_.list_all(*ref, ref->namespaced ? ns : "", options), api_version, kind);
  if (!list) return fail(list.error());
  std::vector<nlohmann::json> items;
  if (auto it = list->find("items"); it != list->end() && it->is_array()) {
    items.reserve(it->size());
    for (auto& item : *it) {
      item["apiVersion"] = api_version;
      item["kind"] = kind;
      items.push_back(std::move(item));
    }
  }
  return items;
}

Result<nlohmann::json> ClusterStore::create(const nlohmann::json& object) {
  auto key = key_of(object);
  auto ref = resolve(key.api_version, key.kind);
  if (!ref) return fail(ref.error());
  auto created = classified(client_.create(*ref, ref->namespaced ? key.ns : "", object),
                            key.api_version, key.kind);
  if (!created) return fail(created.error());
  return std::move(created->object);
}

Result<void> ClusterStore::check_create(const nlohmann::json& object) {
  auto key = key_of(object);
  auto ref = resolve(key.api_version, key.kind);
  if (!ref) return fail(ref.error());
  kube::CreateOptions options;
  options.dry_run = true;
  auto checked = classified(client_.create(*ref, ref->namespaced ? key.ns : "", object, options),
                            key.api_version, key.kind);
  if (!checked) return fail(checked.error());
  return {};
}

Result<nlohmann::json> ClusterStore::replace(const nlohmann::json& object) {
  auto key = key_of(object);
  auto ref = resolve(key.api_version, key.kind);
  if (!ref) return fail(ref.error());
  return classified(client_.replace(*ref, ref->namespaced ? key.ns : "", object), key.api_version,
                    key.kind);
}

Result<nlohmann::json> ClusterStore::patch(const ObjectKey& key, PatchType type,
                                           const nlohmann::json& patch) {
  auto ref = resolve(key.api_version, key.kind);
  if (!ref) return fail(ref.error());
  kube::PatchOptions options;
  switch (type) {
    case PatchType::kMerge:
      options.type = kube::PatchType::kMerge;
      break;
    case PatchType::kStrategicMerge:
      options.type = kube::PatchType::kStrategicMerge;
      break;
    case PatchType::kJsonPatch:
      options.type = kube::PatchType::kJsonPatch;
      break;
  }
  return classified(client_.patch(*ref, ref->namespaced ? key.ns : "", key.name, patch, options),
                    key.api_version, key.kind);
}

Result<void> ClusterStore::remove(const ObjectKey& key,
                                  std::optional<std::string> resource_version) {
  auto ref = resolve(key.api_version, key.kind);
  if (!ref) return fail(ref.error());
  kube::DeleteOptions options;
  if (resource_version) options.precondition_resource_version = *resource_version;
  auto removed = classified(client_.remove(*ref, ref->namespaced ? key.ns : "", key.name, options),
                            key.api_version, key.kind);
  if (!removed) return fail(removed.error());
  return ok();
}

Result<std::vector<AccessRequest>> ClusterStore::denied(
    const std::vector<AccessRequest>& requests) {
  static const kube::ResourceRef kSelfSubjectAccessReviews{
      "authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false};
  struct Review {
    AccessRequest request;
    nlohmann::json body;
  };
  std::vector<Review> reviews;
  for (const auto& request : requests) {
    AccessRequest normalized = request;
    if (normalized.verb == "create") normalized.key.name.clear();  // RBAC sees no name on create
    auto ref = resolve(request.key.api_version, request.key.kind);
    if (!ref) {
      if (ref.error().code == ErrorCode::kNotFound) continue;  // the write says "not installed"
      return fail(ref.error());
    }
    normalized.resource = ref->group_resource();
    // One review per distinct question: 1,000 Profile creates are one "create profiles".
    bool asked = false;
    for (const auto& r : reviews) asked = asked || r.request == normalized;
    if (asked) continue;
    nlohmann::json attributes = {{"verb", normalized.verb},
                                 {"group", ref->group},
                                 {"version", ref->version},
                                 {"resource", ref->resource}};
    if (ref->namespaced) attributes["namespace"] = normalized.key.ns;
    if (!normalized.key.name.empty()) attributes["name"] = normalized.key.name;
    reviews.push_back({std::move(normalized),
                       {{"apiVersion", "authorization.k8s.io/v1"},
                        {"kind", "SelfSubjectAccessReview"},
                        {"spec", {{"resourceAttributes", std::move(attributes)}}}}});
  }
  // One round trip for all of them: the reviews are independent (the client is thread-safe).
  std::vector<std::future<Result<kube::CreateResult>>> answers;
  for (const auto& review : reviews)
    answers.push_back(std::async(std::launch::async, [this, &review] {
      return client_.create(kSelfSubjectAccessReviews, "", review.body);
    }));
  std::vector<AccessRequest> out;
  std::optional<Error> error;
  for (size_t i = 0; i < reviews.size(); ++i) {
    auto answer = answers[i].get();
    if (!answer) {
      if (!error) error = answer.error();
      continue;
    }
    if (!answer->object.value(nlohmann::json::json_pointer("/status/allowed"), false))
      out.push_back(reviews[i].request);
  }
  if (error) return fail(*error);
  return out;
}

}  // namespace kftenant::store
