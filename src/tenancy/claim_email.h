// The email as Dex puts it in the claim, for planners that write an email into a Profile or a
// binding (the userid header carries exactly it).
#pragma once

#include <string>

#include "kftenant/dex/user_directory.h"
#include "kftenant/plan/plan.h"
#include "kftenant/store/object_store.h"

namespace kftenant::tenancy::detail {

// The stored case of an existing Dex user's email (static entry or Password object), with a note
// in `plan` when it differs from `email`; `email` itself when there is no such user or Dex's
// users cannot be read.
[[nodiscard]] std::string claim_email(store::ObjectStore& store, const dex::DexLocation& location,
                                      const std::string& email, plan::Plan& plan);

}  // namespace kftenant::tenancy::detail
