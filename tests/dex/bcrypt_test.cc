// bcrypt through libxcrypt, checked against Kubeflow's published hash and an independent
// implementation (Debian's python3-bcrypt).
#include "kftenant/dex/bcrypt.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/run_process.h"

namespace {

using kftenant::ErrorCode;
using namespace kftenant::dex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Kubeflow manifests common/dex/base/dex-passwords.yaml: bcrypt of the documented "12341234".
constexpr const char* kKubeflowDefaultHash =
    "$2y$12$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72";

TEST(Bcrypt, VerifiesKubeflowsDefaultHash) {
  EXPECT_EQ(bcrypt_verify("12341234", kKubeflowDefaultHash).value(), true);
  EXPECT_EQ(bcrypt_verify("12341235", kKubeflowDefaultHash).value(), false);
}

TEST(Bcrypt, HashIs2yWithTheRequestedCostAndVerifies) {
  auto hash = bcrypt_hash("correct horse", 10);
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_THAT(*hash, StartsWith("$2y$10$"));
  EXPECT_EQ(hash->size(), 60u);
  EXPECT_EQ(bcrypt_cost(*hash).value(), 10);
  EXPECT_TRUE(bcrypt_verify("correct horse", *hash).value());
  EXPECT_FALSE(bcrypt_verify("correct horsf", *hash).value());
  EXPECT_NE(*hash, bcrypt_hash("correct horse", 10).value()) << "salt must be random";
}

TEST(Bcrypt, DefaultCostIsTwelve) {
  EXPECT_THAT(bcrypt_hash("12341234").value(), StartsWith("$2y$12$"));
}

TEST(Bcrypt, CostOutsideDexWindowIsRefused) {
  for (int cost : {4, 9, 17, 31}) {
    auto hash = bcrypt_hash("12341234", cost);
    ASSERT_FALSE(hash) << cost;
    EXPECT_EQ(hash.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(hash.error().message, HasSubstr("10..16"));
  }
}

TEST(Bcrypt, PasswordLengthIsCheckedWithoutEchoingIt) {
  auto short_pw = bcrypt_hash("s3cr3t!", 10);
  ASSERT_FALSE(short_pw);
  EXPECT_THAT(short_pw.error().message, HasSubstr("8 to 72 bytes"));
  EXPECT_THAT(short_pw.error().message, Not(HasSubstr("s3cr3t!")));
  EXPECT_FALSE(bcrypt_hash(std::string(73, 'x'), 10));
  EXPECT_TRUE(bcrypt_hash(std::string(72, 'x'), 10));
  EXPECT_FALSE(validate_password(std::string("abc\0defgh", 9)));
}

TEST(Bcrypt, AcceptsHashesMadeElsewhere) {
  // $2a$ (Go), $2b$ (Python bcrypt), $2y$ (htpasswd/PHP) of "password", from Dex's examples and
  // generated once with each tool.
  const char* go_2a = "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W";
  EXPECT_TRUE(bcrypt_verify("password", go_2a).value());
  EXPECT_EQ(bcrypt_cost(go_2a).value(), 10);
  std::string as_2b = go_2a;
  as_2b[2] = 'b';
  EXPECT_TRUE(bcrypt_verify("password", as_2b).value());
  std::string as_2y = go_2a;
  as_2y[2] = 'y';
  EXPECT_TRUE(bcrypt_verify("password", as_2y).value());
}

TEST(Bcrypt, MalformedHashesAreErrors) {
  for (const char* bad :
       {"", "$1$abc", "plaintext-password-that-is-long-enough-to-pass-length-check!!",
        "$2y$1x$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72",
        "$2y$03$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72",
        "$3y$12$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72"}) {
    EXPECT_FALSE(bcrypt_cost(bad)) << bad;
    EXPECT_FALSE(bcrypt_verify("whatever1", bad)) << bad;
  }
}

TEST(Bcrypt, IndependentImplementationAcceptsOurHash) {
  auto hash = bcrypt_hash("p@ss word\xc3\xa9!", 10).value();
  // The password goes through stdin, never argv.
  auto r = kftenant::testing::run_process({"/usr/bin/python3", "-c",
                                           "import bcrypt,sys; pw=sys.stdin.buffer.read(); "
                                           "print(bcrypt.checkpw(pw, sys.argv[1].encode()))",
                                           hash},
                                          "p@ss word\xc3\xa9!");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "True\n");
}

TEST(Bcrypt, WeAcceptIndependentImplementationsHash) {
  auto r = kftenant::testing::run_process(
      {"/usr/bin/python3", "-c",
       "import bcrypt,sys; print(bcrypt.hashpw(sys.stdin.buffer.read(), "
       "bcrypt.gensalt(rounds=10, prefix=b'2b')).decode())"},
      "another secret");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string hash = r.out.substr(0, r.out.find('\n'));
  EXPECT_THAT(hash, StartsWith("$2b$10$"));
  EXPECT_TRUE(bcrypt_verify("another secret", hash).value());
  EXPECT_FALSE(bcrypt_verify("another secreT", hash).value());
}

}  // namespace
