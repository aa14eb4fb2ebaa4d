#include "kftenant/yaml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "kftenant/base64.h"

namespace kftenant {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json must_parse(std::string_view text) {
  auto r = yaml::parse(text, "test.yaml");
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : json();
}

TEST(YamlParse, EmptyInputIsNull) {
  EXPECT_EQ(must_parse(""), json(nullptr));
  EXPECT_EQ(must_parse("# only a comment\n"), json(nullptr));
}

TEST(YamlParse, PlainScalarsFollowTheCoreSchema) {
  json j = must_parse(
      "n1: null\nn2: ~\nn3:\nn4: Null\nt1: true\nt2: True\nt3: TRUE\nf1: false\nf2: False\nf3: "
      "FALSE\n"
      "i1: 42\ni2: -7\ni3: 0x1F\ni4: 0o17\ni5: +3\nd1: 1.5\nd2: -2e3\nd3: .5\nd4: .inf\nd5: -.Inf\n"
      "s1: yes\ns2: 'true'\ns3: \"42\"\ns4: 0x\ns5: 1.2.3\ns6: abc\n");
  for (auto k : {"n1", "n2", "n3", "n4"}) EXPECT_TRUE(j[k].is_null()) << k;
  EXPECT_EQ(j["t1"], true);
  EXPECT_EQ(j["t2"], true);
  EXPECT_EQ(j["t3"], true);
  EXPECT_EQ(j["f1"], false);
  EXPECT_EQ(j["f2"], false);
  EXPECT_EQ(j["f3"], false);
  EXPECT_TRUE(j["i1"].is_number_integer());
  EXPECT_EQ(j["i1"], 42);
  EXPECT_EQ(j["i2"], -7);
  EXPECT_EQ(j["i3"], 31);
  EXPECT_EQ(j["i4"], 15);
  EXPECT_EQ(j["i5"], 3);
  EXPECT_TRUE(j["d1"].is_number_float());
  EXPECT_EQ(j["d1"], 1.5);
  EXPECT_EQ(j["d2"], -2000.0);
  EXPECT_EQ(j["d3"], 0.5);
  EXPECT_EQ(j["d4"].get<double>(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(j["d5"].get<double>(), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(j["s1"], "yes");  // YAML 1.2: not a boolean
  EXPECT_EQ(j["s2"], "true");
  EXPECT_EQ(j["s3"], "42");
  EXPECT_EQ(j["s4"], "0x");
  EXPECT_EQ(j["s5"], "1.2.3");
  EXPECT_EQ(j["s6"], "abc");
}

TEST(YamlParse, NanAndLargeIntegers) {
  json j = must_parse("a: .nan\nb: 18446744073709551615\nc: 99999999999999999999\n");
  EXPECT_TRUE(std::isnan(j["a"].get<double>()));
  EXPECT_TRUE(j["b"].is_number_unsigned());
  EXPECT_EQ(j["b"].get<uint64_t>(), std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(j["c"].is_number_float());
}

TEST(YamlParse, BlockScalarsAndExplicitTagsAreStrings) {
  json j = must_parse("lit: |\n  123\n  x\nfold: >\n  a\n  b\nstr: !!str 12\nint: !!int \"12\"\n");
  EXPECT_EQ(j["lit"], "123\nx\n");
  EXPECT_EQ(j["fold"], "a b\n");
  EXPECT_EQ(j["str"], "12");
  EXPECT_EQ(j["int"], 12);
  auto bad = yaml::parse("x: !!int abc\n", "t.yaml");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("t.yaml:1:"));
}

TEST(YamlParse, AnchorsAliasesAndMergeKeys) {
  json j = must_parse(
      "base: &b {x: 1, y: 2}\nlist: &l [a, b]\nuse: *b\nuse2: *l\n"
      "merged:\n  <<: *b\n  y: 3\n");
  EXPECT_EQ(j["use"], (json{{"x", 1}, {"y", 2}}));
  EXPECT_EQ(j["use2"], (json{"a", "b"}));
  EXPECT_EQ(j["merged"], (json{{"x", 1}, {"y", 3}}));
}

TEST(YamlParse, PlainTextsKeepHowNumbersAndBooleansWereWritten) {
  yaml::PlainTexts written;
  auto j = yaml::parse(
      "a: 0012\nb: [1e3, True, x, \"7\"]\nc: {d: +5, e: ~}\nf: !!str 9\n0x1F: k\nm: &m 08\nn: *m\n",
      "t.yaml", nullptr, &written);
  ASSERT_TRUE(j) << j.error().message;
  EXPECT_EQ((*j)["a"], 12);
  // Numbers and booleans only, as written; not strings, nulls, tagged scalars, keys or aliases.
  EXPECT_EQ(written,
            (yaml::PlainTexts{
                {"/a", "0012"}, {"/b/0", "1e3"}, {"/b/1", "True"}, {"/c/d", "+5"}, {"/m", "08"}}));
}

TEST(YamlParse, BillionLaughsIsRefused) {
  std::string doc = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    doc += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) doc += std::string(k ? ", " : "") + "*a" + std::to_string(i - 1);
    doc += "]\n";
  }
  auto r = yaml::parse(doc, "laughs.yaml");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("laughs.yaml:"));
  EXPECT_THAT(r.error().message, HasSubstr("aliases"));
}

TEST(YamlParse, DeepNestingIsRefused) {
  std::string doc(100000, '[');
  auto r = yaml::parse(doc, "deep.yaml");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("deep.yaml:"));
}

