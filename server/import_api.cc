#include "server/import_api.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <condition_variable>

#include "kftenant/plan/progress.h"
#include "kftenant/plan/render.h"
#include "kftenant/tenancy/onboard.h"
#include "kftenant/tenancy/user_file.h"
#include "server/api_error.h"

namespace kftenant::server {

// The events of one job, as SSE chunks, and its result; read by any number of answers.
class ImportApi::Job {
 public:
  void add(std::string_view event, const nlohmann::json& data) {
    std::string chunk =
        fmt::format("event: {}\ndata: {}\n\n", event,
                    data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    {
      std::lock_guard lock(mu_);
      chunks_.push_back(std::move(chunk));
    }
    changed_.notify_all();
  }

  void finish(int status, nlohmann::json result) {
    add("result", result);
    {
      std::lock_guard lock(mu_);
      status_ = status;
      result_ = std::move(result);
      finished_ = true;
    }
    changed_.notify_all();
  }

  struct Next {
    std::vector<std::string> chunks;
    bool finished = false;  // and every chunk was taken
  };
  // The chunks after the first `seen` (waiting up to `timeout` for one); moves `seen` on.
  Next next(size_t& seen, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, timeout, [&] { return chunks_.size() > seen || finished_; });
    Next out;
    out.chunks.assign(chunks_.begin() + static_cast<std::ptrdiff_t>(seen), chunks_.end());
    seen = chunks_.size();
    out.finished = finished_;
    return out;
  }

  std::pair<int, nlohmann::json> wait() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return finished_; });
    return {status_, result_};
  }

  void record(const std::vector<tenancy::GeneratedCredential>& made) {
    std::lock_guard lock(mu_);
    generated_.insert(generated_.end(), made.begin(), made.end());
  }
  std::vector<tenancy::GeneratedCredential> generated() {
    std::lock_guard lock(mu_);
    return generated_;
  }

  ~Job() {
    // The result chunk and result_ may hold generated passwords.
    for (auto& c : chunks_) OPENSSL_cleanse(c.data(), c.size());
    for (auto& g : generated_) OPENSSL_cleanse(g.password.data(), g.password.size());
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> chunks_;
  std::vector<tenancy::GeneratedCredential> generated_;
  bool finished_ = false;
  int status_ = 200;
  nlohmann::json result_;
};

namespace {

std::string lower_media_type(std::string_view header) {
  std::string out(header.substr(0, header.find(';')));
  std::erase_if(out, [](unsigned char c) { return std::isspace(c); });
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool wants_events(std::string_view accept) {
  std::string lower(accept);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("text/event-stream") != std::string::npos;
}

nlohmann::json progress_json(const tenancy::OnboardProgress& p) {
  return {{"phase", tenancy::phase_name(p.phase)},
          {"done", p.done},
          {"total", p.total},
          {"finished", p.finished}};
}

}  // namespace

ImportApi::ImportApi(store::ObjectStore& store, tenancy::TenancyContext context,
                     ImportOptions options)
    : store_(store), context_(std::move(context)), options_(options) {}

ImportApi::~ImportApi() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void ImportApi::stop() {
  std::lock_guard lock(mu_);
  thread_.request_stop();
}

void ImportApi::add_routes(RouteTable& routes) {
  routes.add({"POST",
              "/api/v1/import",
              "importUsers",
              "Users from a CSV (text/csv) or YAML (application/yaml) body, as `kftenant import` "
              "reads a file: Dex users, profiles, quotas and contributors in one job (one "
              "config.yaml write, at most one Dex restart); with Accept: text/event-stream its "
              "progress as Server-Sent Events (progress, step, then result), else the result",
              Access::kAdmin,
              {{"dryRun", "true: the plan only, nothing written"},
               {"waitSeconds", "how long to wait for each profile's namespace (0..600)"}},
              {400, 415, 422, 429, 503},
              [this](const ApiRequest& r) { return import(r); }});
}

ApiResponse ImportApi::import(const ApiRequest& request) {
  const std::string media = lower_media_type(request.content_type);
  tenancy::UserFileFormat format;
  if (media == "text/csv") {
    format = tenancy::UserFileFormat::kCsv;
  } else if (media == "application/yaml" || media == "application/x-yaml" || media == "text/yaml") {
    format = tenancy::UserFileFormat::kYaml;
  } else {
    return error_response(
        api_error(ErrorCode::kUnsupportedMediaType,
                  "POST /api/v1/import takes the users as CSV (Content-Type: text/csv) or YAML "
                  "(Content-Type: application/yaml), as `kftenant import` reads them"));
  }
  tenancy::OnboardOptions onboard_options;
  onboard_options.jobs = options_.jobs;
  onboard_options.bcrypt_cost = options_.bcrypt_cost;
  if (auto it = request.query.find("waitSeconds"); it != request.query.end()) {
    int seconds = -1;
    auto [ptr, ec] =
        std::from_chars(it->second.data(), it->second.data() + it->second.size(), seconds);
    if (ec != std::errc() || ptr != it->second.data() + it->second.size() || seconds < 0 ||
        seconds > 600)
      return error_response(api_error(ErrorCode::kBadRequest,
                                      "?waitSeconds= takes a whole number from 0 to 600",
                                      "waitSeconds"));
    onboard_options.profile_wait = std::chrono::seconds(seconds);
  }
  const auto dry = request.query.find("dryRun");
  const bool dry_run = dry != request.query.end() && (dry->second == "true" || dry->second == "1");

  tenancy::UserFile users = tenancy::read_user_file(request.body, "body", format);
  if (!users.problems.empty() || users.rows.empty()) {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& p : users.problems)
      problems.push_back({{"line", p.line}, {"field", p.field}, {"message", p.message}});
    ApiResponse answer = error_response(api_error(
        ErrorCode::kInvalid,
        users.problems.empty()
            ? std::string("the body has no users: give a header row and one row per user")
            : fmt::format("the body has {} problem(s), listed in \"problems\"; nothing was "
                          "written",
                          users.problems.size())));
    answer.body["problems"] = std::move(problems);
    return answer;
  }
  if (dry_run) {
    auto plan = tenancy::plan_onboard(store_, context_, users.rows, onboard_options);
    if (!plan) return error_response(plan.error());
    if (auto checked = plan::check_plan(*plan, store_); !checked)
      return error_response(checked.error());
    nlohmann::json out = plan::plan_to_json(*plan, &store_);
    out["dryRun"] = true;
    return {200, std::move(out), "", ""};
  }

