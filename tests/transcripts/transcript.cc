#include "transcripts/transcript.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace kftenant::transcripts {

std::string Exchange::sent_text() const {
  std::string text = request.method + " " + request.path_and_query + "\n";
  if (request.body.is_string()) {
    text += request.body.get<std::string>();
  } else if (!request.body.is_null()) {
    text += request.body.dump();
  }
  return text;
}

bool Exchange::is_watch_stream() const {
  static const std::regex watch_param(R"([?&]watch=(1|true)(&|$))");
  return (!recorded || response.body.is_array()) &&
         std::regex_search(request.path_and_query, watch_param);
}

std::optional<int> Exchange::poll_status() const {
  if (wait_for_status) return wait_for_status;
  if (recorded && polled) return response.status;
  return std::nullopt;
}

Result<Transcript> parse_transcript(const std::string& text) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(ErrorCode::kParse, "transcript is not a JSON object");
  }
  Transcript t;
  try {
    t.scenario = doc.at("scenario").get<std::string>();
    t.title = doc.value("title", "");
    t.keep_managed_fields = doc.value("keep_managed_fields", t.scenario == "15-server-side-apply");
    if (auto notes = doc.find("notes"); notes != doc.end()) {
      for (const auto& n : *notes) t.notes.push_back(n.get<std::string>());
    }
    static const std::regex during(R"(sent while the watch '([^']+)' was open)");
    for (const auto& e : doc.at("exchanges")) {
      Exchange x;
      x.step = e.at("step").get<std::string>();
      const Json& rq = e.at("request");
      x.request.method = rq.at("method").get<std::string>();
      x.request.path_and_query = rq.at("path_and_query").get<std::string>();
      if (rq.contains("content_type") && rq.at("content_type").is_string()) {
        x.request.content_type = rq.at("content_type").get<std::string>();
      }
      x.request.body = rq.value("body", Json());
      if (rq.contains("accept")) x.request.accept = rq.at("accept").get<std::string>();
      x.request.as = rq.value("as", "");
      if (auto w = e.find("wait_for_status"); w != e.end()) x.wait_for_status = w->get<int>();
      x.sleep_ms = e.value("sleep_ms", 0);
      x.wait_for_json = e.value("wait_for_json", Json());
      x.diff_options = e.value("diff", Json());
      x.note = e.value("note", "");
      x.trimmed = e.value("trimmed", "");
      std::smatch m;
      if (std::regex_search(x.note, m, during)) x.during_watch = m.str(1);
      x.polled = x.note.find("polled") != std::string::npos;
      if (!e.contains("response")) {
        x.recorded = false;
        t.exchanges.push_back(std::move(x));
        continue;
      }
      const Json& rs = e.at("response");
      x.response.status = rs.at("status").get<int>();
      x.response.content_type = rs.at("content_type").get<std::string>();
      x.response.body = rs.value("body", Json());
      if (auto h = rs.find("headers"); h != rs.end()) {
        for (auto it = h->begin(); it != h->end(); ++it) {
          std::vector<std::string> values;
          if (it->is_array()) {
            for (const auto& v : *it) values.push_back(v.get<std::string>());
          } else {
            values.push_back(it->get<std::string>());
          }
          x.response.headers[it.key()] = values;
        }
      }
      x.response.framing = rs.value("framing", Json());
      t.exchanges.push_back(std::move(x));
    }
  } catch (const nlohmann::json::exception& ex) {
    return make_error(ErrorCode::kParse, std::string("transcript: unexpected shape: ") + ex.what());
  }
  return t;
}

Result<Transcript> load_transcript(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kIo, "cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto t = parse_transcript(buffer.str());
  if (!t) return tl::unexpected(t.error().with_context(path));
  return t;
}

std::vector<std::string> transcript_files(const std::string& folder) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace kftenant::transcripts
