#include "store/manifest_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

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

size_t next_line(std::string_view text, size_t pos) {
  const size_t nl = text.find('\n', pos);
  return nl == std::string_view::npos ? text.size() : nl + 1;
}

}  // namespace

std::vector<DocumentRange> split_documents(std::string_view text) {
  std::vector<DocumentRange> out;
  DocumentRange cur;  // the first document starts at 0 without a separator
  for (size_t ls = 0; ls < text.size(); ls = next_line(text, ls)) {
    bool content = false;
    if (!separator_line(text, ls, content)) continue;
    cur.end = ls;
    if (ls > 0 || cur.begin != 0) out.push_back(cur);
    cur.cut_begin = ls;
    cur.begin = content ? ls : next_line(text, ls);
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

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<bool> labels_match(const nlohmann::json& labels, std::string_view selector) {
  auto value_of = [&](std::string_view key, std::string& out) {
    if (!labels.is_object()) return false;
    auto it = labels.find(std::string(key));
    if (it == labels.end()) return false;
    out = it->is_string() ? it->get<std::string>() : it->dump();
    return true;
  };
  size_t pos = 0;
  while (pos <= selector.size()) {
    size_t comma = selector.find(',', pos);
    if (comma == std::string_view::npos) comma = selector.size();
    const std::string_view term = trim(selector.substr(pos, comma - pos));
    pos = comma + 1;
    if (term.empty()) {
      if (comma == selector.size()) break;
      return make_error(ErrorCode::kInvalidArgument,
                        "label selector \"" + std::string(selector) + "\" has an empty term");
    }
    std::string have;
    if (size_t op = term.find("!="); op != std::string_view::npos) {
      if (value_of(trim(term.substr(0, op)), have) && have == trim(term.substr(op + 2)))
        return false;
    } else if (size_t eq = term.find('='); eq != std::string_view::npos) {
      const size_t vpos = term.substr(eq, 2) == "==" ? eq + 2 : eq + 1;
      if (!value_of(trim(term.substr(0, eq)), have) || have != trim(term.substr(vpos)))
        return false;
    } else if (term.front() == '!') {
      if (value_of(trim(term.substr(1)), have)) return false;
    } else if (term.find_first_of(" ()") != std::string_view::npos) {
      return make_error(ErrorCode::kInvalidArgument,
                        "label selector \"" + std::string(selector) +
                            "\": only k=v, k!=v, k and !k terms are supported for manifests");
    } else {
      if (!value_of(term, have)) return false;
    }
    if (comma == selector.size()) break;
  }
  return true;
}

}  // namespace kftenant::store::detail
