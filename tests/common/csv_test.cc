// The CSV reader keeps fields byte for byte and knows the line each row starts on, which is what
// import's "FILE:LINE: field: ..." messages point at.
#include "kftenant/csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace kftenant::csv {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::vector<std::string>> fields_of(const std::vector<Row>& rows) {
  std::vector<std::vector<std::string>> out;
  for (const auto& r : rows) out.push_back(r.fields);
  return out;
}
std::vector<int> lines_of(const std::vector<Row>& rows) {
  std::vector<int> out;
  for (const auto& r : rows) out.push_back(r.line);
  return out;
}

TEST(Csv, QuotedFieldsHoldCommasQuotesAndLineBreaksAndRowsKnowTheirLine) {
  auto rows = parse("email,name\r\n\"a,b\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",x\r\nlast,row");
  ASSERT_TRUE(rows) << rows.error().message;
  EXPECT_THAT(fields_of(*rows),
              ElementsAre(ElementsAre("email", "name"), ElementsAre("a,b", "say \"hi\""),
                          ElementsAre("multi\nline", "x"), ElementsAre("last", "row")));
  EXPECT_THAT(lines_of(*rows), ElementsAre(1, 2, 3, 5));
}

TEST(Csv, AByteOrderMarkIsSkippedBlankLinesTooAndSpacesAreKept) {
  auto rows = parse(
      "\xEF\xBB\xBF"
      "email\n\n  padded  \n\n\"\"\n");
  ASSERT_TRUE(rows) << rows.error().message;
  EXPECT_THAT(fields_of(*rows),
              ElementsAre(ElementsAre("email"), ElementsAre("  padded  "), ElementsAre("")));
  EXPECT_THAT(lines_of(*rows), ElementsAre(1, 3, 5));
}

TEST(Csv, WhatRfc4180DoesNotAllowIsRefusedWithItsLine) {
  auto inside = parse("a,b\nc,d\"e\n");
  ASSERT_FALSE(inside);
  EXPECT_EQ(inside.error().code, ErrorCode::kParse);
  EXPECT_THAT(inside.error().message, HasSubstr("line 2: a quote inside an unquoted field"));
  auto after = parse("a\n\"b\"c\n");
  ASSERT_FALSE(after);
  EXPECT_THAT(after.error().message, HasSubstr("line 2:"));
  auto open = parse("a\nb\n\"never\nclosed\n");
  ASSERT_FALSE(open);
  EXPECT_THAT(open.error().message, HasSubstr("line 3: a quoted field that is never closed"));
  auto cr = parse("a\r\nb\rc\n");
  ASSERT_FALSE(cr);
  EXPECT_THAT(cr.error().message, HasSubstr("line 2: a carriage return without a line feed"));
  auto nul = parse(std::string("a\nb\0c\n", 6));
  ASSERT_FALSE(nul);
  EXPECT_THAT(nul.error().message, HasSubstr("line 2: a NUL byte"));
}

TEST(Csv, FieldsAreQuotedOnlyWhenTheyNeedIt) {
  EXPECT_EQ(field("plain"), "plain");
  EXPECT_EQ(field("a,b"), "\"a,b\"");
  EXPECT_EQ(field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(field(" lead"), "\" lead\"");
  EXPECT_EQ(field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(row({"a", "b,c", ""}), "a,\"b,c\",\n");
  // A byte order mark that begins a field survives being the first bytes of a file (fuzz).
  const std::string bom_field = "\xEF\xBB\xBFusers";
  EXPECT_EQ(field(bom_field), "\"" + bom_field + "\"");
  auto back = parse(row({bom_field}));
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)[0].fields, std::vector<std::string>{bom_field});
}

// Whatever the fields, writing them with row() and reading them back gives them again, with
// each row's line counted through the line breaks inside quoted fields.
RC_GTEST_PROP(CsvProperty, RowsWrittenAreReadBackExactly, ()) {
  const auto table = *rc::gen::nonEmpty(
      rc::gen::container<std::vector<std::vector<std::string>>>(rc::gen::nonEmpty(
          rc::gen::container<std::vector<std::string>>(rc::gen::container<std::string>(
              rc::gen::element('a', 'Z', ',', '"', '\n', ' ', ';', '\t'))))));
  std::string text;
  std::vector<int> lines;
  int line = 1;
  std::vector<std::vector<std::string>> expected;
  for (const auto& fields : table) {
    // A row of one empty field is written as an empty line, which readers skip: leave it out.
    if (fields.size() == 1 && fields[0].empty()) continue;
    lines.push_back(line);
    const std::string r = row(fields);
    for (char c : r) line += c == '\n';
    text += r;
    expected.push_back(fields);
  }
  auto rows = parse(text);
  RC_ASSERT(rows.has_value());
  RC_ASSERT(fields_of(*rows) == expected);
  RC_ASSERT(lines_of(*rows) == lines);
}

}  // namespace
}  // namespace kftenant::csv
