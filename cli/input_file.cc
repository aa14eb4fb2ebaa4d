#include "input_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "global_options.h"
#include "kftenant/quote.h"

namespace kftenant::cli {

Result<FileText> read_input_file(const std::string& path) {
  const std::string shown = quote_for_message(path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return fail(usage_error(fmt::format("cannot open {}: {}", shown, std::strerror(errno))));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return fail(usage_error(fmt::format("{} is not a regular file", shown)));
  if (static_cast<size_t>(st.st_size) > kMaxInputFileBytes)
    return fail(
        usage_error(fmt::format("{} is {} bytes, more than the {} MiB an input file may "
                                "be: split it",
                                shown, st.st_size, kMaxInputFileBytes >> 20)));
  FileText out;
  out.mode = st.st_mode;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0)
      return make_error(ErrorCode::kIo,
                        fmt::format("cannot read {}: {}", shown, std::strerror(errno)));
    if (n == 0) break;
    out.text.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace kftenant::cli
