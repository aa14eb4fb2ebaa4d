// DELETE of one object (preconditions, propagation policy, finalizers) and of a collection.
#include "testserver/selectors.h"
#include "testserver/server_impl.h"
#include "testserver/typing.h"

namespace kftenant::testserver {
namespace {

// The DeleteOptions come from the body when there is one, else from the query: never both
// (apiserver endpoints/handlers/delete.go), so `?dryRun=All` next to a body deletes for real.
std::string propagation_of(const ojson& options, const httplib::Request& req) {
  if (options.is_object()) {
    std::string p = options.value("propagationPolicy", "");
    if (p.empty() && options.value("orphanDependents", false)) p = "Orphan";
    return p;
  }
  std::string p = query_param(req, "propagationPolicy");
  if (p.empty() && query_param(req, "orphanDependents") == "true") p = "Orphan";
  return p;
}

bool dry_run(const ojson& options, const httplib::Request& req) {
  if (options.is_object()) {
    return options.contains("dryRun") && options["dryRun"].is_array() && !options["dryRun"].empty();
  }
  return query_param(req, "dryRun") == "All";
}

}  // namespace

Reply ApiServer::Impl::do_delete(const Route& r, const ojson& options,
                                 const httplib::Request& req) {
  const ResourceType& info = *r.info;
  std::string key = Store::key(info.namespaced ? r.ns : "", r.name);
  const ojson* cur = store.get(info.group_resource(), key);
  if (!cur) return Reply::status_body(not_found(r.gr(), r.name));
  ojson obj = *cur;
  const auto& m = obj["metadata"];
  if (options.is_object() && options.contains("preconditions") &&
      options["preconditions"].is_object()) {
    const auto& pre = options["preconditions"];
    GroupResource kind{info.group, info.kind};
    std::string uid = pre.value("uid", "");
    if (!uid.empty() && uid != m.value("uid", "")) {
      return Reply::status_body(conflict_uid_precondition(kind, r.name, uid, m.value("uid", "")));
    }
    std::string rv = pre.value("resourceVersion", "");
    if (!rv.empty() && rv != m.value("resourceVersion", "")) {
      return Reply::status_body(
          conflict_rv_precondition(kind, r.name, rv, m.value("resourceVersion", "")));
    }
  }
  if (dry_run(options, req)) {
    // What the deletion would answer, nothing done: gone at once (a Status), or the object
    // pending its finalizers.
    const std::string propagation = propagation_of(options, req);
    const bool pending = info.kind == "Namespace" || info.kind == "CustomResourceDefinition" ||
                         !m.value("finalizers", ojson::array()).empty() ||
                         propagation == "Foreground" || propagation == "Orphan" ||
                         m.contains("deletionTimestamp");
    if (!pending) return Reply::object(200, delete_success(r.gr(), r.name, m.value("uid", "")));
    return Reply::object(200, present(info, r.version, obj));
  }
  ojson remaining = begin_delete(info, obj, propagation_of(options, req));
  if (remaining.is_null()) {
    return Reply::object(200, delete_success(r.gr(), r.name, m.value("uid", "")));
  }
  return Reply::object(200, present(info, r.version, remaining));
}

Reply ApiServer::Impl::do_delete_collection(const Route& r, const ListQuery& q,
                                            const httplib::Request& req) {
  const ResourceType& info = *r.info;
  auto sel = parse_selectors(r, q);
  if (!sel) return Reply::status_body(bad_request(sel.error().message));
  std::string prefix = info.namespaced && !r.ns.empty() ? r.ns + "/" : "";
  int64_t rv = store.current_rv();
  std::vector<ojson> victims;
  for (const auto& [key, obj] : store.list(info.group_resource(), prefix)) {
    if (sel->labels.matches_object(*obj) && sel->fields.matches_object(*obj)) {
      victims.push_back(*obj);
    }
  }
  ojson items = ojson::array();
  std::string propagation = propagation_of(ojson(), req);
  for (const auto& v : victims) {
    items.push_back(list_item(info, r.version, v));
    if (query_param(req, "dryRun") != "All") begin_delete(info, v, propagation);
  }
  ojson list = ojson::object();
  list["kind"] = info.kind + "List";
  list["apiVersion"] = r.api_version();
  list["metadata"] = {{"resourceVersion", std::to_string(rv)}};
  list["items"] = items;
  if (info.custom) list = sorted(list);
  return Reply::object(200, list);
}

}  // namespace kftenant::testserver
