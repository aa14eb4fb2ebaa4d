#include "testserver/validation.h"

#include <fmt/format.h>

#include <algorithm>

namespace kftenant::testserver {

namespace {

using ojson = nlohmann::ordered_json;

template <typename J>
std::vector<FieldError> validate_name_impl(const J& metadata, NameRule rule) {
  auto check = [rule](std::string_view v) {
    return rule == NameRule::kDns1123Label ? is_dns1123_label(v) : is_dns1123_subdomain(v);
  };
  std::string name, generate_name;
  if (metadata.is_object()) {
    auto n = metadata.find("name");
    if (n != metadata.end() && n->is_string()) name = n->template get<std::string>();
    auto g = metadata.find("generateName");
    if (g != metadata.end() && g->is_string()) generate_name = g->template get<std::string>();
  }
  std::vector<FieldError> errs;
  if (!generate_name.empty()) {
    // maskTrailingDash: a generateName may end in '-', the random suffix follows it.
    std::string masked = generate_name;
    if (masked.size() > 1 && masked.back() == '-') masked.back() = 'a';
    for (auto& msg : check(masked))
      errs.push_back(field_invalid("metadata.generateName", generate_name, msg));
  }
  if (name.empty()) {
    errs.push_back(field_required("metadata.name", "name or generateName is required"));
  } else {
    for (auto& msg : check(name)) errs.push_back(field_invalid("metadata.name", name, msg));
  }
  return errs;
}

ojson causes_json(const std::vector<FieldError>& causes) {
  ojson arr = ojson::array();
  for (const auto& c : causes) {
    ojson o = ojson::object();
    if (!c.reason.empty()) o["reason"] = c.reason;
    if (!c.body.empty()) o["message"] = c.body;
    if (!c.field.empty()) o["field"] = c.field;
    arr.push_back(std::move(o));
  }
  return arr;
}

// utilerrors.aggregate.Error(): one message as is, several de-duplicated inside [a, b].
std::string aggregate_message(const std::vector<FieldError>& errors) {
  std::vector<std::string> seen;
  for (const auto& e : errors) {
    std::string m = e.error();
    if (std::find(seen.begin(), seen.end(), m) == seen.end()) seen.push_back(std::move(m));
  }
  if (seen.size() == 1) return seen.front();
  std::string out = "[";
  for (size_t i = 0; i < seen.size(); ++i) {
    if (i > 0) out += ", ";
    out += seen[i];
  }
  return out + "]";
}

std::string_view reason_for_code(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "";
  }
}

}  // namespace

std::string FieldError::error() const {
  return field + ": " + body;
}

FieldError field_invalid(std::string field, std::string_view value, std::string_view detail) {
  return field_invalid_raw(std::move(field), go_quote(value), detail);
}

FieldError field_invalid_raw(std::string field, std::string_view value_repr,
                             std::string_view detail) {
  std::string body = "Invalid value: " + std::string(value_repr);
  if (!detail.empty()) body += ": " + std::string(detail);
  return {"FieldValueInvalid", std::move(field), std::move(body)};
}

FieldError field_required(std::string field, std::string_view detail) {
  std::string body = "Required value";
  if (!detail.empty()) body += ": " + std::string(detail);
  return {"FieldValueRequired", std::move(field), std::move(body)};
}

FieldError field_forbidden(std::string field, std::string_view detail) {
  std::string body = "Forbidden";
  if (!detail.empty()) body += ": " + std::string(detail);
  return {"FieldValueForbidden", std::move(field), std::move(body)};
}

FieldError field_not_supported(std::string field, std::string_view value,
                               const std::vector<std::string>& supported) {
  std::string body = "Unsupported value: " + go_quote(value);
  if (!supported.empty()) {
    body += ": supported values: ";
    for (size_t i = 0; i < supported.size(); ++i) {
      if (i > 0) body += ", ";
      body += go_quote(supported[i]);
    }
  }
  return {"FieldValueNotSupported", std::move(field), std::move(body)};
}

std::vector<FieldError> validate_object_name(const nlohmann::json& metadata, NameRule rule) {
  return validate_name_impl(metadata, rule);
}
std::vector<FieldError> validate_object_name(const nlohmann::ordered_json& metadata,
                                             NameRule rule) {
  return validate_name_impl(metadata, rule);
}

