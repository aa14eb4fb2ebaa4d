#include "kftenant/tenancy/onboard.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <thread>

#include "kftenant/dex/bcrypt.h"
#include "kftenant/dex/password_object.h"
#include "kftenant/dex/user_directory.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/plan/compose.h"
#include "kftenant/plan/plan_view.h"
#include "kftenant/store/prefetched_store.h"
#include "kftenant/tenancy/profiles.h"
#include "kftenant/tenancy/validate.h"

namespace kftenant::tenancy {

using plan::Plan;
using plan::Planner;
using plan::Step;
using plan::StepKind;

namespace {

// From this many profiles on, the profiles phase lists Profiles and Namespaces once.
constexpr size_t kPrefetchFromRows = store::kPrefetchFromObjects;

int thread_count(int jobs) {
  if (jobs > 0) return jobs;
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

// Runs work(i) for i in [0, n) on `threads` threads (this one included); stops handing out new
// indexes once `stop` is requested.
void for_each_index(size_t n, int threads, std::stop_token stop,
                    const std::function<void(size_t)>& work) {
  std::atomic<size_t> next{0};
  auto loop = [&] {
    for (size_t i; !stop.stop_requested() && (i = next.fetch_add(1)) < n;) work(i);
  };
  std::vector<std::jthread> pool;
  const size_t extra = std::min<size_t>(n, static_cast<size_t>(std::max(threads, 1))) - (n ? 1 : 0);
  for (size_t t = 0; t < extra; ++t) pool.emplace_back(loop);
  loop();
}

// Reports progress from any thread, one call at a time. Phases may overlap (profiles are made
// while passwords are hashed), so each call names its phase.
class Progress {
 public:
  explicit Progress(const std::function<void(const OnboardProgress&)>& sink) : sink_(sink) {}
  void start(OnboardPhase phase, size_t total) {
    std::lock_guard lock(mutex_);
    emit(state(phase) = {phase, 0, total, false});
  }
  void step(OnboardPhase phase) {
    std::lock_guard lock(mutex_);
    OnboardProgress& s = state(phase);
    ++s.done;
    emit(s);
  }
  void finish(OnboardPhase phase) {
    std::lock_guard lock(mutex_);
    OnboardProgress& s = state(phase);
    s.finished = true;
    emit(s);
  }

 private:
  OnboardProgress& state(OnboardPhase phase) { return states_[static_cast<size_t>(phase)]; }
  void emit(const OnboardProgress& s) {
    if (sink_) sink_(s);
  }
  const std::function<void(const OnboardProgress&)>& sink_;
  std::mutex mutex_;
  std::array<OnboardProgress, static_cast<size_t>(OnboardPhase::kContributors) + 1> states_;
};

// Failures that belong to one row (its input or the state it meets) rather than to the run.
bool is_row_error(const Error& e) {
  switch (e.code) {
    case ErrorCode::kRefused:
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kInvalid:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kNotFound:
      return true;
    default:
      return false;
  }
}

// One row on its way through the phases.
struct Pending {
  const UserRow* row = nullptr;
  AddUserRequest request;  // the Dex part (no profile)
  std::string owner;       // the email as Dex puts it in the claim
  bool existed = false;
  std::optional<GeneratedCredential> generated;
  RowOutcome outcome;
};

void fail_row(Pending& p, Error e, RowResult* part) {
  *part = RowResult::kFailed;
  if (!p.outcome.error) p.outcome.error = std::move(e);
}

// Every row's Dex request, as far as it goes without bcrypt: which rows are new, the owner of
// each profile (the email as Dex puts it in the claim), which rows need bcrypt work.
struct Prepared {
  std::vector<Pending> rows;
  std::vector<dex::DexAccount> accounts;
  std::vector<size_t> heavy;  // rows that need bcrypt
};

Result<Prepared> classify(store::ObjectStore& store, const TenancyContext& context,
                          const std::vector<UserRow>& rows, const OnboardOptions& options) {
  auto listed = dex::list_dex_accounts(store, context.dex, context.backend);
  if (!listed) return fail(listed.error());
  Prepared prepared;
  prepared.accounts = std::move(*listed);
  const std::vector<dex::DexAccount>* accounts = &prepared.accounts;
  std::vector<Pending>& out = prepared.rows;
  out.resize(rows.size());
  std::vector<size_t>& heavy = prepared.heavy;
  std::vector<std::string> with_password, without_password;  // "line 3 (a@x)"
  for (size_t i = 0; i < rows.size(); ++i) {
    const UserRow& row = rows[i];
    Pending& p = out[i];
    p.row = &row;
    p.outcome.line = row.line;
    p.outcome.email = row.email;
    p.outcome.profile = row.profile ? RowResult::kSkipped : RowResult::kNone;
    p.outcome.contributors = row.contributors.empty() ? RowResult::kNone : RowResult::kSkipped;
    const std::string where = fmt::format("line {} ({})", row.line, row.email);
    if (!context.dex.managed) {
      // --dex-backend none: profiles and access only.
      p.owner = row.email;
      p.outcome.dex = RowResult::kNone;
      if (row.password_spec != PasswordSpec::kNone) with_password.push_back(where);
      continue;
    }
    AddUserRequest& r = p.request;
    r.email = row.email;
    r.username = row.username;
    r.user_id = row.user_id;
    r.create_profile = false;
    r.bcrypt_cost = options.bcrypt_cost;
    const dex::DexAccount* account = dex::find_account(*accounts, row.email);
    const dex::DexUser* user = account ? account->effective_record() : nullptr;
    p.existed = user != nullptr;
    p.owner = user ? account->claim_email() : row.email;
    switch (row.password_spec) {
      case PasswordSpec::kHash:
        r.hash = row.hash;
        break;
      case PasswordSpec::kGenerate:
        r.password = generate_password();
        if (user) {
          r.keep_existing_password = true;
        } else {
          p.generated = GeneratedCredential{row.line, row.email, r.password};
          heavy.push_back(i);
        }
        break;
      case PasswordSpec::kPassword:
        r.password = row.password;
        // A hashFromEnv or hash-less entry is the planner's to refuse.
        if (!user || !user->hash.empty()) heavy.push_back(i);
        break;
      case PasswordSpec::kNone:
        // Nothing to compare: the user keeps the password they have.
        r.keep_existing_password = true;
        if (!user) without_password.push_back(where);
        break;
    }
  }
  auto listed_rows = [](const std::vector<std::string>& rows_of) {
    std::string out;
    for (size_t k = 0; k < rows_of.size() && k < 5; ++k) out += (k ? ", " : "") + rows_of[k];
    if (rows_of.size() > 5) out += fmt::format(" and {} more", rows_of.size() - 5);
    return out;
  };
  if (!with_password.empty())
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("--dex-backend none writes no Dex users, but {} give a "
                                  "password, hash or generate: drop those columns; nothing was "
                                  "written",
                                  listed_rows(with_password)));
  if (!without_password.empty())
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: a new Dex user needs a password, hash or generate=true "
                                  "(only existing users keep theirs); nothing was written",
                                  listed_rows(without_password)));
  return prepared;
}

