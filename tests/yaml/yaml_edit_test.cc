#include "kftenant/yaml_edit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "kftenant/yaml.h"

namespace kftenant {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json parsed(std::string_view text) {
  auto r = yaml::parse(text, "test.yaml");
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message) << "\n" << text;
  return r ? *r : json();
}

// Edits `text` with `change` applied to its value; checks the result reads back as that value.
std::string edited(std::string_view text, const std::function<void(json&)>& change) {
  json value = parsed(text);
  change(value);
  auto out = yaml::edit_document(text, value, "test.yaml");
  EXPECT_TRUE(out.has_value()) << (out ? "" : out.error().message);
  if (!out) return "";
  EXPECT_TRUE(yaml::same_data(parsed(*out), value)) << *out;
  return *out;
}

TEST(YamlEdit, UnchangedValueKeepsText) {
  std::string text = "# head\na: 1   # one\n\nb: [1, 2]\n";
  EXPECT_EQ(edited(text, [](json&) {}), text);
}

TEST(YamlEdit, ChangedPlainScalarReplacesOnlyItsBytes) {
  std::string text = "# a comment\nmetadata:\n  name: alice   # who\n  namespace: kubeflow\n";
  EXPECT_EQ(edited(text, [](json& v) { v["metadata"]["name"] = "bob"; }),
            "# a comment\nmetadata:\n  name: bob   # who\n  namespace: kubeflow\n");
}

TEST(YamlEdit, QuotingFollowsTheOldStyleWhenPossible) {
  std::string text = "a: 'x'\nb: \"y\"\nc: plain\nd: 'e'\n";
  EXPECT_EQ(edited(text,
                   [](json& v) {
                     v["a"] = "it's";
                     v["b"] = "z";
                     v["c"] = "123";  // would read back as a number: quoted
                     v["d"] = "line\nbreak";
                   }),
            "a: 'it''s'\nb: \"z\"\nc: \"123\"\nd: \"line\\nbreak\"\n");
}

TEST(YamlEdit, NonStringScalars) {
  std::string text = "a: 1\nb: true\nc: x\nd: ~\n";
  EXPECT_EQ(edited(text,
                   [](json& v) {
                     v["a"] = 2.5;
                     v["b"] = false;
                     v["c"] = nullptr;
                     v["d"] = 7;
                   }),
            "a: 2.5\nb: false\nc: null\nd: 7\n");
}

TEST(YamlEdit, ImplicitNullGetsAValue) {
  EXPECT_EQ(edited("a:\nb: 1\n", [](json& v) { v["a"] = "x"; }), "a: x\nb: 1\n");
  EXPECT_EQ(edited("a:\nb: 1\n", [](json& v) { v["a"] = json{{"k", 1}}; }), "a:\n  k: 1\nb: 1\n");
}

TEST(YamlEdit, KeyAddedAfterTheLastEntryWithSiblingIndentation) {
  std::string text = "spec:\n  owner:\n    kind: User\n    name: a@b.c  # owner\n# trailer\n";
  EXPECT_EQ(edited(text, [](json& v) { v["spec"]["owner"]["apiGroup"] = "rbac"; }),
            "spec:\n  owner:\n    kind: User\n    name: a@b.c  # owner\n    apiGroup: rbac\n# "
            "trailer\n");
}

TEST(YamlEdit, NestedValuesAreAddedInBlockStyle) {
  std::string text = "spec:\n  owner: {kind: User}\n";
  std::string out = edited(text, [](json& v) {
    v["spec"]["resourceQuotaSpec"] = {{"hard", {{"cpu", "2"}, {"memory", "2Gi"}}}};
    v["spec"]["plugins"] = json::array({json{{"kind", "X"}}});
  });
  EXPECT_EQ(out,
            "spec:\n  owner: {kind: User}\n  plugins:\n  - kind: X\n  resourceQuotaSpec:\n    "
            "hard:\n      cpu: \"2\"\n      memory: 2Gi\n");
}

TEST(YamlEdit, IndentedSequencesFollowTheDocument) {
  std::string text = "a:\n  - x\nb:\n  c: 1\n";
  EXPECT_EQ(edited(text,
                   [](json& v) {
                     v["b"]["d"] = json::array({"p", "q"});
                   }),
            "a:\n  - x\nb:\n  c: 1\n  d:\n    - p\n    - q\n");
}

TEST(YamlEdit, KeyRemovedWithItsValueAndInnerComments) {
  std::string text =
      "a: 1\nb:\n  # about c\n  c: 2\n  d:\n  - x\n    # inside d\n# top comment\ne: 3\n";
  EXPECT_EQ(edited(text, [](json& v) { v["b"].erase("d"); }),
            "a: 1\nb:\n  # about c\n  c: 2\n# top comment\ne: 3\n");
  EXPECT_EQ(edited(text, [](json& v) { v.erase("b"); }), "a: 1\n# top comment\ne: 3\n");
}

