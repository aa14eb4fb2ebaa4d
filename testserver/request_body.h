// Decoding of request bodies and the checks every write shares (content type, kind/apiVersion,
// metadata rules), with kube-apiserver's messages.
#pragma once

#include <httplib.h>

#include <optional>
#include <string>

#include "testserver/resources.h"
#include "testserver/server_impl.h"

namespace kftenant::testserver {

// Media type of the request body, lower case, without parameters ("" when absent).
[[nodiscard]] std::string media_type(const httplib::Request& req);

// Parses a create/update body (application/json or application/yaml). On failure `err` holds
// the answer (415 for other media types, 400 for malformed content).
[[nodiscard]] std::optional<ojson> parse_object_body(const ResourceType& info,
                                                     const httplib::Request& req, Reply* err);

// Checks kind/apiVersion of a body against the URL (04-create-invalid) and fills them in when
// both are absent. nullopt when fine, else the 400 answer.
[[nodiscard]] std::optional<Reply> check_type_meta(const ResourceType& info, const Route& r,
                                                   ojson& body);

// "configmaps" → "/registry/configmaps/<ns>/<name>" as in StorageError messages.
[[nodiscard]] std::string registry_key(const ResourceType& info, const std::string& ns,
                                       const std::string& name);

// The GroupKind used in 422 messages of this resource.
[[nodiscard]] GroupKind group_kind(const ResourceType& info);

}  // namespace kftenant::testserver
