#include "transcripts/replay.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "testserver/apiserver.h"
#include "transcripts/compare.h"
#include "transcripts/http_client.h"
#include "transcripts/scenario_setup.h"
#include "transcripts/substitute.h"

namespace kftenant::transcripts {
namespace {

using namespace std::chrono_literals;

constexpr size_t kMaxDiffLinesPerExchange = 8;
const char kAliceToken[] = "transcript-alice-token";
const char kBadToken[] = "transcript-unknown-token";

std::vector<std::string> split_lines(const std::string& body) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < body.size()) {
    size_t nl = body.find('\n', start);
    if (nl == std::string::npos) nl = body.size();
    if (nl > start) lines.push_back(body.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// True when the text has no whitespace outside JSON strings (Go's json.Encoder output).
bool is_compact_json(const std::string& line) {
  bool in_string = false, escaped = false;
  for (char c : line) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      return false;
    }
  }
  return true;
}

std::string event_type(const Json& line) {
  if (line.is_object() && line.contains("type") && line["type"].is_string()) {
    return line["type"].get<std::string>();
  }
  return "?";
}

std::string type_list(const std::vector<Json>& lines) {
  std::string out = "[";
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? "," : "") + event_type(lines[i]);
  return out + "]";
}

std::chrono::seconds watch_duration(const std::string& path_and_query) {
  static const std::regex timeout(R"([?&]timeoutSeconds=([0-9]+))");
  std::smatch m;
  if (std::regex_search(path_and_query, m, timeout)) {
    return std::chrono::seconds(std::stoi(m.str(1)) + 5);
  }
  return 15s;
}

// The recordings of large discovery documents keep only the groups/resources this project uses
// (the exchange's `trimmed` says so); trim the actual answer the same way.
void trim_like(const Json& expected, Json& actual, const std::string& how) {
  for (const char* list : {"groups", "resources"}) {
    if (!expected.is_object() || !actual.is_object() || !expected.contains(list) ||
        !actual.contains(list) || !actual[list].is_array()) {
      continue;
    }
    std::set<std::string> wanted;
    for (const auto& item : expected[list]) wanted.insert(item.value("name", ""));
    Json kept = Json::array();
    for (const auto& item : actual[list]) {
      if (item.is_object() && wanted.count(item.value("name", ""))) kept.push_back(item);
    }
    if (how.find("sorted by name") != std::string::npos) {
      std::stable_sort(kept.begin(), kept.end(), [](const Json& a, const Json& b) {
        return a.value("name", "") < b.value("name", "");
      });
    }
    actual[list] = kept;
  }
}

// Lists served from the watch cache come in arbitrary order; the recording sorted them by name.
void sort_items_by_name(Json& body) {
  if (!body.is_object() || !body.contains("items") || !body["items"].is_array()) return;
  auto name = [](const Json& item) {
    if (!item.is_object() || !item.contains("metadata")) return std::string();
    return item["metadata"].value("name", "");
  };
  std::stable_sort(body["items"].begin(), body["items"].end(),
                   [&](const Json& a, const Json& b) { return name(a) < name(b); });
}

class Replayer {
 public:
  Replayer(const Transcript& transcript, const ReplayOptions& options)
      : t_(transcript),
        options_(options),
        setup_(setup_for(transcript.scenario)),
        normalizer_(Normalizer::Options{.keep_managed_fields =
                                            transcript.scenario == "15-server-side-apply"}) {}

  ReplayResult run() {
    if (!start_server()) return std::move(result_);
    run_setup("");
    for (size_t i = 0; i < t_.exchanges.size(); ++i) {
      const Exchange& x = t_.exchanges[i];
      if (x.during_watch) continue;  // sent by the watch it belongs to
      run_setup(x.step);
      if (x.is_watch_stream()) {
        std::vector<const Exchange*> during;
        for (size_t j = i + 1; j < t_.exchanges.size(); ++j) {
          if (t_.exchanges[j].during_watch == x.step) during.push_back(&t_.exchanges[j]);
        }
        run_watch(x, during);
      } else {
        run_plain(x);
      }
    }
    if (server_) server_->stop();
    return std::move(result_);
  }

 private:
  void mismatch(const std::string& step, const std::string& category, const std::string& detail) {
    result_.mismatches.push_back({step, category, detail});
  }
  void log(const std::string& line) {
    if (options_.verbose) result_.log += line + "\n";
  }

