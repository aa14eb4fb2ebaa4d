// Differential tests: the same request sequences sent to the test API server ("fake",
// testserver::ApiServer) and to a real kube-apiserver 1.26.4 (tests/support/control_plane.h,
// one per process, shared), and their answers compared with each other
// (compare_answers.h), normalised as tests/data/apiserver-transcripts/README.md says.
//
// The sequences: the 20 recorded transcripts (tests/data/apiserver-transcripts, with the
// setup tests/transcripts/scenario_setup.h adds) and the request scripts in scenarios/ (what
// kftenant itself sends: RBAC denials, TokenReview, SubjectAccessReviews, watch resume, paging,
// server-side apply, CRD status and deletion, finalizers, namespace deletion, garbage
// collection, discovery). Each runs in a namespace of its own (`rec` in the files), on a fresh
// fake and on the shared real server at the same time.
//
// Every disagreement fails the test unless accepted.cc lists it (with the reason, also in
// testserver/README.md); an accepted entry that no longer disagrees fails too. For recordings,
// the real server's answers are also compared with the recording, which says whether the
// recording still describes today's real server (printed, not failed on: a difference there
// that the fake shares is the recording's problem, one it does not share fails above).
//
// Only in the real-apiserver tier: tests are named RealApiServer_Differential/... and skip with
// find_assets()'s message when the binaries are missing.
//   KFTENANT_DIFF_VERBOSE=1   print every exchange as each server answered it (normalised)
//   KFTENANT_DIFF_REPORT=F    append every disagreement (accepted ones marked) to file F
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <regex>

#include "differential/accepted.h"
#include "differential/compare_answers.h"
#include "support/control_plane.h"
#include "support/shared_control_plane.h"
#include "support/test_cluster.h"
#include "testserver/apiserver.h"
#include "transcripts/replay.h"
#include "transcripts/transcript.h"

namespace kftenant::differential {
namespace {

using transcripts::ReplayResult;
using transcripts::ReplayTarget;
using transcripts::Transcript;

const std::string kRecordings =
    std::string(KFTENANT_SOURCE_DIR) + "/tests/data/apiserver-transcripts";
const std::string kScripts = std::string(KFTENANT_SOURCE_DIR) + "/tests/differential/scenarios";
const char kBadToken[] = "differential-unknown-token";

// The callers scripts use beside the administrator: the transcripts' alice and the real
// server's fixed token users (kTokenUsers).
std::vector<std::string> callers() {
  std::vector<std::string> out = {"alice"};
  out.insert(out.end(), testing::kTokenUsers.begin(), testing::kTokenUsers.end());
  return out;
}

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

std::vector<std::string> scenario_files() {
  std::vector<std::string> files = transcripts::transcript_files(kRecordings);
  auto scripts = transcripts::transcript_files(kScripts);
  files.insert(files.end(), scripts.begin(), scripts.end());
  return files;
}

std::string scenario_of(const std::string& path) {
  std::string file = path.substr(path.rfind('/') + 1);
  return file.substr(0, file.size() - std::string(".json").size());
}

// ---- totals over the run ----------------------------------------------------------------------

struct Totals {
  std::mutex mu;
  int scenarios = 0, exchanges = 0, checks = 0, disagreements = 0, accepted = 0;
  int recording_drift = 0, recording_numbering = 0;
  std::set<std::pair<std::string, std::string>> disagreeing_steps, accepted_steps;
  std::chrono::duration<double> elapsed{0};
};
Totals& totals() {
  static Totals t;
  return t;
}

class TotalsEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    Totals& t = totals();
    if (t.scenarios == 0) return;
    fmt::print(
        "differential: {} scenarios, {} exchanges, {} checks compared; {} disagreements ({} "
        "steps), {} of them accepted ({} steps, {} table entries); real server vs recordings: {} "
        "differences (and {} in resourceVersion numbering only); {:.1f} s\n",
        t.scenarios, t.exchanges, t.checks, t.disagreements, t.disagreeing_steps.size(), t.accepted,
        t.accepted_steps.size(), accepted_differences().size(), t.recording_drift,
        t.recording_numbering, t.elapsed.count());
  }
};
[[maybe_unused]] ::testing::Environment* const kTotals =
    ::testing::AddGlobalTestEnvironment(new TotalsEnvironment);

// ---- the servers ------------------------------------------------------------------------------

// The CRDs the fake's Kubeflow seed holds (all of Dex's, not only the two the manifests
// install), as a client would create them: both servers then serve the same kinds.
std::vector<nlohmann::json> fake_seed_crds() {
  std::vector<nlohmann::json> out;
  auto fake = testserver::ApiServer::start(transcripts::recording_server_options());
  if (!fake) return out;
  auto crds = (*fake)->list_objects("apiextensions.k8s.io/v1", "customresourcedefinitions");
  if (crds) {
    for (auto crd : *crds) {
      auto& m = crd["metadata"];
      for (const char* f : {"uid", "resourceVersion", "creationTimestamp", "generation",
                            "managedFields", "finalizers"}) {
        m.erase(f);
      }
      crd.erase("status");
      out.push_back(std::move(crd));
    }
  }
  (*fake)->stop();
  return out;
}

