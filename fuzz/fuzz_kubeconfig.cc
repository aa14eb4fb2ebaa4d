// libFuzzer target: arbitrary bytes as a YAML document and as a kubeconfig. The kubeconfig's base
// path does not exist, so relative file references resolve to nothing on disk.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kftenant/kube/kubeconfig.h"
#include "kftenant/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = kftenant::yaml::parse(text, "fuzz.yaml");
  if (doc) {
    // Whatever parses must survive a round trip through the emitter.
    auto again = kftenant::yaml::parse(kftenant::yaml::emit(*doc), "emitted.yaml");
    if (!again) __builtin_trap();
  }
  (void)kftenant::yaml::parse_all(text, "fuzz.yaml");
  (void)kftenant::kube::parse_kubeconfig(text, "/nonexistent-kftenant-fuzz/config");
  (void)kftenant::kube::parse_kubeconfig(text, "/nonexistent-kftenant-fuzz/config", "fuzz");
  return 0;
}
