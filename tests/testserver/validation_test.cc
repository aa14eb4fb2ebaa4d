// Status bodies and name validation compared byte for byte with the recorded kube-apiserver 1.26
// answers (../shared/reference/apiserver-transcripts/, file and step named in each test).
#include "testserver/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kftenant::testserver {
namespace {

using ojson = nlohmann::ordered_json;

// Compares serialisations, so that key order counts.
void expect_same(const ojson& actual, std::string_view expected_json) {
  EXPECT_EQ(actual.dump(), ojson::parse(expected_json).dump());
}

constexpr std::string_view kSubdomainMsg =
    R"(a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'))";

TEST(NameValidation, Dns1123SubdomainMessages) {
  EXPECT_TRUE(is_dns1123_subdomain("rec-cm-a").empty());
  EXPECT_TRUE(is_dns1123_subdomain("a.b-c.d").empty());
  EXPECT_THAT(is_dns1123_subdomain("Bad_Name"), testing::ElementsAre(std::string(kSubdomainMsg)));
  EXPECT_THAT(is_dns1123_subdomain("a..b"), testing::SizeIs(1));
  EXPECT_THAT(is_dns1123_subdomain("-a"), testing::SizeIs(1));
  EXPECT_THAT(is_dns1123_subdomain("a-"), testing::SizeIs(1));
  EXPECT_THAT(is_dns1123_subdomain(""), testing::SizeIs(1));
  EXPECT_TRUE(is_dns1123_subdomain(std::string(253, 'a')).empty());
  EXPECT_THAT(is_dns1123_subdomain(std::string(254, 'a')),
              testing::ElementsAre("must be no more than 253 characters"));
  EXPECT_THAT(is_dns1123_subdomain(std::string(254, 'A')), testing::SizeIs(2));
}

TEST(NameValidation, Dns1123LabelMessages) {
  EXPECT_TRUE(is_dns1123_label("kubeflow-user-example-com").empty());
  EXPECT_THAT(
      is_dns1123_label("a.b"),
      testing::ElementsAre(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
          "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
          "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"));
  EXPECT_TRUE(is_dns1123_label(std::string(63, 'a')).empty());
  EXPECT_THAT(is_dns1123_label(std::string(64, 'a')),
              testing::ElementsAre("must be no more than 63 characters"));
}

TEST(NameValidation, QualifiedNamesAndLabelValues) {
  EXPECT_TRUE(is_qualified_name("app").empty());
  EXPECT_TRUE(
      is_qualified_name("rbac.authorization.kubeflow.org/aggregate-to-kubeflow-edit").empty());
  EXPECT_THAT(is_qualified_name("a/b/c"), testing::SizeIs(1));
  EXPECT_THAT(is_qualified_name("/b"), testing::ElementsAre("prefix part must be non-empty"));
  EXPECT_THAT(is_qualified_name("a$"),
              testing::ElementsAre(
                  "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
                  "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  "
                  "or '123-abc', regex used for validation is "
                  "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"));
  EXPECT_TRUE(is_valid_label_value("").empty());
  EXPECT_TRUE(is_valid_label_value("my_value.1").empty());
  EXPECT_THAT(is_valid_label_value("-x"), testing::SizeIs(1));
}

TEST(NameValidation, GoQuote) {
  EXPECT_EQ(go_quote("Bad_Name"), "\"Bad_Name\"");
  EXPECT_EQ(go_quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\x01\"");
}

// 04-create-invalid / invalid-name
TEST(InvalidStatus, BadConfigMapName) {
  auto errors = validate_object_name(ojson::parse(R"j({"name":"Bad_Name","namespace":"rec"})j"),
                                     NameRule::kDns1123Subdomain);
  expect_same(
      make_invalid_status({"", "ConfigMap"}, "Bad_Name", errors),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')","reason":"Invalid","details":{"name":"Bad_Name","kind":"ConfigMap","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')","field":"metadata.name"}]},"code":422})j");
}

// 04-create-invalid / missing-name
TEST(InvalidStatus, MissingName) {
  auto errors = validate_object_name(nlohmann::json::parse(R"j({"namespace":"rec"})j"),
                                     NameRule::kDns1123Subdomain);
  expect_same(
      make_invalid_status({"", "ConfigMap"}, "", errors),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required","reason":"Invalid","details":{"kind":"ConfigMap","causes":[{"reason":"FieldValueRequired","message":"Required value: name or generateName is required","field":"metadata.name"}]},"code":422})j");
}

