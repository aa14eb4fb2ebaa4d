#include "kftenant/base64.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace kftenant {
namespace {

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64::encode(""), "");
  EXPECT_EQ(base64::encode("f"), "Zg==");
  EXPECT_EQ(base64::encode("fo"), "Zm8=");
  EXPECT_EQ(base64::encode("foo"), "Zm9v");
  EXPECT_EQ(base64::encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64::decode("Zm9vYg=="), "foob");
  EXPECT_EQ(base64::decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64::decode(""), "");
}

TEST(Base64, StrictButToleratesLineBreaksAndSurroundingBlanks) {
  EXPECT_EQ(base64::decode("  Zm9v\nYmFy\r\n "), "foobar");
  for (auto bad : {"Zm9vYg", "Zm9vYg=", "Zm9v YmFy", "Zm9vYg==Zm9v", "Zm=vYg==", "Zm9vYmF-",
                   "Zm9vYmF_", "====", "Z===", "Zm9vY!=="}) {
    EXPECT_FALSE(base64::decode(bad).has_value()) << bad;
  }
}

RC_GTEST_PROP(Base64, DecodeOfEncodeIsIdentity, (const std::string& bytes)) {
  RC_ASSERT(base64::decode(base64::encode(bytes)) == bytes);
}

RC_GTEST_PROP(Base64, RawUrlDecodeOfEncodeIsIdentity, (const std::string& bytes)) {
  const std::string text = base64::encode(bytes, base64::Encoding::kRawUrl);
  RC_ASSERT(text.find_first_of("+/=") == std::string::npos);
  RC_ASSERT(base64::decode_go(text, base64::Encoding::kRawUrl) == bytes);
}

TEST(Base64, RawUrlAlphabetAndNoPadding) {
  EXPECT_EQ(base64::encode("\xfb\xff", base64::Encoding::kRawUrl), "-_8");
  EXPECT_EQ(base64::encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(base64::decode_go("-_8", base64::Encoding::kRawUrl), "\xfb\xff");
}

// The offsets Go's encoding/base64 reports ("illegal base64 data at input byte N"), which the
// test API server answers with (checked against a real kube-apiserver by tests/differential).
TEST(Base64, ErrorOffsetsAreGos) {
  using base64::Encoding;
  auto offset = [](std::string_view text, Encoding e) -> long {
    auto r = base64::decode_go(text, e);
    return r ? -1 : static_cast<long>(r.error());
  };
  EXPECT_EQ(offset("Zm9v", Encoding::kStd), -1);
  EXPECT_EQ(offset("Zm9v\nYmFy", Encoding::kStd), -1);   // newlines skipped
  EXPECT_EQ(offset("Zm!v", Encoding::kStd), 2);          // outside the alphabet
  EXPECT_EQ(offset("Zm9vY", Encoding::kStd), 4);         // truncated: the quantum's start
  EXPECT_EQ(offset("Zm9vYg", Encoding::kStd), 4);        // padding missing
  EXPECT_EQ(offset("Zm9vYg=", Encoding::kStd), 7);       // one '=' of two
  EXPECT_EQ(offset("Zm9vY===", Encoding::kStd), 5);      // '=' too early
  EXPECT_EQ(offset("Zm9vYg==Zm9v", Encoding::kStd), 8);  // data after the padding
  EXPECT_EQ(offset("Zm=v", Encoding::kStd), 2);          // "=" then not "=": the first one
  EXPECT_EQ(offset("Zm9vYg", Encoding::kRawUrl), -1);
  EXPECT_EQ(offset("Zm9vY", Encoding::kRawUrl), 4);     // one character left over
  EXPECT_EQ(offset("Zm9vYg==", Encoding::kRawUrl), 6);  // no padding in raw encodings
  EXPECT_EQ(offset("Zm+v", Encoding::kRawUrl), 2);      // '+' is not in the URL alphabet
}

}  // namespace
}  // namespace kftenant
