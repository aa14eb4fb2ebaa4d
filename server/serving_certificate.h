// The HTTPS certificate of `kftenant serve --tls-cert/--tls-key`: PEM files read at start and
// re-read when they change, so that a rotation (cert-manager renewing the Secret the pod mounts,
// which swaps the files in place) takes effect without a restart. A handshake checks the files'
// modification times and sizes at most once a second; a changed pair is loaded whole and used
// only if it parses and the key matches the certificate — a half-written rotation keeps the pair
// in use, and the next check tries again. Connections already open keep the certificate they
// were handshaken with. Thread-safe (handshakes run on every worker thread).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "kftenant/clock.h"
#include "kftenant/error.h"

typedef struct ssl_st SSL;          // <openssl/ssl.h>
typedef struct ssl_ctx_st SSL_CTX;  // <openssl/ssl.h>

namespace kftenant::server {

// What a rotation changes about a file (a kubelet-mounted Secret swaps a symlink: both move).
struct FileStamp {
  std::filesystem::file_time_type mtime;
  std::uintmax_t size = 0;
};

class ServingCertificate {
 public:
  // Reads the pair: kInvalidArgument naming the file and the flag when a file cannot be read,
  // holds no PEM certificate (chain) or private key, or the key is not the certificate's.
  [[nodiscard]] static Result<std::shared_ptr<ServingCertificate>> load(
      std::string cert_file, std::string key_file, std::shared_ptr<Clock> clock = system_clock());
  ~ServingCertificate();

  // Sets up a server SSL_CTX to take its certificate from this one on every handshake (TLS 1.2
  // at least, no renegotiation, no compression). `this` must outlive the context.
  void configure(SSL_CTX& ctx);

  // The pair to use now, re-read first if the files changed (see above); installs it on `ssl`.
  // False (the handshake fails) only when OpenSSL refuses to install a pair it loaded.
  bool use_on(SSL* ssl);

  // How many times a changed pair was loaded, and why the last attempt failed ("" if it did not):
  // for tests and the log line of `serve`.
  [[nodiscard]] int reloads() const;
  [[nodiscard]] std::string last_error() const;

 private:
  struct Pair;  // the certificate, its chain and key (OpenSSL objects)

  ServingCertificate(std::string cert_file, std::string key_file, std::shared_ptr<Clock> clock);
  [[nodiscard]] Result<std::shared_ptr<Pair>> read_pair() const;
  [[nodiscard]] std::pair<FileStamp, FileStamp> stamps() const;

  std::string cert_file_, key_file_;
  std::shared_ptr<Clock> clock_;
  mutable std::mutex mu_;
  std::shared_ptr<Pair> current_;
  std::pair<FileStamp, FileStamp> loaded_stamps_;
  std::chrono::steady_clock::time_point next_check_;
  int reloads_ = 0;
  std::string last_error_;
};

}  // namespace kftenant::server