  bool start_server() {
    testserver::Options o;
    o.seed_kubeflow = true;  // the recording cluster ran Kubeflow (Profile, Dex and Istio CRDs)
    o.simulate_deployment_controller = false;  // no deployment controller when recording (16)
    o.namespace_deletion_delay = 1000ms;  // long enough for the steps sent "right after the DELETE"
    o.gc_delay = 100ms;
    // The real server sends its bookmark about 2 s before timeoutSeconds ends (periodic ones
    // only every minute): leave only that one.
    o.bookmark_interval = 60s;
    auto server = testserver::ApiServer::start(o);
    if (!server) {
      mismatch("(setup)", "setup", "test server did not start: " + server.error().message);
      return false;
    }
    server_ = std::move(*server);
    server_->add_user_token(kAliceToken, "alice");
    client_.emplace("127.0.0.1", server_->port(), server_->ca_pem());

    HttpRequest ns;
    ns.method = "POST";
    ns.path_and_query = "/api/v1/namespaces";
    ns.bearer_token = server_->admin_token();
    ns.accept = "application/json";
    ns.content_type = "application/json";
    ns.body = R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"rec"}})";
    auto r = client_->send(ns);
    if (!r.ok || r.status != 201) {
      mismatch("(setup)", "setup",
               "creating namespace rec: " +
                   (r.ok ? std::to_string(r.status) + " " + shorten(r.body()) : r.error));
    }
    return true;
  }

  void run_setup(const std::string& before_step) {
    for (const auto& a : setup_.actions) {
      if (a.before_step != before_step) continue;
      if (a.sleep.count() > 0) {
        std::this_thread::sleep_for(a.sleep);
        continue;
      }
      HttpRequest rq;
      rq.method = a.method;
      rq.path_and_query = a.path;
      rq.bearer_token = server_->admin_token();
      rq.accept = "application/json";
      rq.content_type = a.content_type;
      rq.body = a.body.dump();
      auto r = client_->send(rq);
      if (!r.ok || r.status >= 300) {
        mismatch(before_step.empty() ? "(setup)" : before_step, "setup",
                 "unrecorded setup " + a.method + " " + a.path + " answered " +
                     (r.ok ? std::to_string(r.status) + " " + shorten(r.body()) : r.error));
      }
    }
  }

  std::optional<HttpRequest> build(const Exchange& x) {
    const RecordedRequest& rq = x.request;
    ContinueChoice choice;
    if (std::find(setup_.steps_using_first_continue.begin(),
                  setup_.steps_using_first_continue.end(),
                  x.step) != setup_.steps_using_first_continue.end()) {
      choice.index = 0;
    }
    auto path = substitute_path(rq.path_and_query, normalizer_, choice);
    if (!path) {
      mismatch(x.step, "setup", "cannot build the request: " + path.error().message);
      return std::nullopt;
    }
    HttpRequest out;
    out.method = rq.method;
    out.path_and_query = *path;
    out.accept = rq.accept.value_or("application/json");
    if (rq.as == "alice") {
      out.bearer_token = kAliceToken;
    } else if (rq.as == "bad-token") {
      out.bearer_token = kBadToken;
    } else if (rq.as != "anonymous") {
      out.bearer_token = server_->admin_token();
    }
    out.content_type = rq.content_type;
    if (rq.content_type) {
      if (rq.body.is_string()) {
        auto text = substitute_text(rq.body.get<std::string>(), normalizer_);
        if (!text) {
          mismatch(x.step, "setup", "cannot build the request body: " + text.error().message);
          return std::nullopt;
        }
        out.body = *text;
      } else if (!rq.body.is_null()) {
        auto body = substitute_body(rq.body, rq.path_and_query, normalizer_);
        if (!body) {
          mismatch(x.step, "setup", "cannot build the request body: " + body.error().message);
          return std::nullopt;
        }
        out.body = body->dump();
      }
    }
    return out;
  }

  void run_plain(const Exchange& x) {
    auto rq = build(x);
    if (!rq) return;
    HttpResponse r = client_->send(*rq);
    if (x.polled) {
      // "polled every 0.2 s until 404": bounded, the server's delays are short in this replay.
      const auto deadline = std::chrono::steady_clock::now() + 20s;
      while ((!r.ok || r.status != x.response.status) &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(200ms);
        r = client_->send(*rq);
      }
    }
    compare_plain(x, r);
  }

  void compare_common(const Exchange& x, const HttpResponse& r) {
    if (r.status != x.response.status) {
      mismatch(
          x.step, "status",
          "expected " + std::to_string(x.response.status) + ", got " + std::to_string(r.status));
    }
    if (r.content_type != x.response.content_type) {
      mismatch(x.step, "content-type",
               "expected \"" + x.response.content_type + "\", got \"" + r.content_type + "\"");
    }
    for (const char* name : {"Warning", "Retry-After", "Location"}) {
      auto e = x.response.headers.find(name);
      auto a = r.headers.find(name);
      std::vector<std::string> ev =
          e == x.response.headers.end() ? std::vector<std::string>{} : e->second;
      std::vector<std::string> av = a == r.headers.end() ? std::vector<std::string>{} : a->second;
      if (ev != av) {
        mismatch(
            x.step, "header",
            std::string(name) + ": expected " + compact(Json(ev)) + ", got " + compact(Json(av)));
      }
    }
  }

  void report_body_diffs(const std::string& step, const std::vector<std::string>& diffs,
                         const std::string& prefix = "") {
    size_t shown = 0;
    for (const auto& d : diffs) {
      if (shown == kMaxDiffLinesPerExchange) {
        mismatch(step, "body", "... " + std::to_string(diffs.size() - shown) + " more differences");
        break;
      }
      bool order = d.find(": key order expected") != std::string::npos;
      mismatch(step, order ? "key-order" : "body", prefix + d);
      ++shown;
    }
  }

  void compare_plain(const Exchange& x, const HttpResponse& r) {
    if (!r.ok) {
      mismatch(x.step, "transport", r.error);
      return;
    }
    compare_common(x, r);
    const std::string sent = x.sent_text();
    const std::string body = r.body();
    const Json& expected = x.response.body;
    if (expected.is_string()) {
      std::string actual = normalizer_.normalize_text(body, sent);
      log("== " + x.step + ": " + x.request.method + " " + x.request.path_and_query + " -> " +
          std::to_string(r.status) + " " + r.content_type + "\n" + actual);
      std::string d = diff_text(expected.get<std::string>(), actual);
      if (!d.empty()) mismatch(x.step, "body", d);
      return;
    }
    Json actual = Json::parse(body, nullptr, false);
    if (actual.is_discarded()) {
      log("== " + x.step + ": -> " + std::to_string(r.status) + " (not JSON) " + body);
      mismatch(
          x.step, "body",
          "expected JSON " + compact(expected, 120) + ", got text " + compact(Json(body), 160));
      return;
    }
    actual = normalizer_.normalize(std::move(actual), sent);
    if (!x.trimmed.empty()) trim_like(expected, actual, x.trimmed);
    if (x.note.find("sorted by name") != std::string::npos) sort_items_by_name(actual);
    log("== " + x.step + ": " + x.request.method + " " + x.request.path_and_query + " -> " +
        std::to_string(r.status) + " " + r.content_type + "\n" + actual.dump());
    align_rvs(expected, actual, normalizer_);
    report_body_diffs(x.step, diff_json(expected, actual));
  }

  void run_watch(const Exchange& w, const std::vector<const Exchange*>& during) {
    auto rq = build(w);
    if (!rq) return;
    std::mutex mu;
    std::condition_variable cv;
    bool headers = false;
    HttpResponse wr;
    HttpClient watch_client = *client_;
    std::thread reader([&] {
      wr = watch_client.send(*rq, watch_duration(w.request.path_and_query), [&] {
        std::lock_guard<std::mutex> lock(mu);
        headers = true;
        cv.notify_all();
      });
      std::lock_guard<std::mutex> lock(mu);
      headers = true;  // also when no answer came at all
      cv.notify_all();
    });
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, 10s, [&] { return headers; });
    }
    // The recorder sent them "about 0.1 s after the response headers arrived".
    std::vector<std::pair<const Exchange*, HttpResponse>> answers;
    if (!during.empty()) std::this_thread::sleep_for(100ms);
    for (const Exchange* c : during) {
      auto crq = build(*c);
      if (!crq) continue;
      answers.emplace_back(c, client_->send(*crq));
    }
    reader.join();
    compare_watch(w, wr);
    for (auto& [c, r] : answers) compare_plain(*c, r);
  }

  void compare_watch(const Exchange& w, const HttpResponse& r) {
    if (!r.ok) mismatch(w.step, "transport", r.error);
    if (r.status == 0) return;
    compare_common(w, r);
    const Json& framing = w.response.framing;
    const std::string body = r.body();
    if (framing.value("transfer_encoding", "") == "chunked" && r.transfer_encoding != "chunked") {
      mismatch(w.step, "framing",
               "Transfer-Encoding: expected chunked, got \"" + r.transfer_encoding + "\"");
    }
    if (!body.empty() && body.back() != '\n') {
      mismatch(w.step, "framing", "last event line not terminated by a newline");
    }
    if (framing.value("each_chunk_holds_exactly_one_event_line", false)) {
      for (const auto& piece : r.pieces) {
        if (std::count(piece.begin(), piece.end(), '\n') != 1 || piece.back() != '\n') {
          mismatch(w.step, "framing",
                   "a chunk does not hold exactly one event line: " + compact(Json(piece), 120));
          break;
        }
      }
    }
    std::vector<Json> lines;
    for (const auto& text : split_lines(body)) {
      if (!is_compact_json(text)) {
        mismatch(w.step, "framing", "event line is not compact JSON: " + compact(Json(text), 120));
      }
      Json line = Json::parse(text, nullptr, false);
      if (line.is_discarded()) {
        mismatch(w.step, "framing", "event line is not JSON: " + compact(Json(text), 120));
        continue;
      }
      lines.push_back(std::move(line));
    }
    lines = normalizer_.normalize_exchange(std::move(lines), w.sent_text());
    // "consecutive identical BOOKMARK lines are recorded once"
    std::vector<Json> deduped;
    for (auto& line : lines) {
      if (!deduped.empty() && event_type(line) == "BOOKMARK" && deduped.back() == line) continue;
      deduped.push_back(std::move(line));
    }
    std::string logged;
    for (const auto& l : deduped) logged += l.dump() + "\n";
    log("== " + w.step + ": " + w.request.method + " " + w.request.path_and_query + " -> " +
        std::to_string(r.status) + " " + r.content_type + "\n" + logged);

    std::vector<Json> expected(w.response.body.begin(), w.response.body.end());
    for (size_t i = 0; i < std::min(expected.size(), deduped.size()); ++i) {
      align_rvs(expected[i], deduped[i], normalizer_);
    }
    if (expected.size() == deduped.size()) {
      for (size_t i = 0; i < expected.size(); ++i) {
        report_body_diffs(w.step, diff_json(expected[i], deduped[i]),
                          "line " + std::to_string(i + 1) + " (" + event_type(expected[i]) + "): ");
      }
      return;
    }
    auto without_bookmarks = [](const std::vector<Json>& in) {
      std::vector<Json> out;
      for (const auto& l : in) {
        if (event_type(l) != "BOOKMARK") out.push_back(l);
      }
      return out;
    };
    auto e = without_bookmarks(expected), a = without_bookmarks(deduped);
    bool only_bookmarks = e.size() == a.size();
    mismatch(w.step, only_bookmarks ? "bookmark" : "watch-lines",
             "events expected " + type_list(expected) + ", got " + type_list(deduped));
    if (only_bookmarks) {
      for (size_t i = 0; i < e.size(); ++i) {
        report_body_diffs(w.step, diff_json(e[i], a[i]),
                          "event " + std::to_string(i + 1) + " (" + event_type(e[i]) + "): ");
      }
    } else {
      for (const auto& l : deduped) mismatch(w.step, "watch-lines", "got line " + compact(l, 300));
    }
  }

  const Transcript& t_;
  ReplayOptions options_;
  ScenarioSetup setup_;
  Normalizer normalizer_;
  std::unique_ptr<testserver::ApiServer> server_;
  std::optional<HttpClient> client_;
  ReplayResult result_;
};

}  // namespace

ReplayResult replay(const Transcript& transcript, const ReplayOptions& options) {
  return Replayer(transcript, options).run();
}

}  // namespace kftenant::transcripts
