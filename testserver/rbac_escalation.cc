#include "testserver/rbac_escalation.h"

#include <map>
#include <set>
#include <tuple>

#include "testserver/validation.h"

namespace kftenant::testserver {
namespace {

std::vector<std::string> strings(const ojson& rule, const char* field) {
  std::vector<std::string> out;
  auto it = rule.find(field);
  if (it == rule.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

bool has(const std::vector<std::string>& set, const std::string& e) {
  return std::find(set.begin(), set.end(), e) != set.end();
}

bool has_all(const std::vector<std::string>& set, const std::vector<std::string>& contains) {
  for (const auto& c : contains) {
    if (!has(set, c)) return false;
  }
  return true;
}

bool resource_covers_all(const std::vector<std::string>& set,
                         const std::vector<std::string>& covers) {
  if (has(set, "*") || has_all(set, covers)) return true;
  for (const auto& path : covers) {
    if (has(set, path)) continue;
    size_t slash = path.find('/');
    if (slash == std::string::npos) return false;
    if (!has(set, "*/" + path.substr(slash + 1))) return false;
  }
  return true;
}

bool url_covers(const std::string& owner, const std::string& sub) {
  if (owner == sub) return true;
  if (owner.empty() || owner.back() != '*') return false;
  std::string prefix = owner;
  while (!prefix.empty() && prefix.back() == '*') prefix.pop_back();
  return sub.rfind(prefix, 0) == 0;
}

bool urls_cover_all(const std::vector<std::string>& set, const std::vector<std::string>& covers) {
  for (const auto& path : covers) {
    bool covered = false;
    for (const auto& owner : set) covered = covered || url_covers(owner, path);
    if (!covered) return false;
  }
  return true;
}

// An atomic rule of BreakdownRule.
struct Atom {
  std::vector<std::string> groups, resources, verbs, names, urls;
};

std::vector<Atom> breakdown(const ojson& rule) {
  std::vector<Atom> out;
  auto groups = strings(rule, "apiGroups");
  auto resources = strings(rule, "resources");
  auto verbs = strings(rule, "verbs");
  auto names = strings(rule, "resourceNames");
  for (const auto& g : groups) {
    for (const auto& r : resources) {
      for (const auto& v : verbs) {
        if (names.empty()) {
          out.push_back(Atom{{g}, {r}, {v}, {}, {}});
        } else {
          for (const auto& n : names) out.push_back(Atom{{g}, {r}, {v}, {n}, {}});
        }
      }
    }
  }
  for (const auto& u : strings(rule, "nonResourceURLs")) {
    for (const auto& v : verbs) out.push_back(Atom{{}, {}, {v}, {}, {u}});
  }
  return out;
}

bool rule_covers(const ojson& owner, const Atom& sub) {
  auto verbs = strings(owner, "verbs");
  auto groups = strings(owner, "apiGroups");
  auto names = strings(owner, "resourceNames");
  bool name_ok = sub.names.empty() ? names.empty() : names.empty() || has_all(names, sub.names);
  return (has(verbs, "*") || has_all(verbs, sub.verbs)) &&
         (has(groups, "*") || has_all(groups, sub.groups)) &&
         resource_covers_all(strings(owner, "resources"), sub.resources) &&
         urls_cover_all(strings(owner, "nonResourceURLs"), sub.urls) && name_ok;
}

ojson to_rule(const Atom& a) {
  ojson r = ojson::object();
  r["verbs"] = a.verbs;
  if (!a.groups.empty()) r["apiGroups"] = a.groups;
  if (!a.resources.empty()) r["resources"] = a.resources;
  if (!a.names.empty()) r["resourceNames"] = a.names;
  if (!a.urls.empty()) r["nonResourceURLs"] = a.urls;
  return r;
}

// Go's %q of a []string: ["a" "b"].
std::string quote_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + go_quote(v[i]);
  return out + "]";
}

// rbacv1helpers.CompactString.
std::string compact_string(const ojson& r) {
  std::vector<std::string> parts;
  for (auto [field, label] :
       std::vector<std::pair<const char*, const char*>>{{"apiGroups", "APIGroups"},
                                                        {"resources", "Resources"},
                                                        {"nonResourceURLs", "NonResourceURLs"},
                                                        {"resourceNames", "ResourceNames"},
                                                        {"verbs", "Verbs"}}) {
    auto v = strings(r, field);
    if (!v.empty()) parts.push_back(std::string(label) + ":" + quote_list(v));
  }
  std::string out = "{";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out + "}";
}

// CompactRules: atomic rules of one group, one resource and at most one name merge their
// verbs (in order); anything else stays as it is.
std::vector<ojson> compact(const std::vector<ojson>& rules) {
  std::vector<ojson> out;
  std::map<std::tuple<std::string, std::string, bool, std::string>, ojson> simple;
  std::vector<std::tuple<std::string, std::string, bool, std::string>> order;
  for (const auto& r : rules) {
    auto groups = strings(r, "apiGroups");
    auto resources = strings(r, "resources");
    auto names = strings(r, "resourceNames");
    if (names.size() > 1 || !strings(r, "nonResourceURLs").empty() || groups.size() != 1 ||
        resources.size() != 1) {
      out.push_back(r);
      continue;
    }
    auto key = std::make_tuple(groups[0], resources[0], !names.empty(),
                               names.empty() ? std::string() : names[0]);
    auto it = simple.find(key);
    if (it == simple.end()) {
      simple.emplace(key, r);
      order.push_back(key);
    } else {
      for (const auto& v : strings(r, "verbs")) it->second["verbs"].push_back(v);
    }
  }
  for (const auto& k : order) out.push_back(simple[k]);
  return out;
}

}  // namespace

bool rules_cover(const std::vector<ojson>& owner, const ojson& servant,
                 std::vector<ojson>* missing) {
  bool all = true;
  if (!servant.is_array()) return true;
  for (const auto& rule : servant) {
    for (const Atom& a : breakdown(rule)) {
      bool covered = false;
      for (const auto& o : owner) {
        if (rule_covers(o, a)) {
          covered = true;
          break;
        }
      }
      if (!covered) {
        all = false;
        if (missing) missing->push_back(to_rule(a));
      }
    }
  }
  return all;
}

std::string escalation_message(const std::string& user, const std::vector<std::string>& groups,
                               const std::vector<ojson>& missing,
                               const std::string& resolution_errors) {
  std::set<std::string> descriptions;  // sets.NewString: sorted, unique
  for (const auto& r : compact(missing)) descriptions.insert(compact_string(r));
  std::string msg = "user " + go_quote(user) + " (groups=" + quote_list(groups) +
                    ") is attempting to grant RBAC permissions not currently held:";
  for (const auto& d : descriptions) msg += "\n" + d;
  // fmt's %v of the []error holding RulesFor's aggregate.
  if (!resolution_errors.empty()) msg += "; resolution errors: [" + resolution_errors + "]";
  return msg;
}

}  // namespace kftenant::testserver
