// Internal: file-level pieces of ManifestStore — reading and atomically replacing files, splitting
// a YAML stream into its documents' byte ranges, document versions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"

namespace kftenant::store::detail {

// The whole file; kIo naming `path` when it cannot be read.
[[nodiscard]] Result<std::string> read_file(const std::string& path);

// Replaces `path` with `content`: a temporary file in the same folder, then rename(2). An existing
// file's permission bits are kept; a new file gets 0644 (less the umask).
[[nodiscard]] Result<void> write_file_atomically(const std::string& path, std::string_view content);

// One document of a `---` separated stream.
struct DocumentRange {
  size_t begin = 0;  // the document's own text: after its `---` line, up to the next one
  size_t end = 0;
  size_t cut_begin = 0;  // what removing the document removes: its `---` line included
};

// Splits `text` at lines starting with `---` (followed by a blank, a comment or the line end). A
// `---` line with content after it (`--- a: 1`) belongs to its document's text.
[[nodiscard]] std::vector<DocumentRange> split_documents(std::string_view text);

// A document's version: 16 hex digits of the FNV-1a 64-bit hash of its bytes.
[[nodiscard]] std::string document_version(std::string_view bytes);

}  // namespace kftenant::store::detail
