#include "confirm.h"

#include <cstdio>

namespace kftenant::cli {

void print_removal_preview(const tenancy::RemovalPreview& preview, const std::string& who) {
  for (const auto& d : preview.deletions) {
    std::string contents;
    for (const auto& c : d.contents) contents += (contents.empty() ? "" : ", ") + c;
    std::fprintf(stderr, "profile %s will be deleted with namespace %s%s\n", d.profile.c_str(),
                 d.ns.c_str(), contents.empty() ? "" : (", which holds " + contents).c_str());
  }
  if (who.empty()) return;
  for (const auto& a : preview.access)
    std::fprintf(stderr, "%s's access to profile %s (%s) will be removed\n", who.c_str(),
                 a.profile.c_str(), a.role.c_str());
}

bool ask_confirmation(const std::string& question) {
  FILE* tty = std::fopen("/dev/tty", "r+");
  if (!tty) return false;
  std::fprintf(tty, "%s [y/N] ", question.c_str());
  std::fflush(tty);
  char answer[16] = {0};
  bool yes = std::fgets(answer, sizeof answer, tty) && (answer[0] == 'y' || answer[0] == 'Y');
  std::fclose(tty);
  return yes;
}

}  // namespace kftenant::cli
