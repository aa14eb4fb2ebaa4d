#include "kftenant/dex/password_object.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "support/run_process.h"

namespace {

using kftenant::dex::normalize_email;
using kftenant::dex::password_object_name;

TEST(PasswordObjectName, MatchesDexForKnownEmail) {
  // dex-contract.md: reproduced from Dex's idToName and used by other public projects' tests.
  EXPECT_EQ(password_object_name("admin@example.com"), "mfsg22loibsxqylnobwgkltdn5w4x4u44scceizf");
}

TEST(PasswordObjectName, IsCaseInsensitiveBecauseDexLowercases) {
  EXPECT_EQ(password_object_name("Admin@Example.COM"), password_object_name("admin@example.com"));
  EXPECT_EQ(normalize_email("Admin@Example.COM"), "admin@example.com");
}

TEST(PasswordObjectName, EmptyEmailEncodesOnlyTheFnvSuffix) {
  // base32("\xcb\xf2\x9c\xe4\x84\x22\x23\x25") = "zpzjzzeeeirsk===" lower-cased, padding trimmed.
  EXPECT_EQ(password_object_name(""), "zpzjzzeeeirsk");
}

// Property: agrees with Python's base64.b32encode formula from dex-contract.md.
RC_GTEST_PROP(PasswordObjectName, AgreesWithPythonReference, ()) {
  const auto local = *rc::gen::container<std::string>(rc::gen::elementOf(
      std::string("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-")));
  const std::string email = local + "@example.org";
  auto r = kftenant::testing::run_process(
      {"/usr/bin/python3", "-c",
       "import base64,sys; e=sys.stdin.read().lower(); "
       "print(base64.b32encode(e.encode()+bytes.fromhex('cbf29ce484222325')).decode().lower()"
       ".rstrip('='))"},
      email);
  RC_ASSERT(r.exit_code == 0);
  RC_ASSERT(r.out == password_object_name(email) + "\n");
}

}  // namespace