std::string GroupResource::to_string() const {
  return group.empty() ? resource : resource + "." + group;
}

std::string GroupKind::to_string() const {
  return group.empty() ? kind : kind + "." + group;
}

ojson StatusDetails::to_json() const {
  ojson d = ojson::object();
  if (!name.empty()) d["name"] = name;
  if (!group.empty()) d["group"] = group;
  if (!kind.empty()) d["kind"] = kind;
  if (!uid.empty()) d["uid"] = uid;
  if (!causes.empty()) d["causes"] = causes_json(causes);
  if (retry_after_seconds) d["retryAfterSeconds"] = *retry_after_seconds;
  return d;
}

ojson make_status(int code, std::string_view reason, std::string_view message,
                  const std::optional<StatusDetails>& details, const ojson& metadata) {
  ojson s = ojson::object();
  s["kind"] = "Status";
  s["apiVersion"] = "v1";
  s["metadata"] = metadata;
  s["status"] = "Failure";
  if (!message.empty()) s["message"] = message;
  if (!reason.empty()) s["reason"] = reason;
  if (details) s["details"] = details->to_json();
  s["code"] = code;
  return s;
}

ojson delete_success(const GroupResource& gr, std::string_view name, std::string_view uid) {
  ojson s = ojson::object();
  s["kind"] = "Status";
  s["apiVersion"] = "v1";
  s["metadata"] = ojson::object();
  s["status"] = "Success";
  StatusDetails d;
  d.name = name;
  d.group = gr.group;
  d.kind = gr.resource;
  d.uid = uid;
  s["details"] = d.to_json();
  return s;
}

namespace {
StatusDetails resource_details(const GroupResource& gr, std::string_view name) {
  StatusDetails d;
  d.name = name;
  d.group = gr.group;
  d.kind = gr.resource;
  return d;
}
}  // namespace

ojson not_found(const GroupResource& gr, std::string_view name) {
  return make_status(404, "NotFound",
                     fmt::format("{} {} not found", gr.to_string(), go_quote(name)),
                     resource_details(gr, name));
}

ojson already_exists(const GroupResource& gr, std::string_view name) {
  return make_status(409, "AlreadyExists",
                     fmt::format("{} {} already exists", gr.to_string(), go_quote(name)),
                     resource_details(gr, name));
}

ojson conflict(const GroupResource& what, std::string_view name, std::string_view why) {
  return make_status(409, "Conflict",
                     fmt::format("Operation cannot be fulfilled on {} {}: {}", what.to_string(),
                                 go_quote(name), why),
                     resource_details(what, name));
}

ojson conflict_modified(const GroupResource& gr, std::string_view name) {
  return conflict(gr, name,
                  "the object has been modified; please apply your changes to the latest version "
                  "and try again");
}

ojson conflict_uid_precondition(const GroupResource& kind, std::string_view name,
                                std::string_view precondition_uid, std::string_view actual_uid) {
  return conflict(kind, name,
                  fmt::format("the UID in the precondition ({}) does not match the UID in record "
                              "({}). The object might have been deleted and then recreated",
                              precondition_uid, actual_uid));
}

ojson conflict_rv_precondition(const GroupResource& kind, std::string_view name,
                               std::string_view precondition_rv, std::string_view actual_rv) {
  return conflict(kind, name,
                  fmt::format("the ResourceVersion in the precondition ({}) does not match the "
                              "ResourceVersion in record ({}). The object might have been modified",
                              precondition_rv, actual_rv));
}

ojson forbidden(const GroupResource& gr, std::string_view name, std::string_view why) {
  std::string message;
  if (gr.resource.empty() && gr.group.empty()) {
    message = fmt::format("forbidden: {}", why);
  } else if (name.empty()) {
    message = fmt::format("{} is forbidden: {}", gr.to_string(), why);
  } else {
    message = fmt::format("{} {} is forbidden: {}", gr.to_string(), go_quote(name), why);
  }
  return make_status(403, "Forbidden", message, resource_details(gr, name));
}

ojson forbidden_namespace_terminating(const GroupResource& gr, std::string_view name,
                                      std::string_view ns) {
  ojson s = forbidden(
      gr, name,
      fmt::format("unable to create new content in namespace {} because it is being terminated",
                  ns));
  StatusDetails d = resource_details(gr, name);
  d.causes.push_back({"NamespaceTerminating", "metadata.namespace",
                      fmt::format("namespace {} is being terminated", ns)});
  s["details"] = d.to_json();
  return s;
}

