#include "dex/config_cache.h"

#include <deque>
#include <memory>
#include <mutex>

namespace kftenant::dex::detail {
namespace {

// The last few answers, newest first. A handful is enough: composed planners alternate between
// the text they read and the text they make.
constexpr size_t kEntries = 4;

template <typename Value>
class Memo {
 public:
  std::shared_ptr<const Value> find(const std::string& source, const std::string& text) {
    std::lock_guard lock(mutex_);
    for (const auto& e : entries_)
      if (e.source == source && e.text.size() == text.size() && e.text == text) return e.value;
    return nullptr;
  }
  void put(std::string source, std::string text, std::shared_ptr<const Value> value) {
    std::lock_guard lock(mutex_);
    entries_.push_front({std::move(source), std::move(text), std::move(value)});
    if (entries_.size() > kEntries) entries_.pop_back();
  }

 private:
  struct Entry {
    std::string source, text;
    std::shared_ptr<const Value> value;
  };
  std::mutex mutex_;
  std::deque<Entry> entries_;
};

Memo<DexConfig>& parsed() {
  static Memo<DexConfig> memo;
  return memo;
}
Memo<std::vector<ConfigProblem>>& checked() {
  static Memo<std::vector<ConfigProblem>> memo;
  return memo;
}

}  // namespace

Result<DexConfig> parse_config_cached(std::string text, std::string source_name) {
  if (auto hit = parsed().find(source_name, text)) return *hit;
  auto config = DexConfig::parse(text, source_name);
  if (!config) return fail(config.error());  // failures are rare and cheap to repeat
  parsed().put(std::move(source_name), std::move(text), std::make_shared<DexConfig>(*config));
  return config;
}

void remember_parsed_config(const DexConfig& config) {
  if (parsed().find(config.source_name(), config.text())) return;
  parsed().put(config.source_name(), config.text(), std::make_shared<DexConfig>(config));
}

std::vector<ConfigProblem> check_config_cached(const DexConfig& config) {
  if (auto hit = checked().find(config.source_name(), config.text())) return *hit;
  auto problems = check_dex_config(config);
  checked().put(config.source_name(), config.text(),
                std::make_shared<std::vector<ConfigProblem>>(problems));
  return problems;
}

}  // namespace kftenant::dex::detail