// Hashing phase: the bcrypt work of `prepared`, on every core. In a dry run a new password is
// not hashed: `stand_in` (one hash made once) takes its place.
Result<void> hash_passwords(Prepared& prepared, const OnboardOptions& options, Progress& progress,
                            const std::string& stand_in) {
  std::vector<Pending>& out = prepared.rows;
  const std::vector<size_t>& heavy = prepared.heavy;
  const std::vector<dex::DexAccount>* accounts = &prepared.accounts;
  progress.start(OnboardPhase::kHashing, heavy.size());
  std::vector<std::optional<Error>> errors(out.size());
  for_each_index(heavy.size(), thread_count(options.jobs), options.apply.stop, [&](size_t k) {
    Pending& p = out[heavy[k]];
    AddUserRequest& r = p.request;
    const dex::DexAccount* account = dex::find_account(*accounts, r.email);
    const dex::DexUser* user = account ? account->effective_record() : nullptr;
    if (user) {
      auto same = dex::bcrypt_verify(r.password, user->hash);
      if (!same)
        errors[heavy[k]] = same.error().with_context("checking the existing hash of " + r.email);
      else if (!*same)
        errors[heavy[k]] = make_error(ErrorCode::kRefused,
                                      fmt::format("{} already exists with a different password: "
                                                  "to change it use `kftenant user passwd {}`",
                                                  r.email, r.email))
                               .value();
      else if (auto cost = dex::bcrypt_cost(user->hash);
               cost && *cost >= dex::kMinBcryptCost && *cost <= dex::kMaxBcryptCost) {
        r.hash = user->hash;  // checked: the planner compares the hash, no second bcrypt
        r.password.clear();
      } else {
        r.keep_existing_password = true;
      }
    } else if (!stand_in.empty()) {
      r.hash = stand_in;
    } else {
      auto hash = dex::bcrypt_hash(r.password, r.bcrypt_cost);
      if (!hash)
        errors[heavy[k]] = hash.error();
      else
        r.hash = *hash;
    }
    progress.step(OnboardPhase::kHashing);
  });
  progress.finish(OnboardPhase::kHashing);
  if (options.apply.stop.stop_requested())
    return make_error(ErrorCode::kCancelled,
                      "stopped while hashing passwords: nothing was written");
  for (size_t i = 0; i < out.size(); ++i)
    if (errors[i]) fail_row(out[i], std::move(*errors[i]), &out[i].outcome.dex);
  return ok();
}

