#include "secret_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "global_options.h"
#include "kftenant/tenancy/validate.h"

namespace kftenant::cli {

NewSecretFile::~NewSecretFile() {
  if (fd_ >= 0) ::close(fd_);
  // Created by us and never needed: leave nothing behind.
  if (!path_.empty() && bytes_ == 0) ::unlink(path_.c_str());
}

Result<void> NewSecretFile::create(const std::string& path, std::string_view option) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd_ < 0) {
    const int err = errno;
    return fail(usage_error(fmt::format(
        "{} {}: {}{}", option, tenancy::quote_for_message(path), std::strerror(err),
        err == EEXIST ? " (the file is created new, so no other password is overwritten: "
                        "choose a new name)"
                      : "")));
  }
  path_ = path;
  return ok();
}

Result<void> NewSecretFile::append(std::string_view text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  if (done != text.size() || ::fsync(fd_) != 0)
    return make_error(ErrorCode::kIo,
                      fmt::format("cannot write to {}: {}", tenancy::quote_for_message(path_),
                                  std::strerror(errno)));
  bytes_ += done;
  return ok();
}

}  // namespace kftenant::cli
