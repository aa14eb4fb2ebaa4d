#include "kftenant/store/label_selector.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <tuple>
#include <variant>

#include "kftenant/kube/names.h"

namespace kftenant::store {

namespace {

// ---- lexer (k8s.io/apimachinery/pkg/labels/selector.go) -----------------------------------------

enum class Tok {
  kError,
  kEnd,
  kClosedPar,
  kComma,
  kDoesNotExist,
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct Item {
  Tok tok;
  std::string literal;
};

std::optional<Tok> string2token(std::string_view s) {
  if (s == ")") return Tok::kClosedPar;
  if (s == ",") return Tok::kComma;
  if (s == "!") return Tok::kDoesNotExist;
  if (s == "==") return Tok::kDoubleEquals;
  if (s == "=") return Tok::kEquals;
  if (s == ">") return Tok::kGreaterThan;
  if (s == "in") return Tok::kIn;
  if (s == "<") return Tok::kLessThan;
  if (s == "!=") return Tok::kNotEquals;
  if (s == "notin") return Tok::kNotIn;
  if (s == "(") return Tok::kOpenPar;
  return std::nullopt;
}

bool is_whitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_special(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Item lex() {
    char ch = read();
    while (is_whitespace(ch)) ch = read();
    if (ch == 0) return {Tok::kEnd, ""};
    unread();
    return is_special(ch) ? scan_special() : scan_id_or_keyword();
  }

 private:
  // Like Go's Lexer.read, a NUL byte in the input ends it.
  char read() { return pos_ < s_.size() ? s_[pos_++] : (pos_++, '\0'); }
  void unread() { --pos_; }

  Item scan_id_or_keyword() {
    std::string buf;
    while (true) {
      char ch = read();
      if (ch == 0) break;
      if (is_special(ch) || is_whitespace(ch)) {
        unread();
        break;
      }
      buf += ch;
    }
    if (auto t = string2token(buf)) return {*t, buf};
    return {Tok::kIdentifier, buf};
  }

  Item scan_special() {
    std::optional<Item> last;
    std::string buf;
    while (true) {
      char ch = read();
      if (ch == 0) break;
      if (!is_special(ch)) {
        unread();
        break;
      }
      buf += ch;
      if (auto t = string2token(buf)) {
        last = Item{*t, buf};
      } else if (last) {
        unread();
        break;
      }
    }
    if (!last) return {Tok::kError, fmt::format("error expected: keyword found '{}'", buf)};
    return *last;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// ---- parser -------------------------------------------------------------------------------------

using Op = LabelRequirement::Op;

struct ParseError {
  std::string message;
};

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += sep;
    out += v[i];
  }
  return out;
}

// field.Invalid(field, value, detail).Error(): `<field>: Invalid value: <value>: <detail>`, the
// value already formatted (%q for a string, %#v for a slice).
std::string invalid(std::string_view field, std::string_view value_repr, std::string_view detail) {
  return fmt::format("{}: Invalid value: {}: {}", field, value_repr, detail);
}

// Go's %#v of a []string, used by field.Invalid for the values set.
std::string go_string_slice(const std::vector<std::string>& v) {
  std::string out = "[]string{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ", ";
    out += kube::go_quote(v[i]);
  }
  return out + "}";
}

std::optional<int64_t> parse_int64(std::string_view s) {
  // strconv.ParseInt(s, 10, 64): optional sign, decimal digits, no spaces.
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  if (digits.empty()) return std::nullopt;
  for (char c : digits)
    if (c < '0' || c > '9') return std::nullopt;
  int64_t v = 0;
  std::string_view body = s[0] == '+' ? s.substr(1) : s;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (ec != std::errc() || ptr != body.data() + body.size()) return std::nullopt;
  return v;
}

class Parser {
 public:
  explicit Parser(std::string_view s) {
    Lexer l(s);
    while (true) {
      items_.push_back(l.lex());
      if (items_.back().tok == Tok::kEnd || items_.back().tok == Tok::kError) break;
    }
  }

  // Returns the requirements or the server's message.
  std::variant<std::vector<LabelRequirement>, ParseError> parse() {
    std::vector<LabelRequirement> reqs;
    while (true) {
      auto [tok, lit] = lookahead(true);
      switch (tok) {
        case Tok::kIdentifier:
        case Tok::kDoesNotExist: {
          auto r = parse_requirement();
          if (auto* e = std::get_if<ParseError>(&r))
            return ParseError{"unable to parse requirement: " + e->message};
          reqs.push_back(std::get<LabelRequirement>(std::move(r)));
          auto [t, l] = consume(true);
          if (t == Tok::kEnd) return reqs;
          if (t == Tok::kComma) {
            auto [t2, l2] = lookahead(true);
            if (t2 != Tok::kIdentifier && t2 != Tok::kDoesNotExist)
              return ParseError{fmt::format("found '{}', expected: identifier after ','", l2)};
          } else {
            return ParseError{fmt::format("found '{}', expected: ',' or 'end of string'", l)};
          }
          break;
        }
        case Tok::kEnd:
          return reqs;
        default:
          return ParseError{
              fmt::format("found '{}', expected: !, identifier, or 'end of string'", lit)};
      }
    }
  }

