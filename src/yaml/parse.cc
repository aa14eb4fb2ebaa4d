// YAML -> JSON with libyaml's event API. Scalars resolve as sigs.k8s.io/yaml reads them (see
// yaml/scalar.cc); anchors and aliases are expanded with a node budget so that a "billion laughs"
// document fails instead of exhausting memory.
#include <yaml.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "kftenant/yaml.h"
#include "yaml/libyaml_parser.h"
#include "yaml/scalar.h"

namespace kftenant::yaml {
namespace {

using nlohmann::json;

constexpr size_t kMaxNodes = 1'000'000;  // after alias expansion
constexpr int kMaxDepth = 512;           // nesting; bounds our recursion

constexpr std::string_view kTagStr = "tag:yaml.org,2002:str";
constexpr std::string_view kTagNull = "tag:yaml.org,2002:null";
constexpr std::string_view kTagBool = "tag:yaml.org,2002:bool";
constexpr std::string_view kTagInt = "tag:yaml.org,2002:int";
constexpr std::string_view kTagFloat = "tag:yaml.org,2002:float";

using Event = detail::LibyamlEvent;

size_t count_nodes(const json& j) {
  size_t n = 1;
  if (j.is_object() || j.is_array()) {
    for (const auto& child : j) n += count_nodes(child);
  }
  return n;
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view source, LineIndex* lines = nullptr,
         PlainTexts* plain_texts = nullptr)
      : source_(source), parser_(text, source), lines_(lines), plain_texts_(plain_texts) {}
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Parses the whole stream; null documents are kept (callers decide).
  Result<std::vector<json>> documents() {
    std::vector<json> docs;
    Event ev;
    if (auto r = next(ev); !r) return fail(r.error());
    if (ev.e.type != YAML_STREAM_START_EVENT)
      return error_at(ev.e.start_mark, "expected stream start");
    for (;;) {
      Event doc;
      if (auto r = next(doc); !r) return fail(r.error());
      if (doc.e.type == YAML_STREAM_END_EVENT) break;
      if (doc.e.type != YAML_DOCUMENT_START_EVENT)
        return error_at(doc.e.start_mark, "expected document start");
      anchors_.clear();  // anchors do not cross documents
      Event first;
      if (auto r = next(first); !r) return fail(r.error());
      auto value = node(first, 0);
      if (!value) return fail(value.error());
      docs.push_back(std::move(*value));
      Event end;
      if (auto r = next(end); !r) return fail(r.error());
      if (end.e.type != YAML_DOCUMENT_END_EVENT)
        return error_at(end.e.start_mark, "expected document end");
    }
    return docs;
  }

  tl::unexpected<Error> error_at(const yaml_mark_t& mark, std::string_view problem) const {
    return make_error(ErrorCode::kParse,
                      std::string(source_) + ":" + std::to_string(mark.line + 1) + ":" +
                          std::to_string(mark.column + 1) + ": " + std::string(problem));
  }

 private:
  Result<void> next(Event& ev) { return parser_.next(ev); }

  Result<void> count(const yaml_mark_t& mark, size_t n) {
    nodes_ += n;
    if (nodes_ > kMaxNodes) {
      return error_at(mark, "document too large: more than " + std::to_string(kMaxNodes) +
                                " nodes after expanding aliases");
    }
    return ok();
  }

  void remember(const yaml_char_t* anchor, const json& value) {
    if (anchor == nullptr) return;
    anchors_[reinterpret_cast<const char*>(anchor)] = {value, count_nodes(value)};
  }

  Result<json> scalar(const yaml_event_t& e) {
    const auto& s = e.data.scalar;
    std::string_view text(reinterpret_cast<const char*>(s.value), s.length);
    std::string_view tag = s.tag ? reinterpret_cast<const char*>(s.tag) : "";
    json value;
    if (tag.empty()) {
      value = s.style == YAML_PLAIN_SCALAR_STYLE ? detail::resolve_plain(text)
                                                 : json(std::string(text));
      if (plain_texts_ && (value.is_number() || value.is_boolean()))
        (*plain_texts_)[pointer_] = std::string(text);
    } else if (tag == kTagStr || tag == "!") {
      value = std::string(text);
    } else if (tag == kTagNull || tag == kTagBool || tag == kTagInt || tag == kTagFloat) {
      value = detail::resolve_plain(text);
      bool okay = (tag == kTagNull && value.is_null()) || (tag == kTagBool && value.is_boolean()) ||
                  (tag == kTagInt && value.is_number_integer()) ||
                  (tag == kTagFloat && value.is_number());
      if (!okay) return error_at(e.start_mark, "scalar does not match its tag " + std::string(tag));
      if (tag == kTagFloat) value = value.get<double>();
    } else {
      // Other tags (application specific, !!binary, !!timestamp): resolve as if untagged.
      value = s.style == YAML_PLAIN_SCALAR_STYLE ? detail::resolve_plain(text)
                                                 : json(std::string(text));
    }
    return value;
  }

