#include "testserver/json_patch.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace kftenant::testserver {

namespace {

// ---- JSON patch (RFC 6902) ----------------------------------------------------------------------

tl::unexpected<Error> patch_error(std::string detail, std::string path = {}) {
  Error e;
  e.code = ErrorCode::kInvalid;
  e.message = std::string(kJsonPatchRejected);
  e.http_status = 422;
  e.reason = "Invalid";
  e.causes.push_back({"", std::move(detail), std::move(path)});
  return tl::unexpected<Error>(std::move(e));
}

// Splits a JSON pointer into unescaped reference tokens; nullopt when malformed.
std::optional<std::vector<std::string>> split_pointer(std::string_view ptr) {
  std::vector<std::string> tokens;
  if (ptr.empty()) return tokens;
  if (ptr[0] != '/') return std::nullopt;
  size_t start = 1;
  while (true) {
    size_t slash = ptr.find('/', start);
    std::string_view raw = ptr.substr(start, slash == ptr.npos ? ptr.npos : slash - start);
    std::string tok;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~') {
        if (i + 1 >= raw.size() || (raw[i + 1] != '0' && raw[i + 1] != '1')) return std::nullopt;
        tok += raw[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        tok += raw[i];
      }
    }
    tokens.push_back(std::move(tok));
    if (slash == ptr.npos) break;
    start = slash + 1;
  }
  return tokens;
}

// Array index: decimal, optionally negative (counted from the end). nullopt when not a number.
std::optional<long long> parse_index(const std::string& tok) {
  if (tok.empty() || tok.size() > 18) return std::nullopt;
  size_t i = tok[0] == '-' ? 1 : 0;
  if (i == tok.size()) return std::nullopt;
  for (size_t j = i; j < tok.size(); ++j)
    if (tok[j] < '0' || tok[j] > '9') return std::nullopt;
  return std::stoll(tok);
}

template <typename J>
J* resolve(J& doc, const std::vector<std::string>& tokens, size_t count) {
  J* cur = &doc;
  for (size_t i = 0; i < count; ++i) {
    const std::string& t = tokens[i];
    if (cur->is_object()) {
      auto it = cur->find(t);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array()) {
      auto idx = parse_index(t);
      if (!idx) return nullptr;
      long long n = static_cast<long long>(cur->size());
      long long k = *idx < 0 ? *idx + n : *idx;
      if (k < 0 || k >= n) return nullptr;
      cur = &(*cur)[static_cast<size_t>(k)];
    } else {
      return nullptr;
    }
  }
  return cur;
}

template <typename J>
Result<void> do_add(J& doc, const std::string& path, const J& value) {
  auto tokens = split_pointer(path);
  if (!tokens) return patch_error(fmt::format("invalid JSON pointer \"{}\"", path), path);
  if (tokens->empty()) {
    doc = value;
    return ok();
  }
  J* parent = resolve(doc, *tokens, tokens->size() - 1);
  if (!parent)
    return patch_error("add operation does not apply: doc is missing path: " + path, path);
  const std::string& last = tokens->back();
  if (parent->is_object()) {
    (*parent)[last] = value;
    return ok();
  }
  if (parent->is_array()) {
    long long n = static_cast<long long>(parent->size());
    long long k;
    if (last == "-") {
      k = n;
    } else {
      auto idx = parse_index(last);
      if (!idx) return patch_error("add operation: invalid array index in " + path, path);
      k = *idx < 0 ? *idx + n : *idx;
      if (k < 0 || k > n)
        return patch_error("add operation: array index out of bounds: " + path, path);
    }
    parent->insert(parent->begin() + k, value);
    return ok();
  }
  return patch_error("add operation does not apply: parent is not a container: " + path, path);
}

template <typename J>
Result<J> do_remove(J& doc, const std::string& path) {
  auto tokens = split_pointer(path);
  if (!tokens) return patch_error(fmt::format("invalid JSON pointer \"{}\"", path), path);
  if (tokens->empty()) {
    J old = doc;
    doc = J();
    return old;
  }
  J* parent = resolve(doc, *tokens, tokens->size() - 1);
  const std::string& last = tokens->back();
  if (parent && parent->is_object()) {
    auto it = parent->find(last);
    if (it != parent->end()) {
      J old = *it;
      parent->erase(last);
      return old;
    }
  } else if (parent && parent->is_array()) {
    auto idx = parse_index(last);
    long long n = static_cast<long long>(parent->size());
    if (idx) {
      long long k = *idx < 0 ? *idx + n : *idx;
      if (k >= 0 && k < n) {
        J old = (*parent)[static_cast<size_t>(k)];
        parent->erase(static_cast<size_t>(k));
        return old;
      }
    }
  }
  return patch_error("remove operation does not apply: doc is missing path: " + path, path);
}

