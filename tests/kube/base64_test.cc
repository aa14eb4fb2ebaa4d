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

}  // namespace
}  // namespace kftenant
