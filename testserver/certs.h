// In-memory X.509 material for the test API server (OpenSSL 3, EC P-256, SHA-256): a serving CA
// and certificate for https://127.0.0.1, and a separate client CA that signs client
// certificates whose subject carries the user (CN) and groups (one O per group), the way
// kube-apiserver's x509 authenticator reads them. Nothing touches the file system.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kftenant/error.h"

typedef struct x509_st X509;  // from <openssl/x509.h>

namespace kftenant::testserver {

// A certificate and its private key, PEM (the key as unencrypted PKCS#8).
struct KeyPair {
  std::string cert_pem;
  std::string key_pem;
};

// Self-signed CA: CA:TRUE (critical), keyUsage keyCertSign + cRLSign + digitalSignature,
// subject CN=<common_name>, valid from one hour ago for `days` days.
[[nodiscard]] Result<KeyPair> make_ca(std::string_view common_name, int days = 365);

// Serving certificate signed by `ca`: CN=<first DNS name>, serverAuth, SANs DNS:<dns_names...>
// and IP:<ips...> (default localhost, 127.0.0.1, ::1).
[[nodiscard]] Result<KeyPair> make_serving_cert(
    const KeyPair& ca, const std::vector<std::string>& dns_names = {"localhost"},
    const std::vector<std::string>& ips = {"127.0.0.1", "::1"}, int days = 365);

// Client certificate signed by `ca`: subject CN=<user>, O=<group> for each group, clientAuth.
[[nodiscard]] Result<KeyPair> make_client_cert(const KeyPair& ca, std::string_view user,
                                               const std::vector<std::string>& groups = {},
                                               int days = 365);

// Who a verified client certificate names.
struct CertIdentity {
  std::string user;                 // subject CN
  std::vector<std::string> groups;  // subject O entries, in order
};

// Verifies `peer` (not owned) against the CA certificate(s) in `client_ca_pem` for the TLS client
// purpose and returns its CN and O list. Errors: kUnauthorized with OpenSSL's reason
// ("certificate signature failure", "certificate has expired", ...), kInvalidArgument for an
// unreadable CA, or a certificate without CN.
[[nodiscard]] Result<CertIdentity> verify_client_certificate(X509* peer,
                                                             std::string_view client_ca_pem);
// Same for a PEM certificate.
[[nodiscard]] Result<CertIdentity> verify_client_certificate_pem(std::string_view cert_pem,
                                                                 std::string_view client_ca_pem);

}  // namespace kftenant::testserver
