// Validators for what users type: a table of hostile inputs, valid ones, and properties.
#include "kftenant/tenancy/validate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <functional>
#include <set>
#include <string>

#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/password_object.h"

namespace {

using kftenant::ErrorCode;
using kftenant::Result;
using namespace kftenant::tenancy;
using ::testing::HasSubstr;
using ::testing::Not;

using namespace std::string_literals;

Result<void> check_email(std::string_view s) {
  auto r = validate_email(s);
  if (!r) return kftenant::fail(r.error());
  return kftenant::ok();
}
Result<void> check_password(std::string_view s) {
  return kftenant::dex::validate_password(s);
}

struct Hostile {
  const char* validator;
  std::string input;
  std::string fragment;  // expected in the message
};

Result<void> run(const Hostile& h) {
  const std::string v = h.validator;
  if (v == "email") return check_email(h.input);
  if (v == "username") return validate_username(h.input);
  if (v == "user_id") return validate_user_id(h.input);
  return check_password(h.input);
}

const std::vector<Hostile>& hostile_inputs() {
  static const std::vector<Hostile> cases = {
      // --- email: injection into YAML / headers / terminals ---
      {"email", "a@b.c\n- email: evil", "control character \\n at byte 5"},
      {"email", "alice@example.com\r\n", "control character \\r"},
      {"email", "alice@example.com\n", "control character \\n"},
      {"email", "ali\tce@example.com", "control character \\t"},
      {"email", "alice\0@example.com"s, "control character \\0"},
      {"email", "alice@exa\x07mple.com", "control character \\x07"},
      {"email", "alice@example.com\x1b[2J", "control character \\x1B"},
      {"email", "alice@example.com\x7f", "control character \\x7F"},
      {"email", "alice@example.com\xc2\x85", "control character \\x85"},
      {"email", "alice@example.com\xe2\x80\xa8", "invisible character \\u2028"},
      {"email", "alice\xe2\x80\xae@example.com", "invisible character \\u202E"},
      {"email",
       "\xef\xbb\xbf"
       "alice@example.com",
       "invisible character \\uFEFF"},
      {"email", "\"alice\"@example.com", "character \"\\\"\" is not allowed before '@'"},
      {"email", "al\"ice@example.com", "not allowed before '@'"},
      {"email", "alice@exa\"mple.com", "not allowed in the domain"},
      {"email", "&anchor@example.com", "must start and end with a letter, digit or '_'"},
      {"email", "*alias@example.com", "must start and end with a letter, digit or '_'"},
      {"email", "!tag@example.com", "must start and end with a letter, digit or '_'"},
      {"email", "|block@example.com", "must start and end with a letter, digit or '_'"},
      {"email", "%directive@example.com", "must start and end with a letter, digit or '_'"},
      {"email", "`cmd`@example.com", "must start and end with a letter, digit or '_'"},
      {"email", "'quoted'@example.com", "must start and end with a letter, digit or '_'"},
      {"email", "#comment@example.com", "must start and end with a letter, digit or '_'"},
      {"email", "-dash@example.com", "must start and end with a letter, digit or '_'"},
      {"email", "a>b@example.com", "character \">\" is not allowed before '@'"},
      {"email", "a<b@example.com", "not allowed before '@'"},
      {"email", "a:b@example.com", "not allowed before '@'"},
      {"email", "a,b@example.com", "not allowed before '@'"},
      {"email", "a;b@example.com", "not allowed before '@'"},
      {"email", "a\\b@example.com", "character \"\\\\\" is not allowed before '@'"},
      {"email", "a(b)@example.com", "not allowed before '@'"},
      {"email", "a[b]@example.com", "not allowed before '@'"},
      {"email", "a@b@example.com", "more than one '@'"},
      {"email", "alice@@example.com", "more than one '@'"},
      {"email", "alice.example.com", "has no '@'"},
      {"email", "", "email is empty"},
      {"email", "@example.com", "nothing before '@'"},
      {"email", "alice@", "nothing after '@'"},
      {"email", " alice@example.com", "space at byte 0"},
      {"email", "alice@example.com ", "space at byte 17"},
      {"email", "al ice@example.com", "space at byte 2"},
      {"email", "alice@exam ple.com", "space"},
      {"email", "alice@example.com\xc2\xa0", "space"},
      {"email", ".alice@example.com", "must not start or end with '.'"},
      {"email", "alice.@example.com", "must not start or end with '.'"},
      {"email", "al..ice@example.com", "or hold '..'"},
      {"email", "alice@.example.com", "empty label"},
      {"email", "alice@example..com", "empty label"},
      {"email", "alice@example.com.", "empty label"},
      {"email", "alice@-example.com", "must start and end with a letter or digit"},
      {"email", "alice@example-.com", "must start and end with a letter or digit"},
      {"email", "alice@exa_mple.com", "\"_\" is not allowed in the domain"},
      {"email", "alice@[127.0.0.1]", "not allowed in the domain"},
      {"email", "alice@" + std::string(64, 'a') + ".com", "is 64 bytes, at most 63"},
      {"email", std::string(65, 'a') + "@example.com", "is 65 bytes, at most 64"},
      {"email",
       std::string(60, 'a') + "@" + std::string(60, 'b') + "." + std::string(60, 'c') + "." +
           std::string(60, 'd') + "." + std::string(60, 'e') + ".com",
       "at most 254 allowed"},
      {"email",
       std::string(60, 'a') + "@" + std::string(60, 'b') + "." + std::string(40, 'c') + ".com",
       "Password object name would be"},
      // Homoglyphs and other non-ASCII text.
      {"email", "\xd0\xb0lice@example.com", "non-ASCII character U+0430 at byte 0"},  // Cyrillic а
      {"email", "alice@ex\xd0\xb0mple.com", "non-ASCII character U+0430"},
      {"email",
       "alice@b\xc3\xbc"
       "cher.de",
       "punycode"},
      {"email", "\xef\xbd\x81lice@example.com", "U+FF41"},  // fullwidth a
      // Invalid UTF-8.
      {"email", "alice\xff@example.com", "not valid UTF-8 (byte 5)"},
      {"email", "alice\xc0\xaf@example.com", "not valid UTF-8"},      // overlong '/'
      {"email", "alice\xed\xa0\x80@example.com", "not valid UTF-8"},  // surrogate
      {"email", "alice\xe2\x82@example.com", "not valid UTF-8"},      // truncated

      // --- username ---
      {"username", "", "username is empty"},
      {"username", "bob\n- email: evil@x.com", "control character \\n at byte 3"},
      {"username", "bob\r", "control character \\r"},
      {"username", "bo\tb", "control character \\t"},
      {"username", "bob\0"s, "control character \\0"},
      {"username", "bob\x7f", "control character \\x7F"},
      {"username", "bob\xc2\x9b", "control character \\x9B"},
      {"username", "bob\x1b]0;pwned\x07", "control character \\x1B"},
      {"username", "bob\xe2\x80\xa9", "invisible character \\u2029"},
      {"username", "bob\xe2\x81\xa6", "invisible character \\u2066"},
      {"username", " bob", "leading or trailing space"},
      {"username", "bob ", "leading or trailing space"},
      {"username", "bob\xe3\x80\x80", "leading or trailing space"},  // ideographic space
      {"username", "bob\xff", "not valid UTF-8 (byte 3)"},
      {"username", "bob\xc1\xbf", "not valid UTF-8"},
      {"username", "bob\xf4\x90\x80\x80", "not valid UTF-8"},  // > U+10FFFF
      {"username", std::string(257, 'b'), "257 bytes long, at most 256"},

      // --- user ID ---
      {"user_id", "", "user ID is empty"},
      {"user_id", "123\n456", "invalid user ID \"123\\n456\""},
      {"user_id", "id\x01", "control character \\x01"},
      {"user_id", " 42", "leading or trailing space"},
      {"user_id", "42\xe0\x80\x80", "not valid UTF-8"},
      {"user_id", std::string(300, '7'), "300 bytes long"},

      // --- password (dex::validate_password): the message never holds the password ---
      {"password", "", "8 to 72 bytes"},
      {"password", "short", "got 5 bytes"},
      {"password", std::string(73, 'p'), "got 73 bytes"},
      {"password", "secret\0pw"s, "NUL"},
  };
  return cases;
}

TEST(ValidateHostile, EveryHostileInputIsRejectedWithAHelpfulMessage) {
  ASSERT_GE(hostile_inputs().size(), 60u);
  for (const auto& h : hostile_inputs()) {
    SCOPED_TRACE(std::string(h.validator) + ": " + quote_for_message(h.input));
    auto r = run(h);
    ASSERT_FALSE(r) << "accepted";
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr(h.fragment));
    // One line, nothing raw that could forge output.
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
    EXPECT_EQ(r.error().message.find('\r'), std::string::npos);
    EXPECT_EQ(r.error().message.find('\x1b'), std::string::npos);
    EXPECT_EQ(r.error().message.find('\0'), std::string::npos);
    const std::string v = h.validator;
    if (v == "password" && h.input.size() >= 4) {
      EXPECT_THAT(r.error().message, Not(HasSubstr(h.input)));
    } else if (v != "password") {
      EXPECT_THAT(r.error().message, HasSubstr(v == "user_id" ? "user ID" : v));
    }
  }
}

