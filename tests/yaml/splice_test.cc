// The byte helpers and the event pass shared by yaml::edit_document and DexConfig.
#include "yaml/splice.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace kftenant::yaml::detail {
namespace {

constexpr size_t npos = std::string_view::npos;

TEST(Splice, LineArithmetic) {
  const std::string_view t = "a: 1\n  b: 2\r\nc";
  EXPECT_EQ(line_start(t, 3), 0u);
  EXPECT_EQ(line_start(t, 9), 5u);
  EXPECT_EQ(column_of(t, 7), 2u);
  EXPECT_EQ(after_line(t, 0), 5u);
  EXPECT_EQ(after_line(t, 13), t.size());  // no line break after "c"
  // line_end_after: content ending at 4 (before "\n") ends its line at 5; a line start stays.
  EXPECT_EQ(line_end_after(t, 4), 5u);
  EXPECT_EQ(line_end_after(t, 5), 5u);
  EXPECT_EQ(line_end_after(t, 0), 0u);
  EXPECT_EQ(line_end_after(t, t.size()), t.size());
  EXPECT_EQ(line_content_end(t, 5), 11u);  // before "\r\n"
  EXPECT_TRUE(at_line_start(t, 0));
  EXPECT_TRUE(at_line_start(t, 5));
  EXPECT_FALSE(at_line_start(t, 6));
  EXPECT_TRUE(first_on_line(t, 7));
  EXPECT_FALSE(first_on_line(t, 8));
  EXPECT_EQ(colon_after(t, 1), 2u);
  EXPECT_EQ(colon_after("k \t: v", 1), 4u);
  EXPECT_EQ(colon_after("k\n: v", 1), npos);
}

TEST(Splice, NextDash) {
  const std::string_view t = "k:\n  # c - d\n\n  - a\n  -\n    b: 1 # e\n  - x\nz";
  const size_t first = next_dash(t, 2);
  EXPECT_EQ(first, t.find("- a"));
  EXPECT_EQ(next_dash(t, first + 3), t.find("-\n"));
  EXPECT_EQ(next_dash(t, t.find(" # e")), t.find("- x"));
  EXPECT_EQ(next_dash(t, t.find("x") + 1), npos);  // "z" is no item
  EXPECT_EQ(next_dash(t, t.size()), npos);
}

TEST(Splice, LineBreaks) {
  EXPECT_EQ(newline_of("a\r\nb\n"), "\r\n");
  EXPECT_EQ(newline_of("a\nb\r\n"), "\n");
  EXPECT_EQ(newline_of("a"), "\n");
  EXPECT_FALSE(has_other_line_breaks("a\r\nb\nc"));
  EXPECT_TRUE(has_other_line_breaks("a\rb"));
  EXPECT_TRUE(has_other_line_breaks("a\r"));
  EXPECT_TRUE(
      has_other_line_breaks("a\xC2\x85"
                            "b"));
  EXPECT_TRUE(has_other_line_breaks("a\xE2\x80\xA8"));
  EXPECT_TRUE(has_other_line_breaks("a\xE2\x80\xA9"));
}

TEST(Splice, PlainNull) {
  for (std::string_view v : {"", "~", "null", "Null", "NULL"}) EXPECT_TRUE(plain_null(v)) << v;
  for (std::string_view v : {"nULL", "none", "0", "'~'"}) EXPECT_FALSE(plain_null(v)) << v;
}

TEST(Splice, ApplySplices) {
  const std::string_view t = "a: 1\nb: 2\n";
  // Out of order; two insertions at the same place keep their order.
  auto r = apply_splices(t, {{8, 9, "3"}, {5, 5, "x: 0\n"}, {5, 5, "y: 0\n"}, {3, 4, "9"}}, false);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "a: 9\nx: 0\ny: 0\nb: 3\n");
  auto crlf = apply_splices("a: 1\r\n", {{6, 6, "b: 2\n"}}, true);
  ASSERT_TRUE(crlf);
  EXPECT_EQ(*crlf, "a: 1\r\nb: 2\r\n");
  EXPECT_FALSE(apply_splices(t, {{0, 4, ""}, {3, 5, ""}}, false));
  // An insertion at the start of a replaced range does not overlap it.
  EXPECT_EQ(apply_splices(t, {{0, 0, "#\n"}, {0, 4, "a: 2"}}, false), "#\na: 2\nb: 2\n");
  EXPECT_EQ(splice(t, 5, 9, "c: 3"), "a: 1\nc: 3\n");
}

TEST(Splice, MarkScannerSkipsNodesAndSeesSpecials) {
  const std::string text = "a: [1, {b: 2}]  # c\nd:\n  e: &x 1\nf: \xC3\xA9t\xC3\xA9\n";
  MarkScanner scan(text, "t.yaml");
  LibyamlEvent ev;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(scan.next(ev));  // stream, doc, mapping, "a"
  ASSERT_TRUE(scan.next(ev));
  size_t end = 0;
  ASSERT_TRUE(scan.skip(ev, end));
  EXPECT_EQ(end, text.find("  # c"));  // just past the ']'
  EXPECT_FALSE(scan.special_seen());
  ASSERT_TRUE(scan.next(ev));  // "d"
  ASSERT_TRUE(scan.next(ev));  // block mapping
  ASSERT_TRUE(scan.skip(ev, end));
  EXPECT_EQ(end, text.find("\nf:"));  // the end of its last scalar
  EXPECT_TRUE(scan.special_seen());   // &x
  ASSERT_TRUE(scan.next(ev));         // "f"
  ASSERT_TRUE(scan.next(ev));
  EXPECT_EQ(scalar_value(ev.e), "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(scan.byte(ev.e.end_mark), text.size() - 1);  // bytes, not characters
  ASSERT_TRUE(scan.next(ev));
  EXPECT_EQ(ev.e.type, YAML_MAPPING_END_EVENT);
  EXPECT_EQ(scan.flow_end(ev.e), npos);  // a block mapping
}

TEST(Splice, EventKinds) {
  const std::string text = "- !t a\n- |\n  b\n- *x\n";
  MarkScanner scan(text, "t.yaml");
  LibyamlEvent ev;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(scan.next(ev));
  ASSERT_TRUE(scan.next(ev));
  EXPECT_TRUE(is_special(ev.e));  // tag
  EXPECT_FALSE(is_block_scalar(ev.e));
  ASSERT_TRUE(scan.next(ev));
  EXPECT_FALSE(is_special(ev.e));
  EXPECT_TRUE(is_block_scalar(ev.e));
  // "*x" names no anchor: libyaml's parser still reports the alias (yaml::parse refuses it).
  ASSERT_TRUE(scan.next(ev));
  EXPECT_EQ(ev.e.type, YAML_ALIAS_EVENT);
  EXPECT_TRUE(is_special(ev.e));
}

}  // namespace
}  // namespace kftenant::yaml::detail
