// Continue tokens of paged LISTs, encoded as kube-apiserver does
// (k8s.io/apiserver/pkg/storage/continue.go): unpadded base64url of
// {"v":"meta.k8s.io/v1","rv":<revision>,"start":"<next key>"}; rv -1 means "continue at the
// latest revision" (handed out with a 410 for a compacted token).
#pragma once

#include <cstdint>
#include <string>
#include <tl/expected.hpp>

namespace kftenant::testserver {

struct ContinueToken {
  int64_t rv = 0;
  std::string start;  // key relative to the list prefix, e.g. "rec-pg-2\0"
};

[[nodiscard]] std::string encode_continue(int64_t rv, const std::string& start);
// Error: the server's text after "invalid continue token: ", e.g. "continue key is not valid:
// invalid character '\u009e' looking for beginning of value".
[[nodiscard]] tl::expected<ContinueToken, std::string> decode_continue(const std::string& token);

}  // namespace kftenant::testserver
