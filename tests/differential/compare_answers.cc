#include "differential/compare_answers.h"

#include <algorithm>
#include <regex>
#include <set>

#include "transcripts/compare.h"

namespace kftenant::differential {
namespace {

using transcripts::compact;

const std::regex& rv_placeholder() {
  static const std::regex re(R"(<rv:([0-9]+)>)");
  return re;
}

std::string event_type(const Json& line) {
  return line.is_object() && line.contains("type") && line["type"].is_string()
             ? line["type"].get<std::string>()
             : "?";
}

std::string type_list(const Json& lines) {
  std::string out = "[";
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? "," : "") + event_type(lines[i]);
  return out + "]";
}

// diff_json speaks of "expected" and "got"; here the first document is the fake's.
std::string reword(std::string d) {
  static const std::vector<std::pair<std::regex, std::string>> rules = {
      {std::regex(R"(: missing \(expected (.*)\)$)"), ": only the fake has $1"},
      {std::regex(R"(: unexpected (.*)$)"), ": only the real server has $1"},
      {std::regex(R"(: key order expected (\[.*\]), got (\[.*\])$)"),
       ": key order: fake $1, real $2"},
      {std::regex(R"(: expected ([0-9]+) items (.*), got ([0-9]+) (.*)$)"),
       ": fake $1 items $2, real $3 $4"},
      {std::regex(R"(: expected (.*), got (.*)$)"), ": fake $1, real $2"},
  };
  for (const auto& [re, fmt] : rules) {
    if (std::regex_search(d, re)) return std::regex_replace(d, re, fmt);
  }
  return d;
}

// "a.b[2].c" → erased from `doc` when present.
void erase_path(Json& doc, const std::string& path) {
  Json* at = &doc;
  std::string rest = path;
  while (!rest.empty()) {
    size_t dot = rest.find('.');
    std::string key = rest.substr(0, dot);
    rest = dot == std::string::npos ? "" : rest.substr(dot + 1);
    std::optional<size_t> index;
    if (auto br = key.find('['); br != std::string::npos) {
      index = std::stoul(key.substr(br + 1));
      key = key.substr(0, br);
    }
    if (!at->is_object() || !at->contains(key)) return;
    if (rest.empty() && !index) {
      at->erase(key);
      return;
    }
    at = &(*at)[key];
    if (index) {
      if (!at->is_array() || *index >= at->size()) return;
      if (rest.empty()) {
        at->erase(*index);
        return;
      }
      at = &(*at)[*index];
    }
  }
}

void trim_to(const Json& fake, Json& real) {
  for (const char* list : {"groups", "resources"}) {
    if (!fake.is_object() || !real.is_object() || !fake.contains(list) || !real.contains(list) ||
        !real[list].is_array()) {
      continue;
    }
    std::set<std::string> wanted;
    for (const auto& item : fake[list]) wanted.insert(item.value("name", ""));
    Json kept = Json::array();
    for (const auto& item : real[list]) {
      if (item.is_object() && wanted.count(item.value("name", ""))) kept.push_back(item);
    }
    real[list] = kept;
  }
}

void sort_by_name(Json& body, const char* list) {
  if (!body.is_object() || !body.contains(list) || !body[list].is_array()) return;
  std::stable_sort(body[list].begin(), body[list].end(), [](const Json& a, const Json& b) {
    return a.value("name", "") < b.value("name", "");
  });
}

// managedFields sort by operation, then time (whole seconds), then manager: the time order is
// not reproducible across two servers, so both sides are put in (operation, manager) order
// (see the header).
void sort_managed_fields(Json& body) {
  if (!body.is_object() || !body.contains("metadata") || !body["metadata"].is_object()) return;
  Json& mf = body["metadata"]["managedFields"];
  if (!mf.is_array()) {
    if (mf.is_null()) body["metadata"].erase("managedFields");
    return;
  }
  std::stable_sort(mf.begin(), mf.end(), [](const Json& a, const Json& b) {
    return std::make_pair(a.value("operation", ""), a.value("manager", "")) <
           std::make_pair(b.value("operation", ""), b.value("manager", ""));
  });
}

void sort_items(Json& body) {
  if (!body.is_object() || !body.contains("items") || !body["items"].is_array()) return;
  auto key = [](const Json& item) {
    if (!item.is_object() || !item.contains("metadata")) return std::string();
    return item["metadata"].value("namespace", "") + "/" + item["metadata"].value("name", "");
  };
  std::stable_sort(body["items"].begin(), body["items"].end(),
                   [&](const Json& a, const Json& b) { return key(a) < key(b); });
}

// Runs of consecutive BOOKMARK lines reduced to their last one: the real server sends its
// last bookmark "about 2 s before timeoutSeconds ends (best effort, sometimes twice)".
Json collapse_bookmarks(const Json& lines) {
  Json out = Json::array();
  for (const auto& l : lines) {
    if (!out.empty() && event_type(l) == "BOOKMARK" && event_type(out.back()) == "BOOKMARK") {
      out.back() = l;
    } else {
      out.push_back(l);
    }
  }
  return out;
}

bool is_list(const Json& body) {
  if (!body.is_object() || !body.contains("kind") || !body["kind"].is_string()) return false;
  const std::string kind = body["kind"].get<std::string>();
  return kind.size() > 4 && kind.ends_with("List");
}

}  // namespace

