// Small local file reads for kubeconfig and service-account files.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "kube/kubeconfig_internal.h"

namespace kftenant::kube::detail {

Result<std::string> read_local_file(const std::string& path, size_t max_bytes, bool* not_found) {
  if (not_found) *not_found = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (not_found) *not_found = err == ENOENT || err == ENOTDIR;
    return make_error(ErrorCode::kIo, std::strerror(err));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return make_error(ErrorCode::kIo, std::strerror(err));
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return make_error(ErrorCode::kIo, "file larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string resolve_path(std::string_view path, std::string_view dir) {
  if (path.empty()) return "";
  std::filesystem::path p(path);
  if (p.is_absolute()) return std::string(path);
  return (std::filesystem::path(dir) / p).lexically_normal().string();
}

}  // namespace kftenant::kube::detail
