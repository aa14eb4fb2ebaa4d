// --tls-cert/--tls-key: the pair is checked at start (unreadable, not PEM, a key of another
// certificate: refused naming the file, never the key's text), the server context asks for TLS
// 1.2 at least, a rotation of the files is picked up by the next handshake after at most a second
// (a half-written one keeps the pair in use until the rest arrives), and HttpServer serves HTTPS
// with it that a client verifying against the CA accepts.
#include "server/serving_certificate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <filesystem>
#include <thread>

#include "server/http_server.h"
#include "support/fake_clock.h"
#include "support/temp_dir.h"
#include "testserver/certs.h"

namespace kftenant::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Pem {
  testserver::KeyPair ca, serving;
};

Pem make_pair(const std::string& ca_name) {
  Pem out;
  out.ca = testserver::make_ca(ca_name).value();
  out.serving = testserver::make_serving_cert(out.ca).value();
  return out;
}

// The certificate an SSL object would present, as PEM.
std::string presented(SSL* ssl) {
  X509* cert = SSL_get_certificate(ssl);
  if (!cert) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(size));
  BIO_free(bio);
  return out;
}

// Writes a file and moves its mtime on, so that a rewrite within one clock tick still shows.
void write_later(const testing::TempDir& dir, const std::string& name, const std::string& text,
                 int seconds_later) {
  const std::string path = dir.write(name, text);
  std::filesystem::last_write_time(
      path, std::filesystem::file_time_type::clock::now() + std::chrono::seconds(seconds_later));
}

TEST(ServingCertificate, ABadPairIsRefusedNamingTheFileNotTheKey) {
  testing::TempDir dir;
  Pem a = make_pair("ca-a"), b = make_pair("ca-b");
  const std::string cert = dir.write("tls.crt", a.serving.cert_pem);
  const std::string key = dir.write("tls.key", a.serving.key_pem);
  ASSERT_TRUE(ServingCertificate::load(cert, key));

  auto missing = ServingCertificate::load(dir.file("none.crt"), key);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(missing.error().message, HasSubstr("--tls-cert " + dir.file("none.crt")));

  const std::string junk = dir.write("junk.pem", "not a certificate\n");
  auto not_pem = ServingCertificate::load(junk, key);
  ASSERT_FALSE(not_pem);
  EXPECT_THAT(not_pem.error().message, HasSubstr("not a PEM certificate"));
  auto key_not_pem = ServingCertificate::load(cert, junk);
  ASSERT_FALSE(key_not_pem);
  EXPECT_THAT(key_not_pem.error().message, HasSubstr("--tls-key " + junk));

  const std::string other_key = dir.write("other.key", b.serving.key_pem);
  auto mismatched = ServingCertificate::load(cert, other_key);
  ASSERT_FALSE(mismatched);
  EXPECT_THAT(mismatched.error().message, HasSubstr("is not the key of --tls-cert"));
  // A certificate given as the key: the message names the file, not what it holds.
  auto swapped = ServingCertificate::load(key, cert);
  ASSERT_FALSE(swapped);
  EXPECT_THAT(swapped.error().message, Not(HasSubstr("PRIVATE KEY")));
  EXPECT_THAT(swapped.error().message, Not(HasSubstr("BEGIN")));
}

