// A file for secrets kftenant made up (generated passwords, --passwords-out FILE). It is
// created new with mode 0600 — O_EXCL, so an existing file, maybe holding other passwords, is
// never touched — before anything is written to the cluster, and removed again when it is
// closed with nothing in it.
#pragma once

#include <string>
#include <string_view>

#include "kftenant/error.h"

namespace kftenant::cli {

class NewSecretFile {
 public:
  NewSecretFile() = default;
  ~NewSecretFile();
  NewSecretFile(const NewSecretFile&) = delete;
  NewSecretFile& operator=(const NewSecretFile&) = delete;

  // Creates `path`; `option` names where the path came from in the message (a usage error:
  // an existing file says to choose a new name).
  [[nodiscard]] Result<void> create(const std::string& path, std::string_view option);

  // Writes `text` and syncs it to disk before returning, so a secret is on disk before the
  // write that makes it needed. Errors (kIo) name the file, never the text.
  [[nodiscard]] Result<void> append(std::string_view text);

  bool is_open() const { return fd_ >= 0; }
  bool empty() const { return bytes_ == 0; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  size_t bytes_ = 0;
};

}  // namespace kftenant::cli
