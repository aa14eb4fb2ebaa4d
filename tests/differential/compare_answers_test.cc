// AnswerComparer: resourceVersions compared by correspondence, not by number.
#include "differential/compare_answers.h"

#include <gtest/gtest.h>

namespace kftenant::differential {
namespace {

// Normalises `raw` with `n` and wraps it as a 200 JSON answer of step `step`.
Answer answer(Normalizer& n, const std::string& step, const std::string& raw) {
  Answer a;
  a.step = step;
  a.sent = true;
  a.status = 200;
  a.content_type = "application/json";
  a.body = n.normalize(Json::parse(raw), "");
  return a;
}

std::string details(const Comparison& c) {
  std::string out;
  for (const auto& d : c.disagreements) out += d.step + " [" + d.category + "] " + d.detail + "\n";
  return out;
}

TEST(AnswerComparer, PairsRevisionsAcrossNumberings) {
  Normalizer fake, real;
  Comparison c;
  AnswerComparer cmp(fake, real);
  // The real server saw one revision more (a background write) before the first object.
  (void)real.normalize(Json::parse(R"({"metadata":{"resourceVersion":"7"}})"), "");
  cmp.compare(answer(fake, "a", R"({"metadata":{"name":"x","resourceVersion":"1001"}})"),
              answer(real, "a", R"({"metadata":{"name":"x","resourceVersion":"8"}})"), Json(), c);
  cmp.compare(answer(fake, "b", R"j({"message":"too old resource version: 1 (1001)"})j"),
              answer(real, "b", R"j({"message":"too old resource version: 1 (8)"})j"), Json(), c);
  EXPECT_TRUE(c.disagreements.empty()) << details(c);
  EXPECT_EQ(c.exchanges, 2);
  EXPECT_EQ(c.checks, 8);
}

TEST(AnswerComparer, TheWatchCachesOldestRevisionIsNotPaired) {
  Normalizer fake, real;
  Comparison c;
  AnswerComparer cmp(fake, real);
  cmp.compare(answer(fake, "a", R"({"metadata":{"name":"x","resourceVersion":"1001"}})"),
              answer(real, "a", R"({"metadata":{"name":"x","resourceVersion":"8"}})"), Json(), c);
  // 1001 is paired with 8, yet the real cache's oldest revision is 12: not a disagreement.
  cmp.compare(answer(fake, "b", R"j({"message":"too old resource version: 1 (1001)"})j"),
              answer(real, "b", R"j({"message":"too old resource version: 1 (12)"})j"), Json(), c);
  EXPECT_TRUE(c.disagreements.empty()) << details(c);
  // Elsewhere the pairing still holds.
  cmp.compare(answer(fake, "c", R"({"metadata":{"name":"x","resourceVersion":"1001"}})"),
              answer(real, "c", R"({"metadata":{"name":"x","resourceVersion":"12"}})"), Json(), c);
  EXPECT_FALSE(c.disagreements.empty());
}

TEST(AnswerComparer, ReportsABrokenCorrespondence) {
  Normalizer fake, real;
  Comparison c;
  AnswerComparer cmp(fake, real);
  cmp.compare(answer(fake, "a", R"({"metadata":{"resourceVersion":"1001"}})"),
              answer(real, "a", R"({"metadata":{"resourceVersion":"8"}})"), Json(), c);
  // The fake answers the same revision again, the real server a different one.
  cmp.compare(answer(fake, "b", R"({"metadata":{"resourceVersion":"1001"}})"),
              answer(real, "b", R"({"metadata":{"resourceVersion":"9"}})"), Json(), c);
  ASSERT_EQ(c.disagreements.size(), 1u) << details(c);
  EXPECT_EQ(c.disagreements[0].step, "b");
  EXPECT_NE(c.disagreements[0].detail.find("real \"<rv:real#2>\""), std::string::npos)
      << details(c);
}

TEST(AnswerComparer, ListRevisionMayBeNewerOnTheRealServer) {
  Normalizer fake, real;
  Comparison c;
  AnswerComparer cmp(fake, real);
  cmp.compare(
      answer(fake, "create", R"({"kind":"ConfigMap","metadata":{"resourceVersion":"1001"}})"),
      answer(real, "create", R"({"kind":"ConfigMap","metadata":{"resourceVersion":"8"}})"), Json(),
      c);
  // An unrelated write (9) landed on the real server before the list.
  cmp.compare(
      answer(fake, "list", R"({"kind":"ConfigMapList","metadata":{"resourceVersion":"1001"}})"),
      answer(real, "list", R"({"kind":"ConfigMapList","metadata":{"resourceVersion":"10"}})"),
      Json(), c);
  // Page 2 carries page 1's list revision on both.
  cmp.compare(
      answer(fake, "page-2", R"({"kind":"ConfigMapList","metadata":{"resourceVersion":"1001"}})"),
      answer(real, "page-2", R"({"kind":"ConfigMapList","metadata":{"resourceVersion":"10"}})"),
      Json(), c);
  EXPECT_TRUE(c.disagreements.empty()) << details(c);
  // ...but an older one than the object's is wrong.
  Normalizer fake2, real2;
  Comparison c2;
  AnswerComparer cmp2(fake2, real2);
  cmp2.compare(
      answer(fake2, "create", R"({"kind":"ConfigMap","metadata":{"resourceVersion":"1001"}})"),
      answer(real2, "create", R"({"kind":"ConfigMap","metadata":{"resourceVersion":"8"}})"), Json(),
      c2);
  cmp2.compare(
      answer(fake2, "list", R"({"kind":"ConfigMapList","metadata":{"resourceVersion":"1001"}})"),
      answer(real2, "list", R"({"kind":"ConfigMapList","metadata":{"resourceVersion":"5"}})"),
      Json(), c2);
  EXPECT_EQ(c2.disagreements.size(), 1u) << details(c2);
}

TEST(AnswerComparer, YamlListRevisionMayBeNewerOnTheRealServer) {
  Normalizer fake, real;
  Comparison c;
  AnswerComparer cmp(fake, real);
  cmp.compare(
      answer(fake, "create", R"({"kind":"ConfigMap","metadata":{"resourceVersion":"1001"}})"),
      answer(real, "create", R"({"kind":"ConfigMap","metadata":{"resourceVersion":"8"}})"), Json(),
      c);
  auto yaml = [](Normalizer& n, const std::string& list_rv, const std::string& item_rv) {
    Answer a;
    a.step = "list";
    a.sent = true;
    a.status = 200;
    a.content_type = "application/yaml";
    a.body = n.normalize_text(
        "apiVersion: v1\nitems:\n- metadata:\n    resourceVersion: \"" + item_rv +
            "\"\nkind: ConfigMapList\nmetadata:\n  resourceVersion: \"" + list_rv + "\"\n",
        "");
    return a;
  };
  cmp.compare(yaml(fake, "1001", "1001"), yaml(real, "9", "8"), Json(), c);
  EXPECT_TRUE(c.disagreements.empty()) << details(c);
  cmp.compare(yaml(fake, "1001", "1001"), yaml(real, "9", "9"), Json(), c);  // an item's: strict
  EXPECT_EQ(c.disagreements.size(), 1u) << details(c);
}

TEST(AnswerComparer, StatusHeadersAndOptions) {
  Normalizer fake, real;
  Comparison c;
  AnswerComparer cmp(fake, real);
  Answer f = answer(fake, "s", R"({"spec":{"token":"a","x":1},"items":[]})");
  Answer r = answer(real, "s", R"({"spec":{"token":"b","x":1},"items":[]})");
  r.headers["Warning"] = {"299 - \"w\""};
  r.status = 201;
  cmp.compare(f, r, Json{{"ignore", {"spec.token"}}}, c);
  ASSERT_EQ(c.disagreements.size(), 2u) << details(c);
  EXPECT_EQ(c.disagreements[0].category, "status");
  EXPECT_EQ(c.disagreements[1].category, "header");
}

TEST(AnswerComparer, WatchBookmarkRunsCollapse) {
  Normalizer fake, real;
  Comparison c;
  AnswerComparer cmp(fake, real);
  Answer f, r;
  f.step = r.step = "w";
  f.sent = r.sent = true;
  f.status = r.status = 200;
  f.watch = r.watch = true;
  auto lines = [](Normalizer& n, std::vector<std::string> raw) {
    std::vector<Json> docs;
    for (const auto& l : raw) docs.push_back(Json::parse(l));
    Json out = Json::array();
    for (auto& l : n.normalize_exchange(std::move(docs), "")) out.push_back(l);
    return out;
  };
  f.body = lines(fake, {R"({"type":"ADDED","object":{"metadata":{"resourceVersion":"1001"}}})",
                        R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"1001"}}})"});
  r.body = lines(real, {R"({"type":"ADDED","object":{"metadata":{"resourceVersion":"8"}}})",
                        R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"8"}}})",
                        R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}})"});
  cmp.compare(f, r, Json(), c);
  EXPECT_TRUE(c.disagreements.empty()) << details(c);
}

}  // namespace
}  // namespace kftenant::differential
