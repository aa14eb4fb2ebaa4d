#include "transcripts/compare.h"

#include <algorithm>
#include <regex>

namespace kftenant::transcripts {
namespace {

std::string join_path(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

std::vector<std::string> keys_of(const Json& object) {
  std::vector<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
  return keys;
}

std::string key_list(const std::vector<std::string>& keys) {
  std::string out = "[";
  for (size_t i = 0; i < keys.size(); ++i) out += (i ? "," : "") + keys[i];
  return out + "]";
}

void diff_into(const Json& expected, const Json& actual, const std::string& path,
               std::vector<std::string>& out) {
  const std::string where = path.empty() ? "(body)" : path;
  if (expected.is_object() && actual.is_object()) {
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      if (!actual.contains(it.key())) {
        out.push_back(join_path(path, it.key()) + ": missing (expected " + compact(*it) + ")");
      } else {
        diff_into(*it, actual.at(it.key()), join_path(path, it.key()), out);
      }
    }
    for (auto it = actual.begin(); it != actual.end(); ++it) {
      if (!expected.contains(it.key())) {
        out.push_back(join_path(path, it.key()) + ": unexpected " + compact(*it));
      }
    }
    std::vector<std::string> ek = keys_of(expected), ak = keys_of(actual);
    std::vector<std::string> common_e, common_a;
    for (const auto& k : ek) {
      if (actual.contains(k)) common_e.push_back(k);
    }
    for (const auto& k : ak) {
      if (expected.contains(k)) common_a.push_back(k);
    }
    if (common_e != common_a) {
      out.push_back(where + ": key order expected " + key_list(ek) + ", got " + key_list(ak));
    }
    return;
  }
  if (expected.is_array() && actual.is_array()) {
    if (expected.size() != actual.size()) {
      out.push_back(where + ": expected " + std::to_string(expected.size()) + " items " +
                    compact(expected) + ", got " + std::to_string(actual.size()) + " " +
                    compact(actual));
      return;
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      diff_into(expected[i], actual[i], path + "[" + std::to_string(i) + "]", out);
    }
    return;
  }
  if (expected != actual) {
    out.push_back(where + ": expected " + compact(expected) + ", got " + compact(actual));
  }
}

}  // namespace

std::string shorten(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  return text.substr(0, max) + "...";
}

std::string compact(const Json& value, size_t max) {
  return shorten(value.dump(-1, ' ', false, Json::error_handler_t::replace), max);
}

std::vector<std::string> diff_json(const Json& expected, const Json& actual) {
  std::vector<std::string> out;
  diff_into(expected, actual, "", out);
  return out;
}

void align_rvs(const Json& expected, const Json& actual, Normalizer& normalizer) {
  static const std::regex rv(R"(<rv:([0-9]+)>)");
  if (expected.is_object() && actual.is_object()) {
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      if (actual.contains(it.key())) align_rvs(*it, actual.at(it.key()), normalizer);
    }
  } else if (expected.is_array() && actual.is_array()) {
    for (size_t i = 0; i < std::min(expected.size(), actual.size()); ++i) {
      align_rvs(expected[i], actual[i], normalizer);
    }
  } else if (expected.is_string() && actual.is_string()) {
    std::smatch e, a;
    const std::string es = expected.get<std::string>(), as = actual.get<std::string>();
    if (std::regex_match(es, e, rv) && std::regex_match(as, a, rv)) {
      normalizer.alias_rv(std::stoi(e.str(1)), std::stoi(a.str(1)));
    }
  }
}

std::string diff_text(const std::string& expected, const std::string& actual) {
  if (expected == actual) return "";
  size_t line = 1, pos = 0;
  size_t n = std::min(expected.size(), actual.size());
  while (pos < n && expected[pos] == actual[pos]) {
    if (expected[pos] == '\n') ++line;
    ++pos;
  }
  auto line_at = [](const std::string& text, size_t p) {
    size_t begin = text.rfind('\n', p == 0 ? 0 : p - 1);
    begin = (begin == std::string::npos || p == 0) ? 0 : begin + 1;
    size_t end = text.find('\n', p);
    return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  };
  Json e = line_at(expected, pos), a = line_at(actual, pos);
  return "line " + std::to_string(line) + ": expected " + compact(e) + ", got " + compact(a);
}

}  // namespace kftenant::transcripts
