#include "transcripts/replay.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <regex>
#include <set>
#include <thread>
#include <tuple>

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

// A namespace name never occurs inside another name the scenarios use (see replay.h), so the
// target's namespace can be replaced wherever it occurs in an answer.
std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty() || from == to) return text;
  for (size_t p = text.find(from); p != std::string::npos; p = text.find(from, p + to.size())) {
    text.replace(p, from.size(), to);
  }
  return text;
}

void replace_in_strings(Json& node, const std::string& from, const std::string& to) {
  if (node.is_string()) {
    node = replace_all(node.get<std::string>(), from, to);
  } else if (node.is_array() || node.is_object()) {
    for (auto& child : node) replace_in_strings(child, from, to);
  }
}

class Replayer {
 public:
  Replayer(const Transcript& transcript, const ReplayTarget& target, const ReplayOptions& options)
      : t_(transcript),
        target_(target),
        options_(options),
        setup_(setup_for(transcript.scenario)),
        normalizer_(Normalizer::Options{.keep_managed_fields = transcript.keep_managed_fields}),
        client_(target.host, target.port, target.ca_pem) {
    for (const auto& x : t_.exchanges) {
      Answer a;
      a.step = x.step;
      a.watch = x.is_watch_stream();
      result_.answers.push_back(std::move(a));
    }
  }

  ReplayResult run() {
    if (create_namespace()) {
      run_setup("");
      for (size_t i = 0; i < t_.exchanges.size(); ++i) {
        const Exchange& x = t_.exchanges[i];
        if (x.during_watch) continue;  // sent by the watch it belongs to
        run_setup(x.step);
        if (x.sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(x.sleep_ms));
        if (x.is_watch_stream()) {
          std::vector<size_t> during;
          for (size_t j = i + 1; j < t_.exchanges.size(); ++j) {
            if (t_.exchanges[j].during_watch == x.step) during.push_back(j);
          }
          run_watch(i, during);
        } else {
          run_plain(i);
        }
      }
    }
    result_.normalizer = std::move(normalizer_);
    return std::move(result_);
  }

 private:
  void mismatch(const std::string& step, const std::string& category, const std::string& detail) {
    result_.mismatches.push_back({step, category, detail});
  }
  void log(const std::string& line) {
    if (options_.verbose) result_.log += line + "\n";
  }

  // ---- the namespace -------------------------------------------------------------------------