TEST(ValidateEmail, AcceptsWhatwgAddressesAndLowerCasesThem) {
  const std::vector<std::pair<std::string, std::string>> valid = {
      {"user@example.com", "user@example.com"},
      {"Alice.Smith@Example.COM", "alice.smith@example.com"},
      {"o'brien@example.com", "o'brien@example.com"},
      {"first+tag@example.com", "first+tag@example.com"},
      {"a&b*c!d|e%f@example.com", "a&b*c!d|e%f@example.com"},
      {"_svc@example.com", "_svc@example.com"},
      {"user@localhost", "user@localhost"},
      {"x@a-b.c-d.io", "x@a-b.c-d.io"},
      {"1@2.3", "1@2.3"},
      {"user@xn--bcher-kva.de", "user@xn--bcher-kva.de"},
      {std::string(64, 'a') + "@example.com", std::string(64, 'a') + "@example.com"},
  };
  for (const auto& [in, want] : valid) {
    auto r = validate_email(in);
    ASSERT_TRUE(r) << in << ": " << r.error().message;
    EXPECT_EQ(*r, want);
  }
}

TEST(ValidateEmail, LongestAcceptedEmailStillHasAValidPasswordObjectName) {
  // 150 bytes is the most whose Dex object name fits 253 characters.
  const std::string at150 =
      std::string(64, 'a') + "@" + std::string(60, 'b') + "." + std::string(20, 'c') + ".com";
  ASSERT_EQ(at150.size(), 150u);
  auto r = validate_email(at150);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_LE(kftenant::dex::password_object_name(*r).size(), kMaxKubernetesNameBytes);
  auto too_long = validate_email("a" + at150);
  EXPECT_FALSE(too_long);
}