TEST(YamlEdit, FirstKeyOfAnItemMappingRemoved) {
  std::string text = "items:\n- name: a\n  value: 1\n- name: b\n";
  EXPECT_EQ(edited(text, [](json& v) { v["items"][0].erase("name"); }),
            "items:\n- value: 1\n- name: b\n");
}

TEST(YamlEdit, SequenceItemsAppendedRemovedInserted) {
  std::string text = "resources:\n- a.yaml   # first\n- b.yaml\n\nother: 1\n";
  EXPECT_EQ(edited(text, [](json& v) { v["resources"].push_back("c.yaml"); }),
            "resources:\n- a.yaml   # first\n- b.yaml\n- c.yaml\n\nother: 1\n");
  EXPECT_EQ(edited(text, [](json& v) { v["resources"].erase(0); }),
            "resources:\n- b.yaml\n\nother: 1\n");
  EXPECT_EQ(edited(text,
                   [](json& v) {
                     v["resources"] = json::array({"a.yaml", "new.yaml", "b.yaml"});
                   }),
            "resources:\n- a.yaml   # first\n- new.yaml\n- b.yaml\n\nother: 1\n");
}

TEST(YamlEdit, MappingItemsAppendedInCompactForm) {
  std::string text = "list:\n  - name: a\n    v: 1\n";
  EXPECT_EQ(edited(text,
                   [](json& v) {
                     v["list"].push_back({{"name", "b"}, {"v", 2}});
                   }),
            "list:\n  - name: a\n    v: 1\n  - name: b\n    v: 2\n");
}

TEST(YamlEdit, BlockLiteralKeepsIndentationAndUnchangedLines) {
  std::string text =
      "data:\n  config.yaml: |\n    issuer: x\n    # keep me\n    staticPasswords:\n    - email: "
      "a\n  other: 1\n";
  std::string out = edited(text, [](json& v) {
    v["data"]["config.yaml"] = v["data"]["config.yaml"].get<std::string>() + "- email: b\n";
  });
  EXPECT_EQ(out,
            "data:\n  config.yaml: |\n    issuer: x\n    # keep me\n    staticPasswords:\n    - "
            "email: a\n    - email: b\n  other: 1\n");
}

TEST(YamlEdit, BlockLiteralChompingFollowsTheNewText) {
  std::string text = "a: |-\n  x\n  y\nb: 1\n";
  EXPECT_EQ(edited(text, [](json& v) { v["a"] = "x\nz"; }), "a: |-\n  x\n  z\nb: 1\n");
  EXPECT_EQ(edited(text, [](json& v) { v["a"] = "x\nz\n"; }), "a: |\n  x\n  z\nb: 1\n");
  EXPECT_EQ(edited(text, [](json& v) { v["a"] = "x\n\n"; }), "a: |+\n  x\n\nb: 1\n");
  EXPECT_EQ(edited("a: |+\n  x\n\n\nb: 1\n", [](json& v) { v["a"] = "y\n"; }),
            "a: |+\n  y\nb: 1\n");
}

TEST(YamlEdit, BlockLiteralWithLeadingSpaceGetsAnIndentationIndicator) {
  std::string text = "m:\n  a: |\n      x\n  b: 1\n";
  std::string out = edited(text, [](json& v) { v["m"]["a"] = " lead\nnext\n"; });
  EXPECT_THAT(out, HasSubstr("a: |4\n"));
}

TEST(YamlEdit, BlockLiteralThatCannotHoldTheTextBecomesDoubleQuoted) {
  std::string text = "a: |\n  x\n\n# after\nb: 1\n";
  std::string out = edited(text, [](json& v) { v["a"] = "bell\x07\n"; });
  EXPECT_EQ(out, "a: \"bell\\x07\\n\"\n\n# after\nb: 1\n");
}

TEST(YamlEdit, FlowCollectionsAreReemitted) {
  std::string text = "# c\nports: [80, 443]  # web\nname: x\n";
  EXPECT_EQ(edited(text, [](json& v) { v["ports"].push_back(8080); }),
            "# c\nports:\n- 80\n- 443\n- 8080  # web\nname: x\n");
}

TEST(YamlEdit, AliasesAndTagsAreReemittedOrFallBack) {
  std::string text = "base: &b {x: 1}\nuse: *b\nt: !!str 5\n";
  edited(text, [](json& v) { v["use"]["y"] = 2; });
  edited(text, [](json& v) { v["base"]["x"] = 3; });
  edited(text, [](json& v) { v["t"] = "6"; });
  edited("a: &x 1\nb: *x\n", [](json& v) { v.erase("a"); });
}

