// The verbs: get, list, list_all, create, replace, replace_status, patch, remove,
// read_modify_write.
#include <fmt/format.h>

#include "client_impl.h"
#include "kftenant/kube/client.h"
#include "kftenant/kube/status_error.h"

namespace kftenant::kube {
namespace {

using nlohmann::json;

// metadata.<key> as a string, or "".
std::string meta_string(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  auto it = meta->find(key);
  return it != meta->end() && it->is_string() ? it->get<std::string>() : "";
}

std::string describe(const ResourceRef& ref, std::string_view ns, std::string_view name) {
  if (ref.namespaced && !ns.empty()) {
    return fmt::format("{} \"{}\" in namespace \"{}\"", ref.group_resource(), name, ns);
  }
  return fmt::format("{} \"{}\"", ref.group_resource(), name);
}

bool is_2xx(const HttpResponse& r) {
  return r.status >= 200 && r.status < 300;
}

using detail::Call;

}  // namespace

Result<std::string> Client::Impl::namespace_for(const ResourceRef& ref, std::string_view ns,
                                                const json* object) {
  if (!ref.namespaced) return std::string();
  std::string from_object = object ? meta_string(*object, "namespace") : "";
  if (!ns.empty() && !from_object.empty() && from_object != ns) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("the object's metadata.namespace \"{}\" differs from the "
                                  "namespace \"{}\" it is sent to",
                                  from_object, ns));
  }
  std::string result = !ns.empty() ? std::string(ns) : from_object;
  if (result.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{} are namespaced: give a namespace", ref.group_resource()));
  }
  if (auto v = validate_path_segment(result, "namespace"); !v) return tl::unexpected(v.error());
  return result;
}

Result<json> Client::get(const ResourceRef& ref, std::string_view ns, std::string_view name,
                         const CallOptions& co) {
  auto n = Impl::namespace_for(ref, ns, nullptr);
  if (!n) return tl::unexpected(n.error());
  if (auto v = validate_path_segment(name, "name"); !v) return tl::unexpected(v.error());
  Call call;
  call.method = "GET";
  call.path = object_path(ref, *n, name);
  call.idempotent = true;
  return impl_->execute_json(call, co);
}

Result<json> Client::list(const ResourceRef& ref, std::string_view ns, const ListOptions& options,
                          const CallOptions& co) {
  return impl_->list(ref, ns, options, co, /*watch_budget=*/false);
}

Result<json> Client::Impl::list(const ResourceRef& ref, std::string_view ns,
                                const ListOptions& options, const CallOptions& co,
                                bool watch_budget) {
  if (ref.namespaced && !ns.empty()) {
    if (auto v = validate_path_segment(ns, "namespace"); !v) return tl::unexpected(v.error());
  }
  Query q;
  q.add_if("labelSelector", options.label_selector);
  q.add_if("fieldSelector", options.field_selector);
  if (options.limit > 0) q.add("limit", std::to_string(options.limit));
  q.add_if("continue", options.continue_token);
  // The server refuses resourceVersion next to continue (except "0"): the token pins it.
  if (options.continue_token.empty()) q.add_if("resourceVersion", options.resource_version);
  Call call;
  call.method = "GET";
  call.path = collection_path(ref, ns) + q.str();
  call.idempotent = true;
  call.watch_budget = watch_budget;
  return execute_json(call, co);
}

Result<json> Client::list_all(const ResourceRef& ref, std::string_view ns,
                              const ListOptions& options, const CallOptions& co) {
  return impl_->list_all(ref, ns, options, co, /*watch_budget=*/false);
}

Result<json> Client::Impl::list_all(const ResourceRef& ref, std::string_view ns,
                                    const ListOptions& options, const CallOptions& co,
                                    bool watch_budget) {
  ListOptions opts = options;
  bool restarted = false;
  json result;
  for (;;) {
    auto page = list(ref, ns, opts, co, watch_budget);
    if (!page) {
      // A continue token too old for the server (410 Expired, 19-paging-edges.json): the pages
      // so far came from a snapshot that is gone, so start over once for a consistent list.
      if (page.error().code == ErrorCode::kGone && !opts.continue_token.empty() && !restarted) {
        restarted = true;
        result = json();
        opts = options;
        opts.continue_token.clear();
        continue;
      }
      return page;
    }
    if (!page->is_object()) {
      return make_error(ErrorCode::kParse, fmt::format("list of {}: the answer is not an object",
                                                       ref.group_resource()));
    }
    json items = json::array();
    if (auto it = page->find("items"); it != page->end() && it->is_array()) {
      items = std::move(*it);
    }
    std::string cont = meta_string(*page, "continue");
    if (result.is_null()) {
      result = std::move(*page);
      result["items"] = json::array();
    }
    for (auto& item : items) result["items"].push_back(std::move(item));
    if (cont.empty()) break;
    opts.continue_token = cont;
  }
  if (auto meta = result.find("metadata"); meta != result.end() && meta->is_object()) {
    meta->erase("continue");
    meta->erase("remainingItemCount");
  }
  return result;
}

