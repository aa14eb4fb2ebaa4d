// bcrypt hashing for Dex passwords, through libxcrypt.
//
// Dex accepts any `$2?$` bcrypt hash at config parse time, but refuses logins whose hash cost is
// outside 10..16 (dexidp/dex server/api.go checkCost, run in passwordDB.Login), so kftenant only
// produces costs in that window. Hashes are made with the `$2y$` prefix, as Kubeflow's documented
// procedure does; `$2a$`/`$2b$`/`$2y$` hashes made elsewhere are all accepted when read.
#pragma once

#include <string>
#include <string_view>

#include "kftenant/error.h"

namespace kftenant::dex {

inline constexpr int kMinBcryptCost = 10;      // bcrypt.DefaultCost, Dex's lower bound
inline constexpr int kMaxBcryptCost = 16;      // Dex's upBoundCost
inline constexpr int kDefaultBcryptCost = 12;  // Dex's recCost and Kubeflow's documented rounds
inline constexpr std::size_t kMinPasswordBytes = 8;
inline constexpr std::size_t kMaxPasswordBytes = 72;  // bcrypt ignores what follows

// Checks the password: 8..72 bytes, no NUL, no line break and no other control character
// (C0 or DEL). The message never contains the password.
[[nodiscard]] Result<void> validate_password(std::string_view password);

// Hashes `password` with a fresh random salt: "$2y$<cost>$...". kInvalidArgument for a cost
// outside 10..16 or a bad password length.
[[nodiscard]] Result<std::string> bcrypt_hash(std::string_view password,
                                              int cost = kDefaultBcryptCost);

// True when `password` matches `hash` ($2a$, $2b$ or $2y$). A malformed hash is an error.
[[nodiscard]] Result<bool> bcrypt_verify(std::string_view password, std::string_view hash);

// The cost of a bcrypt hash, checked as golang.org/x/crypto/bcrypt reads it: '$', major '2',
// optional minor letter, '$', two-digit cost 04..31, '$', and at least 59 bytes in all.
[[nodiscard]] Result<int> bcrypt_cost(std::string_view hash);

}  // namespace kftenant::dex
