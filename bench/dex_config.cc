// DexConfig figures on a large config.yaml (issue goal: adding one user to a config.yaml that
// already holds 5,000 entries takes < 20 ms for the YAML edit).
//
//   build-rel/bench_dex_config
//
// The document is Kubeflow's config.yaml (testserver/seed_kubeflow.cc) with 5,000 more
// staticPasswords entries in Kubeflow's style (email, quoted $2y$12$ hash, username, quoted
// userID).
// - BM_DexConfigParse: DexConfig::parse of the document.
// - BM_DexConfigUpsertNew: upsert_static_password of a new entry on an already parsed config,
//   including the verification of the result.
// - BM_DexConfigParseUpsert: parse + upsert together: what `kftenant user add` pays for the edit.
// - BM_DexConfigReplace / BM_DexConfigRemove: replacing / removing an entry in the middle.
// - BM_CheckDexConfig: check_dex_config of the parsed document (what runs before every Dex
//   restart): one libyaml pass reading it as Dex does, then Dex's rules.
// - BM_YamlParseBaseline: the baseline: yaml::parse of the same document into JSON (what a naive
//   "parse, edit the JSON, re-emit" implementation would pay just to read it, before losing every
//   comment and quoting choice).
// - BM_LibyamlEventsFloor: libyaml's event pass alone over the document, the floor under parse.
// - BM_PlanUpsertAll/<n>: UserDirectory::plan_upsert_all of n new users onto that ConfigMap
//   (static backend): one parse, n edits and one check of Dex's rules, what `kftenant import`
//   plans its Dex phase with. Counters: one_by_one_ms, the same n users planned one by one in
//   the same run (the base implementation: plan_upsert per user over a PlanView, each one a
//   parse, an edit and a check; what import did before), and x_faster, their ratio.
// - BM_BcryptHash/<cost>: dex::bcrypt_hash per cost 10..14 (one iteration each at 13, 14). Each
//   cost step doubles the work, so 15 and 16 take 2x and 4x cost 14's time.
#include <benchmark/benchmark.h>
#include <yaml.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/config_check.h"
#include "kftenant/dex/static_passwords.h"
#include "kftenant/dex/user_directory.h"
#include "kftenant/store/object_store.h"
#include "kftenant/yaml.h"
#include "testserver/seed_kubeflow.h"

namespace {

using kftenant::dex::DexConfig;
using kftenant::dex::StaticPassword;

constexpr int kEntries = 5000;

// A deterministic bcrypt-shaped hash: "$2y$12$" + 53 characters of bcrypt's alphabet.
std::string fake_hash(uint64_t seed) {
  static constexpr char kAlphabet[] =
      "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out = "$2y$12$";
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (int i = 0; i < 53; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out += kAlphabet[x % 64];
  }
  return out;
}

const std::string& big_config() {
  static const std::string text = [] {
    std::string base(kftenant::testserver::kubeflow_dex_config_yaml());
    const std::string marker = "staticClients:";
    std::string entries;
    for (int i = 0; i < kEntries; ++i) {
      const std::string n = std::to_string(i);
      entries += "- email: user" + n + "@example.com\n  hash: \"" + fake_hash(i) +
                 "\"\n  username: user" + n + "\n  userID: \"" + std::to_string(100000000 + i) +
                 "\"\n";
    }
    base.insert(base.find(marker), entries);
    return base;
  }();
  return text;
}

StaticPassword new_entry() {
  StaticPassword p;
  p.email = "newcomer@example.com";
  p.hash = fake_hash(999999);
  p.username = "newcomer";
  p.user_id = "0123456789";
  return p;
}

DexConfig parsed() {
  return std::move(*DexConfig::parse(big_config(), "config.yaml"));
}

void BM_DexConfigParse(benchmark::State& state) {
  for (auto _ : state) {
    auto c = DexConfig::parse(big_config(), "config.yaml");
    if (!c) state.SkipWithError(c.error().message.c_str());
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * big_config().size()));
}
BENCHMARK(BM_DexConfigParse)->Unit(benchmark::kMillisecond);