Result<testing::SharedControlPlane*> real_server() {
  static testing::SharedControlPlane* started = nullptr;
  if (started) return started;  // (the options below are only needed for the first start)
  testing::SharedControlPlaneOptions options;
  options.extra_token_users = {"alice"};
  // ServiceAccount default in every namespace, as the fake's namespace defaults.
  options.extra_controllers = {"serviceaccount"};
  // The fake's store starts at revision 1000 "as on a cluster that has run for a while": age the
  // real one too, so that resourceVersion=1 or 2 is too old for watches there as well.
  options.etcd_age_revisions = 100;
  options.extra_crds = fake_seed_crds();
  auto plane = testing::SharedControlPlane::get(options);
  if (plane) started = *plane;
  return plane;
}

// A namespace of its own per run of a scenario: "diff-<scenario>[-<n>]".
std::string namespace_for(const std::string& scenario) {
  static std::map<std::string, int> runs;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::string ns = "diff-" + scenario;
  for (char& c : ns) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (ns.size() > 55) ns.resize(55);
  while (!ns.empty() && ns.back() == '-') ns.pop_back();
  int n = runs[ns]++;
  return n == 0 ? ns : ns + "-" + std::to_string(n + 1);
}

// True for a difference only in how resourceVersions are numbered ("expected <rv:5>, got
// <rv:6>"): unrelated writes on a cluster shift the numbering (the transcripts README's
// volatile part); the content agrees.
bool numbering_only(const transcripts::Mismatch& m) {
  static const std::regex expected_got(R"(^(.*)expected (.*), got (.*)$)");
  static const std::regex rv(R"(<rv:[0-9]+>)");
  std::smatch g;
  if (!std::regex_match(m.detail, g, expected_got)) return false;
  return std::regex_replace(g.str(2), rv, "<rv>") == std::regex_replace(g.str(3), rv, "<rv>");
}

// Differences between a server's answers and the recording: printed, numbering-only ones
// counted into *numbering_out. Returns the number of the others.
int print_mismatches(const std::string& who, const ReplayResult& r, int* numbering_out = nullptr) {
  int numbering = 0, others = 0;
  for (const auto& m : r.mismatches) {
    if (m.category == "setup") continue;  // failed on above
    if (numbering_only(m)) {
      ++numbering;
      continue;
    }
    ++others;
    std::cout << "  " << who << " vs recording: " << m.step << " [" << m.category << "] "
              << m.detail << "\n";
  }
  if (numbering > 0) {
    std::cout << "  " << who << " vs recording: " << numbering
              << " differences in resourceVersion numbering only (unrelated writes)\n";
  }
  if (numbering_out) *numbering_out = numbering;
  return others;
}

// ---- the test ---------------------------------------------------------------------------------

class LiveDifferential : public ::testing::TestWithParam<std::string> {};

