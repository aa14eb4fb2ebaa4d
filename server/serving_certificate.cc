#include "server/serving_certificate.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

namespace kftenant::server {

struct ServingCertificate::Pair {
  X509* cert = nullptr;
  STACK_OF(X509) * chain = nullptr;  // intermediates after the leaf, in file order
  EVP_PKEY* key = nullptr;
  ~Pair() {
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
  }
};

namespace {

Result<std::string> slurp(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in)
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("{} {}: cannot be read (give a PEM file this process may read)", flag, path));
  return text.str();
}

std::string openssl_reason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no PEM block";
  const char* reason = ERR_reason_error_string(code);
  return reason ? reason : "unreadable";
}

}  // namespace

ServingCertificate::ServingCertificate(std::string cert_file, std::string key_file,
                                       std::shared_ptr<Clock> clock)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)), clock_(std::move(clock)) {}

ServingCertificate::~ServingCertificate() = default;

Result<std::shared_ptr<ServingCertificate>> ServingCertificate::load(std::string cert_file,
                                                                     std::string key_file,
                                                                     std::shared_ptr<Clock> clock) {
  std::shared_ptr<ServingCertificate> out(
      new ServingCertificate(std::move(cert_file), std::move(key_file), std::move(clock)));
  out->loaded_stamps_ = out->stamps();
  auto pair = out->read_pair();
  if (!pair) return fail(pair.error());
  out->current_ = std::move(*pair);
  out->next_check_ = out->clock_->now() + std::chrono::seconds(1);
  return out;
}

Result<std::shared_ptr<ServingCertificate::Pair>> ServingCertificate::read_pair() const {
  auto cert_pem = slurp(cert_file_, "--tls-cert");
  if (!cert_pem) return fail(cert_pem.error());
  auto key_pem = slurp(key_file_, "--tls-key");
  if (!key_pem) return fail(key_pem.error());
  auto pair = std::make_shared<Pair>();
  ERR_clear_error();
  {
    BIO* bio = BIO_new_mem_buf(cert_pem->data(), static_cast<int>(cert_pem->size()));
    pair->cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    if (pair->cert) {
      pair->chain = sk_X509_new_null();
      while (X509* next = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr))
        sk_X509_push(pair->chain, next);
      ERR_clear_error();  // the end of the file reads as an error
    }
    BIO_free(bio);
  }
  if (!pair->cert)
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("--tls-cert {}: not a PEM certificate ({})", cert_file_, openssl_reason()));
  {
    BIO* bio = BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size()));
    pair->key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
  }
  // The key's text is never part of a message.
  if (!pair->key)
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("--tls-key {}: not an unencrypted PEM private key ({})",
                                  key_file_, openssl_reason()));
  if (X509_check_private_key(pair->cert, pair->key) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("--tls-key {} is not the key of --tls-cert {}: give the pair "
                                  "from the same Secret",
                                  key_file_, cert_file_));
  }
  return pair;
}

std::pair<FileStamp, FileStamp> ServingCertificate::stamps() const {
  auto stamp = [](const std::string& path) {
    FileStamp s;
    std::error_code ec;
    s.mtime = std::filesystem::last_write_time(path, ec);
    s.size = std::filesystem::file_size(path, ec);
    if (ec) s.size = 0;
    return s;
  };
  return {stamp(cert_file_), stamp(key_file_)};
}

void ServingCertificate::configure(SSL_CTX& ctx) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(
      &ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_cert_cb(
      &ctx,
      [](SSL* ssl, void* self) -> int {
        return static_cast<ServingCertificate*>(self)->use_on(ssl) ? 1 : 0;
      },
      this);
}

bool ServingCertificate::use_on(SSL* ssl) {
  std::shared_ptr<Pair> pair;
  {
    std::lock_guard lock(mu_);
    const auto now = clock_->now();
    if (now >= next_check_) {
      next_check_ = now + std::chrono::seconds(1);
      auto seen = stamps();
      const auto same = [](const FileStamp& a, const FileStamp& b) {
        return a.mtime == b.mtime && a.size == b.size;
      };
      if (!same(seen.first, loaded_stamps_.first) || !same(seen.second, loaded_stamps_.second)) {
        auto fresh = read_pair();
        if (fresh) {
          current_ = std::move(*fresh);
          loaded_stamps_ = seen;
          ++reloads_;
          last_error_.clear();
        } else {
          last_error_ = fresh.error().message;  // stamps kept: tried again next second
        }
      }
    }
    pair = current_;
  }
  // Increments the objects' references: the SSL keeps them whatever replaces `current_`.
  return SSL_use_cert_and_key(ssl, pair->cert, pair->key, pair->chain, 1) == 1;
}

int ServingCertificate::reloads() const {
  std::lock_guard lock(mu_);
  return reloads_;
}

std::string ServingCertificate::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

}  // namespace kftenant::server
