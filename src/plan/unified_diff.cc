// Line diff for --dry-run output: common prefix/suffix trimmed, then an LCS over what is left
// (an edit of one Dex entry leaves a handful of lines, even in a 5,000-user config.yaml).
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/plan/render.h"

namespace kftenant::plan {
namespace {

std::vector<std::string_view> split_lines(const std::string& text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      lines.emplace_back(text.data() + start, text.size() - start);
      break;
    }
    lines.emplace_back(text.data() + start, nl - start);
    start = nl + 1;
  }
  return lines;
}

struct Op {
  char tag;  // ' ', '-', '+'
  std::string_view line;
};

// Edit script of a (middle) region; quadratic, so very large regions are shown as a plain
// replacement.
std::vector<Op> diff_region(const std::vector<std::string_view>& a, size_t a0, size_t a1,
                            const std::vector<std::string_view>& b, size_t b0, size_t b1) {
  std::vector<Op> ops;
  size_t n = a1 - a0, m = b1 - b0;
  if (n * m > 4'000'000) {
    for (size_t i = a0; i < a1; ++i) ops.push_back({'-', a[i]});
    for (size_t j = b0; j < b1; ++j) ops.push_back({'+', b[j]});
    return ops;
  }
  std::vector<std::vector<unsigned>> lcs(n + 1, std::vector<unsigned>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] =
          a[a0 + i] == b[b0 + j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[a0 + i] == b[b0 + j]) {
      ops.push_back({' ', a[a0 + i]});
      ++i, ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      // On a tie the removal goes first: a changed line reads "-old" then "+new", as in
      // diff(1) and git.
      ops.push_back({'-', a[a0 + i++]});
    } else {
      ops.push_back({'+', b[b0 + j++]});
    }
  }
  return ops;
}

}  // namespace

std::string unified_diff(const std::string& before, const std::string& after,
                         const std::string& name) {
  if (before == after) return {};
  auto a = split_lines(before);
  auto b = split_lines(after);
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix])
    ++suffix;

  // Full script: prefix context, middle, suffix context; each op remembers its line numbers.
  struct Line {
    char tag;
    std::string_view text;
    size_t a_no, b_no;  // 1-based line number in a/b before this line
  };
  std::vector<Line> script;
  size_t an = 0, bn = 0;
  auto push = [&](char tag, std::string_view text) {
    script.push_back({tag, text, an, bn});
    if (tag != '+') ++an;
    if (tag != '-') ++bn;
  };
  for (size_t i = 0; i < prefix; ++i) push(' ', a[i]);
  for (const Op& op : diff_region(a, prefix, a.size() - suffix, b, prefix, b.size() - suffix))
    push(op.tag, op.line);
  for (size_t i = a.size() - suffix; i < a.size(); ++i) push(' ', a[i]);

  constexpr size_t kContext = 3;
  std::string out = "--- a/" + name + "\n+++ b/" + name + "\n";
  size_t k = 0;
  while (k < script.size()) {
    while (k < script.size() && script[k].tag == ' ') ++k;
    if (k == script.size()) break;
    size_t start = k >= kContext ? k - kContext : 0;
    // Extend the hunk while changes are within 2*context lines of each other.
    size_t end = k;
    size_t last_change = k;
    while (end < script.size()) {
      if (script[end].tag != ' ')
        last_change = end;
      else if (end - last_change > 2 * kContext)
        break;
      ++end;
    }
    end = std::min(script.size(), last_change + kContext + 1);
    size_t a_count = 0, b_count = 0;
    for (size_t i = start; i < end; ++i) {
      if (script[i].tag != '+') ++a_count;
      if (script[i].tag != '-') ++b_count;
    }
    size_t a_start = a_count ? script[start].a_no + 1 : script[start].a_no;
    size_t b_start = b_count ? script[start].b_no + 1 : script[start].b_no;
    out += "@@ -" + std::to_string(a_start) + "," + std::to_string(a_count) + " +" +
           std::to_string(b_start) + "," + std::to_string(b_count) + " @@\n";
    for (size_t i = start; i < end; ++i) {
      out += script[i].tag;
      out.append(script[i].text);
      out += '\n';
    }
    k = end;
  }
  return out;
}

}  // namespace kftenant::plan