TEST(YamlParse, DuplicateKeyNamesKeyAndLine) {
  auto r = yaml::parse("a: 1\nb: 2\na: 3\n", "dup.yaml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kParse);
  EXPECT_EQ(r.error().message, "dup.yaml:3:1: duplicate key \"a\"");
}

TEST(YamlParse, NonStringKeysAreStringified) {
  json j = must_parse("1: a\ntrue: b\n1.5: c\nnull: d\n");
  EXPECT_EQ(j["1"], "a");
  EXPECT_EQ(j["true"], "b");
  EXPECT_EQ(j["1.5"], "c");
  EXPECT_EQ(j["null"], "d");
  auto r = yaml::parse("? [a]\n: b\n", "k.yaml");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("mapping keys must be scalars"));
}

TEST(YamlParse, SyntaxErrorNamesSourceLineAndColumn) {
  auto r = yaml::parse("a: b\n  c: d\n", "bad.yaml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kParse);
  EXPECT_THAT(r.error().message, ::testing::StartsWith("bad.yaml:2:"));
  EXPECT_THAT(r.error().message, HasSubstr("mapping values are not allowed"));
}

TEST(YamlParse, UnknownAliasIsAnError) {
  auto r = yaml::parse("a: *nope\n", "x.yaml");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("x.yaml:1:4"));
}

TEST(YamlParse, SingleDocumentOnly) {
  EXPECT_EQ(must_parse("---\na: 1\n"), (json{{"a", 1}}));
  EXPECT_EQ(must_parse("---\na: 1\n---\n"), (json{{"a", 1}}));
  auto r = yaml::parse("a: 1\n---\nb: 2\n", "multi.yaml");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("multi.yaml"));
}

TEST(YamlParseAll, SplitsDocumentsAndSkipsEmptyOnes) {
  auto r = yaml::parse_all("a: 1\n---\n---\n# nothing\n---\n- x\n", "s.yaml");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], (json{{"a", 1}}));
  EXPECT_EQ((*r)[1], (json{"x"}));
}

TEST(YamlEmit, BlockStyleWithQuotingWhereNeeded) {
  json j = {{"name", "x"},
            {"num", "123"},
            {"b", "true"},
            {"e", ""},
            {"nil", nullptr},
            {"i", 5},
            {"f", 1.0},
            {"list", {1, "a: b"}},
            {"empty", json::object()},
            {"multi", "l1\nl2\n"}};
  std::string y = yaml::emit(j);
  EXPECT_THAT(y, HasSubstr("name: x\n"));
  EXPECT_THAT(y, HasSubstr("num: \"123\"\n"));
  EXPECT_THAT(y, HasSubstr("b: \"true\"\n"));
  EXPECT_THAT(y, HasSubstr("e: \"\"\n"));
  EXPECT_THAT(y, HasSubstr("nil: null\n"));
  EXPECT_THAT(y, HasSubstr("i: 5\n"));
  EXPECT_THAT(y, HasSubstr("f: 1.0\n"));
  EXPECT_THAT(y, HasSubstr("- \"a: b\"\n"));
  EXPECT_THAT(y, HasSubstr("empty: {}\n"));
  EXPECT_THAT(y, HasSubstr("multi: |\n"));
  EXPECT_EQ(must_parse(y), j);
}

TEST(YamlEmit, QuotesYaml11BooleansAndIndicators) {
  for (std::string s :
       {"yes",    "no", "on",  "off", "y",    "-",   "- a",  "#x", "a #b", "x:",   " lead",
        "trail ", "<<", "---", "...", "*a",   "&a",  "!t",   "%d", "@",    "`",    "{",
        "[",      "'",  "\"",  "?",   "0x10", "1e3", ".inf", "~",  "Null", "a\tb", "\x01"}) {
    std::string y = yaml::emit(json{{"k", s}});
    EXPECT_EQ(y.substr(0, 4), "k: \"") << s << " -> " << y;
    EXPECT_EQ(must_parse(y), (json{{"k", s}})) << y;
  }
}

