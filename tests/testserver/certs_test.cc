#include "testserver/certs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace kftenant::testserver {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return X509Ptr(x);
}

// Certificates are slow-ish to make; share one set across tests.
class CertsTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto ca = make_ca("kftenant-test-ca");
    ASSERT_TRUE(ca.has_value()) << ca.error().message;
    ca_ = new KeyPair(*ca);
    auto client_ca = make_ca("kftenant-test-client-ca");
    ASSERT_TRUE(client_ca.has_value()) << client_ca.error().message;
    client_ca_ = new KeyPair(*client_ca);
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete client_ca_;
  }
  static KeyPair* ca_;
  static KeyPair* client_ca_;
};
KeyPair* CertsTest::ca_ = nullptr;
KeyPair* CertsTest::client_ca_ = nullptr;

TEST_F(CertsTest, CaIsSelfSignedCa) {
  EXPECT_THAT(ca_->cert_pem, testing::StartsWith("-----BEGIN CERTIFICATE-----"));
  EXPECT_THAT(ca_->key_pem, testing::StartsWith("-----BEGIN PRIVATE KEY-----"));
  auto cert = parse(ca_->cert_pem);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  EXPECT_EQ(X509_check_issued(cert.get(), cert.get()), X509_V_OK);
  EXPECT_TRUE(X509_get_key_usage(cert.get()) & KU_KEY_CERT_SIGN);
}

TEST_F(CertsTest, ServingCertificateHasSansAndChainsToCa) {
  auto serving = make_serving_cert(*ca_);
  ASSERT_TRUE(serving.has_value()) << serving.error().message;
  auto cert = parse(serving->cert_pem);
  auto ca = parse(ca_->cert_pem);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_issued(ca.get(), cert.get()), X509_V_OK);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_NE(X509_check_ip_asc(cert.get(), "10.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_TRUE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER);
  // A server certificate is not a client certificate.
  auto as_client = verify_client_certificate_pem(serving->cert_pem, ca_->cert_pem);
  EXPECT_FALSE(as_client.has_value());
}

TEST_F(CertsTest, ClientCertificateIdentity) {
  auto client = make_client_cert(*client_ca_, "alice", {"system:masters", "team-a"});
  ASSERT_TRUE(client.has_value()) << client.error().message;
  auto id = verify_client_certificate_pem(client->cert_pem, client_ca_->cert_pem);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  EXPECT_EQ(id->user, "alice");
  EXPECT_THAT(id->groups, testing::ElementsAre("system:masters", "team-a"));

  auto no_groups = make_client_cert(*client_ca_, "bob");
  ASSERT_TRUE(no_groups.has_value());
  auto bob = verify_client_certificate_pem(no_groups->cert_pem, client_ca_->cert_pem);
  ASSERT_TRUE(bob.has_value());
  EXPECT_EQ(bob->user, "bob");
  EXPECT_TRUE(bob->groups.empty());
}

TEST_F(CertsTest, ClientCertificateFromAnotherCaIsRejected) {
  auto client = make_client_cert(*ca_, "mallory");  // signed by the serving CA
  ASSERT_TRUE(client.has_value());
  auto id = verify_client_certificate_pem(client->cert_pem, client_ca_->cert_pem);
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().code, ErrorCode::kUnauthorized);
  EXPECT_THAT(id.error().message, testing::HasSubstr("client certificate rejected"));
}

TEST_F(CertsTest, ExpiredCertificateIsRejected) {
  auto client = make_client_cert(*client_ca_, "old", {}, -1);  // notAfter a day ago
  ASSERT_TRUE(client.has_value());
  auto id = verify_client_certificate_pem(client->cert_pem, client_ca_->cert_pem);
  ASSERT_FALSE(id.has_value());
  EXPECT_THAT(id.error().message, testing::HasSubstr("expired"));
}

TEST_F(CertsTest, Errors) {
  EXPECT_FALSE(make_client_cert(*client_ca_, "").has_value());
  EXPECT_FALSE(make_serving_cert(*ca_, {}, {}).has_value());
  auto bad_ca = make_client_cert(KeyPair{"not pem", "not pem"}, "x");
  ASSERT_FALSE(bad_ca.has_value());
  EXPECT_THAT(bad_ca.error().message, testing::HasSubstr("CA certificate"));
  auto client = make_client_cert(*client_ca_, "carol");
  ASSERT_TRUE(client.has_value());
  auto no_bundle = verify_client_certificate_pem(client->cert_pem, "garbage");
  ASSERT_FALSE(no_bundle.has_value());
  EXPECT_EQ(no_bundle.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(verify_client_certificate(nullptr, client_ca_->cert_pem).has_value());
}

}  // namespace
}  // namespace kftenant::testserver
