#include "testserver/request_body.h"

#include <algorithm>

#include "kftenant/yaml.h"
#include "testserver/typing.h"

namespace kftenant::testserver {
namespace {

// The beginning of a body for parse-error messages: the apimachinery JSON serializer quotes up to
// 30 bytes.
std::string body_head(const std::string& body) {
  if (body.size() <= 30) return body;
  return body.substr(0, 30) + " ...";
}

// The internal API package of a group (for conversion messages): core, apps, rbac, ...
std::string internal_package(const std::string& group) {
  if (group.empty()) return "core";
  return group.substr(0, group.find('.'));
}

}  // namespace

std::string media_type(const httplib::Request& req) {
  std::string ct = req.get_header_value("Content-Type");
  ct = ct.substr(0, ct.find(';'));
  ct.erase(std::remove_if(ct.begin(), ct.end(), ::isspace), ct.end());
  std::transform(ct.begin(), ct.end(), ct.begin(), ::tolower);
  return ct;
}

std::optional<ojson> parse_object_body(const ResourceType& info, const httplib::Request& req,
                                       Reply* err) {
  std::string mt = media_type(req);
  if (mt == "application/yaml") {
    auto parsed = yaml::parse(req.body, "request body");
    if (!parsed || !parsed->is_object()) {
      *err = Reply::status_body(
          bad_request("the object provided is unrecognized (must be of type " + info.kind +
                      "): couldn't get version/kind; yaml parse error: " +
                      (parsed ? std::string("not an object") : parsed.error().message)));
      return std::nullopt;
    }
    return to_ojson(*parsed);
  }
  if (mt != "application/json" && !mt.empty()) {
    *err = Reply::status_body(unsupported_media_type(
        {"application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}));
    return std::nullopt;
  }
  ojson body;
  try {
    body = ojson::parse(req.body);
  } catch (const ojson::parse_error& e) {
    // Go's decoder: truncated input vs. a wrong character.
    std::string why = "unexpected end of JSON input";
    if (e.byte >= 1 && e.byte <= req.body.size()) {
      unsigned char c = static_cast<unsigned char>(req.body[e.byte - 1]);
      why = std::string("invalid character '") + static_cast<char>(c) +
            "' looking for beginning of value";
    }
    *err = Reply::status_body(bad_request("the object provided is unrecognized (must be of type " +
                                          info.kind +
                                          "): couldn't get version/kind; json parse error: " + why +
                                          " (" + body_head(req.body) + ")"));
    return std::nullopt;
  }
  if (!body.is_object()) {
    *err = Reply::status_body(bad_request(
        "the object provided is unrecognized (must be of type " + info.kind +
        "): couldn't get version/kind; json parse error: json: cannot unmarshal " +
        std::string(body.is_array() ? "array" : "value") +
        " into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; "
        "Kind string \"json:\\\"kind,omitempty\\\"\" }"));
    return std::nullopt;
  }
  return body;
}

std::optional<Reply> check_type_meta(const ResourceType& info, const Route& r, ojson& body) {
  std::string kind = body.value("kind", "");
  std::string api_version = body.value("apiVersion", "");
  std::string want_api_version = r.api_version();
  if (kind.empty() && api_version.empty()) {
    body["kind"] = info.kind;
    body["apiVersion"] = want_api_version;
    return std::nullopt;
  }
  if (kind.empty()) kind = info.kind;
  if (api_version.empty()) api_version = want_api_version;
  std::string prefix =
      kind + " in version \"" + r.version + "\" cannot be handled as a " + info.kind + ": ";
  if (api_version != want_api_version) {
    // CRs accept any served version of their group (conversion None).
    bool other_served = false;
    if (info.custom) {
      for (const auto& v : info.versions) other_served |= (info.api_version(v) == api_version);
    }
    if (!other_served) {
      return Reply::status_body(bad_request(prefix + "no kind \"" + kind +
                                            "\" is registered for version \"" + api_version +
                                            "\" in scheme \"pkg/runtime/scheme.go:100\""));
    }
  }
  if (kind != info.kind) {
    std::string from_version = api_version.substr(api_version.find('/') + 1);
    return Reply::status_body(bad_request(prefix + "converting (" + from_version + "." + kind +
                                          ") to (" + internal_package(info.group) + "." +
                                          info.kind + "): unknown conversion"));
  }
  body["kind"] = info.kind;
  body["apiVersion"] = want_api_version;
  return std::nullopt;
}

std::string registry_key(const ResourceType& info, const std::string& ns, const std::string& name) {
  std::string k = "/registry/";
  if (info.custom) k += info.group + "/";
  k += info.plural + "/";
  if (!ns.empty()) k += ns + "/";
  return k + name;
}

GroupKind group_kind(const ResourceType& info) {
  return GroupKind{info.group, info.kind};
}

}  // namespace kftenant::testserver
