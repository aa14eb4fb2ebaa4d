#include <strings.h>

#include "kftenant/kube/transport.h"

namespace kftenant::kube {

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), key.size()) == 0) {
      return value;
    }
  }
  return "";
}

}  // namespace kftenant::kube
