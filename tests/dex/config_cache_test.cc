// The parse/check memo answers exactly what the uncached calls answer, whatever the order of
// the texts asked for, and never mixes up two sources or two texts of the same length.
#include "dex/config_cache.h"

#include <gtest/gtest.h>

namespace kftenant::dex::detail {
namespace {

std::string config_with(int users) {
  std::string text =
      "issuer: x\nstorage: {type: memory}\nweb: {http: ':1'}\n"
      "enablePasswordDB: true\nstaticPasswords:\n";
  for (int i = 0; i < users; ++i)
    text += "- email: u" + std::to_string(i) + "@x.io\n  hash: \"$2y$10$" +
            std::string(53, static_cast<char>('a' + i % 26)) + "\"\n  username: u" +
            std::to_string(i) + "\n  userID: \"" + std::to_string(i) + "\"\n";
  return text;
}

TEST(DexConfigCache, AnswersAreThoseOfTheUncachedCalls) {
  // Two texts of the same length that differ in one byte, a growing text, and a broken one.
  std::string same_length = config_with(3);
  same_length[same_length.find("u1@")] = 'v';
  const std::vector<std::string> texts = {config_with(3),         same_length,
                                          config_with(4),         config_with(3),
                                          "staticPasswords: [\n", config_with(4)};
  for (int round = 0; round < 2; ++round) {
    for (const auto& text : texts) {
      auto direct = DexConfig::parse(text, "config.yaml");
      auto cached = parse_config_cached(text, "config.yaml");
      ASSERT_EQ(direct.has_value(), cached.has_value()) << text;
      if (!direct) {
        EXPECT_EQ(direct.error().message, cached.error().message);
        continue;
      }
      EXPECT_EQ(cached->text(), text);
      ASSERT_EQ(cached->static_passwords().size(), direct->static_passwords().size());
      for (size_t i = 0; i < direct->static_passwords().size(); ++i)
        EXPECT_EQ(cached->static_passwords()[i].email, direct->static_passwords()[i].email);
      const auto want = check_dex_config(*direct);
      const auto got = check_config_cached(*cached);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].message, want[i].message);
        EXPECT_EQ(got[i].line, want[i].line);
      }
    }
  }
}

TEST(DexConfigCache, TheSourceNameIsPartOfTheKey) {
  const std::string text = config_with(2) + "- email: broken\n";
  auto a = parse_config_cached(text, "a.yaml");
  auto b = parse_config_cached(text, "b.yaml");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->source_name(), "a.yaml");
  EXPECT_EQ(b->source_name(), "b.yaml");
  EXPECT_EQ(parse_config_cached(text, "a.yaml")->source_name(), "a.yaml");
  const auto problems = check_config_cached(*b);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems.size(), check_dex_config(*a).size());
}

}  // namespace
}  // namespace kftenant::dex::detail