Result<CreateResult> Client::create(const ResourceRef& ref, std::string_view ns, const json& object,
                                    const CreateOptions& options, const CallOptions& co) {
  if (!object.is_object()) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("create {}: the object is not a JSON object", ref.group_resource()));
  }
  const std::string name = meta_string(object, "name");
  if (!meta_string(object, "resourceVersion").empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("create {}: metadata.resourceVersion must not be set on an "
                                  "object to be created (remove it)",
                                  describe(ref, ns, name)));
  }
  auto n = Impl::namespace_for(ref, ns, &object);
  if (!n) return tl::unexpected(n.error());
  if (!name.empty()) {
    if (auto v = validate_path_segment(name, "name"); !v) return tl::unexpected(v.error());
  }
  Query q;
  if (options.dry_run) q.add("dryRun", "All");
  q.add_if("fieldManager", options.field_manager);
  Call call;
  call.method = "POST";
  call.path = collection_path(ref, *n) + q.str();
  call.body = object.dump();
  call.content_type = "application/json";
  call.idempotent = false;

  bool answer_lost_before = false;
  const int max_attempts = std::max(1, impl_->retrier.policy().max_attempts);
  for (int attempt = 1;; ++attempt) {
    call.first_attempt = attempt;
    auto resp = impl_->execute(call, co);  // 429 is retried inside; a lost answer is not
    if (resp && is_2xx(*resp)) {
      auto body = json::parse(resp->body, nullptr, false);
      if (body.is_discarded()) {
        return make_error(
            ErrorCode::kParse,
            fmt::format("create {}: the API server's answer is not JSON", describe(ref, *n, name)));
      }
      return CreateResult{std::move(body), false};
    }
    const bool lost = is_lost_answer(resp);
    Error error =
        resp ? impl_->response_error(*resp, "POST " + collection_path(ref, *n)) : resp.error();
    if (!lost) {
      // Our earlier POST whose answer was lost may have been the one that created it.
      if (answer_lost_before && error.code == ErrorCode::kAlreadyExists) {
        if (auto got = get(ref, *n, name, co)) return CreateResult{std::move(*got), true};
      }
      return fail(std::move(error));
    }
    // The answer was lost: the object may or may not have been created. Never re-POST blindly.
    if (name.empty() || attempt >= max_attempts) return fail(std::move(error));
    const auto wait = impl_->retrier.backoff().delay(attempt);
    if (auto w = impl_->wait_before(call, co, attempt + 1, wait, error.message); !w) {
      return tl::unexpected(w.error());
    }
    if (!options.dry_run) {  // a dry run stores nothing, so there is nothing to look for
      auto got = get(ref, *n, name, co);
      if (got) return CreateResult{std::move(*got), true};
      if (got.error().code == ErrorCode::kCancelled ||
          got.error().code == ErrorCode::kDeadlineExceeded) {
        return tl::unexpected(got.error());
      }
      if (got.error().code != ErrorCode::kNotFound) return fail(std::move(error));
    }
    answer_lost_before = true;
  }
}

Result<json> Client::Impl::put_object(const ResourceRef& ref, std::string_view ns,
                                      const json& object, std::string_view subresource,
                                      const ReplaceOptions& options, const CallOptions& co) {
  const char* verb = subresource.empty() ? "replace" : "replace status of";
  if (!object.is_object()) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("{} {}: the object is not a JSON object", verb, ref.group_resource()));
  }
  const std::string name = meta_string(object, "name");
  if (auto v = validate_path_segment(name, "metadata.name"); !v) {
    return fail(v.error().with_context(fmt::format("{} {}", verb, ref.group_resource())));
  }
  auto n = namespace_for(ref, ns, &object);
  if (!n) return tl::unexpected(n.error());
  if (meta_string(object, "resourceVersion").empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{} {}: metadata.resourceVersion is required (read the object "
                                  "first, so that a concurrent change is not overwritten)",
                                  verb, describe(ref, *n, name)));
  }
  Query q;
  if (options.dry_run) q.add("dryRun", "All");
  q.add_if("fieldManager", options.field_manager);
  Call call;
  call.method = "PUT";
  call.path = (subresource.empty() ? object_path(ref, *n, name)
                                   : subresource_path(ref, *n, name, subresource)) +
              q.str();
  call.body = object.dump();
  call.content_type = "application/json";
  call.idempotent = true;  // a duplicate is refused with 409 Conflict
  return execute_json(call, co);
}

Result<json> Client::replace(const ResourceRef& ref, std::string_view ns, const json& object,
                             const ReplaceOptions& options, const CallOptions& co) {
  return impl_->put_object(ref, ns, object, "", options, co);
}

