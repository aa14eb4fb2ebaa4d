#include "transcripts/normalize.h"

#include <algorithm>
#include <regex>
#include <sstream>
#include <tuple>

namespace kftenant::transcripts {
namespace {

const char kTime[] = "<time>";
const char kUid[] = "<uid>";
const char kContinue[] = "<continue>";
const char kRandom5[] = "<random5>";
const char kRootCaName[] = "kube-root-ca.crt";
const char kRootCaPlaceholder[] = "<cluster CA certificate, PEM>";

bool is_time_key(const std::string& key) {
  return key == "creationTimestamp" || key == "deletionTimestamp" || key == "time" ||
         key == "lastTransitionTime";
}

const std::regex& uuid_regex() {
  static const std::regex re("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  return re;
}

// Messages that carry resourceVersions. `keep_sent` marks groups holding the version we sent
// (kept when it is one of the literals 0 and 1, as the recordings keep them).
struct RvPattern {
  std::regex re;
  std::vector<bool> keep_sent;  // per capture group, 1-based index - 1
};

const std::vector<RvPattern>& rv_patterns() {
  // "too old resource version: 1 (123)": staging/src/k8s.io/apiserver/pkg/storage/errors.go
  // and the watch cache (k8s.io/apiserver/pkg/storage/cacher/watch_cache.go).
  static const std::vector<RvPattern> patterns = {
      {std::regex(R"(too old resource version: ([0-9]+) \(([0-9]+)\))"), {true, false}},
      {std::regex(R"(the ResourceVersion in the precondition \(([0-9]+)\) does not match the )"
                  R"(ResourceVersion in record \(([0-9]+)\))"),
       {false, false}},
  };
  return patterns;
}

bool kept_literal(const std::string& value) {
  return value == "0" || value == "1";
}

// Applies `fn(match, group_index, value)` to every resourceVersion group of every pattern and
// returns the rebuilt string with each group replaced by fn's answer.
template <typename Fn>
std::string rewrite_rv_groups(const std::string& text, Fn fn) {
  std::string current = text;
  for (const auto& pattern : rv_patterns()) {
    std::string out;
    auto begin = std::sregex_iterator(current.begin(), current.end(), pattern.re);
    size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      const std::smatch& m = *it;
      size_t pos = static_cast<size_t>(m.position(0));
      out.append(current, last, pos - last);
      std::string whole = m.str(0);
      // Rebuild the match with each group replaced, right to left so offsets stay valid.
      for (size_t g = m.size() - 1; g >= 1; --g) {
        size_t rel = static_cast<size_t>(m.position(g)) - pos;
        whole.replace(rel, static_cast<size_t>(m.length(g)),
                      fn(m.str(g), pattern.keep_sent[g - 1]));
      }
      out += whole;
      last = pos + static_cast<size_t>(m.length(0));
    }
    out.append(current, last, std::string::npos);
    current = std::move(out);
  }
  return current;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

size_t indent_of(const std::string& line) {
  size_t n = line.find_first_not_of(' ');
  return n == std::string::npos ? line.size() : n;
}

}  // namespace

bool rv_less(const std::string& a, const std::string& b) {
  auto numeric = [](const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  bool na = numeric(a), nb = numeric(b);
  if (na != nb) return na;
  if (na && a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

bool is_uuid(std::string_view s) {
  return std::regex_match(s.begin(), s.end(), uuid_regex());
}

void Normalizer::alias_rv(int recorded_n, int replay_n) {
  if (replay_n < 1 || static_cast<size_t>(replay_n) > rv_values_.size()) return;
  rv_aliases_.emplace(recorded_n, rv_values_[static_cast<size_t>(replay_n) - 1]);
}

std::optional<std::string> Normalizer::actual_rv(int n) const {
  if (auto it = rv_aliases_.find(n); it != rv_aliases_.end()) return it->second;
  if (n < 1 || static_cast<size_t>(n) > rv_values_.size()) return std::nullopt;
  return rv_values_[static_cast<size_t>(n) - 1];
}

std::optional<std::string> Normalizer::own_rv(int n) const {
  if (n < 1 || static_cast<size_t>(n) > rv_values_.size()) return std::nullopt;
  return rv_values_[static_cast<size_t>(n) - 1];
}

std::optional<std::string> Normalizer::uid_of(const std::string& name) const {
  auto it = uids_.find(name);
  if (it == uids_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Normalizer::creation_timestamp_of(const std::string& name) const {
  auto it = creation_timestamps_.find(name);
  if (it == creation_timestamps_.end()) return std::nullopt;
  return it->second;
}

void Normalizer::collect_rvs_in_message(const std::string& message,
                                        std::vector<std::string>& out) const {
  (void)rewrite_rv_groups(message, [&](const std::string& value, bool keep_sent) {
    if (!(keep_sent && kept_literal(value))) out.push_back(value);
    return value;
  });
}

void Normalizer::collect_rvs(const Json& node, std::vector<std::string>& out) const {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() == "managedFields") continue;
      if (it.key() == "resourceVersion" && it->is_string()) {
        out.push_back(it->get<std::string>());
      } else if (it.key() == "message" && it->is_string()) {
        collect_rvs_in_message(it->get<std::string>(), out);
      } else {
        collect_rvs(*it, out);
      }
    }
  } else if (node.is_array()) {
    for (const auto& item : node) collect_rvs(item, out);
  }
}

void Normalizer::number_new(std::vector<std::string> values) {
  std::sort(values.begin(), values.end(), rv_less);
  values.erase(std::unique(values.begin(), values.end()), values.end());
  for (const auto& v : values) {
    if (rv_numbers_.count(v)) continue;
    rv_values_.push_back(v);
    rv_numbers_[v] = static_cast<int>(rv_values_.size());
  }
}

std::string Normalizer::rv_placeholder(const std::string& value) const {
  auto it = rv_numbers_.find(value);
  if (it == rv_numbers_.end()) return value;  // cannot happen: every value was numbered first
  return "<rv:" + std::to_string(it->second) + ">";
}

std::string Normalizer::normalize_message(const std::string& message, std::string_view sent) const {
  std::string out = rewrite_rv_groups(message, [&](const std::string& value, bool keep_sent) {
    return keep_sent && kept_literal(value) ? value : rv_placeholder(value);
  });
  std::string result;
  auto begin = std::sregex_iterator(out.begin(), out.end(), uuid_regex());
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    size_t pos = static_cast<size_t>(it->position(0));
    result.append(out, last, pos - last);
    std::string uuid = it->str(0);
    result += sent.find(uuid) != std::string_view::npos ? uuid : std::string(kUid);
    last = pos + uuid.size();
  }
  result.append(out, last, std::string::npos);
  for (const auto& [actual, placeholder] : generated_names_) {
    for (size_t p = result.find(actual); p != std::string::npos; p = result.find(actual, p)) {
      result.replace(p, actual.size(), placeholder);
      p += placeholder.size();
    }
  }
  return result;
}

void Normalizer::remember(const Json& object) {
  auto name = object.find("name");
  if (name == object.end() || !name->is_string()) return;
  const std::string n = name->get<std::string>();
  if (auto uid = object.find("uid"); uid != object.end() && uid->is_string()) {
    uids_[n] = uid->get<std::string>();
  }
  if (auto ts = object.find("creationTimestamp"); ts != object.end() && ts->is_string()) {
    creation_timestamps_[n] = ts->get<std::string>();
  }
  // metadata.generateName "rec-gen-" + 5 random characters (apiserver names.SimpleNameGenerator).
  if (auto gen = object.find("generateName"); gen != object.end() && gen->is_string()) {
    const std::string g = gen->get<std::string>();
    if (n.size() == g.size() + 5 && n.compare(0, g.size(), g) == 0) {
      generated_names_[n] = g + kRandom5;
    }
  }
}

void Normalizer::normalize_node(Json& node, std::string_view sent) {
  if (node.is_array()) {
    for (auto& item : node) normalize_node(item, sent);
    return;
  }
  if (node.is_string()) {
    auto it = generated_names_.find(node.get<std::string>());
    if (it != generated_names_.end()) node = it->second;
    return;
  }
  if (!node.is_object()) return;

  remember(node);
  // kube-root-ca.crt (published by kube-controller-manager in every namespace): the README
  // replaces its certificate with a placeholder.
  if (auto md = node.find("metadata");
      md != node.end() && md->is_object() && md->value("name", "") == kRootCaName) {
    if (auto data = node.find("data");
        data != node.end() && data->is_object() && data->contains("ca.crt")) {
      (*data)["ca.crt"] = kRootCaPlaceholder;
    }
  }

  if (auto mf = node.find("managedFields"); mf != node.end()) {
    if (!options_.keep_managed_fields) {
      node.erase("managedFields");
    } else if (mf->is_array()) {
      for (auto& entry : *mf) {
        if (entry.is_object()) entry.erase("time");
      }
      // The server orders entries by operation, then time in whole seconds, then manager
      // (kubernetes/apiserver pkg/endpoints/handlers/fieldmanager/internal/managedfields.go,
      // sortEncodedManagedFields). Whether two writes fell in one second is chance (the fake
      // on a loaded machine crossed a second the recording did not), so with the time gone the
      // order compared is the one the server gives writes within one second.
      std::stable_sort(mf->begin(), mf->end(), [](const Json& a, const Json& b) {
        auto key = [](const Json& e) {
          return e.is_object()
                     ? std::make_tuple(e.value("operation", ""), e.value("manager", ""),
                                       e.value("apiVersion", ""), e.value("subresource", ""))
                     : std::make_tuple(std::string(), std::string(), std::string(), std::string());
        };
        return key(a) < key(b);
      });
    }
  }

  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string& key = it.key();
    Json& value = it.value();
    if (key == "managedFields") continue;
    if (key == "resourceVersion" && value.is_string()) {
      value = rv_placeholder(value.get<std::string>());
    } else if (key == "uid" && value.is_string()) {
      if (sent.find(value.get<std::string>()) == std::string_view::npos) value = kUid;
    } else if (is_time_key(key) && !value.is_null() && !value.is_object() && !value.is_array()) {
      value = kTime;
    } else if (key == "continue" && value.is_string() && !value.get<std::string>().empty()) {
      const std::string token = value.get<std::string>();
      if (continue_tokens_.empty() || continue_tokens_.back() != token) {
        continue_tokens_.push_back(token);
      }
      value = kContinue;
    } else if (key == "message" && value.is_string()) {
      value = normalize_message(value.get<std::string>(), sent);
    } else if (key == "serverAddress" && value.is_string()) {
      value = "<host:port>";
    } else {
      normalize_node(value, sent);
    }
  }
}

std::vector<Json> Normalizer::normalize_exchange(std::vector<Json> bodies, std::string_view sent) {
  std::vector<std::string> seen;
  for (const auto& body : bodies) collect_rvs(body, seen);
  number_new(std::move(seen));
  // Names first (generated names must be known before any string is rewritten).
  for (auto& body : bodies) normalize_node(body, sent);
  return bodies;
}

Json Normalizer::normalize(Json body, std::string_view sent) {
  std::vector<Json> one;
  one.push_back(std::move(body));
  return std::move(normalize_exchange(std::move(one), sent).front());
}

std::string Normalizer::normalize_text(const std::string& text, std::string_view sent) {
  static const std::regex rv_line(R"re(^(\s*(?:- )?resourceVersion: )"?([0-9]+)"?$)re");
  static const std::regex time_line(
      R"(^(\s*(?:- )?(?:creationTimestamp|deletionTimestamp|time|lastTransitionTime): )(.*)$)");
  static const std::regex uid_line(R"re(^(\s*(?:- )?uid: )"?([^"]*)"?$)re");
  static const std::regex continue_line(R"(^(\s*(?:- )?continue: )(.+)$)");
  static const std::regex managed_line(R"(^(\s*)(- )?managedFields:\s*$)");

  std::vector<std::string> lines = split_lines(text);
  const bool trailing_newline = !text.empty() && text.back() == '\n';

  // managedFields blocks are dropped unless this scenario keeps them.
  if (!options_.keep_managed_fields) {
    std::vector<std::string> kept;
    for (size_t i = 0; i < lines.size(); ++i) {
      std::smatch m;
      if (std::regex_match(lines[i], m, managed_line)) {
        size_t key_indent = m.length(1) + (m[2].matched ? 2 : 0);
        if (m[2].matched) kept.push_back(m.str(1) + "- ");  // keep the item marker (rare)
        size_t j = i + 1;
        while (j < lines.size()) {
          size_t ind = indent_of(lines[j]);
          bool deeper = ind > key_indent;
          bool same_level_item = ind == key_indent && lines[j].compare(ind, 2, "- ") == 0;
          if (!deeper && !same_level_item) break;
          ++j;
        }
        i = j - 1;
        continue;
      }
      kept.push_back(lines[i]);
    }
    lines = std::move(kept);
  }

  std::vector<std::string> seen;
  for (const auto& line : lines) {
    std::smatch m;
    if (std::regex_match(line, m, rv_line)) seen.push_back(m.str(2));
    collect_rvs_in_message(line, seen);
  }
  number_new(std::move(seen));

  std::ostringstream out;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string line = lines[i];
    std::smatch m;
    if (std::regex_match(line, m, rv_line)) {
      line = m.str(1) + "\"" + rv_placeholder(m.str(2)) + "\"";
    } else if (std::regex_match(line, m, time_line)) {
      if (m.str(2) != "null") line = m.str(1) + "\"" + kTime + "\"";
    } else if (std::regex_match(line, m, uid_line)) {
      if (sent.find(m.str(2)) == std::string_view::npos) line = m.str(1) + kUid;
    } else if (std::regex_match(line, m, continue_line)) {
      std::string token = m.str(2);
      if (token != "\"\"" && token != "''") {
        continue_tokens_.push_back(token);
        line = m.str(1) + kContinue;
      }
    } else {
      line = normalize_message(line, sent);
    }
    out << line;
    if (i + 1 < lines.size() || trailing_newline) out << '\n';
  }
  return out.str();
}

}  // namespace kftenant::transcripts
