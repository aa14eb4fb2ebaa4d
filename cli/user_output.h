// Human output of user views: the `user list` table and the `user show` details.
#pragma once

#include <string>
#include <vector>

#include "kftenant/tenancy/user_view.h"

namespace kftenant::cli {

// EMAIL BACKEND USERNAME PROFILE NAMESPACE QUOTA CONTRIBUTORS WARNINGS — one row per user and
// profile.
[[nodiscard]] std::string render_user_table(const std::vector<tenancy::UserView>& users);

// "Email: ...\nBackend: ...\n..." then one block per profile with its contributors.
[[nodiscard]] std::string render_user_details(const tenancy::UserView& user);

}  // namespace kftenant::cli
