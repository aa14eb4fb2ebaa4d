// Reading the file a command is given (import's user file, apply's Tenants files): a regular
// file, whole, with its mode (a file holding passwords must be readable by its owner only).
#pragma once

#include <sys/types.h>

#include <string>

#include "kftenant/error.h"

namespace kftenant::cli {

inline constexpr size_t kMaxInputFileBytes = 64u << 20;  // 64 MiB: far more than a million rows

struct FileText {
  std::string text;
  mode_t mode = 0;
};

// kInvalidArgument (exit 2) for a path that cannot be opened, is not a regular file or is over
// kMaxInputFileBytes; kIo for a read error. Opened without blocking on a FIFO.
[[nodiscard]] Result<FileText> read_input_file(const std::string& path);

}  // namespace kftenant::cli