bool has_writes(const std::vector<Step>& steps) {
  for (const auto& s : steps)
    if (plan::is_write(s.kind)) return true;
  return false;
}

// The planner of the Dex phase: every row's `user add` (without profile) as one
// AddDexUsersPlanner (static: one read, edit and check of config.yaml, one ConfigMap write, one
// restart), refusals kept per row. The row that would take config.yaml past the ConfigMap limit
// refuses the whole file. It keeps what it found in `changed` (rows whose Dex user it writes)
// and `row_errors`, as of its last run.
struct DexPhase {
  std::vector<Pending>* rows;
  std::vector<size_t> which;  // the rows taking part, in order
  AddDexUsersPlanner planner;
  store::ObjectKey configmap;
  std::vector<char> changed;
  std::vector<std::optional<Error>> row_errors;
  bool fatal = false;  // the last run failed for the run as a whole

  DexPhase(const TenancyContext& context, std::vector<Pending>& pending)
      : rows(&pending),
        planner(context, requests_of(pending, which)),
        configmap{"v1", "ConfigMap", context.dex.ns, context.dex.configmap} {}

  Result<Plan> operator()(store::ObjectStore& store) {
    auto planned = plan_rows(store);
    fatal = !planned;
    return planned;
  }

 private:
  // The Dex requests of the rows not failed already (their indices into `which`).
  static std::vector<AddUserRequest> requests_of(const std::vector<Pending>& pending,
                                                 std::vector<size_t>& which) {
    std::vector<AddUserRequest> out;
    for (size_t i = 0; i < pending.size(); ++i)
      if (!pending[i].outcome.error) {
        which.push_back(i);
        out.push_back(pending[i].request);
      }
    return out;
  }

