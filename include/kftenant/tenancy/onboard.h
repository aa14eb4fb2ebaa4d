// Onboarding many users at once (`kftenant import`): the checked rows of a user file
// (user_file.h) become Dex users, profiles and contributors, in phases:
//   hashing       bcrypt for every row that needs it, on `jobs` threads: a new password is
//                 hashed, a password given for an existing user is checked against its hash
//   dex           static backend: the `user add` planners of every row composed into ONE plan
//                 (plan/compose.h): one write of config.yaml, at most one restart and one
//                 rollout wait, whatever the number of rows; password-crd backend: one
//                 Password object per row, applied concurrently, no restart
//   profiles      one Profile per row that has one, applied concurrently; from 32 rows on a
//                 cluster, planned from one LIST of Profiles and one of Namespaces
//                 (store/prefetched_store.h) instead of two GETs per row. On a cluster this
//                 phase runs alongside hashing and the Dex phase (a profile needs only its
//                 owner's email, known before any hash), so an import takes about the longer of
//                 the two rather than their sum.
//   contributors  the rows' contributors, after the Dex phase (a contributor may be a user of
//                 the same file) and once their profile's namespace is there
// Rows are independent: a row refused while planning (a profile owned by someone else, a
// different password) or failing at apply time (an API error) is reported with its line and the
// others go on. A row whose Dex user fails keeps its profile (made alongside) but gets no
// contributors. Rows already in place change nothing, so running the same file again finishes
// what a failed run left.
//
// Concurrency (jobs > 1) is used only on a store that is safe to share between threads: a live
// cluster (ObjectStore::capabilities().live); a manifests folder is written one row at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "kftenant/plan/plan.h"
#include "kftenant/tenancy/user_file.h"
#include "kftenant/tenancy/users.h"

namespace kftenant::tenancy {

enum class OnboardPhase { kReading, kHashing, kDex, kRollout, kProfiles, kContributors };
[[nodiscard]] const char* phase_name(OnboardPhase phase);  // "hashing", "Dex write", ...

struct OnboardProgress {
  OnboardPhase phase = OnboardPhase::kReading;
  size_t done = 0;
  size_t total = 0;
  bool finished = false;  // the phase is over (done may be < total when rows failed)
};

// A password kftenant made up for a new user.
struct GeneratedCredential {
  int line = 0;
  std::string email;
  std::string password;
};

struct OnboardOptions {
  int jobs = 0;  // threads for bcrypt and concurrent writes; 0: the number of cores
  int bcrypt_cost = dex::kDefaultBcryptCost;
  std::optional<std::chrono::milliseconds> profile_wait;  // how long to wait for namespaces
  // Passed to every apply (clock, stop token, timeouts). on_event, before_step and after_step
  // are the caller's too; onboard adds its own hooks around them.
  plan::ApplyOptions apply;
  std::function<void(const OnboardProgress&)> on_progress;  // from any thread, one at a time
  // Called with the generated passwords of the rows whose Dex write is about to run, before it
  // runs (so a crash after the write cannot lose them); an error stops that write. Required when
  // a row generates a password.
  std::function<Result<void>(const std::vector<GeneratedCredential>&)> record_passwords;
};

enum class RowResult {
  kCreated,    // written by this run
  kUnchanged,  // already in place
  kNone,       // nothing asked (no profile, no contributors)
  kFailed,     // see RowOutcome::error
  kSkipped,    // not attempted: an earlier part of the row failed, or the run was stopped
};
[[nodiscard]] const char* row_result_name(RowResult result);

struct RowOutcome {
  int line = 0;
  std::string email;
  RowResult dex = RowResult::kSkipped;
  RowResult profile = RowResult::kSkipped;
  RowResult contributors = RowResult::kSkipped;
  std::optional<Error> error;  // the first failure of the row
  bool password_generated = false;
};

struct OnboardReport {
  std::vector<RowOutcome> rows;  // one per input row, in input order
  int dex_writes = 0;            // config.yaml writes or Password object writes applied
  int restarts = 0;              // Dex restarts applied
  int profile_writes = 0;        // Profile, RoleBinding and AuthorizationPolicy writes applied
  std::vector<std::string> notes;
  [[nodiscard]] bool any_failed() const;
};

// Runs the phases above over `rows`. Errors that concern the whole run (the store unreachable,
// Dex's config unreadable, config.yaml over the ConfigMap size limit with how many rows fit,
// a generated password with no record_passwords) are returned as the error and nothing is
// written; everything else is per row in the report.
[[nodiscard]] Result<OnboardReport> onboard(store::ObjectStore& store,
                                            const TenancyContext& context,
                                            const std::vector<UserRow>& rows,
                                            const OnboardOptions& options);

// The report as `import -o json` prints it and POST /api/v1/import answers it:
// {rows: [{line, email, dexUser, profile, contributors, error?: {code, message}}], dexWrites,
// restarts, profileWrites, failed}.
[[nodiscard]] nlohmann::json to_json(const OnboardReport& report);

// What onboard would do, without bcrypt work for new passwords (one hash stands in for all) and
// without writing: the composed Dex plan followed by every row's profile plan (contributors of a
// profile not made yet are a note). Per-row refusals are notes naming the line.
[[nodiscard]] Result<plan::Plan> plan_onboard(store::ObjectStore& store,
                                              const TenancyContext& context,
                                              const std::vector<UserRow>& rows,
                                              const OnboardOptions& options);

}  // namespace kftenant::tenancy
