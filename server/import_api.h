// POST /api/v1/import (administrators): the users of a CSV or YAML body — the formats of
// `kftenant import FILE` (tenancy/user_file.h) — onboarded as one job (tenancy/onboard.h): one
// write of Dex's config.yaml and at most one Dex restart whatever the number of rows, profiles
// and contributors alongside, rows independent (a failed row is reported, the others go on).
//
//   Content-Type: text/csv, or application/yaml (application/x-yaml, text/yaml); else 415.
//   ?dryRun=true      the plan as `import --dry-run -o json` prints it; nothing is written.
//   ?waitSeconds=N    how long the profiles phase waits for each namespace (0..600).
//   A body with problems: 422 {code: Invalid, message, problems: [{line, field, message}]}
//   listing all of them; nothing is written.
//
// With `Accept: text/event-stream` the answer (200) is a stream of Server-Sent Events while the
// job runs, a comment line every 5 s of silence to keep proxies from closing it:
//   event: progress   data: {"phase", "done", "total", "finished"}   (tenancy::OnboardProgress)
//   event: step       data: plan::event_to_json(...)                  (the Dex phase's steps)
//   event: result     data: the result below, last
// Otherwise the answer waits for the job and is the result: tenancy::to_json(OnboardReport)
// plus "generatedPasswords": [{line, email, password}] for rows that generated one (only there:
// not in an event before it, a log line or a later answer). A failure of the whole run (the
// cluster unreachable, Dex's config unreadable) is {"error": {code, message}} in the result
// event, or the error's status without a stream.
//
// The job runs on a thread of its own: a client that goes away does not stop it (the same body
// again converges: rows in place are skipped). Destroying the API (`kftenant serve` stopping)
// asks it to stop between steps and waits. One job at a time per replica: 429 with Retry-After
// while one runs.
#pragma once

#include <memory>
#include <mutex>
#include <thread>

#include "kftenant/store/object_store.h"
#include "kftenant/tenancy/users.h"
#include "server/route_table.h"

namespace kftenant::server {

struct ImportOptions {
  int bcrypt_cost = dex::kDefaultBcryptCost;
  int jobs = 0;  // onboard's threads; 0: the number of cores
};

class ImportApi {
 public:
  // `store` must outlive the API and be safe to use from several threads.
  ImportApi(store::ObjectStore& store, tenancy::TenancyContext context, ImportOptions options = {});
  ~ImportApi();
  ImportApi(const ImportApi&) = delete;
  ImportApi& operator=(const ImportApi&) = delete;

  void add_routes(RouteTable& routes);
  // Asks a running job to stop between steps (`kftenant serve` on SIGTERM, so that the answer
  // streaming it ends and the server can stop). Safe from any thread, not a signal handler.
  void stop();

  class Job;  // import_api.cc

 private:
  ApiResponse import(const ApiRequest& request);

  store::ObjectStore& store_;
  tenancy::TenancyContext context_;
  ImportOptions options_;
  std::mutex mu_;
  std::shared_ptr<Job> running_;  // the job of the thread below, while it runs
  std::jthread thread_;           // the last job's; joined (after a stop request) on destruction
};

}  // namespace kftenant::server
