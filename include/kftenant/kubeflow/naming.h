// Names Kubeflow derives from user emails, copied exactly so that objects kftenant makes are the
// ones Kubeflow's dashboard, KFAM and profile controller look for.
#pragma once

#include <string>
#include <string_view>

#include "kftenant/error.h"

namespace kftenant::kubeflow {

// The profile (namespace) name the central dashboard's registration flow proposes for `email`:
// the part before '@', every non-word character and '.' replaced by '-', lower-cased
// (kubeflow/dashboard components/centraldashboard/public/components/registration-page.js).
// The result may still be an invalid namespace name (e.g. it keeps '_'): check it with
// validate_profile_name.
[[nodiscard]] std::string default_profile_name(std::string_view email);

// A DNS-1123 label (what a namespace name must be): 1..63 of [a-z0-9-], alphanumeric at both ends.
[[nodiscard]] Result<void> validate_profile_name(std::string_view name);

// KFAM's RoleBinding / AuthorizationPolicy name for a contributor (access-management
// kfam/bindings.go getBindingName): lower(join([kind, QueryEscape(name with [^a-zA-Z0-9]+ → "-"),
// "ClusterRole", role], "-")) with every run of non-[a-z0-9] then collapsed to '-'.
// binding_name("User", "user@example.com", "edit") == "user-user-example-com-clusterrole-edit".
[[nodiscard]] std::string binding_name(std::string_view subject_kind, std::string_view subject_name,
                                       std::string_view role);

}  // namespace kftenant::kubeflow
