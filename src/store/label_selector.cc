#include "kftenant/store/label_selector.h"

namespace kftenant::store {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<bool> labels_match(const nlohmann::json& labels, std::string_view selector) {
  auto value_of = [&](std::string_view key, std::string& out) {
    if (!labels.is_object()) return false;
    auto it = labels.find(std::string(key));
    if (it == labels.end()) return false;
    out = it->is_string() ? it->get<std::string>() : it->dump();
    return true;
  };
  size_t pos = 0;
  while (pos <= selector.size()) {
    size_t comma = selector.find(',', pos);
    if (comma == std::string_view::npos) comma = selector.size();
    const std::string_view term = trim(selector.substr(pos, comma - pos));
    pos = comma + 1;
    if (term.empty()) {
      if (comma == selector.size()) break;
      return make_error(ErrorCode::kInvalidArgument,
                        "label selector \"" + std::string(selector) + "\" has an empty term");
    }
    std::string have;
    if (size_t op = term.find("!="); op != std::string_view::npos) {
      if (value_of(trim(term.substr(0, op)), have) && have == trim(term.substr(op + 2)))
        return false;
    } else if (size_t eq = term.find('='); eq != std::string_view::npos) {
      const size_t vpos = term.substr(eq, 2) == "==" ? eq + 2 : eq + 1;
      if (!value_of(trim(term.substr(0, eq)), have) || have != trim(term.substr(vpos)))
        return false;
    } else if (term.front() == '!') {
      if (value_of(trim(term.substr(1)), have)) return false;
    } else if (term.find_first_of(" ()") != std::string_view::npos) {
      return make_error(ErrorCode::kInvalidArgument,
                        "label selector \"" + std::string(selector) +
                            "\": only k=v, k!=v, k and !k terms are supported for manifests");
    } else {
      if (!value_of(term, have)) return false;
    }
    if (comma == selector.size()) break;
  }
  return true;
}

}  // namespace kftenant::store