long long AnswerComparer::real_value(int n) const {
  auto v = real_.own_rv(n);
  if (!v) return -1;
  try {
    return std::stoll(*v);
  } catch (...) {
    return -1;
  }
}

bool AnswerComparer::pair(int a, int b, Position where) {
  auto fr = fake_to_real_.find(a);
  if (fr != fake_to_real_.end() && fr->second == b) return true;
  if (where == Position::kStrict) {
    if (fr != fake_to_real_.end() || real_to_fake_.count(b)) return false;
    fake_to_real_[a] = b;
    real_to_fake_[b] = a;
    return true;
  }
  if (where == Position::kCacheRevision) return true;  // the watch cache's: not comparable
  // The store's current revision: at least the real counterpart of the fake's value, and never
  // older than what the real server said for it before (unrelated writes only move it on).
  auto cur = current_fake_to_real_.find(a);
  if (cur != current_fake_to_real_.end() && cur->second != b &&
      real_value(b) < real_value(cur->second)) {
    return false;
  }
  if (fr != fake_to_real_.end() && real_value(b) < real_value(fr->second)) return false;
  current_fake_to_real_[a] = b;
  return true;
}

std::string AnswerComparer::reconcile_string(const std::string& fake, const std::string& real,
                                             Position where) {
  std::vector<int> fa, ra;
  for (auto it = std::sregex_iterator(fake.begin(), fake.end(), rv_placeholder());
       it != std::sregex_iterator(); ++it) {
    fa.push_back(std::stoi(it->str(1)));
  }
  std::string skeleton_real;
  std::vector<std::pair<size_t, size_t>> spans;  // of real's placeholders
  for (auto it = std::sregex_iterator(real.begin(), real.end(), rv_placeholder());
       it != std::sregex_iterator(); ++it) {
    ra.push_back(std::stoi(it->str(1)));
    spans.emplace_back(static_cast<size_t>(it->position(0)), static_cast<size_t>(it->length(0)));
  }
  if (ra.empty()) return real;
  const bool same_shape =
      fa.size() == ra.size() && std::regex_replace(fake, rv_placeholder(), "<rv>") ==
                                    std::regex_replace(real, rv_placeholder(), "<rv>");
  std::string out = real;
  for (size_t i = ra.size(); i-- > 0;) {
    std::string replacement = same_shape && pair(fa[i], ra[i], where)
                                  ? "<rv:" + std::to_string(fa[i]) + ">"
                                  : "<rv:real#" + std::to_string(ra[i]) + ">";
    out.replace(spans[i].first, spans[i].second, replacement);
  }
  return out;
}