TEST(YamlEdit, MergeKeysAreHandled) {
  edited("base: &b\n  x: 1\nm:\n  <<: *b\n  y: 2\n", [](json& v) { v["m"]["y"] = 3; });
  edited("base: &b\n  x: 1\nm:\n  <<: *b\n  y: 2\n", [](json& v) { v["m"].erase("x"); });
}

TEST(YamlEdit, TypeChangesAndEmptiedCollections) {
  std::string text = "a:\n  b: 1\nc:\n- 1\n";
  EXPECT_EQ(edited(text, [](json& v) { v["a"] = "s"; }), "a: s\nc:\n- 1\n");
  EXPECT_EQ(edited(text, [](json& v) { v["c"] = json::array(); }), "a:\n  b: 1\nc: []\n");
  EXPECT_EQ(edited(text, [](json& v) { v["a"] = json::object(); }), "a: {}\nc:\n- 1\n");
  EXPECT_EQ(edited(text, [](json& v) { v["a"] = json::array({1}); }), "a:\n- 1\nc:\n- 1\n");
  edited(text, [](json& v) { v = json::array({1, 2}); });
  edited(text, [](json& v) { v = json::object(); });
}

TEST(YamlEdit, CrlfDocumentsGetCrlfLines) {
  std::string text = "a: 1\r\nb:\r\n- x\r\n";
  std::string out = edited(text, [](json& v) {
    v["b"].push_back("z");
    v["c"] = {{"d", 1}};
  });
  EXPECT_EQ(out, "a: 1\r\nb:\r\n- x\r\n- z\r\nc:\r\n  d: 1\r\n");
}

TEST(YamlEdit, NoFinalLineBreak) {
  EXPECT_EQ(edited("a: 1", [](json& v) { v["b"] = 2; }), "a: 1\nb: 2\n");
  EXPECT_EQ(edited("a: |\n  x", [](json& v) { v["a"] = "y\n"; }), "a: |\n  y\n");
}

TEST(YamlEdit, EmptyDocumentIsEmitted) {
  EXPECT_EQ(edited("# nothing\n", [](json& v) { v = {{"a", 1}}; }), "a: 1\n");
}

TEST(YamlEdit, NewKeysThatNeedQuoting) {
  std::string out = edited("a: 1\n", [](json& v) {
    v["true"] = 1;
    v["x: y"] = 2;
    v[""] = 3;
  });
  EXPECT_THAT(out, HasSubstr("\"true\": 1\n"));
}

