// The REST API's user write endpoints, over the same planners and Plan/apply path as
// `kftenant user add/remove/passwd` (tenancy/users.h): resourceVersion carried, re-planned on a
// 409, every refusal found while planning, before anything is written. Administrators only.
//
//   POST   /api/v1/users                    create a user (and profile): 201 with the user as
//                                           GET /api/v1/users/{email} shows it, 200 when it was
//                                           all in place already
//   GET    /api/v1/users/{email}/removal    what DELETE would remove (profiles, their
//                                           namespaces' contents, access to other profiles)
//   DELETE /api/v1/users/{email}            remove it; the body must confirm the email
//   POST   /api/v1/users/{email}/password   set a new password (given or generated)
//   POST   /api/v1/me/password              the caller changes their own password: the
//                                           current one is checked against the stored hash
//
// The two password endpoints count attempts per caller and per client address (AttemptLimiter):
// past the limit, 429 with Retry-After, before any hash is compared.
//
// A generated password is in the answer of the request that wrote it ("generatedPassword"),
// and nowhere else: not in a log, not in a later answer. When Dex already had the user, its
// password is kept and none is returned.
#pragma once

#include "kftenant/store/object_store.h"
#include "kftenant/tenancy/users.h"
#include "server/attempt_limiter.h"
#include "server/json_body.h"
#include "server/route_table.h"

namespace kftenant::server {

struct UserWriteOptions {
  int bcrypt_cost = dex::kDefaultBcryptCost;  // for new and reset passwords
  kubeflow::ContributorOptions contributor;   // how KFAM names the userid header (removal)
  // Attempts at the password endpoints; null: AttemptLimiter's defaults.
  std::shared_ptr<AttemptLimiter> password_attempts = nullptr;
};

class UserWriteApi {
 public:
  // `store` must outlive the API and be safe to use from several threads.
  UserWriteApi(store::ObjectStore& store, tenancy::TenancyContext context,
               UserWriteOptions options = {})
      : store_(store),
        context_(std::move(context)),
        options_(std::move(options)),
        attempts_(options_.password_attempts ? options_.password_attempts
                                             : std::make_shared<AttemptLimiter>()) {}

  void add_routes(RouteTable& routes);

 private:
  ApiResponse create_user(const ApiRequest& request);
  ApiResponse create_user(const ApiRequest& request, const JsonBody& body,
                          const std::string& email);
  ApiResponse removal_preview(const ApiRequest& request);
  ApiResponse delete_user(const ApiRequest& request);
  ApiResponse set_password(const ApiRequest& request);
  ApiResponse change_own_password(const ApiRequest& request);
  // The attempt limits of the password endpoints: nullopt, or the 429 to answer.
  [[nodiscard]] std::optional<ApiResponse> over_attempt_limit(const ApiRequest& request);

  store::ObjectStore& store_;
  tenancy::TenancyContext context_;
  UserWriteOptions options_;
  std::shared_ptr<AttemptLimiter> attempts_;
};

}  // namespace kftenant::server