template <typename J>
Result<std::string> member_string(const J& op, const char* name, size_t index) {
  auto it = op.find(name);
  if (it == op.end() || !it->is_string())
    return patch_error(fmt::format("operation {} has no string \"{}\"", index, name));
  return it->template get<std::string>();
}

template <typename J>
Result<void> apply_one(J& doc, const J& op, size_t index) {
  if (!op.is_object()) return patch_error(fmt::format("operation {} is not an object", index));
  auto kind = member_string(op, "op", index);
  if (!kind) return tl::unexpected(kind.error());
  auto path = member_string(op, "path", index);
  if (!path) return tl::unexpected(path.error());
  auto value = [&]() -> Result<J> {
    auto it = op.find("value");
    if (it == op.end())
      return patch_error(fmt::format("{} operation {} has no \"value\"", *kind, index), *path);
    return *it;
  };

  if (*kind == "add") {
    auto v = value();
    if (!v) return tl::unexpected(v.error());
    return do_add(doc, *path, *v);
  }
  if (*kind == "remove") {
    auto r = do_remove(doc, *path);
    if (!r) return tl::unexpected(r.error());
    return ok();
  }
  if (*kind == "replace") {
    auto v = value();
    if (!v) return tl::unexpected(v.error());
    auto tokens = split_pointer(*path);
    if (!tokens) return patch_error(fmt::format("invalid JSON pointer \"{}\"", *path), *path);
    J* target = resolve(doc, *tokens, tokens->size());
    if (!target)
      return patch_error("replace operation does not apply: doc is missing key: " + *path, *path);
    *target = *v;
    return ok();
  }
  if (*kind == "move" || *kind == "copy") {
    auto from = member_string(op, "from", index);
    if (!from) return tl::unexpected(from.error());
    if (*kind == "move") {
      if (*from == *path) return ok();
      if (path->rfind(*from + "/", 0) == 0)
        return patch_error("move operation: cannot move a value into one of its children", *path);
      auto moved = do_remove(doc, *from);
      if (!moved) return tl::unexpected(moved.error());
      return do_add(doc, *path, *moved);
    }
    auto tokens = split_pointer(*from);
    if (!tokens) return patch_error(fmt::format("invalid JSON pointer \"{}\"", *from), *from);
    J* source = resolve(doc, *tokens, tokens->size());
    if (!source)
      return patch_error("copy operation does not apply: doc is missing from path: " + *from,
                         *from);
    J copy = *source;
    return do_add(doc, *path, copy);
  }
  if (*kind == "test") {
    auto v = value();
    if (!v) return tl::unexpected(v.error());
    auto tokens = split_pointer(*path);
    if (!tokens) return patch_error(fmt::format("invalid JSON pointer \"{}\"", *path), *path);
    J* target = resolve(doc, *tokens, tokens->size());
    if (!target) {
      if (v->is_null()) return ok();  // evanphx: a missing value equals null
      return patch_error("test operation does not apply: doc is missing path: " + *path, *path);
    }
    if (*target != *v) return patch_error("testing value " + *path + " failed: test failed", *path);
    return ok();
  }
  return patch_error(fmt::format("unexpected kind of operation \"{}\"", *kind), *path);
}

// ---- strategic merge patch
// -----------------------------------------------------------------------

constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList/";
constexpr std::string_view kSetElementOrder = "$setElementOrder/";

tl::unexpected<Error> smp_error(std::string message) {
  return make_error(ErrorCode::kBadRequest, std::move(message));
}

std::string child_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

template <typename J>
Result<J> strip_directives(const J& v, const std::string& path, const StrategicSchema& schema);

template <typename J>
Result<std::optional<J>> merge_map(const J& original, const J& patch, const std::string& path,
                                   const StrategicSchema& schema);

