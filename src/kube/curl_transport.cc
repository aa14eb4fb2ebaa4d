// HttpTransport over libcurl (OpenSSL backend).
//
// One transport serves one API server. Requests take an easy handle from a small pool and put it
// back afterwards: each handle keeps its connection alive for the next request (connection
// reuse), and concurrent requests (a watch next to writes) each get their own handle.
// PEM material stays in memory (CURLOPT_*_BLOB), never in temporary files.
#include <curl/curl.h>
#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <mutex>
#include <stop_token>
#include <vector>

#include "kftenant/kube/transport.h"

namespace kftenant::kube {
namespace {

constexpr long kConnectTimeoutMs = 10000;
// While a stream is idle, on_data("") is called about this often so that the caller can stop.
constexpr std::chrono::milliseconds kIdlePoll{200};

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

void append(Slist& list, const std::string& line) {
  curl_slist* next = curl_slist_append(list.get(), line.c_str());
  if (next != nullptr) {
    (void)list.release();
    list.reset(next);
  }
}

// Per-request state reachable from curl's callbacks.
struct Exchange {
  HttpResponse response;
  const std::function<bool(std::string_view)>* on_data = nullptr;  // null: collect the body
  bool stopped_by_caller = false;
  const std::stop_token* stop = nullptr;  // the request's: aborts the transfer when requested
  bool cancelled = false;
  CURL* handle = nullptr;
  std::chrono::steady_clock::time_point last_data = std::chrono::steady_clock::now();

  bool streaming_2xx() const {
    long code = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &code);
    return on_data != nullptr && code >= 200 && code < 300;
  }
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::string_view line(data, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    ex->response.headers.clear();  // a new status line (after 100 Continue or a redirect)
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  ex->response.headers.emplace_back(std::move(name), std::string(value));
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::string_view chunk(data, size * n);
  if (ex->stop->stop_requested()) {
    ex->cancelled = true;
    return 0;  // CURLE_WRITE_ERROR
  }
  if (ex->streaming_2xx()) {
    ex->last_data = std::chrono::steady_clock::now();
    if (!(*ex->on_data)(chunk)) {
      ex->stopped_by_caller = true;
      return 0;  // makes curl abort the transfer with CURLE_WRITE_ERROR
    }
    return chunk.size();
  }
  ex->response.body.append(chunk);
  return chunk.size();
}

// Called by curl while a transfer is on (often while data flows, about once a second when idle).
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* ex = static_cast<Exchange*>(user);
  if (ex->stop->stop_requested()) {
    ex->cancelled = true;
    return 1;  // CURLE_ABORTED_BY_CALLBACK
  }
  if (!ex->streaming_2xx()) return 0;
  auto now = std::chrono::steady_clock::now();
  if (now - ex->last_data < kIdlePoll) return 0;
  ex->last_data = now;
  if (!(*ex->on_data)(std::string_view())) {
    ex->stopped_by_caller = true;
    return 1;  // CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(const RestConfig& config)
      : server_(config.server),
        ca_pem_(config.ca_pem),
        insecure_(config.insecure_skip_tls_verify),
        cert_pem_(config.client_cert_pem),
        key_pem_(config.client_key_pem) {
    while (!server_.empty() && server_.back() == '/') server_.pop_back();
    base_ = server_;
  }

  ~CurlTransport() override {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  // tls-server-name: libcurl has no option to send another SNI / verify another name than the
  // URL's host. So the URL is rewritten to carry tls_server_name as its host, and
  // CURLOPT_CONNECT_TO maps "<tls_server_name>:<port>" to the real "<host>:<port>": curl connects
  // to the server's address but uses tls_server_name for SNI and certificate verification — what
  // client-go does with tls.Config.ServerName. The Host header is set back to the real host:port
  // so that the request looks exactly like one to the configured server.
  Result<void> init(const RestConfig& config) {
    if (config.tls_server_name.empty()) return ok();
    CURLU* u = curl_url();
    if (u == nullptr) return make_error(ErrorCode::kInternal, "curl_url() failed");
    auto cleanup = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>(u, curl_url_cleanup);
    if (curl_url_set(u, CURLUPART_URL, server_.c_str(), 0) != CURLUE_OK) {
      return make_error(
          ErrorCode::kConfig,
          fmt::format("cluster server \"{}\" ({}) is not a valid URL", server_, config.source));
    }
    char* host = nullptr;
    char* port = nullptr;
    char* explicit_port = nullptr;
    curl_url_get(u, CURLUPART_HOST, &host, 0);
    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    curl_url_get(u, CURLUPART_PORT, &explicit_port, 0);
    std::string h = host ? host : "";
    std::string p = port ? port : "443";
    const bool has_port = explicit_port != nullptr;
    curl_free(host);
    curl_free(port);
    curl_free(explicit_port);
    if (curl_url_set(u, CURLUPART_HOST, config.tls_server_name.c_str(), 0) != CURLUE_OK) {
      return make_error(ErrorCode::kConfig,
                        fmt::format("tls-server-name \"{}\" ({}) is not a valid host name",
                                    config.tls_server_name, config.source));
    }
    char* url = nullptr;
    curl_url_get(u, CURLUPART_URL, &url, 0);
    base_ = url ? url : server_;
    curl_free(url);
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
    // An IPv6 literal comes back with brackets from CURLUPART_HOST, as CONNECT_TO wants it.
    connect_to_ = fmt::format("{}:{}:{}:{}", config.tls_server_name, p, h, p);
    host_header_ = "Host: " + (has_port ? h + ":" + p : h);
    return ok();
  }

  Result<HttpResponse> send(const HttpRequest& request) override {
    return perform(request, nullptr);
  }

  Result<HttpResponse> stream(const HttpRequest& request,
                              const std::function<bool(std::string_view)>& on_data) override {
    return perform(request, &on_data);
  }

  void set_client_certificate(std::string cert_pem, std::string key_pem) override {
    std::lock_guard lock(mu_);
    cert_pem_ = std::move(cert_pem);
    key_pem_ = std::move(key_pem);
  }

 private:
  CURL* acquire() {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      CURL* h = idle_.back();
      idle_.pop_back();
      return h;
    }
    return curl_easy_init();
  }

  void release(CURL* h) {
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(h);
      return;
    }
    curl_easy_cleanup(h);
  }

