#include "kftenant/kubeflow/naming.h"

#include <fmt/core.h>

namespace kftenant::kubeflow {
namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Replaces every run of characters for which keep() is false by one '-'.
template <typename Keep>
std::string collapse_runs(std::string_view in, Keep keep) {
  std::string out;
  out.reserve(in.size());
  bool in_run = false;
  for (char c : in) {
    if (keep(c)) {
      out.push_back(c);
      in_run = false;
    } else if (!in_run) {
      out.push_back('-');
      in_run = true;
    }
  }
  return out;
}

}  // namespace

std::string default_profile_name(std::string_view email) {
  // JavaScript: user.split('@')[0].replace(/[^\w]|\./g, '-').toLowerCase() — one '-' per
  // character, no collapsing; \w is [A-Za-z0-9_].
  std::string_view local = email.substr(0, email.find('@'));
  std::string out;
  out.reserve(local.size());
  for (char c : local) out.push_back(is_alnum(c) || c == '_' ? to_lower(c) : '-');
  return out;
}

Result<void> validate_profile_name(std::string_view name) {
  auto bad = [&](std::string_view why) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("profile name \"{}\" is not a valid namespace name: {}", name, why));
  };
  if (name.empty()) return bad("it is empty");
  if (name.size() > 63) return bad("it is longer than 63 characters");
  for (char c : name) {
    if (!is_lower_alnum(c) && c != '-') {
      return bad("use only lower-case letters, digits and '-'");
    }
  }
  if (name.front() == '-' || name.back() == '-')
    return bad("it must start and end with a letter or digit");
  return ok();
}

std::string binding_name(std::string_view subject_kind, std::string_view subject_name,
                         std::string_view role) {
  // After the first replacement the name has only [a-zA-Z0-9-], which QueryEscape leaves alone.
  const std::string safe_name = collapse_runs(subject_name, is_alnum);
  std::string raw = fmt::format("{}-{}-ClusterRole-{}", subject_kind, safe_name, role);
  for (char& c : raw) c = to_lower(c);
  return collapse_runs(raw, is_lower_alnum);
}

}  // namespace kftenant::kubeflow
