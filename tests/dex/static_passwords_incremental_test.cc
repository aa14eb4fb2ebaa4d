// DexConfig's fast path (edits verified locally, layout updated in place) must leave the object
// exactly as a fresh parse of its text would: same entries, and the next edit gives the same text.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "kftenant/dex/static_passwords.h"

namespace kftenant::dex {
namespace {

struct Shape {
  const char* nl;
  int dash_column;  // 0: Kubeflow's "- email" under the key; 2: indented list
  bool comments;    // comment lines between entries and after the list
  bool tail_key;    // another top-level key after staticPasswords
};

std::string document(const Shape& shape, int entries) {
  const std::string nl = shape.nl;
  const std::string pad(static_cast<size_t>(shape.dash_column), ' ');
  std::string out =
      "issuer: http://dex" + nl + "enablePasswordDB: true" + nl + "staticPasswords:" + nl;
  for (int i = 0; i < entries; ++i) {
    if (shape.comments && i % 2 == 1) out += pad + "# entry " + std::to_string(i) + nl;
    out += pad + "- email: u" + std::to_string(i) + "@example.com" + nl;
    out += pad + "  hash: '$2y$10$" + std::string(53, 'b') + "'" + nl;
    out += pad + "  userID: " + std::to_string(i) + nl;
  }
  if (shape.comments) out += "# end of users" + nl;
  if (shape.tail_key) out += "staticClients:" + nl + "- id: x  # keep" + nl;
  return out;
}

struct Op {
  bool remove = false;
  int who = 0;  // email index
  std::string username;
  bool upper = false;  // the email in upper case (case-insensitive match)
};

void apply_op(DexConfig& c, const Op& op) {
  std::string email = "u" + std::to_string(op.who) + "@example.com";
  if (op.upper) {
    for (char& ch : email) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  if (op.remove) {
    (void)c.remove_static_password(email);  // kNotFound is fine
    return;
  }
  StaticPassword p;
  p.email = email;
  p.hash = "$2y$12$" + std::string(53, 'c');
  p.username = op.username;
  p.user_id = std::to_string(op.who);
  auto r = c.upsert_static_password(p);
  RC_ASSERT(r.has_value());
}

RC_GTEST_PROP(DexConfigIncremental, MatchesFreshParseAfterEveryEdit, ()) {
  const Shape shape{*rc::gen::element("\n", "\r\n"), *rc::gen::element(0, 2),
                    *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<bool>()};
  const int entries = *rc::gen::inRange(1, 6);
  auto c = DexConfig::parse(document(shape, entries), "config.yaml");
  RC_ASSERT(c.has_value());
  const auto ops = *rc::gen::resize(
      12, rc::gen::nonEmpty(rc::gen::container<std::vector<Op>>(rc::gen::build<Op>(
              rc::gen::set(&Op::remove), rc::gen::set(&Op::who, rc::gen::inRange(0, 8)),
              rc::gen::set(&Op::username,
                           rc::gen::container<std::string>(rc::gen::inRange<char>(' ', '~'))),
              rc::gen::set(&Op::upper)))));
  for (const auto& op : ops) {
    auto fresh = DexConfig::parse(c->text(), "config.yaml");
    RC_ASSERT(fresh.has_value());
    RC_ASSERT(fresh->static_passwords() == c->static_passwords());
    apply_op(*c, op);
    apply_op(*fresh, op);
    RC_ASSERT(fresh->text() == c->text());
    RC_ASSERT(fresh->static_passwords() == c->static_passwords());
  }
  auto last = DexConfig::parse(c->text(), "config.yaml");
  RC_ASSERT(last.has_value());
  RC_ASSERT(last->static_passwords() == c->static_passwords());
  if (shape.tail_key) {
    RC_ASSERT(c->text().find(std::string("staticClients:") + shape.nl + "- id: x  # keep") !=
              std::string::npos);
  }
}

// A keep-chomped block scalar takes in the blank lines after it: removing the entry that
// separated it from a blank line would change its value. The edit must then be refused or read
// back exactly; it must never silently change another entry.
TEST(DexConfigIncremental, BlockScalarNextToAnEditIsNotChanged) {
  const std::string text =
      "enablePasswordDB: true\nstaticPasswords:\n- email: z@x\n  hash: h\n  note: |+\n    text\n"
      "- email: a@x\n  hash: h\n\n- email: b@x\n  hash: h\n";
  auto c = DexConfig::parse(text, "config.yaml");
  ASSERT_TRUE(c.has_value());
  const auto before = c->static_passwords();
  ASSERT_EQ(before.size(), 3u);
  ASSERT_EQ(before[0].extra["note"], "text\n");
  auto r = c->remove_static_password("a@x");
  if (!r) {
    EXPECT_EQ(c->text(), text);
    return;
  }
  auto fresh = DexConfig::parse(c->text(), "config.yaml");
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->static_passwords(), c->static_passwords());
  EXPECT_EQ(fresh->static_passwords()[0], before[0]);
}

}  // namespace
}  // namespace kftenant::dex
