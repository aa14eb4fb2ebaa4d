#include "testserver/continue_token.h"

#include <nlohmann/json.hpp>

#include "kftenant/base64.h"

namespace kftenant::testserver {
namespace {

// Go's encoding/json quoteChar: 'x', or an escape for characters strconv.Quote escapes.
std::string quote_char(unsigned char c) {
  if (c == '\'') return "'\\''";
  if (c == '"') return "'\"'";
  static const char* hex = "0123456789abcdef";
  if (c < 0x20 || c == 0x7f) {
    switch (c) {
      case '\a':
        return "'\\a'";
      case '\b':
        return "'\\b'";
      case '\f':
        return "'\\f'";
      case '\n':
        return "'\\n'";
      case '\r':
        return "'\\r'";
      case '\t':
        return "'\\t'";
      case '\v':
        return "'\\v'";
      default:
        return std::string("'\\x") + hex[c >> 4] + hex[c & 15] + "'";
    }
  }
  if (c >= 0x80 && (c < 0xa0 || c == 0xad)) {
    return std::string("'\\u00") + hex[c >> 4] + hex[c & 15] + "'";
  }
  if (c >= 0x80) {  // the rune U+00XX as UTF-8
    return std::string("'") + static_cast<char>(0xc0 | (c >> 6)) +
           static_cast<char>(0x80 | (c & 0x3f)) + "'";
  }
  return std::string("'") + static_cast<char>(c) + "'";
}

}  // namespace

std::string encode_continue(int64_t rv, const std::string& start) {
  nlohmann::ordered_json j = {{"v", "meta.k8s.io/v1"}, {"rv", rv}, {"start", start}};
  return base64::encode(j.dump(), base64::Encoding::kRawUrl);
}

tl::expected<ContinueToken, std::string> decode_continue(const std::string& token) {
  const std::string generic = "continue key is not valid";
  auto data = base64::decode_go(token, base64::Encoding::kRawUrl);
  if (!data) {
    return tl::unexpected(generic + ": illegal base64 data at input byte " +
                          std::to_string(data.error()));
  }
  auto j = nlohmann::json::parse(*data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    size_t i = data->find_first_not_of(" \t\r\n");
    if (i == std::string::npos) return tl::unexpected(generic + ": unexpected end of JSON input");
    unsigned char c = static_cast<unsigned char>((*data)[i]);
    if (std::string("{[\"-0123456789tfn").find(static_cast<char>(c)) == std::string::npos) {
      return tl::unexpected(generic + ": invalid character " + quote_char(c) +
                            " looking for beginning of value");
    }
    return tl::unexpected(generic + ": unexpected end of JSON input");
  }
  std::string version = j.value("v", "");
  if (version != "meta.k8s.io/v1") {
    return tl::unexpected(generic + " server does not recognize this encoded version \"" + version +
                          "\"");
  }
  ContinueToken t;
  if (j.contains("rv") && j["rv"].is_number_integer()) t.rv = j["rv"].get<int64_t>();
  if (t.rv == 0) {
    return tl::unexpected(
        std::string("continue key is not valid: incorrect encoded start resourceVersion (version "
                    "meta.k8s.io/v1)"));
  }
  if (j.contains("start") && j["start"].is_string()) t.start = j["start"].get<std::string>();
  if (t.start.empty()) {
    return tl::unexpected(
        std::string("continue key is not valid: encoded start key empty (version meta.k8s.io/v1)"));
  }
  return t;
}

}  // namespace kftenant::testserver
