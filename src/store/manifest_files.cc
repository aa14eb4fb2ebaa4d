#include "store/manifest_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "yaml/splice.h"

namespace kftenant::store::detail {

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kIo,
                      "cannot read " + path + ": " + std::strerror(errno) + "; check the path");
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return make_error(ErrorCode::kIo, "cannot read " + path);
  return buf.str();
}

Result<void> write_file_atomically(const std::string& path, std::string_view content) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp = dir + "/." + name + ".kftenant-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    return make_error(ErrorCode::kIo,
                      "cannot create a temporary file in " + dir + ": " + std::strerror(errno));
  }
  auto failed = [&](const char* what) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return make_error(ErrorCode::kIo, std::string("cannot ") + what + " " + path + ": " + reason);
  };
  struct stat st {};
  mode_t mode = 0;
  if (::stat(path.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0644 & ~mask;
  }
  if (::fchmod(fd, mode) != 0) return failed("set permissions of");
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failed("write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return failed("write");
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return make_error(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    return make_error(ErrorCode::kIo, "cannot replace " + path + ": " + reason);
  }
  return ok();
}

namespace {

// Whether the line at `ls` is a document separator; sets `content` when text follows `---`.
bool separator_line(std::string_view text, size_t ls, bool& content) {
  if (text.substr(ls, 3) != "---") return false;
  size_t i = ls + 3;
  if (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
    return false;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  content = i < text.size() && text[i] != '#' && text[i] != '\r' && text[i] != '\n';
  return true;
}

}  // namespace

std::vector<DocumentRange> split_documents(std::string_view text) {
  std::vector<DocumentRange> out;
  DocumentRange cur;  // the first document starts at 0 without a separator
  for (size_t ls = 0; ls < text.size(); ls = yaml::detail::after_line(text, ls)) {
    bool content = false;
    if (!separator_line(text, ls, content)) continue;
    cur.end = ls;
    if (ls > 0 || cur.begin != 0) out.push_back(cur);
    cur.cut_begin = ls;
    cur.begin = content ? ls : yaml::detail::after_line(text, ls);
  }
  cur.end = text.size();
  out.push_back(cur);
  return out;
}

std::string document_version(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace kftenant::store::detail