Result<json> Client::replace_status(const ResourceRef& ref, std::string_view ns, const json& object,
                                    const ReplaceOptions& options, const CallOptions& co) {
  return impl_->put_object(ref, ns, object, "status", options, co);
}

Result<json> Client::patch(const ResourceRef& ref, std::string_view ns, std::string_view name,
                           const json& patch, const PatchOptions& options, const CallOptions& co) {
  auto n = Impl::namespace_for(ref, ns, nullptr);
  if (!n) return tl::unexpected(n.error());
  if (auto v = validate_path_segment(name, "name"); !v) return tl::unexpected(v.error());
  if (!options.subresource.empty()) {
    if (auto v = validate_path_segment(options.subresource, "subresource"); !v) {
      return tl::unexpected(v.error());
    }
  }
  Call call;
  call.method = "PATCH";
  switch (options.type) {
    case PatchType::kMerge:
      call.content_type = "application/merge-patch+json";
      break;
    case PatchType::kStrategicMerge:
      call.content_type = "application/strategic-merge-patch+json";
      break;
    case PatchType::kJsonPatch:
      call.content_type = "application/json-patch+json";
      break;
    case PatchType::kApply:
      call.content_type = "application/apply-patch+yaml";
      break;
  }
  if (options.type == PatchType::kJsonPatch ? !patch.is_array() : !patch.is_object()) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("patch {}: a {} must be a JSON {}", describe(ref, *n, name),
                    options.type == PatchType::kJsonPatch ? "JSON patch" : "merge/apply patch",
                    options.type == PatchType::kJsonPatch ? "array" : "object"));
  }
  Query q;
  if (options.type == PatchType::kApply) {
    if (options.field_manager.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("apply {}: a field manager is required for server-side apply",
                                    describe(ref, *n, name)));
    }
  }
  q.add_if("fieldManager", options.field_manager);
  if (options.force) {
    if (options.type != PatchType::kApply) {
      return make_error(ErrorCode::kInvalidArgument, "force is only valid for server-side apply");
    }
    q.add("force", "true");
  }
  if (options.dry_run) q.add("dryRun", "All");
  call.path = (options.subresource.empty() ? object_path(ref, *n, name)
                                           : subresource_path(ref, *n, name, options.subresource)) +
              q.str();
  call.body = patch.dump();  // JSON is valid YAML, so this serves apply too
  call.idempotent = false;
  return impl_->execute_json(call, co);
}

Result<json> Client::remove(const ResourceRef& ref, std::string_view ns, std::string_view name,
                            const DeleteOptions& options, const CallOptions& co) {
  auto n = Impl::namespace_for(ref, ns, nullptr);
  if (!n) return tl::unexpected(n.error());
  if (auto v = validate_path_segment(name, "name"); !v) return tl::unexpected(v.error());
  Call call;
  call.method = "DELETE";
  call.idempotent = true;
  const bool preconditions =
      !options.precondition_uid.empty() || !options.precondition_resource_version.empty();
  Query q;
  if (preconditions) {
    // Preconditions exist only in the DeleteOptions body; send everything there, as kubectl does.
    json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
    json pre = json::object();
    if (!options.precondition_uid.empty()) pre["uid"] = options.precondition_uid;
    if (!options.precondition_resource_version.empty()) {
      pre["resourceVersion"] = options.precondition_resource_version;
    }
    body["preconditions"] = pre;
    if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
    if (options.dry_run) body["dryRun"] = json::array({"All"});
    if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
    call.body = body.dump();
    call.content_type = "application/json";
  } else {
    q.add_if("propagationPolicy", options.propagation_policy);
    if (options.dry_run) q.add("dryRun", "All");
    if (options.grace_period_seconds) {
      q.add("gracePeriodSeconds", std::to_string(*options.grace_period_seconds));
    }
  }
  call.path = object_path(ref, *n, name) + q.str();
  return impl_->execute_json(call, co);
}

Result<json> Client::read_modify_write(const ResourceRef& ref, std::string_view ns,
                                       std::string_view name, const Mutation& mutate,
                                       int max_attempts, const CallOptions& co) {
  Error last;
  for (int attempt = 1; attempt <= std::max(1, max_attempts); ++attempt) {
    auto current = get(ref, ns, name, co);
    if (!current) return current;
    json object = *current;
    auto changed = mutate(object);
    if (!changed) return tl::unexpected(changed.error());
    if (!*changed) return current;
    // Always write against the version we read, whatever mutate did to metadata.
    object["metadata"]["resourceVersion"] = meta_string(*current, "resourceVersion");
    auto written = replace(ref, ns, object, {}, co);
    if (written || written.error().code != ErrorCode::kConflict) return written;
    last = written.error();
  }
  return fail(last.with_context(fmt::format("update of {} still conflicted after {} attempts",
                                            describe(ref, ns, name), max_attempts)));
}

}  // namespace kftenant::kube