 private:
  // In the Values context the keywords `in`/`notin` are plain identifiers.
  std::pair<Tok, std::string> lookahead(bool values) const {
    const Item& it = items_[std::min(pos_, items_.size() - 1)];
    Tok t = it.tok;
    if (values && (t == Tok::kIn || t == Tok::kNotIn)) t = Tok::kIdentifier;
    return {t, it.literal};
  }
  std::pair<Tok, std::string> consume(bool values) {
    auto r = lookahead(values);
    if (pos_ < items_.size() - 1) ++pos_;
    return r;
  }

  std::variant<LabelRequirement, ParseError> parse_requirement() {
    LabelRequirement r;
    bool unary = false;
    auto [tok, lit] = consume(true);
    if (tok == Tok::kDoesNotExist) {
      r.op = Op::kDoesNotExist;
      unary = true;
      std::tie(tok, lit) = consume(true);
    }
    if (tok != Tok::kIdentifier)
      return ParseError{fmt::format("found '{}', expected: identifier", lit)};
    // validateLabelKey(literal, nil path): field.Path(nil).String() is "<nil>".
    if (auto errs = kube::is_qualified_name(lit); !errs.empty())
      return ParseError{invalid("<nil>", kube::go_quote(lit), join(errs, "; "))};
    r.key = lit;
    auto [next, unused] = lookahead(true);
    (void)unused;
    if (next == Tok::kEnd || next == Tok::kComma) {
      if (!unary) r.op = Op::kExists;
      return validate(std::move(r));
    }
    if (unary)
      return validate(std::move(r));  // "!a=b": NewRequirement(DoesNotExist) then ',' check

    auto [otok, olit] = consume(false);
    switch (otok) {
      case Tok::kIn:
        r.op = Op::kIn;
        break;
      case Tok::kEquals:
        r.op = Op::kEquals;
        break;
      case Tok::kDoubleEquals:
        r.op = Op::kDoubleEquals;
        break;
      case Tok::kGreaterThan:
        r.op = Op::kGt;
        break;
      case Tok::kLessThan:
        r.op = Op::kLt;
        break;
      case Tok::kNotIn:
        r.op = Op::kNotIn;
        break;
      case Tok::kNotEquals:
        r.op = Op::kNotEquals;
        break;
      default:
        return ParseError{fmt::format("found '{}', expected: in, notin, =, ==, !=, gt, lt", olit)};
    }
    std::variant<std::vector<std::string>, ParseError> values =
        (r.op == Op::kIn || r.op == Op::kNotIn) ? parse_values() : parse_exact_value();
    if (auto* e = std::get_if<ParseError>(&values)) return *e;
    r.values = std::get<std::vector<std::string>>(std::move(values));
    std::sort(r.values.begin(), r.values.end());
    r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
    return validate(std::move(r));
  }

  std::variant<std::vector<std::string>, ParseError> parse_values() {
    auto [tok, lit] = consume(true);
    if (tok != Tok::kOpenPar) return ParseError{fmt::format("found '{}' expected: '('", lit)};
    std::tie(tok, lit) = lookahead(true);
    switch (tok) {
      case Tok::kIdentifier:
      case Tok::kComma: {
        auto s = parse_identifiers_list();
        if (std::holds_alternative<ParseError>(s)) return s;
        if (consume(true).first != Tok::kClosedPar)
          return ParseError{fmt::format("found '{}', expected: ')'", lit)};
        return s;
      }
      case Tok::kClosedPar:
        consume(true);
        return std::vector<std::string>{""};
      default:
        return ParseError{fmt::format("found '{}', expected: ',', ')' or identifier", lit)};
    }
  }

  std::variant<std::vector<std::string>, ParseError> parse_identifiers_list() {
    std::vector<std::string> s;
    while (true) {
      auto [tok, lit] = consume(true);
      if (tok == Tok::kIdentifier) {
        s.push_back(lit);
        auto [tok2, lit2] = lookahead(true);
        if (tok2 == Tok::kComma) continue;
        if (tok2 == Tok::kClosedPar) return s;
        return ParseError{fmt::format("found '{}', expected: ',' or ')'", lit2)};
      } else if (tok == Tok::kComma) {
        if (s.empty()) s.push_back("");  // "(,"
        auto tok2 = lookahead(true).first;
        if (tok2 == Tok::kClosedPar) {
          s.push_back("");  // ",)"
          return s;
        }
        if (tok2 == Tok::kComma) {
          consume(true);
          s.push_back("");  // ",,"
        }
      } else {
        return ParseError{fmt::format("found '{}', expected: ',', or identifier", lit)};
      }
    }
  }

  std::variant<std::vector<std::string>, ParseError> parse_exact_value() {
    auto tok = lookahead(true).first;
    if (tok == Tok::kEnd || tok == Tok::kComma) return std::vector<std::string>{""};
    auto [t, lit] = consume(true);
    if (t == Tok::kIdentifier) return std::vector<std::string>{lit};
    return ParseError{fmt::format("found '{}', expected: identifier", lit)};
  }

