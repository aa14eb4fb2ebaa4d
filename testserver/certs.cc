#include "testserver/certs.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace kftenant::testserver {

namespace {

template <auto Fn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;

// The most recent OpenSSL error as text (the queue is cleared).
std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

tl::unexpected<Error> ssl_fail(std::string_view what) {
  return make_error(ErrorCode::kInternal, fmt::format("{}: {}", what, openssl_error()));
}

Result<KeyPtr> generate_key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return ssl_fail("generating an EC P-256 key");
  return key;
}

Result<std::string> to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return ssl_fail("writing certificate PEM");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<std::string> to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return ssl_fail("writing key PEM");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<X509Ptr> read_cert(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument, "not a PEM certificate");
  }
  return cert;
}

Result<KeyPtr> read_key(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  KeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument, "not a PEM private key");
  }
  return key;
}

Result<void> add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return ssl_fail(fmt::format("adding extension {}={}", OBJ_nid2sn(nid), value));
  return ok();
}

struct Subject {
  std::string common_name;
  std::vector<std::string> organizations;
};

// A new certificate for `key` with subject, random serial and validity; not yet signed.
Result<X509Ptr> new_cert(EVP_PKEY* key, const Subject& subject, int days) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) return ssl_fail("creating certificate");
  BnPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
    return ssl_fail("setting serial number");
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 24 * 3600))
    return ssl_fail("setting validity");
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& o : subject.organizations)
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1,
                                   0) != 1)
      return ssl_fail("setting subject O");
  if (X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(subject.common_name.c_str()), -1, -1, 0) != 1)
    return ssl_fail("setting subject CN");
  if (X509_set_pubkey(cert.get(), key) != 1) return ssl_fail("setting public key");
  return cert;
}

Result<KeyPair> finish(X509* cert, X509* issuer_cert, EVP_PKEY* issuer_key, EVP_PKEY* key) {
  if (X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert)) != 1)
    return ssl_fail("setting issuer");
  if (X509_sign(cert, issuer_key, EVP_sha256()) == 0) return ssl_fail("signing certificate");
  auto cert_pem = to_pem(cert);
  if (!cert_pem) return tl::unexpected(cert_pem.error());
  auto key_pem = to_pem(key);
  if (!key_pem) return tl::unexpected(key_pem.error());
  return KeyPair{std::move(*cert_pem), std::move(*key_pem)};
}

// Issues a leaf certificate signed by `ca` with the given extensions.
Result<KeyPair> issue(const KeyPair& ca, const Subject& subject, int days,
                      const std::vector<std::pair<int, std::string>>& extensions) {
  auto ca_cert = read_cert(ca.cert_pem);
  if (!ca_cert) return tl::unexpected(ca_cert.error().with_context("CA certificate"));
  auto ca_key = read_key(ca.key_pem);
  if (!ca_key) return tl::unexpected(ca_key.error().with_context("CA key"));
  auto key = generate_key();
  if (!key) return tl::unexpected(key.error());
  auto cert = new_cert(key->get(), subject, days);
  if (!cert) return tl::unexpected(cert.error());
  for (const auto& [nid, value] : extensions)
    if (auto r = add_ext(cert->get(), ca_cert->get(), nid, value); !r)
      return tl::unexpected(r.error());
  return finish(cert->get(), ca_cert->get(), ca_key->get(), key->get());
}

std::string entry_text(X509_NAME* name, int index) {
  X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, index);
  ASN1_STRING* data = entry ? X509_NAME_ENTRY_get_data(entry) : nullptr;
  if (!data) return {};
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace

Result<KeyPair> make_ca(std::string_view common_name, int days) {
  auto key = generate_key();
  if (!key) return tl::unexpected(key.error());
  auto cert = new_cert(key->get(), {std::string(common_name), {}}, days);
  if (!cert) return tl::unexpected(cert.error());
  X509* c = cert->get();
  for (const auto& [nid, value] : std::vector<std::pair<int, std::string>>{
           {NID_basic_constraints, "critical,CA:TRUE"},
           {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"},
           {NID_subject_key_identifier, "hash"}})
    if (auto r = add_ext(c, c, nid, value); !r) return tl::unexpected(r.error());
  return finish(c, c, key->get(), key->get());
}

Result<KeyPair> make_serving_cert(const KeyPair& ca, const std::vector<std::string>& dns_names,
                                  const std::vector<std::string>& ips, int days) {
  std::string san;
  for (const auto& d : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
  for (const auto& ip : ips) san += (san.empty() ? "IP:" : ",IP:") + ip;
  if (san.empty())
    return make_error(ErrorCode::kInvalidArgument,
                      "a serving certificate needs at least one DNS name or IP address");
  std::string cn = dns_names.empty() ? ips.front() : dns_names.front();
  return issue(ca, {cn, {}}, days,
               {{NID_basic_constraints, "critical,CA:FALSE"},
                {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                {NID_ext_key_usage, "serverAuth"},
                {NID_subject_key_identifier, "hash"},
                {NID_authority_key_identifier, "keyid:always"},
                {NID_subject_alt_name, san}});
}

Result<KeyPair> make_client_cert(const KeyPair& ca, std::string_view user,
                                 const std::vector<std::string>& groups, int days) {
  if (user.empty())
    return make_error(ErrorCode::kInvalidArgument, "a client certificate needs a user name (CN)");
  return issue(ca, {std::string(user), groups}, days,
               {{NID_basic_constraints, "critical,CA:FALSE"},
                {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                {NID_ext_key_usage, "clientAuth"},
                {NID_authority_key_identifier, "keyid:always"}});
}

Result<CertIdentity> verify_client_certificate(X509* peer, std::string_view client_ca_pem) {
  if (!peer) return make_error(ErrorCode::kUnauthorized, "no client certificate");
  StorePtr store(X509_STORE_new());
  if (!store) return ssl_fail("creating certificate store");
  BioPtr bio(BIO_new_mem_buf(client_ca_pem.data(), static_cast<int>(client_ca_pem.size())));
  int added = 0;
  while (bio) {
    X509Ptr ca(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!ca) break;
    if (X509_STORE_add_cert(store.get(), ca.get()) == 1) ++added;
  }
  ERR_clear_error();  // the loop ends on a "no start line" error
  if (added == 0)
    return make_error(ErrorCode::kInvalidArgument, "the client CA bundle holds no PEM certificate");
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), peer, nullptr) != 1)
    return ssl_fail("initialising certificate verification");
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return make_error(ErrorCode::kUnauthorized, fmt::format("client certificate rejected: {}",
                                                            X509_verify_cert_error_string(err)));
  }
  CertIdentity id;
  X509_NAME* subject = X509_get_subject_name(peer);
  int cn = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (cn >= 0) id.user = entry_text(subject, cn);
  if (id.user.empty())
    return make_error(ErrorCode::kUnauthorized, "client certificate has no subject CN");
  for (int i = X509_NAME_get_index_by_NID(subject, NID_organizationName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_organizationName, i))
    id.groups.push_back(entry_text(subject, i));
  return id;
}

Result<CertIdentity> verify_client_certificate_pem(std::string_view cert_pem,
                                                   std::string_view client_ca_pem) {
  auto cert = read_cert(cert_pem);
  if (!cert) return tl::unexpected(cert.error().with_context("client certificate"));
  return verify_client_certificate(cert->get(), client_ca_pem);
}

}  // namespace kftenant::testserver
