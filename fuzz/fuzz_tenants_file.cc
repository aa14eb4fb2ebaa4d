// libFuzzer target: arbitrary bytes as a Tenants file (`kftenant apply -f`). Every problem names a
// line inside the file; a file with problems keeps no users or profiles (nothing half-applied);
// a valid one merged with itself makes each of its users and profiles a conflict.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kftenant/tenancy/tenants_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  kftenant::tenancy::TenantsReadOptions options;
  options.getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  options.base_dir = "/nonexistent-kftenant-fuzz";
  auto t = kftenant::tenancy::read_tenants(text, "fuzz.yaml", options);
  int lines = 1;
  for (char c : text) lines += c == '\n';
  for (const auto& p : t.problems)
    if (p.line < 0 || p.line > lines || p.source != "fuzz.yaml") __builtin_trap();
  if (!t.ok() && (!t.users.empty() || !t.profiles.empty())) __builtin_trap();
  for (const auto& u : t.users)
    if (u.email.empty() || u.line < 1 || u.line > lines) __builtin_trap();
  for (const auto& p : t.profiles)
    if (p.name.empty() || p.owner.empty()) __builtin_trap();
  if (t.ok() && (!t.users.empty() || !t.profiles.empty())) {
    auto twice = t;
    kftenant::tenancy::merge_tenants(twice, t);
    if (twice.ok() || !twice.users.empty()) __builtin_trap();
  }
  return 0;
}
