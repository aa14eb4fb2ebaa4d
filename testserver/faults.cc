// Fault injection and the request log.
#include "testserver/server_impl.h"

namespace kftenant::testserver {
namespace {

bool path_matches(const std::string& regex, const std::string& path) {
  if (regex.empty()) return true;
  try {
    return std::regex_search(path, std::regex(regex, std::regex::ECMAScript));
  } catch (const std::regex_error&) {
    return false;
  }
}

}  // namespace

std::string describe_fault(const FaultRule& rule) {
  std::vector<std::string> parts;
  if (rule.latency.count() > 0)
    parts.push_back("latency " + std::to_string(rule.latency.count()) + "ms");
  if (rule.status != 0) parts.push_back("status " + std::to_string(rule.status));
  if (rule.drop_connection) {
    parts.push_back(rule.drop_before_processing ? "drop before processing"
                                                : "drop after processing");
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

std::optional<FaultRule> ApiServer::Impl::take_fault(const std::string& method,
                                                     const std::string& path) {
  std::lock_guard<std::mutex> lock(fault_mu);
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (it->end_watch || it->count <= 0) continue;
    if (!it->method.empty() && it->method != method) continue;
    if (!path_matches(it->path_regex, path)) continue;
    if (it->skip > 0) {
      --it->skip;
      continue;
    }
    FaultRule taken = *it;
    if (--it->count <= 0) faults.erase(it);
    return taken;
  }
  return std::nullopt;
}

Reply ApiServer::Impl::fault_reply(const FaultRule& rule, const Route* route) {
  GroupResource gr = route ? route->gr() : GroupResource{};
  std::string name = route ? route->name : "";
  ojson body;
  switch (rule.status) {
    case 429:
      body = too_many_requests("Too many requests, please try again later.",
                               rule.retry_after_seconds.value_or(1));
      break;
    case 409:
      body = conflict_modified(gr, name);
      break;
    case 500:
      body = internal_error("injected fault");
      break;
    case 503:
      body = service_unavailable("the server is currently unable to handle the request");
      break;
    case 504:
      body = make_status(504, "Timeout",
                         "the server was unable to return a response in the time allotted, but "
                         "may still be processing the request",
                         StatusDetails{});
      break;
    case 404:
      body = route && !name.empty() ? not_found(gr, name) : generic_server_response(404);
      break;
    case 401:
      body = unauthorized();
      break;
    case 410:
      body = resource_expired("injected fault: resource expired");
      break;
    default:
      body = make_status(rule.status, rule.reason.empty() ? "" : rule.reason, "injected fault");
  }
  if (!rule.reason.empty()) body["reason"] = rule.reason;
  Reply reply = Reply::status_body(body);
  reply.status = rule.status;
  if (rule.retry_after_seconds || rule.status == 429) {
    reply.headers.emplace_back("Retry-After", std::to_string(rule.retry_after_seconds.value_or(1)));
  }
  return reply;
}

void ApiServer::Impl::record(RequestRecord rec) {
  std::lock_guard<std::mutex> lock(fault_mu);
  log.push_back(std::move(rec));
}

void ApiServer::Impl::end_watches(const std::string& path_regex, int* count) {
  std::lock_guard<std::mutex> lock(fault_mu);
  int n = 0;
  for (const auto& h : open_watch_handles) {
    if (!h->end && path_matches(path_regex, h->path)) {
      h->end = true;
      ++n;
    }
  }
  if (count) *count = n;
}

bool ApiServer::Impl::consume_end_watch_rule(const std::string& path) {
  std::lock_guard<std::mutex> lock(fault_mu);
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (!it->end_watch || it->count <= 0 || !path_matches(it->path_regex, path)) continue;
    if (--it->count <= 0) faults.erase(it);
    return true;
  }
  return false;
}

}  // namespace kftenant::testserver