TEST(ValidateText, AcceptsUnicodeNamesAndIds) {
  for (std::string s : {"bob", "Bob Smith", "Zoë Ünal", "李雷", "user-15841185641784",
                        "08a8684b-db88-4b73-90a9-3cd1661f5466", "emoji 🎉 ok"}) {
    EXPECT_TRUE(validate_username(s)) << s;
    EXPECT_TRUE(validate_user_id(s)) << s;
  }
  EXPECT_TRUE(validate_username(std::string(256, 'x')));
}

TEST(QuoteForMessage, EscapesAndCuts) {
  EXPECT_EQ(quote_for_message("a\"b\\c\n\t\x07"), "\"a\\\"b\\\\c\\n\\t\\x07\"");
  EXPECT_EQ(quote_for_message("\xff"
                              "a"),
            "\"\\xFFa\"");
  EXPECT_EQ(quote_for_message("z\xc3\xbc"), "\"z\xc3\xbc\"");  // valid UTF-8 kept
  const std::string long_text(300, 'x');
  const std::string q = quote_for_message(long_text);
  EXPECT_THAT(q, HasSubstr("(300 bytes)"));
  EXPECT_LT(q.size(), 120u);
  EXPECT_EQ(printable("a\"b\n"), "a\"b\\n");
}