  Result<Plan> plan_rows(store::ObjectStore& store) {
    changed.assign(rows->size(), 0);
    row_errors.assign(rows->size(), std::nullopt);
    auto planned = planner(store);
    if (!planned) return planned;
    if (auto k = planner.first_too_large()) {
      size_t fitting = 0;
      for (size_t j = 0; j < *k; ++j) fitting += planner.changes()[j];
      const UserRow& row = *(*rows)[which[*k]].row;
      return make_error(
          ErrorCode::kTooLarge,
          fmt::format("the users do not fit in ConfigMap {}/{}: the API server takes at most "
                      "1 MiB of data in a ConfigMap, and config.yaml passes it with line {} "
                      "({}), after {} new users; import the rest with --dex-backend "
                      "password-crd (a Password object per user) or through another Dex "
                      "connector. Nothing was written",
                      configmap.ns, configmap.name, row.line, row.email, fitting));
    }
    for (size_t k = 0; k < which.size(); ++k) {
      if (const auto& e = planner.errors()[k]) {
        if (!is_row_error(*e)) return fail(*e);
        row_errors[which[k]] = *e;
      }
      changed[which[k]] = planner.changes()[k];
    }
    return planned;
  }
};

}  // namespace

namespace {

struct RunCounts {
  std::atomic<int> writes{0};
  std::atomic<int> restarts{0};
};

// Restarts, and writes other than the config hash a manifests folder records on the Deployment.
void count_applied(const plan::ApplyResult& result, RunCounts& counts) {
  for (const auto& s : result.applied) {
    if (s.kind == StepKind::kRestartDeployment)
      ++counts.restarts;
    else if (plan::is_write(s.kind) && s.key.kind != "Deployment")
      ++counts.writes;
  }
}

// Applies each planner on its own (a failure stops only its own plan), `threads` at a time on a
// live store and one at a time otherwise. The first runs alone and checks access for all: the
// others need the same permissions; when it fails for a reason that is not its own (no access,
// no connection), the others are not tried and get its error.
std::vector<Result<plan::ApplyResult>> apply_each(
    store::ObjectStore& store, const std::vector<Planner>& planners, const OnboardOptions& options,
    Progress& progress, OnboardPhase phase, RunCounts& counts,
    const std::function<plan::ApplyOptions(size_t)>& options_for) {
  std::vector<Result<plan::ApplyResult>> results(
      planners.size(), make_error(ErrorCode::kCancelled, "not attempted: the run was stopped"));
  if (planners.empty()) return results;
  auto run = [&](size_t i, bool check_access) {
    plan::ApplyOptions o = options_for(i);
    o.check_access = o.check_access && check_access;
    results[i] = plan::apply_plan(store, planners[i], o);
    if (results[i]) count_applied(*results[i], counts);
    progress.step(phase);
  };
  run(0, true);
  if (!results[0] && !is_row_error(results[0].error())) {
    for (size_t i = 1; i < planners.size(); ++i) results[i] = fail(results[0].error());
    return results;
  }
  const int threads = store.capabilities().live ? thread_count(options.jobs) : 1;
  for_each_index(planners.size() - 1, threads, options.apply.stop,
                 [&](size_t k) { run(k + 1, false); });
  return results;
}

plan::ApplyOptions quiet(const plan::ApplyOptions& base) {
  plan::ApplyOptions o = base;
  o.on_event = nullptr;  // per-row steps are counted, not shown one by one
  return o;
}

}  // namespace

const char* phase_name(OnboardPhase phase) {
  switch (phase) {
    case OnboardPhase::kReading:
      return "reading";
    case OnboardPhase::kHashing:
      return "hashing";
    case OnboardPhase::kDex:
      return "Dex write";
    case OnboardPhase::kRollout:
      return "rollout";
    case OnboardPhase::kProfiles:
      return "profiles";
    case OnboardPhase::kContributors:
      return "contributors";
  }
  return "?";
}

const char* row_result_name(RowResult result) {
  switch (result) {
    case RowResult::kCreated:
      return "created";
    case RowResult::kUnchanged:
      return "unchanged";
    case RowResult::kNone:
      return "-";
    case RowResult::kFailed:
      return "failed";
    case RowResult::kSkipped:
      return "skipped";
  }
  return "?";
}

bool OnboardReport::any_failed() const {
  for (const auto& r : rows)
    if (r.dex == RowResult::kFailed || r.profile == RowResult::kFailed ||
        r.contributors == RowResult::kFailed)
      return true;
  return false;
}

