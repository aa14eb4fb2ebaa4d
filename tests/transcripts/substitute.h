// Recorded requests carry the same placeholders as the recorded answers (<rv:N>, <uid>, <time>,
// <continue>). Before a request is replayed they are replaced by the actual values the test server
// gave earlier in the same replay, as the Normalizer remembered them.
#pragma once

#include <kftenant/error.h>

#include <optional>
#include <string>

#include "transcripts/normalize.h"

namespace kftenant::transcripts {

// Which issued continue token a `<continue>` stands for: by default the most recent one.
struct ContinueChoice {
  std::optional<size_t> index;  // 0 = first token the server issued in this replay
};

// Replaces <rv:N> and <continue> (percent-encoded) in a path with query.
[[nodiscard]] Result<std::string> substitute_path(const std::string& path_and_query,
                                                  const Normalizer& normalizer,
                                                  ContinueChoice choice = {});

// Replaces placeholders in a JSON request body: "<rv:N>" by the actual resourceVersion, "<uid>"
// and "<time>" by the uid / creationTimestamp of the object they describe (the `name` next to
// them, else the object named by the URL).
[[nodiscard]] Result<Json> substitute_body(Json body, const std::string& path_and_query,
                                           const Normalizer& normalizer);

// Replaces <rv:N> in a text (YAML) request body.
[[nodiscard]] Result<std::string> substitute_text(const std::string& body,
                                                  const Normalizer& normalizer);

// The object name a URL addresses (its last path segment, skipping /status and /scale), or "".
[[nodiscard]] std::string url_object_name(const std::string& path_and_query);

// RFC 3986 percent-encoding of everything but unreserved characters.
[[nodiscard]] std::string percent_encode(const std::string& s);

}  // namespace kftenant::transcripts
