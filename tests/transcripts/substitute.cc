#include "transcripts/substitute.h"

#include <regex>

namespace kftenant::transcripts {
namespace {

const std::regex& rv_placeholder_regex() {
  static const std::regex re(R"(<rv:([0-9]+)>)");
  return re;
}

Result<std::string> replace_rvs(const std::string& text, const Normalizer& normalizer) {
  std::string out;
  size_t last = 0;
  auto begin = std::sregex_iterator(text.begin(), text.end(), rv_placeholder_regex());
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    int n = std::stoi(it->str(1));
    auto actual = normalizer.actual_rv(n);
    if (!actual) {
      return make_error(ErrorCode::kInvalidArgument,
                        "placeholder " + it->str(0) + " used before the server answered with it");
    }
    size_t pos = static_cast<size_t>(it->position(0));
    out.append(text, last, pos - last);
    out += *actual;
    last = pos + static_cast<size_t>(it->length(0));
  }
  out.append(text, last, std::string::npos);
  return out;
}

Result<void> substitute_node(Json& node, const std::string& url_name,
                             const Normalizer& normalizer) {
  if (node.is_array()) {
    for (auto& item : node) {
      if (auto r = substitute_node(item, url_name, normalizer); !r) return r;
    }
    return ok();
  }
  if (!node.is_object()) return ok();
  std::string context = url_name;
  if (auto name = node.find("name"); name != node.end() && name->is_string()) {
    std::string n = name->get<std::string>();
    if (normalizer.uid_of(n) || normalizer.creation_timestamp_of(n)) context = n;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    Json& value = it.value();
    if (!value.is_string()) {
      if (auto r = substitute_node(value, url_name, normalizer); !r) return r;
      continue;
    }
    const std::string s = value.get<std::string>();
    if (s == "<uid>") {
      auto uid = normalizer.uid_of(context);
      if (!uid) return make_error(ErrorCode::kInvalidArgument, "no uid known for " + context);
      value = *uid;
    } else if (s == "<time>") {
      auto ts = normalizer.creation_timestamp_of(context);
      if (!ts) {
        return make_error(ErrorCode::kInvalidArgument, "no creationTimestamp known for " + context);
      }
      value = *ts;
    } else if (s.find("<rv:") != std::string::npos) {
      auto replaced = replace_rvs(s, normalizer);
      if (!replaced) return tl::unexpected(replaced.error());
      value = *replaced;
    }
  }
  return ok();
}

}  // namespace

std::string percent_encode(const std::string& s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string url_object_name(const std::string& path_and_query) {
  std::string path = path_and_query.substr(0, path_and_query.find('?'));
  std::vector<std::string> segments;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  if (!segments.empty() && (segments.back() == "status" || segments.back() == "scale")) {
    segments.pop_back();
  }
  return segments.empty() ? "" : segments.back();
}

Result<std::string> substitute_path(const std::string& path_and_query, const Normalizer& normalizer,
                                    ContinueChoice choice) {
  auto replaced = replace_rvs(path_and_query, normalizer);
  if (!replaced) return replaced;
  std::string out = *replaced;
  const std::string placeholder = "<continue>";
  size_t pos = out.find(placeholder);
  if (pos == std::string::npos) return out;
  const auto& tokens = normalizer.continue_tokens();
  if (tokens.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "<continue> used before the server issued one");
  }
  size_t index = choice.index.value_or(tokens.size() - 1);
  if (index >= tokens.size()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "continue token #" + std::to_string(index) + " was never issued");
  }
  out.replace(pos, placeholder.size(), percent_encode(tokens[index]));
  return out;
}

Result<Json> substitute_body(Json body, const std::string& path_and_query,
                             const Normalizer& normalizer) {
  if (auto r = substitute_node(body, url_object_name(path_and_query), normalizer); !r) {
    return tl::unexpected(r.error());
  }
  return body;
}

Result<std::string> substitute_text(const std::string& body, const Normalizer& normalizer) {
  return replace_rvs(body, normalizer);
}

}  // namespace kftenant::transcripts