  // NewRequirement's checks (the key was validated already; it is valid here).
  static std::variant<LabelRequirement, ParseError> validate(LabelRequirement r) {
    std::vector<std::string> errs;
    switch (r.op) {
      case Op::kIn:
      case Op::kNotIn:
        if (r.values.empty())
          errs.push_back(invalid("values", go_string_slice(r.values),
                                 "for 'in', 'notin' operators, values set can't be empty"));
        break;
      case Op::kEquals:
      case Op::kDoubleEquals:
      case Op::kNotEquals:
        if (r.values.size() != 1)
          errs.push_back(invalid("values", go_string_slice(r.values),
                                 "exact-match compatibility requires one single value"));
        break;
      case Op::kExists:
      case Op::kDoesNotExist:
        break;
      case Op::kGt:
      case Op::kLt:
        for (size_t i = 0; i < r.values.size(); ++i)
          if (!parse_int64(r.values[i]))
            errs.push_back(invalid(fmt::format("values[{}]", i), kube::go_quote(r.values[i]),
                                   "for 'Gt', 'Lt' operators, the value must be an integer"));
        break;
    }
    for (size_t i = 0; i < r.values.size(); ++i)
      if (auto msgs = kube::is_valid_label_value(r.values[i]); !msgs.empty())
        errs.push_back(invalid(fmt::format("values[{}][{}]", i, r.key), kube::go_quote(r.values[i]),
                               join(msgs, "; ")));
    if (errs.empty()) return r;
    // utilerrors aggregate: one error as is, several (de-duplicated) inside [a, b].
    std::vector<std::string> msgs;
    for (auto& e : errs)
      if (std::find(msgs.begin(), msgs.end(), e) == msgs.end()) msgs.push_back(e);
    if (msgs.size() == 1) return ParseError{msgs.front()};
    return ParseError{"[" + join(msgs, ", ") + "]"};
  }

  std::vector<Item> items_;
  size_t pos_ = 0;
};

template <typename J>
LabelMap labels_of(const J& object) {
  LabelMap out;
  if (!object.is_object()) return out;
  auto md = object.find("metadata");
  if (md == object.end() || !md->is_object()) return out;
  auto labels = md->find("labels");
  if (labels == md->end() || !labels->is_object()) return out;
  for (auto it = labels->begin(); it != labels->end(); ++it)
    if (it.value().is_string()) out.emplace(it.key(), it.value().template get<std::string>());
  return out;
}

}  // namespace

bool LabelRequirement::matches(const LabelMap& labels) const {
  auto it = labels.find(key);
  bool has = it != labels.end();
  auto has_value = [&](const std::string& v) {
    return std::find(values.begin(), values.end(), v) != values.end();
  };
  switch (op) {
    case Op::kIn:
    case Op::kEquals:
    case Op::kDoubleEquals:
      return has && has_value(it->second);
    case Op::kNotIn:
    case Op::kNotEquals:
      return !has || !has_value(it->second);
    case Op::kExists:
      return has;
    case Op::kDoesNotExist:
      return !has;
    case Op::kGt:
    case Op::kLt: {
      if (!has || values.size() != 1) return false;
      auto lv = parse_int64(it->second);
      auto rv = parse_int64(values[0]);
      if (!lv || !rv) return false;
      return op == Op::kGt ? *lv > *rv : *lv < *rv;
    }
  }
  return false;
}

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  Parser p(text);
  auto r = p.parse();
  if (auto* e = std::get_if<ParseError>(&r)) return make_error(ErrorCode::kBadRequest, e->message);
  LabelSelector s;
  s.requirements_ = std::get<std::vector<LabelRequirement>>(std::move(r));
  std::stable_sort(s.requirements_.begin(), s.requirements_.end(),
                   [](const auto& a, const auto& b) { return a.key < b.key; });
  return s;
}

bool LabelSelector::matches(const LabelMap& labels) const {
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const LabelRequirement& r) { return r.matches(labels); });
}

bool LabelSelector::matches_object(const nlohmann::json& object) const {
  return matches(labels_of(object));
}
bool LabelSelector::matches_object(const nlohmann::ordered_json& object) const {
  return matches(labels_of(object));
}

Result<LabelSelector> parse_label_selector(std::string_view selector) {
  auto parsed = LabelSelector::parse(selector);
  if (!parsed)
    return make_error(ErrorCode::kInvalidArgument, "label selector \"" + std::string(selector) +
                                                       "\": " + parsed.error().message);
  return parsed;
}

Result<bool> labels_match(const nlohmann::json& labels, std::string_view selector) {
  auto parsed = parse_label_selector(selector);
  if (!parsed) return fail(parsed.error());
  LabelMap map;
  if (labels.is_object())
    for (auto it = labels.begin(); it != labels.end(); ++it)
      if (it.value().is_string()) map.emplace(it.key(), it.value().get<std::string>());
  return parsed->matches(map);
}

}  // namespace kftenant::store
