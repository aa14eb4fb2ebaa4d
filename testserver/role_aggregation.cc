#include "testserver/role_aggregation.h"

#include "testserver/server_impl.h"

namespace kftenant::testserver {
namespace {

const char kAggregationManager[] = "clusterrole-aggregation-controller";
const char kClusterRoles[] = "clusterroles.rbac.authorization.k8s.io";

std::optional<std::string> label(const ojson& labels, const std::string& key) {
  if (!labels.is_object()) return std::nullopt;
  auto it = labels.find(key);
  if (it == labels.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

bool contains(const ojson& values, const std::string& v) {
  if (!values.is_array()) return false;
  for (const auto& x : values) {
    if (x.is_string() && x.get<std::string>() == v) return true;
  }
  return false;
}

// A PolicyRule with its five lists always present, for equality.Semantic.DeepEqual.
ojson canonical_rule(const ojson& rule) {
  ojson out = ojson::object();
  for (const char* f : {"verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"}) {
    auto it = rule.is_object() ? rule.find(f) : rule.end();
    out[f] = it != rule.end() && it->is_array() ? *it : ojson::array();
  }
  return out;
}

ojson canonical_rules(const ojson& rules) {
  ojson out = ojson::array();
  if (rules.is_array()) {
    for (const auto& r : rules) out.push_back(canonical_rule(r));
  }
  return out;
}

}  // namespace

std::optional<bool> label_selector_matches(const ojson& selector, const ojson& labels) {
  if (!selector.is_object()) return true;
  if (auto ml = selector.find("matchLabels"); ml != selector.end() && ml->is_object()) {
    for (auto it = ml->begin(); it != ml->end(); ++it) {
      auto have = label(labels, it.key());
      if (!have || !it.value().is_string() || *have != it.value().get<std::string>()) return false;
    }
  }
  if (auto me = selector.find("matchExpressions"); me != selector.end() && me->is_array()) {
    for (const auto& expr : *me) {
      std::string key = expr.value("key", "");
      std::string op = expr.value("operator", "");
      const ojson values = expr.value("values", ojson::array());
      auto have = label(labels, key);
      if (op == "In") {
        if (!have || !contains(values, *have)) return false;
      } else if (op == "NotIn") {
        if (have && contains(values, *have)) return false;
      } else if (op == "Exists") {
        if (!have) return false;
      } else if (op == "DoesNotExist") {
        if (have) return false;
      } else {
        return std::nullopt;  // "%q is not a valid label selector operator"
      }
    }
  }
  return true;
}

std::optional<ojson> aggregated_rules(const ojson& role, const std::vector<const ojson*>& all) {
  auto ar = role.find("aggregationRule");
  if (ar == role.end() || !ar->is_object()) return std::nullopt;
  std::string name = role["metadata"].value("name", "");
  ojson rules = ojson::array();
  ojson seen = ojson::array();  // canonical forms of `rules`
  const ojson selectors = ar->value("clusterRoleSelectors", ojson::array());
  for (const auto& selector : selectors) {
    for (const ojson* other : all) {
      const ojson& meta = (*other)["metadata"];
      if (meta.value("name", "") == name) continue;
      auto m = label_selector_matches(selector, meta.value("labels", ojson::object()));
      if (!m) return std::nullopt;
      if (!*m) continue;
      for (const auto& rule : other->value("rules", ojson::array())) {
        ojson c = canonical_rule(rule);
        if (std::find(seen.begin(), seen.end(), c) != seen.end()) continue;
        seen.push_back(c);
        rules.push_back(rule);
      }
    }
  }
  return rules;
}

bool same_rules(const ojson& a, const ojson& b) {
  return canonical_rules(a) == canonical_rules(b);
}

// ---- the simulated controller ---------------------------------------------------------------

void ApiServer::Impl::schedule_role_aggregation() {
  if (role_aggregation_scheduled) return;
  role_aggregation_scheduled = true;
  scheduler.after(opts.role_aggregation_delay, [this] {
    auto lock = store.lock();
    role_aggregation_scheduled = false;
    run_role_aggregation();
  });
}

void ApiServer::Impl::run_role_aggregation() {
  auto info = registry.find("rbac.authorization.k8s.io", "v1", "clusterroles");
  std::vector<std::pair<std::string, ojson>> updates;
  {
    std::vector<const ojson*> all;
    for (const auto& [key, obj] : store.list(kClusterRoles)) all.push_back(obj);
    for (const ojson* role : all) {
      auto rules = aggregated_rules(*role, all);
      if (!rules || same_rules(*rules, role->value("rules", ojson::array()))) continue;
      updates.emplace_back((*role)["metadata"].value("name", ""), std::move(*rules));
    }
  }
  // Each write is an Update event, which queues another pass: chained aggregations (view into
  // edit into admin) settle after a few passes, the last of which changes nothing.
  for (auto& [name, rules] : updates) {
    Route r;
    r.group = info->group;
    r.version = "v1";
    r.plural = info->plural;
    r.name = name;
    r.info = info;
    httplib::Request req;
    req.method = "PATCH";
    req.path = "/apis/rbac.authorization.k8s.io/v1/clusterroles/" + name;
    req.target = req.path + "?fieldManager=" + kAggregationManager + "&force=true";
    req.set_header("Content-Type", "application/apply-patch+yaml");
    ojson applied = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                     {"kind", "ClusterRole"},
                     {"metadata", {{"name", name}}},
                     {"rules", rules}};
    do_apply(r, applied.dump(), req);
  }
}

}  // namespace kftenant::testserver