  std::string ns_path(const std::string& path) const {
    if (target_.ns == "rec") return path;
    static const std::regex rec_segment(R"((/namespaces/)rec(?=[/?]|$))");
    return std::regex_replace(path, rec_segment, "$1" + target_.ns);
  }
  void ns_body(Json& node) const {
    if (target_.ns == "rec") return;
    if (node.is_object()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (it.key() == "namespace" && it->is_string() && it->get<std::string>() == "rec") {
          *it = target_.ns;
        } else {
          ns_body(*it);
        }
      }
    } else if (node.is_array()) {
      for (auto& item : node) ns_body(item);
    }
  }
  std::string ns_text(const std::string& text) const {
    if (target_.ns == "rec") return text;
    static const std::regex yaml_line(R"((^|\n)(\s*namespace:\s*)rec(?=\s*(\n|$)))");
    static const std::regex json_member(R"re(("namespace"\s*:\s*")rec("))re");
    std::string out = std::regex_replace(text, yaml_line, "$1$2" + target_.ns);
    return std::regex_replace(out, json_member, "$1" + target_.ns + "$2");
  }
  std::string unmap_text(const std::string& text) const {
    return replace_all(text, target_.ns, "rec");
  }

  bool create_namespace() {
    HttpRequest ns;
    ns.method = "POST";
    ns.path_and_query = "/api/v1/namespaces";
    ns.bearer_token = target_.admin_token;
    ns.accept = "application/json";
    ns.content_type = "application/json";
    ns.body =
        Json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", target_.ns}}}}
            .dump();
    auto r = client_.send(ns);
    if (!r.ok || r.status != 201) {
      mismatch("(setup)", "setup",
               "creating namespace " + target_.ns + ": " +
                   (r.ok ? std::to_string(r.status) + " " + shorten(r.body()) : r.error));
      return r.ok;
    }
    // kube-root-ca.crt and the ServiceAccount default come from controllers (the root CA
    // publisher, the service account controller); lists of the namespace show them.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (const char* path : {"/configmaps/kube-root-ca.crt", "/serviceaccounts/default"}) {
      HttpRequest get;
      get.method = "GET";
      get.path_and_query = "/api/v1/namespaces/" + target_.ns + path;
      get.bearer_token = target_.admin_token;
      get.accept = "application/json";
      for (;;) {
        auto g = client_.send(get);
        if (g.ok && g.status == 200) break;
        if (std::chrono::steady_clock::now() > deadline) {
          mismatch("(setup)", "setup", "namespace " + target_.ns + " has no " + path);
          break;
        }
        std::this_thread::sleep_for(50ms);
      }
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
      rq.path_and_query = ns_path(a.path);
      rq.bearer_token = target_.admin_token;
      rq.accept = "application/json";
      rq.content_type = a.content_type;
      Json body = a.body;
      ns_body(body);
      rq.body = body.dump();
      auto r = client_.send(rq);
      if (!r.ok || r.status >= 300) {
        mismatch(before_step.empty() ? "(setup)" : before_step, "setup",
                 "unrecorded setup " + a.method + " " + a.path + " answered " +
                     (r.ok ? std::to_string(r.status) + " " + shorten(r.body()) : r.error));
      }
    }
  }

  // ---- building requests -----------------------------------------------------------------------

  // <rv@STEP>, <uid@STEP>, <name@STEP>, <continue@STEP>, <json:/POINTER@STEP>, <token@USER>
  // (replay.h).
  Result<std::string> resolve_refs(const std::string& text, bool in_path) const {
    static const std::regex ref(R"(<(rv|uid|name|continue|token|json:[^@>]*)@([^>]+)>)");
    std::string out;
    size_t last = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), ref);
         it != std::sregex_iterator(); ++it) {
      const std::string what = it->str(1), of = it->str(2);
      std::string value;
      if (what == "token") {
        if (of == "admin") {
          value = target_.admin_token;
        } else if (auto tk = target_.tokens.find(of); tk != target_.tokens.end()) {
          value = tk->second;
        } else {
          return make_error(ErrorCode::kInvalidArgument, "no token for " + of);
        }
      } else {
        auto answer = raw_.find(of);
        if (answer == raw_.end()) {
          return make_error(ErrorCode::kInvalidArgument,
                            it->str(0) + ": step " + of + " has no JSON answer (yet)");
        }
        std::string pointer = what.rfind("json:", 0) == 0 ? what.substr(5)
                              : what == "rv"              ? "/metadata/resourceVersion"
                                                          : "/metadata/" + what;
        const Json::json_pointer ptr(pointer);
        if (!answer->second.contains(ptr) || !answer->second.at(ptr).is_string()) {
          return make_error(ErrorCode::kInvalidArgument,
                            it->str(0) + ": the answer of " + of + " has no string at " + pointer);
        }
        value = answer->second.at(ptr).get<std::string>();
        // Names come back mapped to `rec`; the namespace substitution happens after this.
      }
      out.append(text, last, static_cast<size_t>(it->position(0)) - last);
      out += in_path ? percent_encode(value) : value;
      last = static_cast<size_t>(it->position(0) + it->length(0));
    }
    out.append(text, last, std::string::npos);
    return out;
  }

  Result<void> resolve_refs_in(Json& node) const {
    if (node.is_string()) {
      auto s = resolve_refs(node.get<std::string>(), false);
      if (!s) return tl::unexpected(s.error());
      node = *s;
    } else if (node.is_array() || node.is_object()) {
      for (auto& child : node) {
        if (auto r = resolve_refs_in(child); !r) return r;
      }
    }
    return ok();
  }

  std::optional<HttpRequest> build(const Exchange& x) {
    const RecordedRequest& rq = x.request;
    ContinueChoice choice;
    if (std::find(setup_.steps_using_first_continue.begin(),
                  setup_.steps_using_first_continue.end(),
                  x.step) != setup_.steps_using_first_continue.end()) {
      choice.index = 0;
    }
    auto fail = [&](const std::string& what, const Error& e) {
      mismatch(x.step, "setup", what + e.message);
      return std::nullopt;
    };
    auto refs = resolve_refs(rq.path_and_query, true);
    if (!refs) return fail("cannot build the request: ", refs.error());
    auto path = substitute_path(*refs, normalizer_, choice);
    if (!path) return fail("cannot build the request: ", path.error());
    HttpRequest out;
    out.method = rq.method;
    out.path_and_query = ns_path(*path);
    out.accept = rq.accept.value_or("application/json");
    if (rq.as.empty() || rq.as == "admin") {
      out.bearer_token = target_.admin_token;
    } else if (rq.as != "anonymous") {
      auto tk = target_.tokens.find(rq.as);
      if (tk == target_.tokens.end()) {
        mismatch(x.step, "setup", "no token for caller " + rq.as + " on " + target_.name);
        return std::nullopt;
      }
      out.bearer_token = tk->second;
    }
    out.content_type = rq.content_type;
    if (rq.content_type) {
      if (rq.body.is_string()) {
        auto with_refs = resolve_refs(rq.body.get<std::string>(), false);
        if (!with_refs) return fail("cannot build the request body: ", with_refs.error());
        auto text = substitute_text(*with_refs, normalizer_);
        if (!text) return fail("cannot build the request body: ", text.error());
        out.body = ns_text(*text);
      } else if (!rq.body.is_null()) {
        Json body = rq.body;
        if (auto r = resolve_refs_in(body); !r) {
          return fail("cannot build the request body: ", r.error());
        }
        auto substituted = substitute_body(body, rq.path_and_query, normalizer_);
        if (!substituted) return fail("cannot build the request body: ", substituted.error());
        ns_body(*substituted);
        out.body = substituted->dump();
      }
    }
    return out;
  }

  // ---- plain requests --------------------------------------------------------------------------

  void run_plain(size_t i) {
    const Exchange& x = t_.exchanges[i];
    auto rq = build(x);
    if (!rq) return;
    HttpResponse r = client_.send(*rq);
    int attempts = 1;
    auto done = [&](const HttpResponse& answer) {
      if (!answer.ok) return false;
      if (auto want = x.poll_status(); want && answer.status != *want) return false;
      if (x.wait_for_json.is_object()) {
        Json body = Json::parse(unmap_text(answer.body()), nullptr, false);
        const Json::json_pointer ptr(x.wait_for_json.value("pointer", ""));
        if (body.is_discarded() || !body.contains(ptr)) return false;
        if (x.wait_for_json.contains("value") && body.at(ptr) != x.wait_for_json["value"]) {
          return false;
        }
      }
      return true;
    };
    if (x.poll_status() || x.wait_for_json.is_object()) {
      // "polled every 0.2 s until 404": bounded.
      const auto deadline = std::chrono::steady_clock::now() + target_.poll_timeout;
      while (!done(r) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(200ms);
        r = client_.send(*rq);
        ++attempts;
      }
    }
    answer_plain(i, *rq, r);
    result_.answers[i].attempts = attempts;
  }

  void answer_plain(size_t i, const HttpRequest& rq, const HttpResponse& r) {
    const Exchange& x = t_.exchanges[i];
    Answer& a = result_.answers[i];
    a.request = rq.method + " " + rq.path_and_query;
    a.sent = true;
    if (!r.ok) {
      a.transport_error = r.error;
      if (x.recorded) mismatch(x.step, "transport", r.error);
      return;
    }
    a.status = r.status;
    a.content_type = r.content_type;
    a.headers = r.headers;
    for (auto& [name, values] : a.headers) {
      for (auto& v : values) v = unmap_text(v);
    }
    if (x.recorded) compare_common(x, a);
    const std::string sent = x.sent_text();
    const std::string body = unmap_text(r.body());
    const bool text =
        x.recorded ? x.response.body.is_string() : r.content_type.rfind("application/json", 0) != 0;
    if (text) {
      std::string actual = normalizer_.normalize_text(body, sent);
      a.body = actual;
      log("== " + x.step + ": " + x.request.method + " " + x.request.path_and_query + " -> " +
          std::to_string(r.status) + " " + r.content_type + "\n" + actual);
      if (x.recorded) {
        std::string d = diff_text(x.response.body.get<std::string>(), actual);
        if (!d.empty()) mismatch(x.step, "body", d);
      }
      return;
    }
    Json actual = Json::parse(body, nullptr, false);
    if (actual.is_discarded()) {
      a.body = body;
      log("== " + x.step + ": -> " + std::to_string(r.status) + " (not JSON) " + body);
      if (x.recorded) {
        mismatch(x.step, "body",
                 "expected JSON " + compact(x.response.body, 120) + ", got text " +
                     compact(Json(body), 160));
      }
      return;
    }
    raw_[x.step] = actual;
    actual = normalizer_.normalize(std::move(actual), sent);
    if (x.recorded && !x.trimmed.empty()) trim_like(x.response.body, actual, x.trimmed);
    if (x.note.find("sorted by name") != std::string::npos) sort_items_by_name(actual);
    log("== " + x.step + ": " + x.request.method + " " + x.request.path_and_query + " -> " +
        std::to_string(r.status) + " " + r.content_type + "\n" + actual.dump());
    a.body = actual;
    if (x.recorded) {
      align_rvs(x.response.body, actual, normalizer_);
      report_body_diffs(x.step, diff_json(x.response.body, actual));
    }
  }

  void compare_common(const Exchange& x, const Answer& a) {
    if (a.status != x.response.status) {
      mismatch(
          x.step, "status",
          "expected " + std::to_string(x.response.status) + ", got " + std::to_string(a.status));
    }
    if (a.content_type != x.response.content_type) {
      mismatch(x.step, "content-type",
               "expected \"" + x.response.content_type + "\", got \"" + a.content_type + "\"");
    }
    for (const char* name : {"Warning", "Retry-After", "Location"}) {
      auto e = x.response.headers.find(name);
      auto g = a.headers.find(name);
      std::vector<std::string> ev =
          e == x.response.headers.end() ? std::vector<std::string>{} : e->second;
      std::vector<std::string> av = g == a.headers.end() ? std::vector<std::string>{} : g->second;
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

  // ---- watches ---------------------------------------------------------------------------------

  void run_watch(size_t i, const std::vector<size_t>& during) {
    const Exchange& w = t_.exchanges[i];
    auto rq = build(w);
    if (!rq) return;
    std::mutex mu;
    std::condition_variable cv;
    bool headers = false;
    HttpResponse wr;
    HttpClient watch_client = client_;
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
    std::vector<std::tuple<size_t, HttpRequest, HttpResponse>> answers;
    if (!during.empty()) std::this_thread::sleep_for(100ms);
    for (size_t c : during) {
      auto crq = build(t_.exchanges[c]);
      if (!crq) continue;
      HttpResponse cr = client_.send(*crq);
      // Later requests of the same watch may refer to this answer (<rv@create>).
      Json parsed = Json::parse(unmap_text(cr.body()), nullptr, false);
      if (!parsed.is_discarded()) raw_[t_.exchanges[c].step] = parsed;
      answers.emplace_back(c, *crq, std::move(cr));
    }
    reader.join();
    if (!w.recorded && wr.ok && wr.status != 200) {
      // Refused before streaming (403, 400, 500): a plain answer.
      answer_plain(i, *rq, wr);
      result_.answers[i].watch = false;
    } else {
      answer_watch(i, *rq, wr);
    }
    for (auto& [c, crq, r] : answers) answer_plain(c, crq, r);
  }

  void framing_problem(const Exchange& w, Answer& a, const std::string& detail) {
    a.framing.push_back(detail);
    if (w.recorded) mismatch(w.step, "framing", detail);
  }

  void answer_watch(size_t i, const HttpRequest& rq, const HttpResponse& r) {
    const Exchange& w = t_.exchanges[i];
    Answer& a = result_.answers[i];
    a.request = rq.method + " " + rq.path_and_query;
    a.sent = true;
    if (!r.ok) {
      a.transport_error = r.error;
      if (w.recorded) mismatch(w.step, "transport", r.error);
    }
    if (r.status == 0) return;
    a.status = r.status;
    a.content_type = r.content_type;
    a.headers = r.headers;
    if (w.recorded) compare_common(w, a);
    // Scripts expect chunked transfer only: kube-apiserver flushes after an event only when no
    // other is queued (watch.go serveWatch), so a burst of events may share a chunk.
    const Json framing = w.recorded ? w.response.framing : Json{{"transfer_encoding", "chunked"}};
    const std::string body = unmap_text(r.body());
    if (framing.value("transfer_encoding", "") == "chunked" && r.transfer_encoding != "chunked") {
      framing_problem(w, a,
                      "Transfer-Encoding: expected chunked, got \"" + r.transfer_encoding + "\"");
    }
    if (!body.empty() && body.back() != '\n') {
      framing_problem(w, a, "last event line not terminated by a newline");
    }
    if (framing.value("each_chunk_holds_exactly_one_event_line", false)) {
      for (const auto& piece : r.pieces) {
        if (std::count(piece.begin(), piece.end(), '\n') != 1 || piece.back() != '\n') {
          framing_problem(
              w, a, "a chunk does not hold exactly one event line: " + compact(Json(piece), 120));
          break;
        }
      }
    }
    std::vector<Json> lines;
    for (const auto& text : split_lines(body)) {
      if (!is_compact_json(text)) {
        framing_problem(w, a, "event line is not compact JSON: " + compact(Json(text), 120));
      }
      Json line = Json::parse(text, nullptr, false);
      if (line.is_discarded()) {
        framing_problem(w, a, "event line is not JSON: " + compact(Json(text), 120));
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
    a.body = Json::array();
    for (const auto& l : deduped) a.body.push_back(l);
    if (w.recorded) compare_watch_lines(w, deduped);
  }

  void compare_watch_lines(const Exchange& w, std::vector<Json>& deduped) {
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
  ReplayTarget target_;
  ReplayOptions options_;
  ScenarioSetup setup_;
  Normalizer normalizer_;
  HttpClient client_;
  std::map<std::string, Json> raw_;  // step → its JSON answer (namespace mapped back to rec)
  ReplayResult result_;
};

}  // namespace

testserver::Options recording_server_options() {
  testserver::Options o;
  o.seed_kubeflow = true;  // the recording cluster ran Kubeflow (Profile, Dex and Istio CRDs)
  o.simulate_deployment_controller = false;  // no deployment controller when recording (16)
  o.namespace_deletion_delay = 1000ms;  // long enough for the steps sent "right after the DELETE"
  o.gc_delay = 100ms;
  // The real server sends its bookmark about 2 s before timeoutSeconds ends (periodic ones
  // only every minute): leave only that one.
  o.bookmark_interval = 60s;
  return o;
}

ReplayResult replay_on(const Transcript& transcript, const ReplayTarget& target,
                       const ReplayOptions& options) {
  return Replayer(transcript, target, options).run();
}

ReplayResult replay(const Transcript& transcript, const ReplayOptions& options) {
  auto server = testserver::ApiServer::start(recording_server_options());
  if (!server) {
    ReplayResult failed;
    failed.mismatches.push_back(
        {"(setup)", "setup", "test server did not start: " + server.error().message});
    return failed;
  }
  ReplayTarget target;
  target.port = (*server)->port();
  target.ca_pem = (*server)->ca_pem();
  target.admin_token = (*server)->admin_token();
  (*server)->add_user_token(kAliceToken, "alice");
  target.tokens = {{"alice", kAliceToken}, {"bad-token", kBadToken}};
  ReplayResult result = replay_on(transcript, target, options);
  (*server)->stop();
  return result;
}

}  // namespace kftenant::transcripts
