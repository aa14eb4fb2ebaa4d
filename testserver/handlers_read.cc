// GET and LIST (with selectors, limit/continue paging from a consistent snapshot).
#include "testserver/continue_token.h"
#include "testserver/selectors.h"
#include "testserver/server_impl.h"
#include "testserver/typing.h"

namespace kftenant::testserver {

Reply ApiServer::Impl::do_get(const Route& r) {
  const ResourceType& info = *r.info;
  const ojson* obj =
      store.get(info.group_resource(), Store::key(info.namespaced ? r.ns : "", r.name));
  if (!obj) return Reply::status_body(not_found(r.gr(), r.name));
  if (r.subresource == "scale") return scale_view(r, *obj);
  return Reply::object(200, present(info, r.version, *obj));
}

Result<ListSelection> ApiServer::Impl::parse_selectors(const Route& r, const ListQuery& q) const {
  ListSelection sel;
  auto labels = LabelSelector::parse(q.label_selector);
  if (!labels) return tl::unexpected(labels.error());
  auto fields = FieldSelector::parse(q.field_selector, r.info && r.info->custom);
  if (!fields) return tl::unexpected(fields.error());
  sel.labels = std::move(*labels);
  sel.fields = std::move(*fields);
  return sel;
}

Reply ApiServer::Impl::do_list(const Route& r, const ListQuery& q) {
  const ResourceType& info = *r.info;
  auto sel = parse_selectors(r, q);
  if (!sel) return Reply::status_body(bad_request(sel.error().message));
  std::string prefix = info.namespaced && !r.ns.empty() ? r.ns + "/" : "";
  bool has_rv = !q.resource_version.empty() && q.resource_version != "0";
  std::string start;  // first key to return (inclusive)
  int64_t snapshot_rv = store.current_rv();
  bool paging = q.limit > 0 && q.resource_version != "0";
  if (!q.continue_token.empty()) {
    if (has_rv) {
      return Reply::status_body(
          bad_request("specifying resource version is not allowed when using continue"));
    }
    auto token = decode_continue(q.continue_token);
    if (!token) return Reply::status_body(bad_request("invalid continue token: " + token.error()));
    start = token->start;
    if (token->rv > 0 && token->rv < store.compacted_rv()) {
      ojson meta = {{"continue", encode_continue(-1, token->start)}};
      return Reply::status_body(resource_expired(
          "The provided continue parameter is too old to display a consistent list result. You "
          "can start a new list without the continue parameter, or use the continue token in this "
          "response to retrieve the remainder of the results. Continuing with the provided token "
          "results in an inconsistent list - objects that were created, modified, or deleted "
          "between the time the first chunk was returned and now may show up in the list.",
          meta));
    }
    if (token->rv > 0) snapshot_rv = token->rv;
    paging = q.limit > 0;
  } else if (has_rv && q.resource_version_match == "Exact") {
    int64_t rv = 0;
    try {
      rv = std::stoll(q.resource_version);
    } catch (...) {
      return Reply::status_body(bad_request("invalid resource version: " + q.resource_version));
    }
    if (rv < store.compacted_rv()) {
      return Reply::status_body(
          resource_expired("The resourceVersion for the provided list is too old."));
    }
    snapshot_rv = rv;
  }
  std::map<std::string, ojson> state;
  if (snapshot_rv == store.current_rv()) {
    for (const auto& [key, obj] : store.list(info.group_resource(), prefix)) state[key] = *obj;
  } else {
    auto snap = store.snapshot(info.group_resource(), snapshot_rv);
    if (!snap) return Reply::status_body(resource_expired("too old resource version"));
    for (auto& [key, obj] : *snap) {
      if (key.compare(0, prefix.size(), prefix) == 0) state[key] = std::move(obj);
    }
  }
  ojson items = ojson::array();
  std::string last_key;
  size_t remaining = 0;
  bool more = false;
  for (auto it = state.lower_bound(prefix + start); it != state.end(); ++it) {
    const ojson& obj = it->second;
    if (!sel->labels.matches_object(obj) || !sel->fields.matches_object(obj)) continue;
    if (paging && static_cast<int64_t>(items.size()) >= q.limit) {
      more = true;
      ++remaining;
      continue;
    }
    items.push_back(list_item(info, r.version, obj));
    last_key = it->first.substr(prefix.size());
  }
  ojson meta = ojson::object();
  meta["resourceVersion"] = std::to_string(snapshot_rv);
  if (more) {
    meta["continue"] = encode_continue(snapshot_rv, last_key + std::string(1, '\0'));
    if (sel->labels.empty() && sel->fields.empty()) meta["remainingItemCount"] = remaining;
  } else if (info.custom) {
    meta["continue"] = "";
  }
  ojson list = ojson::object();
  list["kind"] = info.kind + "List";
  list["apiVersion"] = r.api_version();
  list["metadata"] = meta;
  list["items"] = items;
  if (info.custom) list = sorted(list);
  return Reply::object(200, list);
}

}  // namespace kftenant::testserver
