// Status → Error mapping, with bodies recorded from a real kube-apiserver 1.26
// (shared/reference/apiserver-transcripts/).
#include "kftenant/kube/status_error.h"

#include <gtest/gtest.h>

namespace kftenant::kube {
namespace {

HttpResponse answer(int status, std::string body, std::string content_type = "application/json",
                    Headers extra = {}) {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(extra);
  r.headers.emplace_back("content-type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

TEST(StatusError, NotFoundKeepsServerMessage) {  // 01-get-missing.json
  auto e = error_from_response(answer(
      404,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"rec-missing\" not found","reason":"NotFound","details":{"name":"rec-missing","kind":"configmaps"},"code":404})"));
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.http_status, 404);
  EXPECT_EQ(e.reason, "NotFound");
  EXPECT_EQ(e.message, "configmaps \"rec-missing\" not found");
}

TEST(StatusError, PlainTextPageNotFound) {  // 01: unknown API group
  auto e = error_from_response(answer(404, "404 page not found\n", "text/plain; charset=utf-8"),
                               "GET /apis/no.such.group.example/v1/foos");
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.http_status, 404);
  EXPECT_EQ(e.reason, "");
  EXPECT_EQ(e.message,
            "GET /apis/no.such.group.example/v1/foos: the server answered HTTP 404: 404 page not "
            "found");
}

TEST(StatusError, AlreadyExistsIsNotConflict) {  // 02-create-conflict.json
  auto e = error_from_response(answer(
      409,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"rec-cm-a\" already exists","reason":"AlreadyExists","details":{"name":"rec-cm-a","kind":"configmaps"},"code":409})"));
  EXPECT_EQ(e.code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(e.message, "configmaps \"rec-cm-a\" already exists");
}

TEST(StatusError, StaleResourceVersionIsConflict) {  // 03-put-conflict.json
  auto e = error_from_response(answer(
      409,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on configmaps \"rec-cm-put\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"rec-cm-put","kind":"configmaps"},"code":409})"));
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_NE(e.message.find("rec-cm-put"), std::string::npos);
}

TEST(StatusError, InvalidCarriesCauses) {  // 04-create-invalid.json
  auto e = error_from_response(answer(
      422,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character","reason":"Invalid","details":{"name":"Bad_Name","kind":"ConfigMap","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters","field":"metadata.name"}]},"code":422})"));
  EXPECT_EQ(e.code, ErrorCode::kInvalid);
  ASSERT_EQ(e.causes.size(), 1u);
  EXPECT_EQ(e.causes[0].reason, "FieldValueInvalid");
  EXPECT_EQ(e.causes[0].field, "metadata.name");
  EXPECT_NE(e.message.find("Bad_Name"), std::string::npos);
}

TEST(StatusError, ApplyConflictCausesWithoutName) {  // 15-server-side-apply.json
  auto e = error_from_response(answer(
      409,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Apply failed with 1 conflict: conflict with \"kftenant\": .data.shared","reason":"Conflict","details":{"causes":[{"reason":"FieldManagerConflict","message":"conflict with \"kftenant\"","field":".data.shared"}]},"code":409})"));
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  ASSERT_EQ(e.causes.size(), 1u);
  EXPECT_EQ(e.causes[0].field, ".data.shared");
  EXPECT_EQ(e.causes[0].message, "conflict with \"kftenant\"");
}

TEST(StatusError, ForbiddenAndUnauthorized) {  // 13-auth.json
  auto forbidden = error_from_response(answer(
      403,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces is forbidden: User \"alice\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope","reason":"Forbidden","details":{"kind":"namespaces"},"code":403})"));
  EXPECT_EQ(forbidden.code, ErrorCode::kForbidden);
  auto unauthorized = error_from_response(answer(
      401,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})"));
  EXPECT_EQ(unauthorized.code, ErrorCode::kUnauthorized);
  EXPECT_EQ(unauthorized.message, "Unauthorized");
}

TEST(StatusError, ExpiredContinueIsGone) {  // 19-paging-edges.json
  auto e = error_from_response(answer(
      410,
      R"({"kind":"Status","apiVersion":"v1","metadata":{"continue":"abc"},"status":"Failure","message":"The provided continue parameter is too old to display a consistent list result.","reason":"Expired","code":410})"));
  EXPECT_EQ(e.code, ErrorCode::kGone);
  EXPECT_EQ(e.reason, "Expired");
}

TEST(StatusError, MediaTypeErrors) {  // 05-patch.json, 18-content-negotiation.json
  EXPECT_EQ(
      error_from_response(
          answer(
              415,
              R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"415: Unsupported Media Type","reason":"UnsupportedMediaType","details":{},"code":415})"))
          .code,
      ErrorCode::kUnsupportedMediaType);
  EXPECT_EQ(
      error_from_response(
          answer(
              406,
              R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"406: Not Acceptable","reason":"NotAcceptable","details":{},"code":406})"))
          .code,
      ErrorCode::kNotAcceptable);
  EXPECT_EQ(
      error_from_response(
          answer(
              400,
              R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"unable to parse requirement: found '!', expected: identifier","reason":"BadRequest","code":400})"))
          .code,
      ErrorCode::kBadRequest);
  EXPECT_EQ(
      error_from_response(
          answer(
              405,
              R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server does not allow this method on the requested resource","reason":"MethodNotAllowed","details":{},"code":405})"))
          .code,
      ErrorCode::kMethodNotAllowed);
}

TEST(StatusError, ServerErrorWithoutReason) {  // 04: resourceVersion set on create
  auto e = error_from_response(answer(
      500,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"resourceVersion should not be set on objects to be created","code":500})"));
  EXPECT_EQ(e.code, ErrorCode::kServerError);
  EXPECT_EQ(e.message, "resourceVersion should not be set on objects to be created");
}

TEST(StatusError, TooManyRequestsWithRetryAfter) {
  auto e = error_from_response(answer(
      429,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":1},"code":429})",
      "application/json", {{"retry-after", "3"}}));
  EXPECT_EQ(e.code, ErrorCode::kTooManyRequests);
  ASSERT_TRUE(e.retry_after.has_value());
  EXPECT_EQ(*e.retry_after, std::chrono::seconds(3));  // the header wins over details
}

TEST(StatusError, StatusWithoutMessageGetsGenericOne) {
  auto e = error_from_response(answer(
      503,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","reason":"ServiceUnavailable","code":503})"));
  EXPECT_EQ(e.code, ErrorCode::kServerError);
  EXPECT_NE(e.message.find("503"), std::string::npos);
}

TEST(StatusError, CodeByHttpStatusWhenReasonUnknown) {
  EXPECT_EQ(error_code_for(404, ""), ErrorCode::kNotFound);
  EXPECT_EQ(error_code_for(409, ""), ErrorCode::kConflict);
  EXPECT_EQ(error_code_for(410, ""), ErrorCode::kGone);
  EXPECT_EQ(error_code_for(422, ""), ErrorCode::kInvalid);
  EXPECT_EQ(error_code_for(429, ""), ErrorCode::kTooManyRequests);
  EXPECT_EQ(error_code_for(502, ""), ErrorCode::kServerError);
  EXPECT_EQ(error_code_for(418, ""), ErrorCode::kBadRequest);
  EXPECT_EQ(error_code_for(500, "NotFound"), ErrorCode::kNotFound);  // reason first
}

TEST(StatusError, WatchErrorEventObject) {  // 08-watch.json: ERROR event in an HTTP 200 stream
  auto status = nlohmann::json::parse(
      R"J({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410})J");
  auto e = error_from_status(status, 500);
  EXPECT_EQ(e.code, ErrorCode::kGone);
  EXPECT_EQ(e.http_status, 410);
  EXPECT_EQ(e.message, "too old resource version: 1 (5)");
}

TEST(StatusError, LongNonStatusBodyIsShortened) {
  std::string html = "<html>" + std::string(1000, 'x') + "</html>\nsecond line";
  auto e = error_from_response(answer(502, html, "text/html"));
  EXPECT_EQ(e.code, ErrorCode::kServerError);
  EXPECT_LT(e.message.size(), 300u);
  EXPECT_EQ(e.message.find("second line"), std::string::npos);
}

TEST(StatusError, ParseRetryAfter) {
  EXPECT_EQ(parse_retry_after("2"), std::chrono::milliseconds(2000));
  EXPECT_EQ(parse_retry_after(" 0 "), std::chrono::milliseconds(0));
  EXPECT_FALSE(parse_retry_after(""));
  EXPECT_FALSE(parse_retry_after("-1"));
  EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
}

}  // namespace
}  // namespace kftenant::kube