  Result<HttpResponse> perform(const HttpRequest& request,
                               const std::function<bool(std::string_view)>* on_data) {
    CURL* h = acquire();
    if (h == nullptr) return make_error(ErrorCode::kInternal, "curl_easy_init() failed");
    // Clears options but keeps the live connection, TLS session and DNS caches.
    curl_easy_reset(h);

    Exchange ex;
    ex.on_data = on_data;
    ex.stop = &request.stop;
    ex.handle = h;
    char errbuf[CURL_ERROR_SIZE] = {0};
    std::string url = base_ + request.path_and_query;
    std::string cert, key;
    {
      std::lock_guard lock(mu_);
      cert = cert_pem_;
      key = key_pem_;
    }

    Slist headers;
    bool has_accept = false;
    for (const auto& [name, value] : request.headers) {
      append(headers, name + ": " + value);
      if (strcasecmp(name.c_str(), "accept") == 0) has_accept = true;
    }
    if (!has_accept) append(headers, "Accept: application/json");
    append(headers, "Expect:");  // no 100-continue round trip for large bodies
    if (!host_header_.empty()) append(headers, host_header_);
    Slist connect_to;
    if (!connect_to_.empty()) append(connect_to, connect_to_);

    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "kftenant/" KFTENANT_VERSION);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    if (connect_to) curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to.get());
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");

    // TLS.
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, insecure_ ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, insecure_ ? 0L : 2L);
    curl_blob ca{const_cast<char*>(ca_pem_.data()), ca_pem_.size(), CURL_BLOB_NOCOPY};
    if (!ca_pem_.empty()) curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
    curl_blob cert_blob{const_cast<char*>(cert.data()), cert.size(), CURL_BLOB_COPY};
    curl_blob key_blob{const_cast<char*>(key.data()), key.size(), CURL_BLOB_COPY};
    if (!cert.empty()) {
      curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert_blob);
      curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
      curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key_blob);
      curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }

    // Method and body.
    const std::string& m = request.method;
    if (m == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (m == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m.c_str());
    }
    if (!request.body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }

    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &ex);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ex);
    // Progress callbacks: the caller's stop token for every request, idle ticks for a stream.
    if (on_data != nullptr || request.stop.stop_possible()) {
      curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
      curl_easy_setopt(h, CURLOPT_XFERINFODATA, &ex);
    }

    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    ex.response.status = static_cast<int>(code);
    // Drop references to this stack frame before the handle goes back to the pool.
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(h, CURLOPT_CONNECT_TO, nullptr);
    if (rc != CURLE_OK && !ex.stopped_by_caller) {
      // A broken (or aborted) connection is not worth keeping.
      curl_easy_cleanup(h);
    } else {
      release(h);
    }

    if (ex.cancelled) {
      return make_error(ErrorCode::kCancelled,
                        fmt::format("stopped talking to the API server {} ({} {}): the caller "
                                    "requested a stop",
                                    server_, m, path_only(request.path_and_query)));
    }
    if (rc == CURLE_OK || ex.stopped_by_caller) return std::move(ex.response);
    std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc);
    while (!detail.empty() && detail.back() == '\n') detail.pop_back();
    const bool timeout = rc == CURLE_OPERATION_TIMEDOUT;
    std::string what = timeout ? "timed out talking to" : "cannot reach";
    if (code != 0) what = timeout ? "timed out reading the answer of" : "lost the answer of";
    return make_error(timeout ? ErrorCode::kTimeout : ErrorCode::kTransport,
                      fmt::format("{} the API server {} ({} {}): {}", what, server_, m,
                                  path_only(request.path_and_query), detail));
  }

  // The path without the query (which may hold label selectors but never secrets; still, keep
  // messages short).
  static std::string path_only(const std::string& path_and_query) {
    return path_and_query.substr(0, path_and_query.find('?'));
  }

  static constexpr std::size_t kMaxIdle = 4;

  std::string server_;
  std::string base_;  // URL prefix the paths are appended to
  std::string ca_pem_;
  bool insecure_;
  std::string connect_to_;
  std::string host_header_;

  std::mutex mu_;
  std::string cert_pem_;
  std::string key_pem_;
  std::vector<CURL*> idle_;
};

}  // namespace

Result<std::unique_ptr<HttpTransport>> make_curl_transport(const RestConfig& config) {
  global_init();
  if (config.server.empty()) {
    return make_error(ErrorCode::kConfig,
                      fmt::format("no server URL for the cluster ({})", config.source));
  }
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    return make_error(
        ErrorCode::kConfig,
        fmt::format("client certificate and key must be given together ({})", config.source));
  }
  auto t = std::make_unique<CurlTransport>(config);
  if (auto r = t->init(config); !r) return tl::unexpected(r.error());
  return std::unique_ptr<HttpTransport>(std::move(t));
}

}  // namespace kftenant::kube
