// Object-name validation and Kubernetes `Status` bodies, byte-identical to kube-apiserver 1.26.
//
// The test API server answers errors with the exact messages, reasons, details and key order of
// the real server (see ../shared/reference/apiserver-transcripts/). Every builder here returns an
// nlohmann::ordered_json whose keys are in the real server's struct order:
//   Status:        kind, apiVersion, metadata, status, message, reason, details, code
//   StatusDetails: name, group, kind, uid, causes, retryAfterSeconds   (all omitempty)
//   StatusCause:   reason, message, field
// Sources: k8s.io/apimachinery/pkg/api/errors/errors.go, .../util/validation/validation.go,
// .../util/validation/field/errors.go, k8s.io/apimachinery/pkg/api/validation/objectmeta.go.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/kube/names.h"

namespace kftenant::testserver {

// ---- names -------------------------------------------------------------------------------------

// Names, label keys and values, Go's %q: the rules live in the library (kube/names.h).
using kube::go_quote;
using kube::is_dns1123_label;
using kube::is_dns1123_subdomain;
using kube::is_qualified_name;
using kube::is_valid_label_value;

// ---- field errors (k8s.io/apimachinery/pkg/util/validation/field) ------------------------------

// One field.Error. `reason` is the CauseType ("FieldValueInvalid", "FieldValueRequired",
// "FieldValueForbidden", ...), `body` is ErrorBody() (e.g. `Invalid value: "x": detail`).
struct FieldError {
  std::string reason;
  std::string field;
  std::string body;
  // "<field>: <body>", as field.Error.Error().
  [[nodiscard]] std::string error() const;
};

// field.Invalid with a string bad value (quoted with %q).
[[nodiscard]] FieldError field_invalid(std::string field, std::string_view value,
                                       std::string_view detail);
// field.Invalid with a pre-formatted bad value (e.g. "0x0" for an unset uint64 resourceVersion).
[[nodiscard]] FieldError field_invalid_raw(std::string field, std::string_view value_repr,
                                           std::string_view detail);
[[nodiscard]] FieldError field_required(std::string field, std::string_view detail = {});
[[nodiscard]] FieldError field_forbidden(std::string field, std::string_view detail);
// field.NotSupported with string values: `Unsupported value: "x": supported values: "a", "b"`.
[[nodiscard]] FieldError field_not_supported(std::string field, std::string_view value,
                                             const std::vector<std::string>& supported);

enum class NameRule { kDns1123Subdomain, kDns1123Label };

// ValidateObjectMeta's name part: metadata.generateName (trailing '-' allowed) and metadata.name
// ("name or generateName is required"). Call it after generating the name from generateName (as
// the server's BeforeCreate does). `metadata` may be null or a non-object (treated as empty).
[[nodiscard]] std::vector<FieldError> validate_object_name(const nlohmann::json& metadata,
                                                           NameRule rule);
[[nodiscard]] std::vector<FieldError> validate_object_name(const nlohmann::ordered_json& metadata,
                                                           NameRule rule);

// ---- Status bodies -----------------------------------------------------------------------------

// schema.GroupResource; to_string() is "configmaps" or "profiles.kubeflow.org".
struct GroupResource {
  std::string group;
  std::string resource;
  [[nodiscard]] std::string to_string() const;
};

// schema.GroupKind; to_string() is "ConfigMap" or "Profile.kubeflow.org".
struct GroupKind {
  std::string group;
  std::string kind;
  [[nodiscard]] std::string to_string() const;
};

// StatusDetails in key order; empty strings and an empty `causes` are omitted. A default
// StatusDetails{} serialises as {} (the generic server responses carry `"details": {}`).
struct StatusDetails {
  std::string name;
  std::string group;
  std::string kind;
  std::string uid;
  std::vector<FieldError> causes;  // serialised as {reason, message: body, field}
  std::optional<int> retry_after_seconds;
  [[nodiscard]] nlohmann::ordered_json to_json() const;
};

// A failure Status. `reason` empty → no "reason" key (e.g. a plain 500); `details` nullopt → no
// "details" key; `metadata` is the list metadata (19-paging-edges puts a fresh "continue" there).
[[nodiscard]] nlohmann::ordered_json make_status(
    int code, std::string_view reason, std::string_view message,
    const std::optional<StatusDetails>& details = std::nullopt,
    const nlohmann::ordered_json& metadata = nlohmann::ordered_json::object());

// 200 {"status":"Success","details":{name, group, kind: resource, uid}}: answer to a DELETE that
// removed the object at once (06-delete).
[[nodiscard]] nlohmann::ordered_json delete_success(const GroupResource& gr, std::string_view name,
                                                    std::string_view uid);

// 404 `configmaps "x" not found`.
[[nodiscard]] nlohmann::ordered_json not_found(const GroupResource& gr, std::string_view name);
// 409 AlreadyExists `configmaps "x" already exists`.
[[nodiscard]] nlohmann::ordered_json already_exists(const GroupResource& gr, std::string_view name);
// 409 Conflict `Operation cannot be fulfilled on <what> "x": <why>`; `what` is a resource
// (configmaps, leases.coordination.k8s.io) or, for delete preconditions, a Kind (ConfigMap).
[[nodiscard]] nlohmann::ordered_json conflict(const GroupResource& what, std::string_view name,
                                              std::string_view why);
// 409 Conflict for a stale resourceVersion: "the object has been modified; please apply your
// changes to the latest version and try again".
[[nodiscard]] nlohmann::ordered_json conflict_modified(const GroupResource& gr,
                                                       std::string_view name);
// 409 delete precondition failures (06-delete), `kind` e.g. {"", "ConfigMap"}.
[[nodiscard]] nlohmann::ordered_json conflict_uid_precondition(const GroupResource& kind,
                                                               std::string_view name,
                                                               std::string_view precondition_uid,
                                                               std::string_view actual_uid);
[[nodiscard]] nlohmann::ordered_json conflict_rv_precondition(const GroupResource& kind,
                                                              std::string_view name,
                                                              std::string_view precondition_rv,
                                                              std::string_view actual_rv);
// 403 `<resource> ["name" ]is forbidden: <why>`.
[[nodiscard]] nlohmann::ordered_json forbidden(const GroupResource& gr, std::string_view name,
                                               std::string_view why);
// 403 from NamespaceLifecycle admission (11-namespace-deletion), with the NamespaceTerminating
// cause on metadata.namespace.
[[nodiscard]] nlohmann::ordered_json forbidden_namespace_terminating(const GroupResource& gr,
                                                                     std::string_view name,
                                                                     std::string_view ns);
// 403 from RBAC (13-auth): `User "alice" cannot get resource "configmaps" in API group "" in the
// namespace "rec"` / `at the cluster scope` when `ns` is empty.
[[nodiscard]] nlohmann::ordered_json forbidden_rbac(const GroupResource& gr, std::string_view name,
                                                    std::string_view user, std::string_view verb,
                                                    std::string_view ns);
// 422 Invalid: `<Kind[.group]> "name" is invalid: <errors>` with one cause per error.
[[nodiscard]] nlohmann::ordered_json make_invalid_status(const GroupKind& kind,
                                                         std::string_view name,
                                                         const std::vector<FieldError>& errors);
// 400 BadRequest with only a message.
[[nodiscard]] nlohmann::ordered_json bad_request(std::string_view message);
// 401 {"message":"Unauthorized","reason":"Unauthorized"} without details.
[[nodiscard]] nlohmann::ordered_json unauthorized();
// 405 `<verb> is not supported on resources of kind "<resource>"`.
[[nodiscard]] nlohmann::ordered_json method_not_supported(const GroupResource& gr,
                                                          std::string_view action);
// 410 Expired with only a message (watch ERROR event body, expired continue token).
[[nodiscard]] nlohmann::ordered_json resource_expired(
    std::string_view message,
    const nlohmann::ordered_json& metadata = nlohmann::ordered_json::object());
// 410 Expired `too old resource version: <requested> (<oldest kept>)` (08-watch).
[[nodiscard]] nlohmann::ordered_json too_old_resource_version(std::string_view requested,
                                                              std::string_view current);
// 415 `the body of the request was in an unknown format - accepted media types include: a, b`.
[[nodiscard]] nlohmann::ordered_json unsupported_media_type(
    const std::vector<std::string>& accepted);
// 429 TooManyRequests with details.retryAfterSeconds.
[[nodiscard]] nlohmann::ordered_json too_many_requests(std::string_view message,
                                                       int retry_after_seconds);
// 500 InternalError "Internal error occurred: <msg>" with one cause carrying the message.
[[nodiscard]] nlohmann::ordered_json internal_error(std::string_view message);
// 503 ServiceUnavailable with only a message.
[[nodiscard]] nlohmann::ordered_json service_unavailable(std::string_view message);
// errors.NewGenericServerResponse: fixed message per code, reason by code, `"details": {}`.
// Codes 404, 405, 406 (server_message kept), 415 (server_message kept), 422 as 1.26 does; e.g. the
// failed JSON patch → generic_server_response(422) "the server rejected our request due to an
// error in our request".
[[nodiscard]] nlohmann::ordered_json generic_server_response(int code,
                                                             std::string_view server_message = {});

}  // namespace kftenant::testserver
