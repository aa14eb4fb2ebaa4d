#include "kftenant/tenancy/validate.h"

#include <fmt/core.h>
#include <openssl/rand.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "common/utf8.h"
#include "kftenant/dex/password_object.h"
#include "kftenant/quote.h"

namespace kftenant::tenancy {
namespace {

constexpr std::string_view kEmailHint = "an email is ASCII local@domain, e.g. alice@example.com";

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 5322 atext, which is also the WHATWG local-part class without '.'.
bool is_atext(char c) {
  return is_ascii_alnum(c) ||
         std::string_view("!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos;
}

bool is_unicode_space(std::uint32_t cp) {
  return cp == 0x20 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

tl::unexpected<Error> invalid_email(std::string_view email, std::string_view why) {
  return make_error(
      ErrorCode::kInvalidArgument,
      fmt::format("invalid email {}: {} ({})", quote_for_message(email), why, kEmailHint));
}

Result<void> check_local_part(std::string_view email, std::string_view local) {
  if (local.empty()) return invalid_email(email, "nothing before '@'");
  if (local.size() > kMaxEmailLocalBytes) {
    return invalid_email(email, fmt::format("the part before '@' is {} bytes, at most {} allowed",
                                            local.size(), kMaxEmailLocalBytes));
  }
  for (char c : local) {
    if (c != '.' && !is_atext(c)) {
      return invalid_email(email, fmt::format("character {} is not allowed before '@' (allowed: "
                                              "letters, digits and .!#$%&'*+/=?^_`{{|}}~-)",
                                              quote_for_message(std::string_view(&c, 1))));
    }
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return invalid_email(email, "the part before '@' must not start or end with '.' or hold '..'");
  }
  auto edge_ok = [](char c) { return is_ascii_alnum(c) || c == '_'; };
  if (!edge_ok(local.front()) || !edge_ok(local.back())) {
    return invalid_email(email,
                         "the part before '@' must start and end with a letter, digit or '_'");
  }
  return ok();
}

Result<void> check_domain(std::string_view email, std::string_view domain) {
  if (domain.empty()) return invalid_email(email, "nothing after '@'");
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) {
      return invalid_email(email,
                           "the domain has an empty label (a leading, trailing or double '.')");
    }
    for (char c : label) {
      if (!is_ascii_alnum(c) && c != '-') {
        return invalid_email(email, fmt::format("character {} is not allowed in the domain "
                                                "(allowed: letters, digits, '-' and '.')",
                                                quote_for_message(std::string_view(&c, 1))));
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return invalid_email(email, fmt::format("domain label {} must start and end with a letter "
                                              "or digit",
                                              quote_for_message(label)));
    }
    if (label.size() > kMaxDomainLabelBytes) {
      return invalid_email(
          email, fmt::format("domain label {} is {} bytes, at most {} allowed",
                             quote_for_message(label), label.size(), kMaxDomainLabelBytes));
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return ok();
}

Result<void> validate_text_field(std::string_view field, std::string_view value) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("invalid {} {}: {}", field, quote_for_message(value), why));
  };
  if (value.empty()) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("{} is empty (expected 1 to {} bytes of text)", field, kMaxTextFieldBytes));
  }
  if (value.size() > kMaxTextFieldBytes) {
    return bad(
        fmt::format("it is {} bytes long, at most {} allowed", value.size(), kMaxTextFieldBytes));
  }
  std::uint32_t first = 0, last = 0;
  for (std::size_t i = 0; i < value.size();) {
    std::uint32_t cp = 0;
    const std::size_t len = utf8::decode(value, i, cp);
    if (len == 0) return bad(fmt::format("it is not valid UTF-8 (byte {})", i));
    if (utf8::is_forbidden_in_text(cp)) {
      return bad(fmt::format("it contains {} at byte {}; use printable text on one line",
                             describe_code_point(cp), i));
    }
    if (i == 0) first = cp;
    last = cp;
    i += len;
  }
  if (is_unicode_space(first) || is_unicode_space(last)) {
    return bad("it has a leading or trailing space; remove it");
  }
  return ok();
}

std::string random_bytes(std::size_t n) {
  std::string buf(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(buf.data()), static_cast<int>(n)) != 1) {
    std::fputs("kftenant: fatal: OpenSSL RAND_bytes failed, no secure random bytes\n", stderr);
    std::abort();
  }
  return buf;
}

}  // namespace

Result<std::string> validate_email(std::string_view email) {
  if (email.empty()) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("email is empty ({})", kEmailHint));
  }
  // Byte-level problems first, so the message names the hostile byte itself.
  for (std::size_t i = 0; i < email.size();) {
    std::uint32_t cp = 0;
    const std::size_t len = utf8::decode(email, i, cp);
    if (len == 0) return invalid_email(email, fmt::format("it is not valid UTF-8 (byte {})", i));
    if (utf8::is_forbidden_in_text(cp)) {
      return invalid_email(email,
                           fmt::format("it contains {} at byte {}", describe_code_point(cp), i));
    }
    if (is_unicode_space(cp)) {
      return invalid_email(email, fmt::format("it contains a space at byte {}", i));
    }
    if (cp >= 0x80) {
      return invalid_email(
          email, fmt::format("it contains non-ASCII {} at byte {}; only ASCII addresses are "
                             "accepted (write an international domain as punycode xn--...)",
                             describe_code_point(cp), i));
    }
    i += len;
  }
  if (email.size() > kMaxEmailBytes) {
    return invalid_email(email, fmt::format("it is {} bytes long, at most {} allowed", email.size(),
                                            kMaxEmailBytes));
  }
  const std::size_t at = email.find('@');
  if (at == std::string_view::npos) return invalid_email(email, "it has no '@'");
  if (email.find('@', at + 1) != std::string_view::npos) {
    return invalid_email(email, "it has more than one '@'");
  }
  if (auto r = check_local_part(email, email.substr(0, at)); !r) return fail(r.error());
  if (auto r = check_domain(email, email.substr(at + 1)); !r) return fail(r.error());

  std::string lower = dex::normalize_email(email);
  // dex-contract.md §2: Dex names the Password object idToName(email), which grows with it.
  const std::size_t object_name = dex::password_object_name(lower).size();
  if (object_name > kMaxKubernetesNameBytes) {
    return invalid_email(email,
                         fmt::format("it is too long for Dex: its Password object name would be {} "
                                     "characters, Kubernetes allows {} (use at most 150 bytes)",
                                     object_name, kMaxKubernetesNameBytes));
  }
  return lower;
}

Result<void> validate_username(std::string_view username) {
  return validate_text_field("username", username);
}

Result<void> validate_user_id(std::string_view user_id) {
  return validate_text_field("user ID", user_id);
}

std::string generate_user_id() {
  std::string b = random_bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", static_cast<unsigned char>(b[i]));
  }
  return out;
}

std::string generate_password() {
  // Rejection sampling: only bytes below the largest multiple of the alphabet size are used,
  // so every character is equally likely.
  constexpr unsigned kAlphabet = kPasswordAlphabet.size();
  constexpr unsigned kLimit = 256 / kAlphabet * kAlphabet;
  std::string out;
  out.reserve(kGeneratedPasswordLength);
  while (out.size() < kGeneratedPasswordLength) {
    for (char c : random_bytes(32)) {
      const unsigned v = static_cast<unsigned char>(c);
      if (v >= kLimit) continue;
      out += kPasswordAlphabet[v % kAlphabet];
      if (out.size() == kGeneratedPasswordLength) break;
    }
  }
  return out;
}

}  // namespace kftenant::tenancy