ojson forbidden_rbac(const GroupResource& gr, std::string_view name, std::string_view user,
                     std::string_view verb, std::string_view ns) {
  std::string scope = ns.empty() ? std::string("at the cluster scope")
                                 : fmt::format("in the namespace {}", go_quote(ns));
  return forbidden(gr, name,
                   fmt::format("User {} cannot {} resource {} in API group {} {}", go_quote(user),
                               verb, go_quote(gr.resource), go_quote(gr.group), scope));
}

ojson make_invalid_status(const GroupKind& kind, std::string_view name,
                          const std::vector<FieldError>& errors) {
  std::string message = fmt::format("{} {} is invalid", kind.to_string(), go_quote(name));
  if (!errors.empty()) message += ": " + aggregate_message(errors);
  StatusDetails d;
  d.name = name;
  d.group = kind.group;
  d.kind = kind.kind;
  d.causes = errors;
  return make_status(422, "Invalid", message, d);
}

ojson bad_request(std::string_view message) {
  return make_status(400, "BadRequest", message);
}

ojson unauthorized() {
  return make_status(401, "Unauthorized", "Unauthorized");
}

ojson method_not_supported(const GroupResource& gr, std::string_view action) {
  StatusDetails d;
  d.group = gr.group;
  d.kind = gr.resource;
  return make_status(
      405, "MethodNotAllowed",
      fmt::format("{} is not supported on resources of kind {}", action, go_quote(gr.to_string())),
      d);
}

ojson resource_expired(std::string_view message, const ojson& metadata) {
  return make_status(410, "Expired", message, std::nullopt, metadata);
}

ojson too_old_resource_version(std::string_view requested, std::string_view current) {
  return resource_expired(fmt::format("too old resource version: {} ({})", requested, current));
}

ojson unsupported_media_type(const std::vector<std::string>& accepted) {
  std::string list;
  for (size_t i = 0; i < accepted.size(); ++i) {
    if (i > 0) list += ", ";
    list += accepted[i];
  }
  return make_status(
      415, "UnsupportedMediaType",
      "the body of the request was in an unknown format - accepted media types include: " + list);
}

ojson too_many_requests(std::string_view message, int retry_after_seconds) {
  StatusDetails d;
  d.retry_after_seconds = retry_after_seconds;
  return make_status(429, "TooManyRequests", message, d);
}

ojson internal_error(std::string_view message) {
  StatusDetails d;
  d.causes.push_back({"", "", std::string(message)});
  return make_status(500, "InternalError", fmt::format("Internal error occurred: {}", message), d);
}

ojson service_unavailable(std::string_view message) {
  return make_status(503, "ServiceUnavailable", message);
}

ojson generic_server_response(int code, std::string_view server_message) {
  std::string message = fmt::format(
      "the server responded with the status code {} but did not return more information", code);
  switch (code) {
    case 400:
      message = "the server rejected our request for an unknown reason";
      break;
    case 401:
      message = "the server has asked for the client to provide credentials";
      break;
    case 403:
      message = std::string(server_message);
      break;
    case 404:
      message = "the server could not find the requested resource";
      break;
    case 405:
      message = "the server does not allow this method on the requested resource";
      break;
    case 406:
      message = server_message.empty()
                    ? std::string(
                          "the server was unable to respond with a content type that the "
                          "client supports")
                    : std::string(server_message);
      break;
    case 409:
      message = "the server reported a conflict";
      break;
    case 415:
      message = std::string(server_message);
      break;
    case 422:
      message = "the server rejected our request due to an error in our request";
      break;
    case 429:
      message = "the server has received too many requests and has asked us to try again later";
      break;
    case 500:
      message = "an error on the server has prevented the request from succeeding";
      break;
    case 503:
      message = "the server is currently unable to handle the request";
      break;
    case 504:
      message =
          "the server was unable to return a response in the time allotted, but may still be "
          "processing the request";
      break;
    default:
      break;
  }
  std::string_view reason = reason_for_code(code);
  if (code == 410) reason = "Gone";
  return make_status(code, reason, message, StatusDetails{});
}

}  // namespace kftenant::testserver