namespace {

// One row's Dex user, planned (the first time) from the accounts listed once for every row.
Planner dex_planner_of(const TenancyContext& context, const Pending& p,
                       std::shared_ptr<const std::vector<dex::DexAccount>> accounts) {
  AddDexUsersPlanner one(context, {p.request});
  one.use_accounts(std::move(accounts));
  return [one](store::ObjectStore& store) -> Result<Plan> {
    auto planned = one(store);
    if (planned && one.errors().front()) return fail(*one.errors().front());
    return planned;
  };
}

// The profile part of a row, waiting for the namespace when contributors follow (on a cluster).
Planner profile_planner_of(const Pending& p, const OnboardOptions& options) {
  ProfileRequest r;
  r.name = *p.row->profile;
  r.owner = p.owner;
  r.quota = p.row->quota;
  if (options.profile_wait)
    r.wait = *options.profile_wait;
  else if (!p.row->contributors.empty())
    r.wait = options.apply.default_wait_timeout;
  return profile_planner(std::move(r));
}

Planner contributors_planner_of(const TenancyContext& context, const Pending& p) {
  std::vector<Planner> parts;
  for (const auto& g : p.row->contributors) {
    ShareRequest r;
    r.profile = *p.row->profile;
    r.email = g.email;
    r.role = g.role;
    r.dex = context.dex;
    parts.push_back(share_planner(std::move(r)));
  }
  return plan::compose(std::move(parts));
}

}  // namespace

namespace {

// A phase of per-row plans (profiles, contributors) run by apply_each: which rows take part,
// and once run, their results, recorded into the rows by record() (from one thread).
struct RowPhase {
  OnboardPhase phase;
  std::vector<size_t> which;
  std::vector<Result<plan::ApplyResult>> results;
  std::function<RowResult*(Pending&)> part_of;

  void record(std::vector<Pending>& pending) {
    for (size_t k = 0; k < which.size() && k < results.size(); ++k) {
      Pending& p = pending[which[k]];
      RowResult* part = part_of(p);
      if (!results[k])
        fail_row(p, results[k].error(), part);
      else
        *part = has_writes(results[k]->applied) ? RowResult::kCreated : RowResult::kUnchanged;
    }
  }
};

// Runs `planners` (one per row of phase.which) and keeps their results in `phase`. Touches no
// Pending, so it may run alongside the Dex phase.
void run_row_phase(store::ObjectStore& store, std::vector<Planner> planners, RowPhase& phase,
                   const OnboardOptions& options, Progress& progress, RunCounts& counts) {
  // Many profiles on a cluster: their planners' reads (the Profile, its Namespace) come from
  // one LIST of each kind instead of two GETs per row, which under the client's rate limit is
  // most of the phase's time. Few rows: the GETs are cheaper than listing every namespace.
  store::PrefetchedStore prefetched(store);
  store::ObjectStore* target = &store;
  if (phase.phase == OnboardPhase::kProfiles && planners.size() >= kPrefetchFromRows &&
      store.capabilities().live) {
    // A LIST refused or not served leaves that kind read per row.
    (void)prefetched.prefetch(kubeflow::kProfileApiVersion, "Profile");
    (void)prefetched.prefetch("v1", "Namespace");
    target = &prefetched;
  }
  progress.start(phase.phase, planners.size());
  phase.results = apply_each(*target, planners, options, progress, phase.phase, counts,
                             [&](size_t) { return quiet(options.apply); });
  progress.finish(phase.phase);
}

}  // namespace

