#include "testserver/request_info.h"

#include <algorithm>
#include <vector>

#include "testserver/query.h"
#include "testserver/selectors.h"

namespace kftenant::testserver {
namespace {

std::vector<std::string> split_path(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::vector<std::string> parts;
  if (path.empty()) return parts;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    parts.emplace_back(path.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(::tolower(c)); });
  return s;
}

// Convert_Slice_string_To_bool: anything but "0" and "false" (any case) is true.
bool query_bool(const std::vector<std::string>& values) {
  if (values.empty()) return false;
  std::string v = lower(values.front());
  return v != "0" && v != "false";
}

bool is_integer(const std::string& s) {
  if (s.empty()) return false;
  size_t i = s[0] == '-' || s[0] == '+' ? 1 : 0;
  if (i == s.size()) return false;
  return std::all_of(s.begin() + static_cast<long>(i), s.end(),
                     [](unsigned char c) { return std::isdigit(c); });
}

// apimachinery pkg/api/validation/path IsValidPathSegmentName.
bool valid_path_segment(const std::string& name) {
  return name != "." && name != ".." && name.find_first_of("/%") == std::string::npos;
}

// The metadata.name a list/watch is restricted to by `fieldSelector=metadata.name=x`, when the
// list options decode (the real server drops it when any list option fails to decode).
std::string field_selector_name(const QueryValues& q) {
  auto first = [&](const char* key) -> const std::string* {
    auto it = q.find(key);
    return it == q.end() || it->second.empty() ? nullptr : &it->second.front();
  };
  for (const char* numeric : {"limit", "timeoutSeconds"}) {
    if (const std::string* v = first(numeric); v && !is_integer(*v)) return "";
  }
  if (const std::string* v = first("labelSelector"); v && !LabelSelector::parse(*v)) return "";
  const std::string* text = first("fieldSelector");
  if (!text) return "";
  auto sel = FieldSelector::parse(*text);
  if (!sel) return "";
  // fields.Selector.RequiresExactMatch: the first `metadata.name=` / `==` term.
  for (const auto& r : sel->requirements()) {
    if (r.field == "metadata.name" && !r.negated) {
      return valid_path_segment(r.value) ? r.value : "";
    }
  }
  return "";
}

}  // namespace

RequestInfoResult request_info(std::string_view method, std::string_view path,
                               std::string_view raw_query) {
  RequestInfoResult out;
  RequestInfo& info = out.info;
  info.path = std::string(path);
  info.verb = lower(std::string(method));

  std::vector<std::string> parts = split_path(path);
  if (parts.size() < 3) return out;
  if (parts[0] != "api" && parts[0] != "apis") return out;
  info.api_prefix = parts[0];
  parts.erase(parts.begin());
  if (info.api_prefix != "api") {  // "apis" carries a group
    if (parts.size() < 3) return out;
    info.api_group = parts[0];
    parts.erase(parts.begin());
  }
  info.resource_request = true;
  info.api_version = parts[0];
  parts.erase(parts.begin());

  if (parts[0] == "proxy" || parts[0] == "watch") {  // specialVerbs
    if (parts.size() < 2) {
      std::string url(path);
      if (!raw_query.empty()) url += "?" + std::string(raw_query);
      out.error = "unable to determine kind and namespace from url, " + url;
      return out;
    }
    info.verb = parts[0];
    parts.erase(parts.begin());
  } else if (method == "POST") {
    info.verb = "create";
  } else if (method == "GET" || method == "HEAD") {
    info.verb = "get";
  } else if (method == "PUT") {
    info.verb = "update";
  } else if (method == "PATCH") {
    info.verb = "patch";
  } else if (method == "DELETE") {
    info.verb = "delete";
  } else {
    info.verb.clear();
  }

  // /namespaces/{namespace}/{resource}/...: parts become relative to the resource, except for
  // the namespace's own subresources (status, finalize).
  if (parts[0] == "namespaces" && parts.size() > 1) {
    info.ns = parts[1];
    if (parts.size() > 2 && parts[2] != "status" && parts[2] != "finalize") {
      parts.erase(parts.begin(), parts.begin() + 2);
    }
  }
  if (parts.size() >= 3 && info.verb != "proxy") info.subresource = parts[2];
  if (parts.size() >= 2) info.name = parts[1];
  info.resource = parts[0];

  if (info.name.empty() && info.verb == "get") {
    QueryValues q = parse_query(raw_query);
    auto watch = q.find("watch");
    info.verb = watch != q.end() && query_bool(watch->second) ? "watch" : "list";
    info.name = field_selector_name(q);
  }
  if (info.name.empty() && info.verb == "delete") info.verb = "deletecollection";
  return out;
}

}  // namespace kftenant::testserver
