// Maps an API server answer that is not a success to a typed kftenant::Error.
//
// The server normally answers with a `Status` object (kind Status, apiVersion v1): its `reason`
// decides the ErrorCode, its `message` (which names the object, e.g. `configmaps "x" not found`)
// becomes the Error's message, `details.causes` become Error::causes. Some answers are not a
// Status at all (an unknown API group gives text/plain "404 page not found"); those are mapped by
// HTTP status alone. A `Retry-After` header (seconds) fills Error::retry_after.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "kftenant/error.h"
#include "kftenant/kube/transport.h"

namespace kftenant::kube {

// ErrorCode for a Status `reason` (preferred when known) and HTTP status code.
[[nodiscard]] ErrorCode error_code_for(int http_status, std::string_view reason);

// Error for a non-2xx answer. `request` (e.g. "GET /api/v1/namespaces/x") is named in the
// message only when the body is not a Status (the Status message already names the object).
[[nodiscard]] Error error_from_response(const HttpResponse& response,
                                        std::string_view request = {});

// `unauthorized` (a 401 from the server) reworded for the people who have to fix it: the server
// refused the credentials of kubeconfig user U (context C, from which file) and what to check for
// that kind of credentials (an expired or foreign token, a token file, a client certificate, an
// exec plugin to log in with again, basic auth, no credentials at all). The server's own message
// is kept when it says more than "Unauthorized". Code, HTTP status and reason are unchanged;
// no secret is named.
[[nodiscard]] Error explain_unauthorized(const Error& unauthorized, const RestConfig& config);

// Error from a Status object, e.g. the object of a watch ERROR event (which arrives inside an
// HTTP 200 stream). `fallback_http_status` is used when the Status has no `code`.
[[nodiscard]] Error error_from_status(const nlohmann::json& status, int fallback_http_status = 500);

// Whether `body` is a Status object (kind Status).
[[nodiscard]] bool is_status(const nlohmann::json& body);

// Parses a Retry-After header given in seconds (the API server's form); nullopt otherwise.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value);

}  // namespace kftenant::kube