void BM_DexConfigUpsertNew(benchmark::State& state) {
  const DexConfig base = parsed();
  const StaticPassword entry = new_entry();
  for (auto _ : state) {
    state.PauseTiming();
    DexConfig c = base;
    state.ResumeTiming();
    auto r = c.upsert_static_password(entry);
    if (!r) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_DexConfigUpsertNew)->Unit(benchmark::kMillisecond);

void BM_DexConfigParseUpsert(benchmark::State& state) {
  const StaticPassword entry = new_entry();
  for (auto _ : state) {
    auto c = DexConfig::parse(big_config(), "config.yaml");
    if (!c) state.SkipWithError(c.error().message.c_str());
    auto r = c->upsert_static_password(entry);
    if (!r) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_DexConfigParseUpsert)->Unit(benchmark::kMillisecond);

void BM_DexConfigReplace(benchmark::State& state) {
  const DexConfig base = parsed();
  StaticPassword entry = base.static_passwords()[kEntries / 2];
  entry.hash = fake_hash(424242);
  for (auto _ : state) {
    state.PauseTiming();
    DexConfig c = base;
    state.ResumeTiming();
    auto r = c.upsert_static_password(entry);
    if (!r) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_DexConfigReplace)->Unit(benchmark::kMillisecond);

void BM_DexConfigRemove(benchmark::State& state) {
  const DexConfig base = parsed();
  const std::string email = base.static_passwords()[kEntries / 2].email;
  for (auto _ : state) {
    state.PauseTiming();
    DexConfig c = base;
    state.ResumeTiming();
    auto r = c.remove_static_password(email);
    if (!r) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_DexConfigRemove)->Unit(benchmark::kMillisecond);

void BM_CheckDexConfig(benchmark::State& state) {
  const DexConfig base = parsed();
  for (auto _ : state) {
    auto problems = kftenant::dex::check_dex_config(base);
    if (kftenant::dex::has_fatal(problems)) state.SkipWithError(problems[0].message.c_str());
    benchmark::DoNotOptimize(problems);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * big_config().size()));
}
BENCHMARK(BM_CheckDexConfig)->Unit(benchmark::kMillisecond);

void BM_YamlParseBaseline(benchmark::State& state) {
  for (auto _ : state) {
    auto doc = kftenant::yaml::parse(big_config(), "config.yaml");
    if (!doc) state.SkipWithError(doc.error().message.c_str());
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * big_config().size()));
}
BENCHMARK(BM_YamlParseBaseline)->Unit(benchmark::kMillisecond);

// The floor under any libyaml-based reader: pulling every event of the document, doing nothing.
void BM_LibyamlEventsFloor(benchmark::State& state) {
  const std::string& text = big_config();
  for (auto _ : state) {
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
    size_t events = 0;
    for (bool done = false; !done;) {
      yaml_event_t e;
      if (!yaml_parser_parse(&p, &e)) {
        state.SkipWithError("libyaml error");
        break;
      }
      done = e.type == YAML_STREAM_END_EVENT;
      yaml_event_delete(&e);
      ++events;
    }
    yaml_parser_delete(&p);
    benchmark::DoNotOptimize(events);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_LibyamlEventsFloor)->Unit(benchmark::kMillisecond);

// A store holding only the Dex ConfigMap with big_config() (what planning reads): the figures
// are the planning's own, without HTTP.
class OneConfigMapStore final : public kftenant::store::ObjectStore {
 public:
  OneConfigMapStore() {
    configmap_ = {{"apiVersion", "v1"},
                  {"kind", "ConfigMap"},
                  {"metadata", {{"name", "dex"}, {"namespace", "auth"}, {"resourceVersion", "1"}}},
                  {"data", {{"config.yaml", big_config()}}}};
  }
  std::string description() const override { return "bench"; }
  kftenant::store::StoreCapabilities capabilities() const override { return {}; }
  kftenant::Result<nlohmann::json> get(const kftenant::store::ObjectKey& key) override {
    if (key.kind == "ConfigMap" && key.ns == "auth" && key.name == "dex") return configmap_;
    return absent();
  }
  kftenant::Result<std::vector<nlohmann::json>> list(const std::string&, const std::string&,
                                                     const std::string&,
                                                     const std::string&) override {
    return std::vector<nlohmann::json>{};
  }
  kftenant::Result<nlohmann::json> create(const nlohmann::json&) override { return absent(); }
  kftenant::Result<nlohmann::json> replace(const nlohmann::json&) override { return absent(); }
  kftenant::Result<void> remove(const kftenant::store::ObjectKey&,
                                std::optional<std::string>) override {
    return kftenant::make_error(kftenant::ErrorCode::kNotFound, "bench store: read only");
  }

 private:
  static kftenant::Result<nlohmann::json> absent() {
    return kftenant::make_error(kftenant::ErrorCode::kNotFound, "bench store: not here");
  }
  nlohmann::json configmap_;
};

// n new users, named after `round` so that no two rounds plan the same config.yaml (the check
// of Dex's rules is memoised by the text).
std::vector<kftenant::dex::DexUser> new_users(int n, int round) {
  std::vector<kftenant::dex::DexUser> users;
  for (int i = 0; i < n; ++i) {
    kftenant::dex::DexUser u;
    u.email = "r" + std::to_string(round) + "-u" + std::to_string(i) + "@example.com";
    u.hash = fake_hash(1000000 + i);
    u.username = "u" + std::to_string(i);
    u.user_id = "r" + std::to_string(round) + "-" + std::to_string(i);
    users.push_back(std::move(u));
  }
  return users;
}

void BM_PlanUpsertAll(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  OneConfigMapStore store;
  auto directory = kftenant::dex::make_user_directory(kftenant::dex::Backend::kStatic, {});
  int round = 0;
  auto check = [&](const kftenant::Result<kftenant::dex::UpsertAll>& r) {
    if (!r) return state.SkipWithError(r.error().message.c_str());
    if (r->steps.size() != 1 || r->first_too_large)
      state.SkipWithError("expected one write of every user");
  };
  // The baseline, once: the same number of users, one by one.
  const auto users0 = new_users(n, round++);
  const auto start = std::chrono::steady_clock::now();
  check(directory->kftenant::dex::UserDirectory::plan_upsert_all(store, users0));
  const double one_by_one_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  double total_ms = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const auto users = new_users(n, round++);
    state.ResumeTiming();
    const auto t = std::chrono::steady_clock::now();
    auto r = directory->plan_upsert_all(store, users);
    total_ms +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
    check(r);
    benchmark::DoNotOptimize(r);
  }
  const double batch_ms = total_ms / static_cast<double>(state.iterations());
  state.counters["one_by_one_ms"] = one_by_one_ms;
  state.counters["x_faster"] = batch_ms > 0 ? one_by_one_ms / batch_ms : 0;
}
BENCHMARK(BM_PlanUpsertAll)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_BcryptHash(benchmark::State& state) {
  const int cost = static_cast<int>(state.range(0));
  for (auto _ : state) {
    auto h = kftenant::dex::bcrypt_hash("correct horse battery", cost);
    if (!h) state.SkipWithError(h.error().message.c_str());
    benchmark::DoNotOptimize(h);
  }
}
BENCHMARK(BM_BcryptHash)->DenseRange(10, 12)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BcryptHash)->DenseRange(13, 14)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
