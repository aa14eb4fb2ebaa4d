// Internal: the two UserDirectory backends and what they share.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "kftenant/clock.h"
#include "kftenant/dex/password_object.h"
#include "kftenant/dex/user_directory.h"

namespace kftenant::dex::detail {

// config.yaml in a ConfigMap (staticPasswords). `clock` stamps kubectl's restartedAt.
[[nodiscard]] std::unique_ptr<UserDirectory> make_static_directory(DexLocation location,
                                                                   std::shared_ptr<Clock> clock);

// dex.coreos.com/v1 Password objects.
[[nodiscard]] std::unique_ptr<UserDirectory> make_password_object_directory(DexLocation location);

// Checks what plan_upsert needs from `user`: a non-empty, valid UTF-8 email and a bcrypt hash
// Dex can read (a malformed hash in config.yaml makes Dex exit at startup). `allow_hash_from_env`
// accepts a static entry that names an env var instead of a hash.
[[nodiscard]] Result<void> validate_user(const DexUser& user, bool allow_hash_from_env);

}  // namespace kftenant::dex::detail
