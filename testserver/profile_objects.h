// What Kubeflow's profile controller (kubeflow/kubeflow@v1.10.0
// components/profile-controller/controllers/profile_controller.go) writes for a Profile, as pure
// functions: shared by the test server's simulated controller (profile_controller.cc) and the
// stand-in that plays the controller against a real kube-apiserver
// (tests/support/stand_in_controllers.h), so both make the same objects.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace kftenant::testserver::profile_objects {

using ojson = nlohmann::ordered_json;

// profile_controller.go constants.
inline constexpr const char* kAuthorizationPolicyName =
    "ns-owner-access-istio";                                    // AUTHZPOLICYISTIO
inline constexpr const char* kQuotaName = "kf-resource-quota";  // KFQUOTA
inline constexpr const char* kFinalizer = "profile-finalizer";  // PROFILEFINALIZER
inline constexpr const char* kNamespaceAdmin = "namespaceAdmin";

// controllerutil.SetControllerReference(profile, obj): the Profile's v1 GVK (the controller's
// scheme registers kubeflow.org/v1).
[[nodiscard]] ojson controller_reference(const ojson& profile);

// setNamespaceLabels: a default is added only when absent; "" removes the key.
void merge_default_labels(ojson& labels, const std::map<std::string, std::string>& defaults);

// getAuthorizationPolicy, as the API server stores it: the istio types marshal with jsonpb
// (zero values omitted), so `action: ALLOW` (enum 0) and the nil selector do not appear.
[[nodiscard]] ojson authorization_policy_spec(const std::string& profile, const std::string& owner,
                                              const std::string& userid_header,
                                              const std::string& userid_prefix);

// The typed value the controller compares (reflect.DeepEqual on the istio struct): an explicit
// `action: ALLOW` equals the omitted zero value. Keys sorted.
[[nodiscard]] ojson comparable_policy_spec(ojson spec);

// rbacv1.Subject from the Profile's spec.owner: only the Subject fields survive decoding.
[[nodiscard]] ojson owner_subject(const ojson& owner);

// corev1.ResourceQuotaSpec from the Profile's spec.resourceQuotaSpec.
[[nodiscard]] ojson quota_spec(const ojson& spec);

}  // namespace kftenant::testserver::profile_objects