TEST(Generate, UserIdIsAVersion4Uuid) {
  std::set<std::string> seen;
  for (int i = 0; i < 64; ++i) {
    const std::string id = generate_user_id();
    ASSERT_EQ(id.size(), 36u) << id;
    EXPECT_THAT(id, ::testing::MatchesRegex(
                        "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
    EXPECT_TRUE(validate_user_id(id));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 64u);
}

TEST(Generate, PasswordUsesOnlyTheUnambiguousAlphabetAndIsValid) {
  std::set<std::string> seen;
  std::set<char> used;
  for (int i = 0; i < 200; ++i) {
    const std::string pw = generate_password();
    ASSERT_EQ(pw.size(), kGeneratedPasswordLength);
    for (char c : pw) {
      ASSERT_NE(kPasswordAlphabet.find(c), std::string_view::npos) << c;
      used.insert(c);
    }
    EXPECT_TRUE(kftenant::dex::validate_password(pw));
    seen.insert(pw);
  }
  EXPECT_EQ(seen.size(), 200u);
  // 4000 draws from 56 symbols: every symbol shows up (a biased or truncated draw would not).
  EXPECT_EQ(used.size(), kPasswordAlphabet.size());
  for (char c : std::string_view("0O1lIo"))
    EXPECT_EQ(kPasswordAlphabet.find(c), std::string_view::npos);
}

RC_GTEST_PROP(ValidateEmailProperty, NeverAcceptsAControlCharacter,
              (std::string prefix, std::string suffix)) {
  const char control = *rc::gen::oneOf(rc::gen::inRange<char>(0, 0x20), rc::gen::just('\x7f'));
  const std::string candidate = prefix + control + suffix;
  RC_ASSERT(!validate_email(candidate));
  // Also when everything around it is a valid address.
  const std::string around = "alice@example.com";
  const std::size_t at = *rc::gen::inRange<std::size_t>(0, around.size() + 1);
  RC_ASSERT(!validate_email(around.substr(0, at) + control + around.substr(at)));
}

RC_GTEST_PROP(ValidateEmailProperty, AcceptedEmailsAreLowerCaseAsciiAndStable, (std::string s)) {
  auto r = validate_email(s);
  if (!r) return;
  for (char c : *r) {
    RC_ASSERT(static_cast<unsigned char>(c) > 0x20);
    RC_ASSERT(static_cast<unsigned char>(c) < 0x7f);
    RC_ASSERT(!(c >= 'A' && c <= 'Z'));
  }
  auto again = validate_email(*r);
  RC_ASSERT(again.has_value());
  RC_ASSERT(*again == *r);
}

RC_GTEST_PROP(ValidateEmailProperty, GeneratedAddressesAreAccepted, ()) {
  const auto atom = [] {
    return rc::gen::nonEmpty(rc::gen::container<std::string>(rc::gen::elementOf(
        std::string("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))));
  };
  const std::string local = *atom();
  const std::string domain = *atom() + "." + *atom();
  const std::string email = local.substr(0, 64) + "@" + domain.substr(0, 60);
  if (email.back() == '.') return;
  auto r = validate_email(email);
  RC_ASSERT(r.has_value());
}

}  // namespace
