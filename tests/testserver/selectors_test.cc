#include "testserver/selectors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kftenant::testserver {
namespace {

LabelSelector parse_ok(std::string_view text) {
  auto s = LabelSelector::parse(text);
  EXPECT_TRUE(s.has_value()) << text << ": " << (s ? "" : s.error().message);
  return s ? *s : LabelSelector{};
}

std::string parse_error(std::string_view text) {
  auto s = LabelSelector::parse(text);
  if (s) return "<parsed>";
  EXPECT_EQ(s.error().code, ErrorCode::kBadRequest);
  return s.error().message;
}

TEST(LabelSelector, EqualityOperators) {
  LabelMap page = {{"rec-set", "page"}};
  LabelMap other = {{"rec-set", "other"}};
  LabelMap none;
  for (auto text : {"rec-set=page", "rec-set==page", " rec-set = page "}) {
    auto s = parse_ok(text);
    EXPECT_TRUE(s.matches(page)) << text;
    EXPECT_FALSE(s.matches(other)) << text;
    EXPECT_FALSE(s.matches(none)) << text;
  }
  auto ne = parse_ok("rec-set!=page");
  EXPECT_FALSE(ne.matches(page));
  EXPECT_TRUE(ne.matches(other));
  EXPECT_TRUE(ne.matches(none));  // a missing key is "not equal"
  auto empty_value = parse_ok("a=");
  EXPECT_TRUE(empty_value.matches({{"a", ""}}));
  EXPECT_FALSE(empty_value.matches({{"a", "x"}}));
}

TEST(LabelSelector, SetOperatorsAndExistence) {
  // 07-list-paging / label-selector-set-based: only rec-other matches.
  auto s = parse_ok("rec-set in (page,other),rec-set!=page");
  EXPECT_TRUE(s.matches({{"rec-set", "other"}}));
  EXPECT_FALSE(s.matches({{"rec-set", "page"}}));
  EXPECT_FALSE(s.matches({}));

  auto notin = parse_ok("env notin (prod, staging)");
  EXPECT_TRUE(notin.matches({{"env", "dev"}}));
  EXPECT_TRUE(notin.matches({}));
  EXPECT_FALSE(notin.matches({{"env", "prod"}}));

  auto exists = parse_ok("app,!legacy");
  EXPECT_TRUE(exists.matches({{"app", "x"}}));
  EXPECT_FALSE(exists.matches({{"app", "x"}, {"legacy", ""}}));
  EXPECT_FALSE(exists.matches({}));

  // Keywords are values inside parentheses; "()" is the empty value.
  auto kw = parse_ok("x in (in,notin),y notin ()");
  EXPECT_TRUE(kw.matches({{"x", "in"}}));
  EXPECT_FALSE(kw.matches({{"x", "notin"}, {"y", ""}}));

  EXPECT_TRUE(parse_ok("").empty());
  EXPECT_TRUE(parse_ok("").matches({{"a", "b"}}));
}

TEST(LabelSelector, GreaterLessThan) {
  auto gt = parse_ok("tier>1");
  EXPECT_TRUE(gt.matches({{"tier", "2"}}));
  EXPECT_FALSE(gt.matches({{"tier", "1"}}));
  EXPECT_FALSE(gt.matches({{"tier", "x"}}));
  EXPECT_TRUE(parse_ok("tier<1").matches({{"tier", "-5"}}));
}

TEST(LabelSelector, RequirementsAreSortedByKey) {
  auto s = parse_ok("b=1,a=2");
  ASSERT_EQ(s.requirements().size(), 2u);
  EXPECT_EQ(s.requirements()[0].key, "a");
  auto in = parse_ok("k in (z,a,a)");
  EXPECT_THAT(in.requirements()[0].values, testing::ElementsAre("a", "z"));
}

// Exact texts of k8s.io/apimachinery/pkg/labels/selector.go.
TEST(LabelSelector, ParseErrors) {
  // 07-list-paging / bad-label-selector
  EXPECT_EQ(parse_error("!!"), "unable to parse requirement: found '!', expected: identifier");
  EXPECT_EQ(parse_error("a=b,"), "found '', expected: identifier after ','");
  EXPECT_EQ(parse_error("a=b c"), "found 'c', expected: ',' or 'end of string'");
  EXPECT_EQ(parse_error("=a"), "found '=', expected: !, identifier, or 'end of string'");
  EXPECT_EQ(parse_error("a b"),
            "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
  EXPECT_EQ(parse_error("a in b"), "unable to parse requirement: found 'b' expected: '('");
  EXPECT_EQ(parse_error("a in (b"), "unable to parse requirement: found '', expected: ',' or ')'");
  EXPECT_EQ(parse_error("a in (=)"),
            "unable to parse requirement: found '=', expected: ',', ')' or identifier");
  EXPECT_EQ(parse_error("a=="), "<parsed>");  // "a==" means a == ""
  EXPECT_EQ(parse_error("a=(b)"), "unable to parse requirement: found '(', expected: identifier");
  EXPECT_EQ(parse_error("!a=b"), "found '=', expected: ',' or 'end of string'");
  EXPECT_EQ(parse_error("a>b"),
            "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' "
            "operators, the value must be an integer");
}

TEST(LabelSelector, KeyAndValueValidation) {
  EXPECT_EQ(parse_error("a$=b"),
            "unable to parse requirement: <nil>: Invalid value: \"a$\": name part must consist of "
            "alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
            "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  EXPECT_EQ(parse_error("a=b$"),
            "unable to parse requirement: values[0][a]: Invalid value: \"b$\": a valid label must "
            "be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
            "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
            "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  EXPECT_EQ(parse_error("example.com/app=x"), "<parsed>");
}

TEST(LabelSelector, MatchesObjects) {
  auto s = parse_ok("rec-set=page");
  nlohmann::json cm = {{"metadata", {{"name", "a"}, {"labels", {{"rec-set", "page"}}}}}};
  nlohmann::ordered_json ocm = {{"metadata", {{"name", "a"}, {"labels", {{"rec-set", "other"}}}}}};
  EXPECT_TRUE(s.matches_object(cm));
  EXPECT_FALSE(s.matches_object(ocm));
  EXPECT_FALSE(s.matches_object(nlohmann::json::object()));
  EXPECT_TRUE(parse_ok("!x").matches_object(nlohmann::json::object()));
}

TEST(FieldSelector, NameAndNamespace) {
  auto s = FieldSelector::parse("metadata.name=rec-page-3");
  ASSERT_TRUE(s.has_value());
  nlohmann::json obj = {{"metadata", {{"name", "rec-page-3"}, {"namespace", "rec"}}}};
  EXPECT_TRUE(s->matches_object(obj));
  EXPECT_FALSE(s->matches("rec-page-4", "rec"));

  auto both = FieldSelector::parse("metadata.namespace==rec,metadata.name!=a");
  ASSERT_TRUE(both.has_value());
  EXPECT_TRUE(both->matches("b", "rec"));
  EXPECT_FALSE(both->matches("a", "rec"));
  EXPECT_FALSE(both->matches("b", "other"));

  auto empty = FieldSelector::parse("");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
  EXPECT_TRUE(empty->matches("x", "y"));

  auto escaped = FieldSelector::parse("metadata.name=a\\,b");
  ASSERT_TRUE(escaped.has_value());
  EXPECT_TRUE(escaped->matches("a,b", ""));
}

TEST(FieldSelector, Errors) {
  // 07-list-paging / unsupported-field-selector
  auto unknown = FieldSelector::parse("data.i=1");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(
      unknown.error().message,
      "\"data.i\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");

  auto no_op = FieldSelector::parse("metadata.name");
  ASSERT_FALSE(no_op.has_value());
  EXPECT_EQ(no_op.error().message,
            "invalid selector: 'metadata.name'; can't understand 'metadata.name'");

  auto bad_escape = FieldSelector::parse("metadata.name=a\\x");
  ASSERT_FALSE(bad_escape.has_value());
  EXPECT_EQ(bad_escape.error().message, "invalid field selector: invalid escape sequence: \\x");
}

}  // namespace
}  // namespace kftenant::testserver
