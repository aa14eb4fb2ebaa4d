#include "transcripts/http_client.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace kftenant::transcripts {
namespace {

// An X509_STORE with the CA certificates of `pem`; httplib's SSLClient takes ownership.
X509_STORE* store_from_pem(const std::string& pem) {
  X509_STORE* store = X509_STORE_new();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  BIO_free(bio);
  return store;
}

}  // namespace

std::string HttpResponse::body() const {
  std::string out;
  for (const auto& p : pieces) out += p;
  return out;
}

HttpClient::HttpClient(std::string host, int port, std::string ca_pem)
    : host_(std::move(host)), port_(port), ca_pem_(std::move(ca_pem)) {}

HttpResponse HttpClient::send(const HttpRequest& request, std::chrono::seconds max_duration,
                              const std::function<void()>& on_headers) const {
  httplib::SSLClient client(host_, port_);
  client.set_ca_cert_store(store_from_pem(ca_pem_));
  client.enable_server_certificate_verification(true);
  client.set_connection_timeout(5);
  client.set_read_timeout(static_cast<time_t>(max_duration.count()));
  client.set_keep_alive(false);
  client.set_decompress(false);
  // Send path_and_query byte for byte as recorded: httplib would otherwise re-encode it (e.g.
  // '+' → %2B, which turns client-go's form-encoded spaces into literal plus signs).
  client.set_url_encode(false);

  HttpResponse out;
  httplib::Request req;
  req.method = request.method;
  req.path = request.path_and_query;
  if (request.bearer_token) req.set_header("Authorization", "Bearer " + *request.bearer_token);
  req.set_header("Accept", request.accept);
  req.set_header("User-Agent", "kftenant-transcript-replay");
  if (request.content_type) {
    req.set_header("Content-Type", *request.content_type);
    req.body = request.body;
  }
  const auto deadline = std::chrono::steady_clock::now() + max_duration;
  req.response_handler = [&](const httplib::Response& res) {
    out.status = res.status;
    out.content_type = res.get_header_value("Content-Type");
    out.transfer_encoding = res.get_header_value("Transfer-Encoding");
    for (const char* name : {"Warning", "Retry-After", "Location"}) {
      size_t n = res.get_header_value_count(name);
      for (size_t i = 0; i < n; ++i) out.headers[name].push_back(res.get_header_value(name, i));
    }
    if (on_headers) on_headers();
    return true;
  };
  req.content_receiver = [&](const char* data, size_t length, uint64_t, uint64_t) {
    out.pieces.emplace_back(data, length);
    return std::chrono::steady_clock::now() < deadline;
  };
  auto result = client.send(req);
  if (!result) {
    out.error = httplib::to_string(result.error());
    if (result.error() == httplib::Error::Canceled) {
      out.error = "body still streaming after " + std::to_string(max_duration.count()) + " s";
    }
    return out;
  }
  out.ok = true;
  return out;
}

}  // namespace kftenant::transcripts
