// CLI output helpers: -o parsing, kubectl-style tables, JSON/YAML rendering.
#include "cli/output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <clocale>

#include "kftenant/yaml.h"

namespace {

using kftenant::ErrorCode;
using namespace kftenant::cli;
using ::testing::HasSubstr;

TEST(OutputFormat, Parses) {
  EXPECT_EQ(parse_output_format("table"), OutputFormat::kTable);
  EXPECT_EQ(parse_output_format("json"), OutputFormat::kJson);
  EXPECT_EQ(parse_output_format("yaml"), OutputFormat::kYaml);
  for (const char* bad : {"", "JSON", "yml", "wide", "json "}) {
    auto r = parse_output_format(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr("-o table, -o json or -o yaml"));
  }
}

TEST(RenderTable, KubectlStyle) {
  const std::string t =
      render_table({"email", "Profile", "role"}, {{"alice@example.com", "alice", "owner"},
                                                  {"bob@example.com", "data-science", ""},
                                                  {"c@x.io", "", "view"}});
  EXPECT_EQ(t,
            "EMAIL               PROFILE        ROLE\n"
            "alice@example.com   alice          owner\n"
            "bob@example.com     data-science\n"
            "c@x.io                             view\n");
}

TEST(RenderTable, NoRowsIsHeaderOnlyAndShortRowsArePadded) {
  EXPECT_EQ(render_table({"a", "bb"}, {}), "A   BB\n");
  EXPECT_EQ(render_table({"a", "b", "c"}, {{"1"}, {"1", "2", "3", "extra"}}),
            "A   B   C\n"
            "1\n"
            "1   2   3\n");
  EXPECT_EQ(render_table({}, {{"x"}}), "");
}

TEST(RenderTable, WidthCountsCodePointsAndControlsAreEscaped) {
  const std::string t = render_table({"name", "x"}, {{"Zoë", "1"}, {"a\nb\x1b[31m", "2"}});
  EXPECT_EQ(t,
            "NAME           X\n"
            "Zoë            1\n"
            "a\\nb\\x1B[31m   2\n");
  for (char c : t) {
    if (c != '\n') {
      EXPECT_GE(static_cast<unsigned char>(c), 0x20);
    }
  }
}

TEST(RenderTable, AlignsByDisplayWidthForWideAndCombiningCharacters) {
  // Hangul syllables and the emoji take two terminal columns each; the combining acute accent
  // (U+0301 after "e") takes none. The process locale stays "C": the width must not depend on it.
  ASSERT_NE(std::setlocale(LC_ALL, "C"), nullptr);
  const std::string t = render_table(
      {"name", "x"},
      {{"김민수", "1"}, {"kim 민수", "2"}, {"Jose\u0301", "3"}, {"ok 😀", "4"}, {"abcdefgh", "5"}});
  EXPECT_EQ(t,
            "NAME       X\n"
            "김민수     1\n"
            "kim 민수   2\n"
            "Jose\u0301       3\n"
            "ok 😀      4\n"
            "abcdefgh   5\n");
  // Still "C" afterwards: the UTF-8 locale was only used by this thread, around the computation.
  EXPECT_STREQ(std::setlocale(LC_CTYPE, nullptr), "C");
}

TEST(RenderValue, JsonAndYaml) {
  nlohmann::json v = {{"email", "alice@example.com"}, {"profiles", {"alice"}}};
  const std::string j = render_value(v, OutputFormat::kJson);
  EXPECT_EQ(j, v.dump(2) + "\n");
  EXPECT_EQ(nlohmann::json::parse(j), v);
  const std::string y = render_value(v, OutputFormat::kYaml);
  auto back = kftenant::yaml::parse(y);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, v);
  // Invalid UTF-8 does not throw.
  EXPECT_NO_THROW((void)render_json(nlohmann::json("a\xff")));
}

}  // namespace