TEST_P(LiveDifferential, FakeAnswersLikeTheRealServer) {
  if (auto why = testing::real_cluster_unavailable(); !why.empty()) GTEST_SKIP() << why;
  const auto begin = std::chrono::steady_clock::now();
  auto transcript = transcripts::load_transcript(GetParam());
  ASSERT_TRUE(transcript) << transcript.error().message;
  auto shared = real_server();
  ASSERT_TRUE(shared) << shared.error().message;
  testing::ControlPlane& plane = (*shared)->plane();

  auto fake = testserver::ApiServer::start(transcripts::recording_server_options());
  ASSERT_TRUE(fake) << fake.error().message;
  const std::string ns = namespace_for(transcript->scenario);

  ReplayTarget fake_target, real_target;
  fake_target.name = "fake";
  fake_target.port = (*fake)->port();
  fake_target.ca_pem = (*fake)->ca_pem();
  fake_target.admin_token = (*fake)->admin_token();
  fake_target.ns = ns;
  fake_target.poll_timeout = std::chrono::seconds(30);
  real_target.name = "real";
  real_target.port = std::stoi(plane.url().substr(plane.url().rfind(':') + 1));
  real_target.ca_pem = plane.ca_pem();
  real_target.admin_token = plane.admin_token();
  real_target.ns = ns;
  // The garbage collector notices new kinds on its discovery resync (30 s); the namespace
  // controller retries content it could not delete with a backoff.
  real_target.poll_timeout = std::chrono::seconds(90);
  for (const auto& user : callers()) {
    const std::string token = "differential-token-" + user;
    (*fake)->add_user_token(token, user, {}, user + "-uid");  // the real token file's uid
    fake_target.tokens[user] = token;
    real_target.tokens[user] = plane.token_for(user);
  }
  fake_target.tokens["bad-token"] = real_target.tokens["bad-token"] = kBadToken;

  const transcripts::ReplayOptions options{.verbose = env_set("KFTENANT_DIFF_VERBOSE")};
  auto fake_run = std::async(std::launch::async, [&] {
    return transcripts::replay_on(*transcript, fake_target, options);
  });
  auto real_run = std::async(std::launch::async, [&] {
    return transcripts::replay_on(*transcript, real_target, options);
  });
  ReplayResult f = fake_run.get();
  ReplayResult r = real_run.get();
  (*fake)->stop();
  // What the scenario left on the shared server.
  (void)(*shared)->admin().remove(kube::resources::kNamespaces, "", ns);
  EXPECT_TRUE((*shared)->remove_new_cluster_objects()) << "cleanup after " << ns;

  if (options.verbose) {
    std::cout << "---- fake\n" << f.log << "---- real\n" << r.log;
  }
  for (const auto* run : {&f, &r}) {
    for (const auto& m : run->mismatches) {
      if (m.category == "setup") {
        ADD_FAILURE() << (run == &f ? "fake" : "real") << ": " << m.step << " [setup] " << m.detail;
      }
    }
  }
  const bool recorded = !transcript->exchanges.empty() && transcript->exchanges.front().recorded;
  int drift = 0, drift_numbering = 0;
  if (recorded) {  // scripts have nothing recorded to compare with
    drift = print_mismatches("real", r, &drift_numbering);
    if (!f.mismatches.empty()) print_mismatches("fake", f);
  }

  Comparison cmp;
  AnswerComparer comparer(f.normalizer, r.normalizer);
  ASSERT_EQ(f.answers.size(), r.answers.size());
  for (size_t i = 0; i < f.answers.size(); ++i) {
    comparer.compare(f.answers[i], r.answers[i], transcript->exchanges[i].diff_options, cmp);
  }

  std::ofstream report;
  if (const char* path = std::getenv("KFTENANT_DIFF_REPORT"); path && *path) {
    report.open(path, std::ios::app);
    report << "## " << transcript->scenario << "\n";
  }
  std::set<const Accepted*> used;
  int accepted_count = 0;
  for (const auto& d : cmp.disagreements) {
    const Accepted* a = find_accepted(transcript->scenario, d.step, d.category, d.detail);
    if (report.is_open()) {
      report << "- " << (a ? "(accepted) " : "") << "`" << d.step << "` [" << d.category << "] "
             << d.detail << "\n";
    }
    if (a) {
      used.insert(a);
      ++accepted_count;
      std::cout << "  accepted: " << d.step << " [" << d.category << "] " << d.detail << "\n    ("
                << a->reason << ")\n";
    } else {
      ADD_FAILURE() << d.step << " [" << d.category << "] " << d.detail;
    }
  }
  for (const auto& a : accepted_differences()) {
    if (transcript->scenario != a.scenario || used.count(&a)) continue;
    if (a.sometimes) {
      std::cout << "  accepted difference did not occur this time: " << a.step << " \""
                << a.contains << "\"\n";
    } else {
      ADD_FAILURE() << "accepted difference no longer disagrees: " << a.step << " [" << a.category
                    << "] \"" << a.contains
                    << "\": remove it from tests/differential/accepted.cc and testserver/README.md";
    }
  }

  Totals& t = totals();
  std::lock_guard<std::mutex> lock(t.mu);
  ++t.scenarios;
  t.exchanges += cmp.exchanges;
  t.checks += cmp.checks;
  t.disagreements += static_cast<int>(cmp.disagreements.size());
  t.accepted += accepted_count;
  for (const auto& d : cmp.disagreements) {
    t.disagreeing_steps.insert({transcript->scenario, d.step});
    if (find_accepted(transcript->scenario, d.step, d.category, d.detail))
      t.accepted_steps.insert({transcript->scenario, d.step});
  }
  t.recording_drift += drift;
  t.recording_numbering += drift_numbering;
  t.elapsed += std::chrono::steady_clock::now() - begin;
  std::cout << "  " << transcript->scenario << ": " << cmp.exchanges << " exchanges, " << cmp.checks
            << " checks, " << cmp.disagreements.size() << " disagreements (" << accepted_count
            << " accepted)\n";
}

INSTANTIATE_TEST_SUITE_P(RealApiServer_Differential, LiveDifferential,
                         ::testing::ValuesIn(scenario_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = "s" + scenario_of(info.param);
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// ---- regular tier: the scripts parse, the comparer pairs revisions --------------------------

TEST(DifferentialScripts, ParseAndReferToEarlierSteps) {
  auto files = transcripts::transcript_files(kScripts);
  ASSERT_FALSE(files.empty());
  for (const auto& file : files) {
    auto t = transcripts::load_transcript(file);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->scenario, scenario_of(file));
    std::set<std::string> steps;
    for (const auto& x : t->exchanges) {
      EXPECT_FALSE(x.recorded) << file << " " << x.step;
      EXPECT_TRUE(steps.insert(x.step).second) << file << ": step " << x.step << " twice";
    }
  }
}

TEST(DifferentialScripts, AcceptedEntriesNameKnownScenarios) {
  std::set<std::string> scenarios;
  for (const auto& f : scenario_files()) scenarios.insert(scenario_of(f));
  for (const auto& a : accepted_differences()) {
    EXPECT_TRUE(scenarios.count(a.scenario)) << a.scenario;
    EXPECT_NE(std::string(a.reason), "");
  }
}

}  // namespace
}  // namespace kftenant::differential
