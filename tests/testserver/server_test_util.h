// Helpers for the test API server's own tests: a started server and a small HTTPS client
// (httplib::SSLClient trusting the server's CA) that speaks JSON.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "testserver/apiserver.h"

namespace kftenant::testserver::testing {

using nlohmann::json;

struct Answer {
  int status = 0;  // 0 = no answer (connection error)
  std::string body;
  std::string content_type;
  httplib::Headers headers;
  [[nodiscard]] json j() const { return json::parse(body, nullptr, false); }
  [[nodiscard]] nlohmann::ordered_json oj() const {
    return nlohmann::ordered_json::parse(body, nullptr, false);
  }
};

// A file removed when the helper goes away.
class TempFile {
 public:
  explicit TempFile(const std::string& content = "") {
    char tmpl[] = "/tmp/kftenant-ts-XXXXXX";
    int fd = mkstemp(tmpl);
    path_ = tmpl;
    if (fd >= 0) {
      if (!content.empty()) {
        ssize_t n = write(fd, content.data(), content.size());
        (void)n;
      }
      close(fd);
    }
  }
  ~TempFile() { unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class Client {
 public:
  // Bearer-token client; token "" = anonymous.
  Client(const ApiServer& server, const std::string& token)
      : ca_(server.ca_pem()),
        cli_(std::make_unique<httplib::SSLClient>("127.0.0.1", server.port())) {
    setup();
    if (!token.empty()) cli_->set_bearer_token_auth(token);
  }
  // Client-certificate client.
  Client(const ApiServer& server, const KeyPair& cert)
      : ca_(server.ca_pem()),
        cert_(std::make_unique<TempFile>(cert.cert_pem)),
        key_(std::make_unique<TempFile>(cert.key_pem)),
        cli_(std::make_unique<httplib::SSLClient>("127.0.0.1", server.port(), cert_->path(),
                                                  key_->path())) {
    setup();
  }

  Answer get(const std::string& path, const httplib::Headers& h = {}) {
    return wrap(cli_->Get(path.c_str(), h));
  }
  Answer post(const std::string& path, const json& body,
              const std::string& ct = "application/json") {
    return wrap(cli_->Post(path.c_str(), body.dump(), ct.c_str()));
  }
  Answer post_raw(const std::string& path, const std::string& body, const std::string& ct) {
    return wrap(cli_->Post(path.c_str(), body, ct.c_str()));
  }
  Answer put(const std::string& path, const json& body) {
    return wrap(cli_->Put(path.c_str(), body.dump(), "application/json"));
  }
  Answer patch(const std::string& path, const json& body,
               const std::string& ct = "application/merge-patch+json") {
    return wrap(cli_->Patch(path.c_str(), body.dump(), ct.c_str()));
  }
  Answer patch_raw(const std::string& path, const std::string& body, const std::string& ct) {
    return wrap(cli_->Patch(path.c_str(), body, ct.c_str()));
  }
  Answer del(const std::string& path, const json& options = nullptr) {
    if (options.is_null()) return wrap(cli_->Delete(path.c_str()));
    return wrap(cli_->Delete(path.c_str(), options.dump(), "application/json"));
  }
  // Streams a watch; `on_line` gets each line, returns false to stop.
  int stream(const std::string& path, const std::function<bool(const std::string&)>& on_line) {
    std::string buffer;
    auto res = cli_->Get(path.c_str(), [&](const char* data, size_t len) {
      buffer.append(data, len);
      size_t nl;
      while ((nl = buffer.find('\n')) != std::string::npos) {
        std::string line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        if (!on_line(line)) return false;
      }
      return true;
    });
    return res ? res->status : 0;
  }
  httplib::SSLClient& raw() { return *cli_; }

 private:
  void setup() {
    ca_file_ = std::make_unique<TempFile>(ca_);
    cli_->set_ca_cert_path(ca_file_->path().c_str());
    cli_->enable_server_certificate_verification(true);
    cli_->set_read_timeout(20, 0);
    cli_->set_connection_timeout(5, 0);
    cli_->set_url_encode(false);  // paths are sent exactly as written (pre-encoded queries)
  }
  static Answer wrap(const httplib::Result& r) {
    Answer a;
    if (!r) return a;
    a.status = r->status;
    a.body = r->body;
    a.content_type = r->get_header_value("Content-Type");
    a.headers = r->headers;
    return a;
  }

  std::string ca_;
  std::unique_ptr<TempFile> cert_, key_, ca_file_;
  std::unique_ptr<httplib::SSLClient> cli_;
};

// Polls `pred` every 20 ms for up to `limit`.
template <typename F>
bool eventually(F pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.rollout_delay = std::chrono::milliseconds(50);
    o.namespace_deletion_delay = std::chrono::milliseconds(50);
    o.gc_delay = std::chrono::milliseconds(20);
    o.bookmark_interval = std::chrono::milliseconds(200);
    customize(o);
    auto s = ApiServer::start(o);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    server = std::move(*s);
    admin = std::make_unique<Client>(*server, server->admin_token());
    ASSERT_EQ(admin->post("/api/v1/namespaces", {{"metadata", {{"name", "rec"}}}}).status, 201);
  }
  void TearDown() override {
    admin.reset();
    if (server) server->stop();
  }
  virtual void customize(Options&) {}

  static json configmap(const std::string& name, const json& data = {{"k", "v"}},
                        const json& labels = nullptr) {
    json cm = {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata", {{"name", name}, {"namespace", "rec"}}},
               {"data", data}};
    if (!labels.is_null()) cm["metadata"]["labels"] = labels;
    return cm;
  }
  static json profile_crd() {
    return json::parse(R"({
      "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
      "metadata": {"name": "profiles.kubeflow.org"},
      "spec": {"group": "kubeflow.org", "scope": "Cluster",
        "names": {"plural": "profiles", "singular": "profile", "kind": "Profile", "listKind": "ProfileList"},
        "versions": [
          {"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
           "schema": {"openAPIV3Schema": {"type": "object", "properties": {
             "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
             "spec": {"type": "object", "properties": {
               "owner": {"type": "object", "required": ["kind", "name"], "properties": {
                 "kind": {"type": "string"}, "name": {"type": "string"}}},
               "resourceQuotaSpec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
             "status": {"type": "object", "properties": {
               "conditions": {"type": "array", "items": {"type": "object", "properties": {
                 "type": {"type": "string"}, "status": {"type": "string"}, "message": {"type": "string"}}}}}}}}}},
          {"name": "v1beta1", "served": true, "storage": false, "subresources": {"status": {}},
           "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}})");
  }
  static json profile(const std::string& name, const std::string& owner = "rec@example.com") {
    return {{"apiVersion", "kubeflow.org/v1"},
            {"kind", "Profile"},
            {"metadata", {{"name", name}}},
            {"spec", {{"owner", {{"kind", "User"}, {"name", owner}}}}}};
  }
  void create_profile_crd() {
    ASSERT_EQ(admin->post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", profile_crd())
                  .status,
              201);
  }

  std::unique_ptr<ApiServer> server;
  std::unique_ptr<Client> admin;
};

inline const std::string kCm = "/api/v1/namespaces/rec/configmaps";

}  // namespace kftenant::testserver::testing