TEST(YamlEdit, InvalidInputIsAnError) {
  auto r = yaml::edit_document("a: [", json{{"a", 1}}, "broken.yaml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kParse);
  EXPECT_THAT(r.error().message, HasSubstr("broken.yaml"));
  auto bad = yaml::edit_document("a: 1\n", json{{"a", std::string("\xff")}}, "x.yaml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST(YamlEdit, SameDataDistinguishesIntsFromFloats) {
  EXPECT_TRUE(yaml::same_data(json(1), json(1u)));
  EXPECT_FALSE(yaml::same_data(json(1), json(1.0)));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(yaml::same_data(json{{"a", nan}}, json{{"a", nan}}));
  EXPECT_FALSE(yaml::same_data(json{{"a", 1}}, json{{"b", 1}}));
}

// ---- property: random edits of random Kubernetes-like documents --------------------------------

rc::Gen<std::string> gen_word() {
  return rc::gen::oneOf(rc::gen::elementOf(std::vector<std::string>{"alice",
                                                                    "user@example.com",
                                                                    "kubeflow-user-example-com",
                                                                    "2Gi",
                                                                    "123",
                                                                    "true",
                                                                    "",
                                                                    "a: b",
                                                                    "# not a comment",
                                                                    "line1\nline2\n",
                                                                    "line1\nline2",
                                                                    " lead",
                                                                    "trail ",
                                                                    "it's",
                                                                    "quote\"d",
                                                                    "tab\there",
                                                                    "ü",
                                                                    "- dash",
                                                                    "null",
                                                                    "0x1F",
                                                                    "1.5",
                                                                    "x\n\n",
                                                                    "yes"}),
                        rc::gen::map(rc::gen::container<std::string>(rc::gen::elementOf(
                                         std::string("abcdefgh-_.:/# \n'\"\\0123456789"))),
                                     [](std::string s) { return s; }));
}

rc::Gen<json> gen_scalar() {
  return rc::gen::oneOf(rc::gen::map(gen_word(), [](std::string s) { return json(s); }),
                        rc::gen::map(rc::gen::arbitrary<int>(), [](int i) { return json(i); }),
                        rc::gen::map(rc::gen::arbitrary<bool>(), [](bool b) { return json(b); }),
                        rc::gen::just(json(nullptr)), rc::gen::just(json(2.5)));
}

rc::Gen<std::string> gen_key() {
  return rc::gen::elementOf(std::vector<std::string>{"name", "namespace", "labels", "spec", "data",
                                                     "items", "kind", "owner", "hard", "cpu",
                                                     "config.yaml", "a b", "1", "x"});
}

json gen_value(int depth);

json gen_object(int depth) {
  json obj = json::object();
  const int n = *rc::gen::inRange(1, 4);
  for (int i = 0; i < n; ++i) obj[*gen_key()] = gen_value(depth + 1);
  return obj;
}

json gen_value(int depth) {
  const int choice = *rc::gen::inRange(0, depth >= 3 ? 1 : 4);
  if (choice == 0) return *gen_scalar();
  if (choice == 1) {
    json arr = json::array();
    const int n = *rc::gen::inRange(1, 4);
    for (int i = 0; i < n; ++i) arr.push_back(gen_value(depth + 1));
    return arr;
  }
  return gen_object(depth);
}

// Applies one random change somewhere inside `v`.
void mutate(json& v, int depth) {
  if (v.is_object() && !v.empty() && depth < 4) {
    const int op = *rc::gen::inRange(0, 4);
    std::vector<std::string> keys;
    for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
    const std::string k = *rc::gen::elementOf(keys);
    if (op == 0) {
      v.erase(k);
    } else if (op == 1) {
      v[*gen_key() + "-new"] = gen_value(depth + 1);
    } else {
      mutate(v[k], depth + 1);
    }
    return;
  }
  if (v.is_array() && !v.empty() && depth < 4) {
    const int op = *rc::gen::inRange(0, 4);
    const size_t i = *rc::gen::inRange<size_t>(0, v.size());
    if (op == 0) {
      v.erase(i);
    } else if (op == 1) {
      v.insert(v.begin() + static_cast<long>(i), gen_value(depth + 1));
    } else if (op == 2) {
      v.push_back(gen_value(depth + 1));
    } else {
      mutate(v[i], depth + 1);
    }
    return;
  }
  v = gen_value(depth);
}

// Top-level chunks: each line at column 0 that is not a comment starts a chunk running to the next
// line at column 0.
std::map<std::string, std::string> top_level_chunks(const std::string& text, const json& value) {
  std::map<std::string, std::string> out;
  std::vector<std::pair<size_t, size_t>> lines;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    nl = nl == std::string::npos ? text.size() : nl + 1;
    lines.emplace_back(pos, nl);
    pos = nl;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    const char c = text[lines[i].first];
    if (c == ' ' || c == '#' || c == '\n' || c == '-') continue;
    size_t j = i + 1;
    while (j < lines.size() && (text[lines[j].first] == ' ' || text[lines[j].first] == '\n')) ++j;
    std::string chunk = text.substr(lines[i].first, lines[j - 1].second - lines[i].first);
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (chunk.rfind(it.key() + ":", 0) == 0) out[it.key()] = chunk;
    }
  }
  return out;
}

RC_GTEST_PROP(YamlEditProperty, RandomEditsReadBackAndKeepUntouchedKeys, ()) {
  json doc = {{"apiVersion", "v1"},
              {"kind", *rc::gen::elementOf(std::vector<std::string>{"ConfigMap", "Profile"})}};
  doc["metadata"] = {{"name", "n"}, {"labels", {{"app", "x"}}}};
  doc["spec"] = gen_object(1);
  if (*rc::gen::arbitrary<bool>()) doc["data"] = gen_object(1);
  std::string text = yaml::emit(doc);
  // Comments between top-level entries and after values, as people write them.
  std::string commented;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    if (!line.empty() && line[0] != ' ' && line[0] != '-' && *rc::gen::arbitrary<bool>())
      commented += "# about " + line.substr(0, line.find(':')) + "\n";
    commented += line + "\n";
    pos = nl + 1;
  }
  RC_ASSERT(yaml::same_data(*yaml::parse(commented), doc));
  json changed = doc;
  const int edits = *rc::gen::inRange(1, 4);
  for (int i = 0; i < edits; ++i) mutate(changed, 0);
  if (!changed.is_object()) changed = json::object();
  auto out = yaml::edit_document(commented, changed, "prop.yaml");
  RC_ASSERT(out.has_value());
  auto back = yaml::parse(*out, "out.yaml");
  RC_ASSERT(back.has_value());
  RC_ASSERT(yaml::same_data(*back, changed));
  RC_LOG() << "before:\n" << commented << "\nafter:\n" << *out << "\n";
  auto before = top_level_chunks(commented, doc);
  auto after = top_level_chunks(*out, changed);
  for (const auto& [k, chunk] : before) {
    if (!changed.contains(k) || !yaml::same_data(doc[k], changed[k])) continue;
    RC_ASSERT(after.count(k) == 1u);
    RC_ASSERT(after[k] == chunk);
  }
}

}  // namespace
}  // namespace kftenant