// 04-create-invalid / name-too-long
TEST(InvalidStatus, NameTooLong) {
  std::string name = "rec-" + std::string(250, 'x');
  ojson md = {{"name", name}};
  auto errors = validate_object_name(md, NameRule::kDns1123Subdomain);
  ASSERT_EQ(errors.size(), 1u);
  auto status = make_invalid_status({"", "ConfigMap"}, name, errors);
  EXPECT_EQ(status["message"], "ConfigMap \"" + name +
                                   "\" is invalid: metadata.name: Invalid value: \"" + name +
                                   "\": must be no more than 253 characters");
  EXPECT_EQ(status["details"]["causes"][0]["message"],
            "Invalid value: \"" + name + "\": must be no more than 253 characters");
}

TEST(InvalidStatus, GenerateNameMayEndWithDash) {
  // The server generates the name before validating, as BeforeCreate does.
  ojson md = {{"generateName", "rec-gen-"}, {"name", "rec-gen-x7k2p"}};
  EXPECT_TRUE(validate_object_name(md, NameRule::kDns1123Subdomain).empty());
  md = {{"generateName", "Rec_"}, {"name", "ok"}};
  auto errors = validate_object_name(md, NameRule::kDns1123Subdomain);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "metadata.generateName");
  EXPECT_TRUE(validate_object_name(ojson{{"name", "a.b"}}, NameRule::kDns1123Label).size() == 1);
}

// Two problems: the message lists both inside [...], one cause each.
TEST(InvalidStatus, SeveralErrorsAreBracketed) {
  std::string name(254, 'A');
  auto errors = validate_object_name(ojson{{"name", name}}, NameRule::kDns1123Subdomain);
  ASSERT_EQ(errors.size(), 2u);
  auto status = make_invalid_status({"", "ConfigMap"}, name, errors);
  std::string message = status["message"];
  EXPECT_THAT(message,
              testing::StartsWith("ConfigMap \"" + name + "\" is invalid: [metadata.name: "));
  EXPECT_THAT(message, testing::EndsWith(")]"));
  EXPECT_EQ(status["details"]["causes"].size(), 2u);
}

// 04-create-invalid / invalid-profile-name and profile-missing-required-owner-name
TEST(InvalidStatus, CustomResources) {
  auto errors =
      validate_object_name(ojson{{"name", "Rec_Bad_Profile"}}, NameRule::kDns1123Subdomain);
  auto status = make_invalid_status({"kubeflow.org", "Profile"}, "Rec_Bad_Profile", errors);
  EXPECT_EQ(status["message"],
            "Profile.kubeflow.org \"Rec_Bad_Profile\" is invalid: metadata.name: Invalid value: "
            "\"Rec_Bad_Profile\": " +
                std::string(kSubdomainMsg));
  EXPECT_EQ(
      status["details"].dump(),
      ojson::parse(
          R"j({"name":"Rec_Bad_Profile","group":"kubeflow.org","kind":"Profile","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"Rec_Bad_Profile\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')","field":"metadata.name"}]})j")
          .dump());

  expect_same(
      make_invalid_status({"kubeflow.org", "Profile"}, "rec-bad-owner",
                          {field_required("spec.owner.name")}),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Profile.kubeflow.org \"rec-bad-owner\" is invalid: spec.owner.name: Required value","reason":"Invalid","details":{"name":"rec-bad-owner","group":"kubeflow.org","kind":"Profile","causes":[{"reason":"FieldValueRequired","message":"Required value","field":"spec.owner.name"}]},"code":422})j");
}

// 03-put-conflict / put-profile-without-rv
TEST(InvalidStatus, ProfilePutWithoutResourceVersion) {
  expect_same(
      make_invalid_status({"kubeflow.org", "profiles"}, "rec-put-profile",
                          {field_invalid_raw("metadata.resourceVersion", "0x0",
                                             "must be specified for an update")}),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"profiles.kubeflow.org \"rec-put-profile\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update","reason":"Invalid","details":{"name":"rec-put-profile","group":"kubeflow.org","kind":"profiles","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: 0x0: must be specified for an update","field":"metadata.resourceVersion"}]},"code":422})j");
}