TEST(ServingCertificate, TheContextAsksForTls12AtLeast) {
  testing::TempDir dir;
  Pem a = make_pair("ca-a");
  auto cert = ServingCertificate::load(dir.write("tls.crt", a.serving.cert_pem),
                                       dir.write("tls.key", a.serving.key_pem));
  ASSERT_TRUE(cert);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  (*cert)->configure(*ctx);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
  EXPECT_TRUE(SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_free(ctx);
}

TEST(ServingCertificate, ARotationIsUsedByTheNextHandshakeAfterASecondAndAHalfOneWaits) {
  testing::TempDir dir;
  Pem a = make_pair("ca-a"), b = make_pair("ca-b"), c = make_pair("ca-c");
  auto clock = std::make_shared<kftenant::testing::FakeClock>();
  auto cert = ServingCertificate::load(dir.write("tls.crt", a.serving.cert_pem),
                                       dir.write("tls.key", a.serving.key_pem), clock);
  ASSERT_TRUE(cert);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  auto handshake_cert = [&] {
    SSL* ssl = SSL_new(ctx);
    EXPECT_TRUE((*cert)->use_on(ssl));
    std::string pem = presented(ssl);
    SSL_free(ssl);
    return pem;
  };
  EXPECT_EQ(handshake_cert(), a.serving.cert_pem);

  write_later(dir, "tls.crt", b.serving.cert_pem, 10);
  write_later(dir, "tls.key", b.serving.key_pem, 10);
  EXPECT_EQ(handshake_cert(), a.serving.cert_pem) << "checked at most once a second";
  clock->advance(std::chrono::milliseconds(1100));
  EXPECT_EQ(handshake_cert(), b.serving.cert_pem);
  EXPECT_EQ((*cert)->reloads(), 1);

  // Half a rotation: the new certificate, the old key. B stays until the key arrives.
  write_later(dir, "tls.crt", c.serving.cert_pem, 20);
  clock->advance(std::chrono::milliseconds(1100));
  EXPECT_EQ(handshake_cert(), b.serving.cert_pem);
  EXPECT_THAT((*cert)->last_error(), HasSubstr("is not the key of"));
  write_later(dir, "tls.key", c.serving.key_pem, 20);
  clock->advance(std::chrono::milliseconds(1100));
  EXPECT_EQ(handshake_cert(), c.serving.cert_pem);
  EXPECT_EQ((*cert)->reloads(), 2);
  EXPECT_EQ((*cert)->last_error(), "");
  // Files gone (a Secret being replaced): the pair in use stays.
  std::filesystem::remove(dir.file("tls.crt"));
  clock->advance(std::chrono::milliseconds(1100));
  EXPECT_EQ(handshake_cert(), c.serving.cert_pem);
  SSL_CTX_free(ctx);
}

TEST(ServingCertificate, HttpServerServesHttpsThatAVerifyingClientAccepts) {
  testing::TempDir dir;
  Pem a = make_pair("ca-a"), other = make_pair("ca-other");
  auto cert = ServingCertificate::load(dir.write("tls.crt", a.serving.cert_pem),
                                       dir.write("tls.key", a.serving.key_pem));
  ASSERT_TRUE(cert);
  HttpServerOptions options;
  options.port = 0;
  options.threads = 2;
  options.tls = *cert;
  HttpServer server(RouteTable{}, options);
  auto port = server.bind();
  ASSERT_TRUE(port) << port.error().message;
  std::thread serving([&] { server.serve(); });

  httplib::SSLClient https("127.0.0.1", *port);
  https.set_ca_cert_path(dir.write("ca.crt", a.ca.cert_pem).c_str());
  https.enable_server_certificate_verification(true);
  auto healthz = https.Get("/healthz");
  ASSERT_TRUE(healthz) << httplib::to_string(healthz.error());
  EXPECT_EQ(healthz->status, 200);
  // Another CA's client does not trust it; a plain HTTP client gets no answer.
  httplib::SSLClient stranger("127.0.0.1", *port);
  stranger.set_ca_cert_path(dir.write("other-ca.crt", other.ca.cert_pem).c_str());
  stranger.enable_server_certificate_verification(true);
  EXPECT_FALSE(stranger.Get("/healthz"));
  httplib::Client plain("127.0.0.1", *port);
  plain.set_read_timeout(std::chrono::seconds(2));
  auto answer = plain.Get("/healthz");
  EXPECT_TRUE(!answer || answer->status != 200);

  server.stop();
  serving.join();
}

}  // namespace
}  // namespace kftenant::server