void AnswerComparer::reconcile(const Json& fake, Json& real, Position list_position, bool bookmark,
                               const std::string& path) {
  if (real.is_string()) {
    Position where = Position::kStrict;
    if (path == "metadata.resourceVersion") where = list_position;
    if (bookmark && path == "object.metadata.resourceVersion") where = Position::kCacheRevision;
    // "too old resource version: 1 (N)": N is the oldest revision of that resource's watch
    // cache (cacher/watch_cache.go), which the real server's unrelated writes move: a cache
    // revision like a BOOKMARK's. (The version sent is kept as a literal when it is 0 or 1.)
    static const std::regex too_old(R"(too old resource version: )");
    if (std::regex_search(real.get_ref<const std::string&>(), too_old)) {
      where = Position::kCacheRevision;
    }
    real = reconcile_string(fake.is_string() ? fake.get<std::string>() : std::string(),
                            real.get<std::string>(), where);
    return;
  }
  if (real.is_object()) {
    for (auto it = real.begin(); it != real.end(); ++it) {
      const std::string child = path.empty() ? it.key() : path + "." + it.key();
      static const Json kNull;
      const Json& f = fake.is_object() && fake.contains(it.key()) ? fake.at(it.key()) : kNull;
      reconcile(f, it.value(), list_position, bookmark, child);
    }
  } else if (real.is_array()) {
    for (size_t i = 0; i < real.size(); ++i) {
      static const Json kNull;
      const Json& f = fake.is_array() && i < fake.size() ? fake[i] : kNull;
      reconcile(f, real[i], list_position, bookmark, path + "[" + std::to_string(i) + "]");
    }
  }
}

// YAML (or other text) answers, line by line: in a List (a top-level `kind: ...List` line) the
// `resourceVersion` under the top-level `metadata:` is the store's current revision.
std::string AnswerComparer::reconcile_text(const std::string& fake, const std::string& real,
                                           Position list_position) {
  auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
      out.push_back(text.substr(start, nl - start));
    }
    out.push_back(text.substr(start));
    return out;
  };
  std::vector<std::string> f = lines(fake), r = lines(real);
  if (f.size() != r.size()) return reconcile_string(fake, real, Position::kStrict);
  static const std::regex list_kind(R"(^kind: [A-Za-z0-9]+List$)");
  const bool list = std::any_of(
      f.begin(), f.end(), [](const std::string& l) { return std::regex_match(l, list_kind); });
  std::string out, top;
  for (size_t i = 0; i < r.size(); ++i) {
    if (!r[i].empty() && r[i][0] != ' ' && r[i][0] != '-') top = r[i].substr(0, r[i].find(':'));
    const bool current = list && top == "metadata" && r[i].rfind("  resourceVersion:", 0) == 0;
    out += reconcile_string(f[i], r[i], current ? list_position : Position::kStrict);
    if (i + 1 < r.size()) out += '\n';
  }
  return out;
}