// 10-finalizers / add-finalizer-while-terminating: the server reports the error twice; the
// message de-duplicates it, the causes do not.
TEST(InvalidStatus, DuplicateCausesCollapseInMessage) {
  auto e = field_forbidden("metadata.finalizers",
                           "no new finalizers can be added if the object is being deleted, found "
                           "new finalizers []string{\"example.com/another\"}");
  expect_same(
      make_invalid_status({"", "ConfigMap"}, "rec-cm-fin", {e, e}),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ConfigMap \"rec-cm-fin\" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/another\"}","reason":"Invalid","details":{"name":"rec-cm-fin","kind":"ConfigMap","causes":[{"reason":"FieldValueForbidden","message":"Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/another\"}","field":"metadata.finalizers"},{"reason":"FieldValueForbidden","message":"Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/another\"}","field":"metadata.finalizers"}]},"code":422})j");
}

// 08-watch / watch-with-resource-version-match and 15-server-side-apply /
// apply-without-field-manager: options objects have no name.
TEST(InvalidStatus, OptionsObjects) {
  expect_same(
      make_invalid_status(
          {"meta.k8s.io", "ListOptions"}, "",
          {field_forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden for watch")}),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch","reason":"Invalid","details":{"group":"meta.k8s.io","kind":"ListOptions","causes":[{"reason":"FieldValueForbidden","message":"Forbidden: resourceVersionMatch is forbidden for watch","field":"resourceVersionMatch"}]},"code":422})j");
  expect_same(
      make_invalid_status({"meta.k8s.io", "PatchOptions"}, "",
                          {field_required("fieldManager", "is required for apply patch")}),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch","reason":"Invalid","details":{"group":"meta.k8s.io","kind":"PatchOptions","causes":[{"reason":"FieldValueRequired","message":"Required value: is required for apply patch","field":"fieldManager"}]},"code":422})j");
}

TEST(FieldErrors, NotSupported) {
  auto e = field_not_supported("spec.strategy.type", "Blue", {"Recreate", "RollingUpdate"});
  EXPECT_EQ(e.error(),
            "spec.strategy.type: Unsupported value: \"Blue\": supported values: \"Recreate\", "
            "\"RollingUpdate\"");
  EXPECT_EQ(e.reason, "FieldValueNotSupported");
}

// 01-get-missing
TEST(Status, NotFound) {
  expect_same(
      not_found({"", "configmaps"}, "rec-missing"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"rec-missing\" not found","reason":"NotFound","details":{"name":"rec-missing","kind":"configmaps"},"code":404})j");
  expect_same(
      not_found({"kubeflow.org", "profiles"}, "rec-missing-profile"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"profiles.kubeflow.org \"rec-missing-profile\" not found","reason":"NotFound","details":{"name":"rec-missing-profile","group":"kubeflow.org","kind":"profiles"},"code":404})j");
  expect_same(
      generic_server_response(404),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404})j");
}

// 02-create-conflict / create-again
TEST(Status, AlreadyExists) {
  expect_same(
      already_exists({"", "configmaps"}, "rec-cm-a"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"rec-cm-a\" already exists","reason":"AlreadyExists","details":{"name":"rec-cm-a","kind":"configmaps"},"code":409})j");
}

// 03-put-conflict / put-stale-rv, 17-lease / take-over-stale, 06-delete preconditions
TEST(Status, Conflicts) {
  expect_same(
      conflict_modified({"", "configmaps"}, "rec-cm-put"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on configmaps \"rec-cm-put\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"rec-cm-put","kind":"configmaps"},"code":409})j");
  expect_same(
      conflict_modified({"coordination.k8s.io", "leases"}, "rec-lease"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on leases.coordination.k8s.io \"rec-lease\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"rec-lease","group":"coordination.k8s.io","kind":"leases"},"code":409})j");
  expect_same(
      conflict_uid_precondition({"", "ConfigMap"}, "rec-cm-pre",
                                "11111111-2222-3333-4444-555555555555", "<uid>"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on ConfigMap \"rec-cm-pre\": the UID in the precondition (11111111-2222-3333-4444-555555555555) does not match the UID in record (<uid>). The object might have been deleted and then recreated","reason":"Conflict","details":{"name":"rec-cm-pre","kind":"ConfigMap"},"code":409})j");
  expect_same(
      conflict_rv_precondition({"", "ConfigMap"}, "rec-cm-pre", "<rv:2>", "<rv:3>"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on ConfigMap \"rec-cm-pre\": the ResourceVersion in the precondition (<rv:2>) does not match the ResourceVersion in record (<rv:3>). The object might have been modified","reason":"Conflict","details":{"name":"rec-cm-pre","kind":"ConfigMap"},"code":409})j");
}

// 06-delete / delete and delete-profile
TEST(Status, DeleteSuccess) {
  expect_same(
      delete_success({"", "configmaps"}, "rec-cm-del", "<uid>"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"rec-cm-del","kind":"configmaps","uid":"<uid>"}})j");
  expect_same(
      delete_success({"kubeflow.org", "profiles"}, "rec-del-profile", "<uid>"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"rec-del-profile","group":"kubeflow.org","kind":"profiles","uid":"<uid>"}})j");
}