// Merges patch list `patch` into `original` (the list at `path`).
template <typename J>
Result<J> merge_list(const J& original, const J& patch, const std::string& path,
                     const StrategicSchema& schema) {
  const StrategicSchema::ListRule* rule = schema.find(path);
  // A {"$patch": "replace"} element replaces the whole list with the other elements.
  for (const auto& e : patch) {
    if (e.is_object() && e.contains("$patch") && e["$patch"] == "replace") {
      J out = J::array();
      for (const auto& x : patch)
        if (!(x.is_object() && x.contains("$patch"))) {
          auto s = strip_directives(x, path, schema);
          if (!s) return tl::unexpected(s.error());
          out.push_back(*s);
        }
      return out;
    }
  }
  if (!rule) return strip_directives(patch, path, schema);  // atomic list: replace
  J out = original.is_array() ? original : J::array();
  if (rule->merge_key.empty()) {  // set of primitives
    for (const auto& e : patch)
      if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
    return out;
  }
  const std::string& key = rule->merge_key;
  for (const auto& e : patch) {
    if (!e.is_object())
      return smp_error(fmt::format("list {} has an element that is not a map", path));
    auto k = e.find(key);
    if (k == e.end())
      return smp_error(
          fmt::format("map: {} does not contain declared merge key: {}", e.dump(), key));
    auto match = std::find_if(out.begin(), out.end(), [&](const J& o) {
      return o.is_object() && o.contains(key) && o[key] == *k;
    });
    auto directive = e.find("$patch");
    if (directive != e.end()) {
      if (*directive == "delete") {
        out.erase(std::remove_if(
                      out.begin(), out.end(),
                      [&](const J& o) { return o.is_object() && o.contains(key) && o[key] == *k; }),
                  out.end());
        continue;
      }
      if (*directive != "merge" && *directive != "replace")
        return smp_error(fmt::format("Unknown patch type: {}", directive->dump()));
    }
    if (match == out.end()) {
      auto s = strip_directives(e, path, schema);
      if (!s) return tl::unexpected(s.error());
      out.push_back(*s);
    } else {
      auto merged = merge_map(*match, e, path, schema);
      if (!merged) return tl::unexpected(merged.error());
      if (*merged) *match = **merged;
    }
  }
  return out;
}

// A value added where nothing existed: merge into an empty container, so directives go away.
template <typename J>
Result<J> strip_directives(const J& v, const std::string& path, const StrategicSchema& schema) {
  if (v.is_object()) {
    auto r = merge_map(J::object(), v, path, schema);
    if (!r) return tl::unexpected(r.error());
    return r->value_or(J::object());
  }
  if (v.is_array()) {
    J out = J::array();
    for (const auto& e : v) {
      if (e.is_object()) {
        if (e.contains("$patch")) continue;  // delete/replace markers have nothing to act on
        auto s = strip_directives(e, path, schema);
        if (!s) return tl::unexpected(s.error());
        out.push_back(*s);
      } else {
        out.push_back(e);
      }
    }
    return out;
  }
  return v;
}

