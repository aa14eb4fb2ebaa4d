#include "testserver/selectors.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <optional>
#include <tuple>
#include <variant>

#include "testserver/validation.h"

namespace kftenant::testserver {

namespace {

template <typename J>
std::string meta_string(const J& object, const char* key) {
  if (!object.is_object()) return {};
  auto md = object.find("metadata");
  if (md == object.end() || !md->is_object()) return {};
  auto v = md->find(key);
  if (v == md->end() || !v->is_string()) return {};
  return v->template get<std::string>();
}

// ---- field selectors (k8s.io/apimachinery/pkg/fields/selector.go) -------------------------------

std::vector<std::string> split_terms(std::string_view s) {
  std::vector<std::string> terms;
  if (s.empty()) return terms;
  size_t start = 0;
  bool in_slash = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_slash) {
      in_slash = false;
    } else if (c == '\\') {
      in_slash = true;
    } else if (c == ',') {
      terms.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.emplace_back(s.substr(start));
  return terms;
}

Result<std::string> unescape_value(std::string_view s) {
  std::string out;
  bool in_slash = false;
  for (char c : s) {
    if (in_slash) {
      if (c != '\\' && c != ',' && c != '=')
        return make_error(ErrorCode::kBadRequest,
                          fmt::format("invalid field selector: invalid escape sequence: \\{}", c));
      out += c;
      in_slash = false;
      continue;
    }
    if (c == '\\') {
      in_slash = true;
    } else if (c == ',' || c == '=') {
      // Go prints the rune with %v, i.e. as its number.
      return make_error(ErrorCode::kBadRequest,
                        fmt::format("invalid field selector: unescaped character in value: {}",
                                    static_cast<int>(static_cast<unsigned char>(c))));
    } else {
      out += c;
    }
  }
  if (in_slash)
    return make_error(ErrorCode::kBadRequest,
                      "invalid field selector: invalid escape sequence: \\");
  return out;
}

}  // namespace

Result<FieldSelector> FieldSelector::parse(std::string_view text, bool custom_resource) {
  auto parts = split_terms(text);
  std::sort(parts.begin(), parts.end());
  FieldSelector sel;
  for (const auto& part : parts) {
    if (part.empty()) continue;
    // splitTerm: the first occurrence of !=, == or = splits the term.
    size_t i = 0;
    std::string_view op;
    for (; i < part.size(); ++i) {
      std::string_view rest = std::string_view(part).substr(i);
      if (rest.starts_with("!="))
        op = "!=";
      else if (rest.starts_with("=="))
        op = "==";
      else if (rest.starts_with("="))
        op = "=";
      if (!op.empty()) break;
    }
    if (op.empty())
      return make_error(ErrorCode::kBadRequest,
                        fmt::format("invalid selector: '{}'; can't understand '{}'", text, part));
    FieldRequirement r;
    r.field = part.substr(0, i);
    r.negated = op == "!=";
    auto value = unescape_value(std::string_view(part).substr(i + op.size()));
    if (!value) return tl::unexpected(value.error());
    r.value = std::move(*value);
    sel.requirements_.push_back(std::move(r));
  }
  // The field label conversion runs after parsing (DefaultMetaV1FieldSelectorConversion).
  for (const auto& r : sel.requirements_) {
    if (r.field != "metadata.name" && r.field != "metadata.namespace" && custom_resource)
      return make_error(ErrorCode::kBadRequest, "field label not supported: " + r.field);
    if (r.field != "metadata.name" && r.field != "metadata.namespace")
      return make_error(
          ErrorCode::kBadRequest,
          fmt::format(
              "{} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
              go_quote(r.field)));
  }
  return sel;
}

bool FieldSelector::matches(std::string_view name, std::string_view ns) const {
  for (const auto& r : requirements_) {
    std::string_view actual = r.field == "metadata.name" ? name : ns;
    if ((actual == r.value) == r.negated) return false;
  }
  return true;
}

bool FieldSelector::matches_object(const nlohmann::json& object) const {
  return matches(meta_string(object, "name"), meta_string(object, "namespace"));
}
bool FieldSelector::matches_object(const nlohmann::ordered_json& object) const {
  return matches(meta_string(object, "name"), meta_string(object, "namespace"));
}

}  // namespace kftenant::testserver