void AnswerComparer::compare(const Answer& fake, const Answer& real, const Json& options,
                             Comparison& out) {
  const std::string step = fake.step;
  auto disagree = [&](const std::string& category, const std::string& detail) {
    out.disagreements.push_back({step, category, detail});
  };
  if (!fake.sent || !real.sent) return;  // a setup problem, reported by the replay
  ++out.exchanges;
  if (!fake.transport_error.empty() || !real.transport_error.empty()) {
    if (fake.transport_error.empty() != real.transport_error.empty() ||
        fake.status != real.status) {
      disagree("transport",
               "fake \"" + fake.transport_error + "\", real \"" + real.transport_error + "\"");
    }
    ++out.checks;
    if (fake.status == 0 || real.status == 0) return;
  }
  out.checks += 3;
  if (fake.status != real.status) {
    disagree("status",
             "fake " + std::to_string(fake.status) + ", real " + std::to_string(real.status));
  }
  if (fake.content_type != real.content_type) {
    disagree("content-type",
             "fake \"" + fake.content_type + "\", real \"" + real.content_type + "\"");
  }
  for (const char* name : {"Warning", "Retry-After", "Location"}) {
    auto f = fake.headers.find(name);
    auto r = real.headers.find(name);
    std::vector<std::string> fv = f == fake.headers.end() ? std::vector<std::string>{} : f->second;
    std::vector<std::string> rv = r == real.headers.end() ? std::vector<std::string>{} : r->second;
    if (fv != rv) {
      disagree("header",
               std::string(name) + ": fake " + compact(Json(fv)) + ", real " + compact(Json(rv)));
    }
  }

  const Json opts = options.is_object() ? options : Json::object();
  // Where a List's revision comes from: the watch cache when a resourceVersion was asked for
  // (other than an Exact one), else etcd (consistent read, or a continue token's snapshot).
  static const std::regex asked_rv(R"([?&]resourceVersion=)");
  static const std::regex exact(R"([?&]resourceVersionMatch=Exact(&|$))");
  const Position list_position =
      std::regex_search(real.request, asked_rv) && !std::regex_search(real.request, exact)
          ? Position::kCacheRevision
          : Position::kCurrentRevision;
  auto prepare = [&](Json f, Json r) {
    if (opts.value("trim_real_to_fake", false)) trim_to(f, r);
    sort_managed_fields(f);
    sort_managed_fields(r);
    if (opts.value("sort_resources", false)) {
      sort_by_name(f, "resources");
      sort_by_name(r, "resources");
    }
    if (opts.value("sort_items", false)) {
      sort_items(f);
      sort_items(r);
    }
    for (const auto& p : opts.value("ignore", Json::array())) {
      erase_path(f, p.get<std::string>());
      erase_path(r, p.get<std::string>());
    }
    return std::make_pair(std::move(f), std::move(r));
  };
  auto body_diffs = [&](const Json& f, Json& r, bool bookmark, const std::string& prefix) {
    reconcile(f, r, is_list(f) || is_list(r) ? list_position : Position::kStrict, bookmark, "");
    for (const auto& d : transcripts::diff_json(f, r)) {
      bool order = d.find(": key order expected") != std::string::npos;
      disagree(order ? "key-order" : "body", prefix + reword(d));
    }
  };

  ++out.checks;
  if (fake.watch || real.watch) {
    ++out.checks;
    if (fake.framing != real.framing) {
      disagree("framing",
               "fake " + compact(Json(fake.framing)) + ", real " + compact(Json(real.framing)));
    }
    Json f = fake.body.is_array() ? fake.body : Json::array();
    Json r = real.body.is_array() ? real.body : Json::array();
    if (f.size() != r.size()) {
      Json fc = collapse_bookmarks(f), rc = collapse_bookmarks(r);
      if (fc.size() == rc.size()) {
        f = std::move(fc);
        r = std::move(rc);
      }
    }
    if (f.size() != r.size()) {
      // Pair what can be paired (the events before the first difference) so that later
      // exchanges still line up, then say what each side sent.
      auto without = [](const Json& lines) {
        Json out = Json::array();
        for (const auto& l : lines) {
          if (event_type(l) != "BOOKMARK") out.push_back(l);
        }
        return out;
      };
      Json fe = without(f), re = without(r);
      bool only_bookmarks = fe.size() == re.size();
      disagree(only_bookmarks ? "bookmark" : "watch-lines",
               "events: fake " + type_list(f) + ", real " + type_list(r));
      for (size_t i = 0; i < fe.size() && i < re.size(); ++i) {
        auto [fp, rp] = prepare(fe[i], re[i]);
        body_diffs(fp, rp, false, "event " + std::to_string(i + 1) + ": ");
      }
      if (!only_bookmarks) {
        for (size_t i = std::min(fe.size(), re.size()); i < std::max(fe.size(), re.size()); ++i) {
          if (i < fe.size()) disagree("watch-lines", "only the fake sent " + compact(fe[i], 300));
          if (i < re.size())
            disagree("watch-lines", "only the real server sent " + compact(re[i], 300));
        }
      }
      return;
    }
    for (size_t i = 0; i < f.size(); ++i) {
      auto [fp, rp] = prepare(f[i], r[i]);
      body_diffs(fp, rp, event_type(fp) == "BOOKMARK",
                 "line " + std::to_string(i + 1) + " (" + event_type(fp) + "): ");
    }
    return;
  }
  if (fake.body.is_string() && real.body.is_string()) {
    Json r =
        reconcile_text(fake.body.get<std::string>(), real.body.get<std::string>(), list_position);
    if (fake.body != r) {
      disagree("body",
               reword(transcripts::diff_text(fake.body.get<std::string>(), r.get<std::string>())));
    }
    return;
  }
  if (fake.body.is_string() || real.body.is_string()) {
    Json r = real.body;
    reconcile(fake.body, r, Position::kStrict, false, "");
    if (fake.body != r) {
      std::string d =
          fake.body.is_string() && r.is_string()
              ? transcripts::diff_text(fake.body.get<std::string>(), r.get<std::string>())
              : "fake " + compact(fake.body, 160) + ", real " + compact(r, 160);
      disagree("body", reword(d));
    }
    return;
  }
  auto [f, r] = prepare(fake.body, real.body);
  body_diffs(f, r, false, "");
}

}  // namespace kftenant::differential
