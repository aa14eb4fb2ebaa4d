// libFuzzer target: arbitrary bytes, cut into chunks of arbitrary sizes, through the watch
// stream decoder. Checks that nothing crashes and that the chunking never changes the result.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "kftenant/kube/watch.h"

namespace {

struct Outcome {
  std::vector<kftenant::kube::WatchEvent> events;
  bool ok = true;
};

Outcome decode(std::string_view data, const std::vector<std::size_t>& sizes) {
  kftenant::kube::WatchDecoder decoder(4096);
  Outcome out;
  std::size_t pos = 0, i = 0;
  while (pos < data.size()) {
    std::size_t n = sizes.empty() ? data.size() : sizes[i++ % sizes.size()];
    n = std::min(n, data.size() - pos);
    if (!decoder.feed(data.substr(pos, n), out.events)) {
      out.ok = false;
      return out;
    }
    pos += n;
  }
  out.ok = decoder.finish(out.events).has_value();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first byte picks the chunking: sizes 1..16 derived from the next few bytes.
  if (size == 0) return 0;
  std::vector<std::size_t> sizes;
  std::size_t header = std::min<std::size_t>(data[0] % 8, size - 1);
  for (std::size_t i = 0; i < header; ++i) sizes.push_back(1 + data[1 + i] % 16);
  std::string_view body(reinterpret_cast<const char*>(data) + 1 + header, size - 1 - header);

  Outcome chunked = decode(body, sizes);
  Outcome whole = decode(body, {});
  if (chunked.ok != whole.ok) __builtin_trap();
  if (chunked.ok) {
    if (chunked.events.size() != whole.events.size()) __builtin_trap();
    for (std::size_t i = 0; i < whole.events.size(); ++i) {
      if (chunked.events[i].type != whole.events[i].type ||
          chunked.events[i].object != whole.events[i].object) {
        __builtin_trap();
      }
    }
  }
  return 0;
}