  const std::string row_count = std::to_string(users.rows.size());
  auto job = std::make_shared<Job>();
  {
    std::lock_guard lock(mu_);
    if (running_) {
      ApiResponse busy = error_response(api_error(
          ErrorCode::kTooManyRequests,
          "an import is running on this replica: wait for its result, then send this one"));
      busy.headers.emplace("Retry-After", "5");
      return busy;
    }
    running_ = job;
    if (thread_.joinable()) thread_.join();  // the previous job's thread, finished
    thread_ = std::jthread(
        [this, job, rows = std::move(users.rows), onboard_options](std::stop_token stop) mutable {
          onboard_options.apply.stop = stop;
          onboard_options.on_progress = [&job](const tenancy::OnboardProgress& p) {
            job->add("progress", progress_json(p));
          };
          onboard_options.apply.on_event = [&job](const plan::ApplyEvent& event) {
            job->add("step", plan::event_to_json(event));
          };
          onboard_options.record_passwords =
              [&job](const std::vector<tenancy::GeneratedCredential>& made) -> Result<void> {
            job->record(made);
            return ok();
          };
          auto report = tenancy::onboard(store_, context_, rows, onboard_options);
          for (auto& row : rows) OPENSSL_cleanse(row.password.data(), row.password.size());
          {
            // Before the result is out, so that a client sending the next import at once is not
            // told one is running.
            std::lock_guard lock(mu_);
            running_.reset();
          }
          if (!report) {
            const ApiError error = api_error(report.error());
            job->finish(error.status, {{"error", to_json(error)}});
          } else {
            nlohmann::json result = tenancy::to_json(*report);
            nlohmann::json generated = nlohmann::json::array();
            for (const auto& g : job->generated())
              generated.push_back({{"line", g.line}, {"email", g.email}, {"password", g.password}});
            result["generatedPasswords"] = std::move(generated);
            job->finish(200, std::move(result));
          }
        });
  }
  if (!wants_events(request.accept)) {
    auto [status, result] = job->wait();
    ApiResponse answer{status, std::move(result), "", ""};
    answer.audit_target.emplace("rows", row_count);
    return answer;
  }
  ApiResponse answer{200, nullptr, "", "text/event-stream"};
  answer.audit_target.emplace("rows", row_count);
  answer.headers.emplace("Cache-Control", "no-cache");
  answer.stream = [job](const std::function<bool(std::string_view)>& write) {
    size_t seen = 0;
    while (true) {
      auto next = job->next(seen, std::chrono::seconds(5));
      for (const auto& chunk : next.chunks)
        if (!write(chunk)) return;  // the client went away; the job goes on
      if (next.finished) return;
      if (next.chunks.empty() && !write(": still running\n\n")) return;
    }
  };
  return answer;
}

}  // namespace kftenant::server
