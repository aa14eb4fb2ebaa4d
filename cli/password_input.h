// Where a new Dex password comes from on the command line. Passwords never travel in argv
// (visible in `ps` and shell history): they are read from stdin, a file, the terminal, or
// generated. No function here puts a password into an error message.
#pragma once

#include <string>
#include <string_view>

#include "kftenant/error.h"

namespace kftenant::cli {

enum class PasswordSource {
  kStdin,     // --password-stdin
  kFile,      // --password-file FILE
  kGenerate,  // --generate-password
  kPrompt,    // none of the above: ask on the terminal, if there is one
};

// Largest input read from stdin or a file; a password is at most 72 bytes anyway.
inline constexpr std::size_t kMaxPasswordInputBytes = 4096;

// Returns the password from `source`, checked with dex::validate_password (8..72 bytes, no NUL);
// errors are prefixed with where the password came from.
//  - kStdin: all of stdin with ONE trailing "\n" or "\r\n" removed (`echo pw |` works; a
//    password ending in spaces keeps them).
//  - kFile: `path` must be a regular file (symlinks are followed, so mounted Kubernetes
//    Secrets work, with defaultMode 0400 or 0600) that only its owner can access: any group or
//    other permission bit is refused (kInvalidArgument, "chmod 600 <path>"). One trailing
//    newline is removed.
//  - kGenerate: tenancy::generate_password().
//  - kPrompt: only when stdin is a terminal; asks on /dev/tty "Password for <email>: " and, when
//    `confirm`, "Repeat password: " (mismatch is an error). Prompts are written to the terminal,
//    not stderr, so redirecting stderr to a log does not hide them. Without a terminal:
//    kInvalidArgument "no password given: use --password-stdin, --password-file FILE or
//    --generate-password".
[[nodiscard]] Result<std::string> read_password(PasswordSource source, const std::string& path,
                                                const std::string& email, bool confirm = true);

// The pieces of read_password, exposed for tests.

// Reads all of `fd` (at most kMaxPasswordInputBytes) and strips one trailing newline. `what`
// names the source in errors ("stdin").
[[nodiscard]] Result<std::string> read_password_from_fd(int fd, std::string_view what);

// kFile without the dex::validate_password check.
[[nodiscard]] Result<std::string> read_password_file(const std::string& path);

// Prompts on the terminal `tty_fd` (read and written) with echo off; echo and the previous
// terminal settings are restored on every return path and, if SIGINT/SIGTERM/SIGHUP arrives
// while waiting, before the signal's default action runs.
[[nodiscard]] Result<std::string> prompt_password(int tty_fd, std::string_view email, bool confirm);

}  // namespace kftenant::cli