TEST(YamlEmit, QuotesTimestampsLikeGoYaml) {
  // go-yaml (behind sigs.k8s.io/yaml, 18-content-negotiation) quotes strings that a YAML 1.1
  // reader would take for a timestamp (yaml.v2 resolve.go parseTimestamp).
  for (std::string s :
       {"2026-01-01T00:00:00Z", "2026-01-01", "2026-1-2t3:04:05.5+02:00", "2026-01-01 00:00:00"}) {
    std::string y = yaml::emit(json{{"k", s}});
    EXPECT_EQ(y, "k: \"" + s + "\"\n") << s;
    EXPECT_EQ(must_parse(y), (json{{"k", s}})) << y;
  }
  for (std::string s : {"2026-01-01x", "202-01-01", "v2026-01-01", "2026-01"}) {
    EXPECT_EQ(yaml::emit(json{{"k", s}}), "k: " + s + "\n") << s;
  }
}

TEST(YamlEmit, InvalidUtf8IsReplaced) {
  std::string y = yaml::emit(json{{"k", std::string("a\xff"
                                                    "b")}});
  EXPECT_EQ(must_parse(y)["k"],
            "a\xef\xbf\xbd"
            "b");
}

// ---- round trip property -----------------------------------------------------------------------

std::string to_utf8(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
  return out;
}

rc::Gen<std::string> gen_string() {
  // Characters that matter to YAML, weighted towards the troublesome ones.
  auto gen_char = rc::gen::oneOf(
      rc::gen::elementOf(std::vector<char32_t>{
          ' ', '\n', ':', '#', '-', '?',  '\'', '"',  '\\', '\t', '\r',   '{',    '}',    '[',
          ']', ',',  '&', '*', '!', '|',  '>',  '%',  '@',  '`',  '.',    '~',    '0',    '1',
          'e', 'x',  'a', 'Z', 0,   0x1b, 0x7f, 0x85, 0xa0, 0xe9, 0x2028, 0x2029, 0xfeff, 0x1f600}),
      rc::gen::inRange<char32_t>(0x20, 0x7f), rc::gen::inRange<char32_t>(0x80, 0xd800));
  auto gen_text = rc::gen::map(rc::gen::container<std::vector<char32_t>>(gen_char),
                               [](const std::vector<char32_t>& cps) {
                                 std::string s;
                                 for (char32_t cp : cps) s += to_utf8(cp);
                                 return s;
                               });
  return rc::gen::oneOf(
      gen_text, rc::gen::elementOf(std::vector<std::string>{
                    "",          "true", "False", "null", "~",     "123",  "-1",  "0x1F", "0o7",
                    "1.5",       ".5",   "1e3",   ".inf", "-.inf", ".nan", "yes", "<<",   "---",
                    "...",       "- a",  "a: b",  "a #b", " x",    "x ",   "\n",  "a\n",  "\n\n",
                    "  a\n b\n", " \n",  "a \nb", "#",    "|",     ">-"}));
}

rc::Gen<json> gen_scalar() {
  return rc::gen::oneOf(
      rc::gen::just(json(nullptr)),
      rc::gen::map(rc::gen::arbitrary<bool>(), [](bool b) { return json(b); }),
      rc::gen::map(rc::gen::arbitrary<int64_t>(), [](int64_t i) { return json(i); }),
      rc::gen::map(rc::gen::arbitrary<uint64_t>(), [](uint64_t u) { return json(u); }),
      rc::gen::map(
          rc::gen::suchThat(rc::gen::arbitrary<double>(), [](double d) { return !std::isnan(d); }),
          [](double d) { return json(d); }),
      rc::gen::map(gen_string(), [](std::string s) { return json(std::move(s)); }));
}

rc::Gen<json> gen_json(int depth) {
  if (depth == 0) return gen_scalar();
  auto child = rc::gen::resize(8, gen_json(depth - 1));
  return rc::gen::oneOf(gen_scalar(),
                        rc::gen::map(rc::gen::container<std::vector<json>>(child),
                                     [](std::vector<json> v) { return json(std::move(v)); }),
                        rc::gen::map(rc::gen::container<std::vector<std::pair<std::string, json>>>(
                                         rc::gen::pair(gen_string(), child)),
                                     [](const std::vector<std::pair<std::string, json>>& kvs) {
                                       json obj = json::object();
                                       for (const auto& [k, v] : kvs) obj[k] = v;
                                       return obj;
                                     }));
}

RC_GTEST_PROP(YamlRoundTrip, ParseOfEmitIsIdentity, ()) {
  json value = *gen_json(3);
  std::string text = yaml::emit(value);
  auto back = yaml::parse(text, "emitted");
  RC_ASSERT(back.has_value());
  RC_ASSERT(*back == value);
}

RC_GTEST_PROP(YamlRoundTrip, StringsSurviveAsMapValuesKeysAndListItems, ()) {
  std::string s = *gen_string();
  json value = {{"v", s}, {s, 1}, {"l", {s, s}}};
  auto back = yaml::parse(yaml::emit(value), "emitted");
  RC_ASSERT(back.has_value());
  RC_ASSERT(*back == value);
}

}  // namespace
}  // namespace kftenant
