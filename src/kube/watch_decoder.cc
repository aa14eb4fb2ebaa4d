// NDJSON framing of watch streams: LineSplitter, parse_watch_event, WatchDecoder.
#include <fmt/format.h>

#include "kftenant/kube/watch.h"

namespace kftenant::kube {
namespace {

bool is_blank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

}  // namespace

std::string_view to_string(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
    case WatchEventType::kRelist:
      return "RELIST";
  }
  return "UNKNOWN";
}

Result<void> LineSplitter::feed(std::string_view chunk,
                                const std::function<Result<void>(std::string_view)>& on_line) {
  while (!chunk.empty()) {
    auto nl = chunk.find('\n');
    std::string_view part = nl == std::string_view::npos ? chunk : chunk.substr(0, nl);
    if (buf_.size() + part.size() > max_) {
      buf_.clear();
      return make_error(ErrorCode::kParse,
                        fmt::format("watch stream line longer than {} bytes", max_));
    }
    if (nl == std::string_view::npos) {
      buf_.append(part);
      return ok();
    }
    chunk.remove_prefix(nl + 1);
    std::string_view line = part;
    if (!buf_.empty()) {
      buf_.append(part);
      line = buf_;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    Result<void> r = ok();
    if (!is_blank(line)) r = on_line(line);
    buf_.clear();
    if (!r) return r;
  }
  return ok();
}

Result<WatchEvent> parse_watch_event(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return make_error(ErrorCode::kParse, "watch stream: a line is not valid JSON");
  }
  if (!j.is_object()) {
    return make_error(ErrorCode::kParse, "watch stream: an event is not a JSON object");
  }
  auto type = j.find("type");
  auto object = j.find("object");
  if (type == j.end() || !type->is_string() || object == j.end() || !object->is_object()) {
    return make_error(ErrorCode::kParse,
                      "watch stream: an event lacks a string \"type\" or an object \"object\"");
  }
  const auto& t = type->get_ref<const std::string&>();
  WatchEvent ev;
  if (t == "ADDED") {
    ev.type = WatchEventType::kAdded;
  } else if (t == "MODIFIED") {
    ev.type = WatchEventType::kModified;
  } else if (t == "DELETED") {
    ev.type = WatchEventType::kDeleted;
  } else if (t == "BOOKMARK") {
    ev.type = WatchEventType::kBookmark;
  } else if (t == "ERROR") {
    ev.type = WatchEventType::kError;
  } else {
    std::string shown = t.substr(0, 40);
    return make_error(ErrorCode::kParse,
                      fmt::format("watch stream: unknown event type \"{}\"", shown));
  }
  ev.object = std::move(*object);
  return ev;
}

Result<void> WatchDecoder::feed(std::string_view chunk, std::vector<WatchEvent>& out) {
  return lines_.feed(chunk, [&out](std::string_view line) -> Result<void> {
    auto ev = parse_watch_event(line);
    if (!ev) return tl::unexpected(ev.error());
    out.push_back(std::move(*ev));
    return ok();
  });
}

Result<void> WatchDecoder::finish(std::vector<WatchEvent>& out) {
  std::string rest(lines_.pending());
  lines_.reset();
  if (!rest.empty() && rest.back() == '\r') rest.pop_back();
  if (is_blank(rest)) return ok();
  auto ev = parse_watch_event(rest);
  if (!ev) {
    return make_error(ErrorCode::kParse, "watch stream ended in the middle of an event");
  }
  out.push_back(std::move(*ev));
  return ok();
}

}  // namespace kftenant::kube