Result<OnboardReport> onboard(store::ObjectStore& store, const TenancyContext& context,
                              const std::vector<UserRow>& rows, const OnboardOptions& options) {
  Progress progress(options.on_progress);
  progress.start(OnboardPhase::kReading, 1);
  auto prepared = classify(store, context, rows, options);
  if (!prepared) return fail(prepared.error());
  std::vector<Pending>& pending = prepared->rows;
  for (const auto& p : pending)
    if (p.generated && !options.record_passwords)
      return make_error(ErrorCode::kInternal,
                        "onboard: generated passwords need OnboardOptions::record_passwords");
  OnboardReport report;
  RunCounts dex_counts, counts;

  // Profiles do not depend on the Dex phase (a profile names its owner by email, known by now),
  // so on a cluster they are made while passwords are hashed and Dex is written: the phases
  // wait on different things (CPU, the rollout; the client's rate limit), and overlapped an
  // import takes about as long as the longer of the two. A manifests folder is written by one
  // thread at a time (and jobs = 1 asks for one thread): there the profiles follow the Dex phase.
  RowPhase profiles{OnboardPhase::kProfiles, {}, {}, [](Pending& p) { return &p.outcome.profile; }};
  std::vector<Planner> profile_planners;
  for (size_t i = 0; i < pending.size(); ++i)
    if (!pending[i].outcome.error && pending[i].row->profile) {
      profiles.which.push_back(i);
      profile_planners.push_back(profile_planner_of(pending[i], options));
    }
  std::jthread profiles_alongside;
  auto run_profiles = [&] {
    run_row_phase(store, std::move(profile_planners), profiles, options, progress, counts);
  };
  if (store.capabilities().live && thread_count(options.jobs) > 1)
    profiles_alongside = std::jthread(run_profiles);

  auto hashed = hash_passwords(*prepared, options, progress, "");
  if (!hashed) {
    if (profiles_alongside.joinable()) profiles_alongside.join();
    return make_error(ErrorCode::kCancelled,
                      "stopped while hashing passwords: no Dex user was written (profiles "
                      "already made stay); run the import again to finish");
  }

  // Dex.
  std::vector<size_t> dex_rows;
  for (size_t i = 0; i < pending.size(); ++i)
    if (!pending[i].outcome.error) dex_rows.push_back(i);
  if (!context.dex.managed) {
    // --dex-backend none: nothing of Dex (classify marked every row).
  } else if (context.backend == dex::Backend::kStatic) {
    auto shared = std::make_shared<DexPhase>(context, pending);
    plan::ApplyOptions o = options.apply;
    o.before_step = [&, shared](const Step& step) -> Result<void> {
      if (step.writes_password) {
        std::vector<GeneratedCredential> made;
        for (size_t i = 0; i < pending.size(); ++i)
          if (pending[i].generated && shared->changed[i]) made.push_back(*pending[i].generated);
        if (!made.empty())
          if (auto r = options.record_passwords(made); !r) return r;
      }
      return options.apply.before_step ? options.apply.before_step(step) : ok();
    };
    OnboardPhase current = OnboardPhase::kDex;  // then kRollout, from the restart on
    o.on_event = [&](const plan::ApplyEvent& e) {
      if (current == OnboardPhase::kDex && e.type == plan::ApplyEvent::Type::kStepStarted &&
          (e.action == "restart" || e.action == "wait-rollout")) {
        progress.step(OnboardPhase::kDex);
        progress.finish(OnboardPhase::kDex);
        current = OnboardPhase::kRollout;
        progress.start(OnboardPhase::kRollout, 1);
      }
      if (options.apply.on_event) options.apply.on_event(e);
    };
    progress.start(OnboardPhase::kDex, 1);
    auto applied = plan::apply_plan(
        store, [shared](store::ObjectStore& s) { return (*shared)(s); }, o);
    // Planning failed for the run as a whole (Dex's config unreadable, over the size limit, no
    // connection): no Dex user was written.
    if (!applied && shared->fatal) {
      if (profiles_alongside.joinable()) profiles_alongside.join();
      return fail(applied.error());
    }
    if (applied) {
      count_applied(*applied, dex_counts);
      report.notes = applied->notes;
      progress.step(current);
    }
    for (size_t i : dex_rows) {
      Pending& p = pending[i];
      if (shared->row_errors.size() > i && shared->row_errors[i]) {
        fail_row(p, *shared->row_errors[i], &p.outcome.dex);
      } else if (!applied) {
        if (shared->changed.size() > i && shared->changed[i])
          fail_row(p, applied.error(), &p.outcome.dex);
        else
          p.outcome.dex = RowResult::kUnchanged;
      } else {
        p.outcome.dex = shared->changed[i] ? RowResult::kCreated : RowResult::kUnchanged;
        p.outcome.password_generated = p.generated && shared->changed[i];
      }
    }
    progress.finish(current);
  } else {
    std::vector<Planner> planners;
    auto accounts = std::make_shared<const std::vector<dex::DexAccount>>(prepared->accounts);
    for (size_t i : dex_rows) planners.push_back(dex_planner_of(context, pending[i], accounts));
    // Each row's plan reads its Password object and Dex's ConfigMap (a static user of the same
    // email would shadow the object): many rows read them from one LIST and one GET for the
    // phase, leaving each row its one create.
    store::PrefetchedStore prefetched(store);
    store::ObjectStore* target = &store;
    if (planners.size() >= kPrefetchFromRows && store.capabilities().live) {
      (void)prefetched.prefetch(dex::kPasswordApiVersion, dex::kPasswordKind);  // else per row
      (void)prefetched.pin({"v1", "ConfigMap", context.dex.ns, context.dex.configmap});
      target = &prefetched;
    }
    progress.start(OnboardPhase::kDex, planners.size());
    auto results = apply_each(
        *target, planners, options, progress, OnboardPhase::kDex, dex_counts, [&](size_t k) {
          plan::ApplyOptions o = quiet(options.apply);
          Pending& p = pending[dex_rows[k]];
          o.before_step = [&](const Step& step) -> Result<void> {
            if (step.writes_password && p.generated)
              if (auto r = options.record_passwords({*p.generated}); !r) return r;
            return options.apply.before_step ? options.apply.before_step(step) : ok();
          };
          return o;
        });
    progress.finish(OnboardPhase::kDex);
    for (size_t k = 0; k < dex_rows.size(); ++k) {
      Pending& p = pending[dex_rows[k]];
      if (!results[k]) {
        fail_row(p, results[k].error(), &p.outcome.dex);
      } else {
        const bool wrote = has_writes(results[k]->applied);
        p.outcome.dex = wrote ? RowResult::kCreated : RowResult::kUnchanged;
        p.outcome.password_generated = p.generated && wrote;
      }
    }
  }

  if (profiles_alongside.joinable())
    profiles_alongside.join();
  else
    run_profiles();
  profiles.record(pending);

  // Contributors: after the Dex phase (a contributor may be a user of this file, named in the
  // binding as Dex puts the email in the claim) and their profile's namespace; only for rows
  // with nothing failed.
  RowPhase contributors{
      OnboardPhase::kContributors, {}, {}, [](Pending& p) { return &p.outcome.contributors; }};
  std::vector<Planner> contributor_planners;
  for (size_t i = 0; i < pending.size(); ++i)
    if (!pending[i].outcome.error && !pending[i].row->contributors.empty()) {
      contributors.which.push_back(i);
      contributor_planners.push_back(contributors_planner_of(context, pending[i]));
    }
  run_row_phase(store, std::move(contributor_planners), contributors, options, progress, counts);
  contributors.record(pending);

  report.dex_writes = dex_counts.writes;
  report.restarts = dex_counts.restarts + counts.restarts;
  report.profile_writes = counts.writes;
  for (auto& p : pending) report.rows.push_back(std::move(p.outcome));
  return report;
}