// Returns nullopt when the map is to be deleted ("$patch": "delete").
template <typename J>
Result<std::optional<J>> merge_map(const J& original, const J& patch, const std::string& path,
                                   const StrategicSchema& schema) {
  auto directive = patch.find("$patch");
  if (directive != patch.end()) {
    if (*directive == "delete") return std::optional<J>();
    if (*directive == "replace") {
      J copy = patch;
      copy.erase("$patch");
      auto s = strip_directives(copy, path, schema);
      if (!s) return tl::unexpected(s.error());
      return std::optional<J>(*s);
    }
    if (*directive != "merge")
      return smp_error(
          fmt::format("Unknown patch type: {} in map: {}", directive->dump(), patch.dump()));
  }
  J out = original.is_object() ? original : J::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& key = it.key();
    const J& value = it.value();
    if (key == "$patch" || key == "$retainKeys") continue;
    if (key.rfind(kSetElementOrder, 0) == 0) {
      if (!value.is_array()) return smp_error("invalid type for $setElementOrder list: " + key);
      continue;
    }
    if (key.rfind(kDeleteFromPrimitiveList, 0) == 0) {
      if (!value.is_array()) return smp_error("invalid patch format for primitive list: " + key);
      std::string field = key.substr(kDeleteFromPrimitiveList.size());
      auto target = out.find(field);
      if (target != out.end() && target->is_array()) {
        J kept = J::array();
        for (const auto& e : *target)
          if (std::find(value.begin(), value.end(), e) == value.end()) kept.push_back(e);
        *target = std::move(kept);
      }
      continue;
    }
    if (key.starts_with("$"))
      return smp_error(fmt::format("unknown directive {} in strategic merge patch", key));
    const std::string sub = child_path(path, key);
    if (value.is_null()) {
      out.erase(key);
      continue;
    }
    auto existing = out.find(key);
    if (value.is_object()) {
      J base = existing != out.end() && existing->is_object() ? *existing : J::object();
      auto merged = merge_map(base, value, sub, schema);
      if (!merged) return tl::unexpected(merged.error());
      if (*merged) {
        out[key] = **merged;
      } else {
        out.erase(key);
      }
    } else if (value.is_array()) {
      J base = existing != out.end() && existing->is_array() ? *existing : J::array();
      auto merged = merge_list(base, value, sub, schema);
      if (!merged) return tl::unexpected(merged.error());
      out[key] = *merged;
    } else {
      out[key] = value;
    }
  }
  auto retain = patch.find("$retainKeys");
  if (retain != patch.end()) {
    if (!retain->is_array()) return smp_error("invalid patch format for retainKeys");
    std::vector<std::string> drop;
    for (auto it = out.begin(); it != out.end(); ++it)
      if (std::find(retain->begin(), retain->end(), J(it.key())) == retain->end())
        drop.push_back(it.key());
    for (const auto& k : drop) out.erase(k);
  }
  return std::optional<J>(std::move(out));
}

}  // namespace

template <typename J>
Result<J> apply_merge_patch(const J& target, const J& patch) {
  // nlohmann's merge_patch is RFC 7386's MergePatch; ordered_json keeps new keys last.
  J result = target;
  result.merge_patch(patch);
  return result;
}

template <typename J>
Result<J> apply_json_patch(const J& target, const J& patch) {
  if (!patch.is_array()) return patch_error("a JSON patch must be an array of operations");
  J doc = target;
  for (size_t i = 0; i < patch.size(); ++i) {
    auto r = apply_one(doc, patch[i], i);
    if (!r) return tl::unexpected(r.error());
  }
  return doc;
}

template <typename J>
Result<J> apply_strategic_merge_patch(const J& target, const J& patch,
                                      const StrategicSchema& schema) {
  if (!patch.is_object()) return smp_error("a strategic merge patch must be a JSON object");
  auto r = merge_map(target, patch, "", schema);
  if (!r) return tl::unexpected(r.error());
  return r->value_or(J::object());
}

const StrategicSchema::ListRule* StrategicSchema::find(std::string_view path) const {
  const ListRule* best = nullptr;
  for (const auto& rule : lists) {
    std::string_view suffix = rule.path_suffix;
    if (path.size() < suffix.size() || !path.ends_with(suffix)) continue;
    if (path.size() > suffix.size() && path[path.size() - suffix.size() - 1] != '.') continue;
    if (!best || suffix.size() > best->path_suffix.size()) best = &rule;
  }
  return best;
}

const StrategicSchema& StrategicSchema::builtin() {
  // patchMergeKey tags of k8s.io/api core/v1 and meta/v1 types.
  static const StrategicSchema schema{{
      {"containers", "name"},
      {"initContainers", "name"},
      {"ephemeralContainers", "name"},
      {"env", "name"},
      {"volumes", "name"},
      {"imagePullSecrets", "name"},
      {"containers.ports", "containerPort"},
      {"initContainers.ports", "containerPort"},
      {"volumeMounts", "mountPath"},
      {"volumeDevices", "devicePath"},
      {"hostAliases", "ip"},
      {"topologySpreadConstraints", "topologyKey"},
      {"metadata.ownerReferences", "uid"},
      {"metadata.finalizers", ""},
      {"status.conditions", "type"},
  }};
  return schema;
}

#define KFTENANT_INSTANTIATE(J)                                \
  template Result<J> apply_merge_patch<J>(const J&, const J&); \
  template Result<J> apply_json_patch<J>(const J&, const J&);  \
  template Result<J> apply_strategic_merge_patch<J>(const J&, const J&, const StrategicSchema&);
KFTENANT_INSTANTIATE(nlohmann::json)
KFTENANT_INSTANTIATE(nlohmann::ordered_json)
#undef KFTENANT_INSTANTIATE

}  // namespace kftenant::testserver
