// libFuzzer target: arbitrary bytes as an import file, CSV and YAML. Whatever the CSV reader
// accepts must read back the same through csv::row; every problem must name a line inside the
// file, and no valid row may come with a problem on its own line.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kftenant/csv.h"
#include "kftenant/tenancy/user_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rows = kftenant::csv::parse(text);
  if (rows) {
    std::string again;
    for (const auto& r : *rows)
      if (!(r.fields.size() == 1 && r.fields[0].empty())) again += kftenant::csv::row(r.fields);
    auto reread = kftenant::csv::parse(again);
    if (!reread) __builtin_trap();
    size_t k = 0;
    for (const auto& r : *rows) {
      if (r.fields.size() == 1 && r.fields[0].empty()) continue;
      if (k >= reread->size() || (*reread)[k].fields != r.fields) __builtin_trap();
      ++k;
    }
  }
  int lines = 1;
  for (char c : text) lines += c == '\n';
  for (auto format :
       {kftenant::tenancy::UserFileFormat::kCsv, kftenant::tenancy::UserFileFormat::kYaml}) {
    auto file = kftenant::tenancy::read_user_file(text, "fuzz", format);
    for (const auto& p : file.problems)
      if (p.line < 0 || p.line > lines) __builtin_trap();
    for (const auto& r : file.rows)
      for (const auto& p : file.problems)
        if (p.line == r.line && format == kftenant::tenancy::UserFileFormat::kCsv) __builtin_trap();
  }
  return 0;
}