Result<Plan> plan_onboard(store::ObjectStore& store, const TenancyContext& context,
                          const std::vector<UserRow>& rows, const OnboardOptions& options) {
  Progress progress(options.on_progress);
  // One real hash for every new password: the plan shows placeholders for hashes anyway.
  auto stand_in = dex::bcrypt_hash("kftenant-dry-run", options.bcrypt_cost);
  if (!stand_in) return fail(stand_in.error());
  // As in run_row_phase: many profiles read from one LIST of each kind, not two GETs per row.
  store::PrefetchedStore prefetched(store);
  store::ObjectStore* base = &store;
  const size_t profile_rows = std::count_if(rows.begin(), rows.end(),
                                            [](const UserRow& r) { return r.profile.has_value(); });
  if (profile_rows >= kPrefetchFromRows && store.capabilities().live) {
    (void)prefetched.prefetch(kubeflow::kProfileApiVersion, "Profile");
    (void)prefetched.prefetch("v1", "Namespace");
    base = &prefetched;
  }
  plan::PlanView view(*base);
  auto prepared = classify(view, context, rows, options);
  if (!prepared) return fail(prepared.error());
  if (auto hashed = hash_passwords(*prepared, options, progress, *stand_in); !hashed)
    return make_error(ErrorCode::kCancelled, "stopped while hashing passwords");
  std::vector<Pending>& pending = prepared->rows;
  Plan out;
  out.placeholders.emplace_back(*stand_in, "<bcrypt hash of the new password, made at apply>");
  auto row_note = [](const Pending& p, const Error& e) {
    return fmt::format("line {} ({}): {}", p.row->line, p.row->email, e.message);
  };
  for (const auto& p : pending)
    if (p.outcome.error) out.notes.push_back(row_note(p, *p.outcome.error));
  auto add = [&](Plan planned) {
    view.record(planned.steps);
    for (auto& s : planned.steps) out.steps.push_back(std::move(s));
    for (auto& n : planned.notes) out.notes.push_back(std::move(n));
    for (auto& ph : planned.placeholders) out.placeholders.push_back(std::move(ph));
  };
  std::vector<char> dex_ok(pending.size(), 0);
  if (!context.dex.managed) {
    for (size_t i = 0; i < pending.size(); ++i) dex_ok[i] = !pending[i].outcome.error;
  } else {
    DexPhase phase(context, pending);
    auto planned = phase(view);
    if (!planned) return fail(planned.error());
    for (size_t i : phase.which) {
      if (phase.row_errors[i]) out.notes.push_back(row_note(pending[i], *phase.row_errors[i]));
      dex_ok[i] = !phase.row_errors[i];
    }
    add(std::move(*planned));
  }
  for (size_t i = 0; i < pending.size(); ++i) {
    const Pending& p = pending[i];
    if (!dex_ok[i] || !p.row->profile) continue;
    auto planned = profile_planner_of(p, options)(view);
    if (!planned) {
      if (!is_row_error(planned.error())) return fail(planned.error());
      out.notes.push_back(row_note(p, planned.error()));
      continue;
    }
    const bool profile_is_new = has_writes(planned->steps);
    add(std::move(*planned));
    if (p.row->contributors.empty()) continue;
    if (profile_is_new && store.capabilities().live) {
      out.notes.push_back(fmt::format(
          "line {}: contributors {} are added to profile {} once the profile controller has made "
          "its namespace",
          p.row->line, format_contributors(p.row->contributors), *p.row->profile));
      continue;
    }
    auto shared = contributors_planner_of(context, p)(view);
    if (!shared) {
      if (!is_row_error(shared.error())) return fail(shared.error());
      out.notes.push_back(row_note(p, shared.error()));
      continue;
    }
    add(std::move(*shared));
  }
  return out;
}

nlohmann::json to_json(const OnboardReport& report) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : report.rows) {
    nlohmann::json row = {{"line", r.line},
                          {"email", r.email},
                          {"dexUser", row_result_name(r.dex)},
                          {"profile", row_result_name(r.profile)},
                          {"contributors", row_result_name(r.contributors)}};
    if (r.error)
      row["error"] = {{"code", std::string(to_string(r.error->code))},
                      {"message", r.error->message}};
    rows.push_back(std::move(row));
  }
  return {{"rows", rows},
          {"dexWrites", report.dex_writes},
          {"restarts", report.restarts},
          {"profileWrites", report.profile_writes},
          {"failed", report.any_failed()}};
}

}  // namespace kftenant::tenancy
