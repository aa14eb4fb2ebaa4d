// libFuzzer target: arbitrary bytes as Dex's config.yaml. check_dex_config must not crash, must
// name only real entries and lines, and must never show a hash; replacing one entry (the last
// input byte picks which, and what changes) must leave every byte outside it unchanged and read
// back as the intended entry.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dex/config_layout.h"
#include "kftenant/dex/config_check.h"
#include "kftenant/dex/static_passwords.h"
#include "kftenant/yaml_edit.h"

namespace {

// Entries equal as data (NaN equals NaN in extra fields).
bool same_entries(const std::vector<kftenant::dex::StaticPassword>& a,
                  const std::vector<kftenant::dex::StaticPassword>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].email != b[i].email || a[i].hash != b[i].hash ||
        a[i].hash_from_env != b[i].hash_from_env || a[i].username != b[i].username ||
        a[i].user_id != b[i].user_id || !kftenant::yaml::same_data(a[i].extra, b[i].extra))
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using kftenant::dex::DexConfig;
  if (size == 0) return 0;
  const uint8_t choice = data[size - 1];
  std::string text(reinterpret_cast<const char*>(data), size - 1);
  auto config = DexConfig::parse(text, "config.yaml");
  if (!config) return 0;
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  const auto& entries = config->static_passwords();
  for (const auto& p : kftenant::dex::check_dex_config(*config)) {
    if (p.line > lines) __builtin_trap();
    if (p.entry && *p.entry >= entries.size()) __builtin_trap();
    if (p.message.find('\n') != std::string::npos) __builtin_trap();
    for (const auto& e : entries) {
      // Hash-shaped values only (bcrypt "$2..." or its base64 "JDJ..."): the fuzzer also finds
      // hashes that are words of the messages themselves.
      const std::string_view h = e.hash;
      if (h.size() < 20 || (h.substr(0, 2) != "$2" && h.substr(0, 3) != "JDJ") ||
          h.find_first_not_of(
              "$./+=0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") !=
              std::string_view::npos)
        continue;
      bool shown_elsewhere = false;  // emails, usernames and userIDs may be quoted
      for (const auto& o : entries) {
        for (const std::string* v : {&o.email, &o.username, &o.user_id}) {
          if (v->find(h) != std::string::npos) shown_elsewhere = true;
        }
      }
      if (!shown_elsewhere && p.message.find(h) != std::string::npos) __builtin_trap();
    }
  }
  if (entries.empty()) return 0;
  const size_t index = choice % entries.size();
  kftenant::dex::StaticPassword p = entries[index];
  switch ((choice >> 4) % 4) {
    case 0:
      p.hash = "$2y$12$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72";
      p.hash_from_env.clear();
      break;
    case 1:
      p.username = p.username.empty() ? "0x1F" : std::string();
      break;
    case 2:
      p.user_id = "15841185641784";
      break;
    default:
      p.extra["groups"] = {"a: b", "yes"};
      break;
  }
  if (p.email.empty()) p.email = "fuzz@example.com";
  const auto span = kftenant::dex::detail::layout_of(*config).entries[index];
  const std::string prefix = text.substr(0, span.begin);
  const std::string suffix = text.substr(span.end);
  if (!config->replace_static_password_at(index, p)) return 0;  // e.g. invalid UTF-8 elsewhere
  const std::string& after = config->text();
  if (after.size() < prefix.size() + suffix.size()) __builtin_trap();
  if (after.compare(0, prefix.size(), prefix) != 0) __builtin_trap();
  if (after.compare(after.size() - suffix.size(), suffix.size(), suffix) != 0) __builtin_trap();
  auto again = DexConfig::parse(after, "config.yaml");
  if (!again || !same_entries(again->static_passwords(), config->static_passwords()))
    __builtin_trap();
  return 0;
}