// 11-namespace-deletion / create-in-terminating-namespace
TEST(Status, NamespaceTerminating) {
  expect_same(
      forbidden_namespace_terminating({"", "configmaps"}, "rec-cm-late", "rec-ns-del"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"rec-cm-late\" is forbidden: unable to create new content in namespace rec-ns-del because it is being terminated","reason":"Forbidden","details":{"name":"rec-cm-late","kind":"configmaps","causes":[{"reason":"NamespaceTerminating","message":"namespace rec-ns-del is being terminated","field":"metadata.namespace"}]},"code":403})j");
}

// 13-auth
TEST(Status, Authentication) {
  expect_same(
      unauthorized(),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})j");
  expect_same(
      forbidden_rbac({"", "namespaces"}, "", "alice", "list", ""),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces is forbidden: User \"alice\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope","reason":"Forbidden","details":{"kind":"namespaces"},"code":403})j");
  expect_same(
      forbidden_rbac({"", "configmaps"}, "rec-cm-auth", "alice", "get", "rec"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"rec-cm-auth\" is forbidden: User \"alice\" cannot get resource \"configmaps\" in API group \"\" in the namespace \"rec\"","reason":"Forbidden","details":{"name":"rec-cm-auth","kind":"configmaps"},"code":403})j");
  expect_same(
      forbidden_rbac({"kubeflow.org", "profiles"}, "rec-missing-profile", "alice", "get", ""),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"profiles.kubeflow.org \"rec-missing-profile\" is forbidden: User \"alice\" cannot get resource \"profiles\" in API group \"kubeflow.org\" at the cluster scope","reason":"Forbidden","details":{"name":"rec-missing-profile","group":"kubeflow.org","kind":"profiles"},"code":403})j");
}

// 04, 05, 07, 08, 18, 19: the remaining shapes.
TEST(Status, OtherFailures) {
  expect_same(
      bad_request(
          "the namespace of the provided object does not match the namespace sent on the request"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the namespace of the provided object does not match the namespace sent on the request","reason":"BadRequest","code":400})j");
  expect_same(
      make_status(500, "", "resourceVersion should not be set on objects to be created"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"resourceVersion should not be set on objects to be created","code":500})j");
  expect_same(
      generic_server_response(422),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server rejected our request due to an error in our request","reason":"Invalid","details":{},"code":422})j");
  expect_same(
      generic_server_response(415, "415: Unsupported Media Type"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"415: Unsupported Media Type","reason":"UnsupportedMediaType","details":{},"code":415})j");
  expect_same(
      generic_server_response(406,
                              "406: Not Acceptable\n\nAvailable representations: application/json, "
                              "application/yaml, application/vnd.kubernetes.protobuf"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"406: Not Acceptable\n\nAvailable representations: application/json, application/yaml, application/vnd.kubernetes.protobuf","reason":"NotAcceptable","details":{},"code":406})j");
  expect_same(
      unsupported_media_type({"application/json-patch+json", "application/merge-patch+json",
                              "application/apply-patch+yaml"}),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml","reason":"UnsupportedMediaType","code":415})j");
  expect_same(
      too_old_resource_version("1", "<rv:5>"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (<rv:5>)","reason":"Expired","code":410})j");
  expect_same(
      resource_expired("The provided continue parameter is too old", {{"continue", "<continue>"}}),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{"continue":"<continue>"},"status":"Failure","message":"The provided continue parameter is too old","reason":"Expired","code":410})j");
  expect_same(
      too_many_requests("slow down", 3),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"slow down","reason":"TooManyRequests","details":{"retryAfterSeconds":3},"code":429})j");
  expect_same(
      method_not_supported({"apps", "deployments"}, "deletecollection"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deletecollection is not supported on resources of kind \"deployments.apps\"","reason":"MethodNotAllowed","details":{"group":"apps","kind":"deployments"},"code":405})j");
  expect_same(
      internal_error("boom"),
      R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: boom","reason":"InternalError","details":{"causes":[{"message":"boom"}]},"code":500})j");
}

}  // namespace
}  // namespace kftenant::testserver