  Result<json> node(const Event& ev, int depth) {
    if (depth > kMaxDepth) return error_at(ev.e.start_mark, "document nested too deeply");
    const yaml_event_t& e = ev.e;
    if (lines_) lines_->emplace(pointer_, static_cast<int>(e.start_mark.line) + 1);
    switch (e.type) {
      case YAML_ALIAS_EVENT: {
        std::string name = reinterpret_cast<const char*>(e.data.alias.anchor);
        auto it = anchors_.find(name);
        if (it == anchors_.end()) return error_at(e.start_mark, "unknown anchor \"" + name + "\"");
        if (auto r = count(e.start_mark, it->second.second); !r) return fail(r.error());
        return it->second.first;
      }
      case YAML_SCALAR_EVENT: {
        if (auto r = count(e.start_mark, 1); !r) return fail(r.error());
        auto value = scalar(e);
        if (value) remember(e.data.scalar.anchor, *value);
        return value;
      }
      case YAML_SEQUENCE_START_EVENT: {
        if (auto r = count(e.start_mark, 1); !r) return fail(r.error());
        json arr = json::array();
        for (;;) {
          Event child;
          if (auto r = next(child); !r) return fail(r.error());
          if (child.e.type == YAML_SEQUENCE_END_EVENT) break;
          const size_t parent = pointer_.size();
          if (lines_ || plain_texts_) pointer_ += "/" + std::to_string(arr.size());
          auto value = node(child, depth + 1);
          pointer_.resize(parent);
          if (!value) return value;
          arr.push_back(std::move(*value));
        }
        remember(e.data.sequence_start.anchor, arr);
        return arr;
      }
      case YAML_MAPPING_START_EVENT:
        return mapping(ev, depth);
      default:
        return error_at(e.start_mark, "unexpected YAML event");
    }
  }

  Result<json> mapping(const Event& ev, int depth) {
    if (auto r = count(ev.e.start_mark, 1); !r) return fail(r.error());
    json obj = json::object();
    std::vector<json> merges;  // values of "<<" keys, applied after the explicit keys
    for (;;) {
      Event key_ev;
      if (auto r = next(key_ev); !r) return fail(r.error());
      if (key_ev.e.type == YAML_MAPPING_END_EVENT) break;
      const yaml_mark_t key_mark = key_ev.e.start_mark;
      bool merge_key = key_ev.e.type == YAML_SCALAR_EVENT && key_ev.e.data.scalar.tag == nullptr &&
                       key_ev.e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                       std::string_view(reinterpret_cast<const char*>(key_ev.e.data.scalar.value),
                                        key_ev.e.data.scalar.length) == "<<";
      // Keys are not nodes of the result.
      LineIndex* lines = std::exchange(lines_, nullptr);
      PlainTexts* plain_texts = std::exchange(plain_texts_, nullptr);
      auto key = node(key_ev, depth + 1);
      lines_ = lines;
      plain_texts_ = plain_texts;
      if (!key) return key;
      if (key->is_object() || key->is_array())
        return error_at(key_mark, "mapping keys must be scalars");
      std::string k = merge_key ? std::string() : detail::key_string(*key);
      Event value_ev;
      if (auto r = next(value_ev); !r) return fail(r.error());
      const size_t parent = pointer_.size();
      if ((lines_ || plain_texts_) && !merge_key) pointer_ += "/" + pointer_token(k);
      if (merge_key) {  // merged values belong to the keys they are merged into
        lines_ = nullptr;
        plain_texts_ = nullptr;
      }
      auto value = node(value_ev, depth + 1);
      lines_ = lines;
      plain_texts_ = plain_texts;
      pointer_.resize(parent);
      if (!value) return value;
      if (merge_key) {
        // YAML merge key (https://yaml.org/type/merge.html), which go-yaml and so kubectl accept.
        if (value->is_object()) {
          merges.push_back(std::move(*value));
        } else if (value->is_array() && std::all_of(value->begin(), value->end(),
                                                    [](const json& m) { return m.is_object(); })) {
          for (auto& m : *value) merges.push_back(std::move(m));
        } else {
          return error_at(
              key_mark, "the value of a merge key \"<<\" must be a mapping or a list of mappings");
        }
        continue;
      }
      if (obj.contains(k)) return error_at(key_mark, "duplicate key \"" + k + "\"");
      obj[k] = std::move(*value);
    }
    // Explicit keys win over merged ones; among merged mappings the first listed wins.
    for (auto& m : merges) {
      for (auto& [k, v] : m.items()) {
        if (!obj.contains(k)) obj[k] = v;
      }
    }
    remember(ev.e.data.mapping_start.anchor, obj);
    return obj;
  }

  // "/a/0/b" segment for a key, as RFC 6901 escapes it.
  static std::string pointer_token(const std::string& key) {
    std::string out;
    for (char c : key) {
      if (c == '~')
        out += "~0";
      else if (c == '/')
        out += "~1";
      else
        out += c;
    }
    return out;
  }

  std::string_view source_;
  detail::LibyamlParser parser_;
  LineIndex* lines_;
  PlainTexts* plain_texts_;
  std::string pointer_;  // of the node being read, when lines_ or plain_texts_ is set
  std::map<std::string, std::pair<json, size_t>> anchors_;
  size_t nodes_ = 0;
};

}  // namespace

Result<nlohmann::json> parse(std::string_view text, std::string_view source, LineIndex* lines,
                             PlainTexts* plain_texts) {
  if (lines) lines->clear();
  if (plain_texts) plain_texts->clear();
  Parser parser(text, source, lines, plain_texts);
  auto docs = parser.documents();
  if (!docs) return fail(docs.error());
  std::vector<json> non_empty;
  for (auto& d : *docs) {
    if (!d.is_null()) non_empty.push_back(std::move(d));
  }
  if (non_empty.empty()) return json(nullptr);
  if (non_empty.size() > 1) {
    return make_error(ErrorCode::kParse, std::string(source) +
                                             ": expected one YAML document, found " +
                                             std::to_string(non_empty.size()));
  }
  return std::move(non_empty.front());
}

Result<std::vector<nlohmann::json>> parse_all(std::string_view text, std::string_view source) {
  Parser parser(text, source);
  auto docs = parser.documents();
  if (!docs) return fail(docs.error());
  std::vector<json> out;
  for (auto& d : *docs) {
    if (!d.is_null()) out.push_back(std::move(d));
  }
  return out;
}

}  // namespace kftenant::yaml
