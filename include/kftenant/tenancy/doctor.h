// `kftenant doctor`: does the installation have what Kubeflow multi-user management needs, and
// what is wrong with its users (diagnostics.h). Read-only, on a cluster or a manifests folder.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/store/object_store.h"
#include "kftenant/tenancy/diagnostics.h"
#include "kftenant/tenancy/users.h"

namespace kftenant::tenancy {

struct InstallCheck {
  enum class State {
    kOk,
    kMissing,      // required and not there
    kAbsent,       // optional and not there
    kCannotCheck,  // the caller may not read it (403): nothing known
    kError,        // reading it failed otherwise (401, a server error, unparsable data)
  };
  std::string name;  // "ConfigMap auth/dex config.yaml", "CRD profiles.kubeflow.org"
  State state = State::kMissing;
  bool required = true;
  std::string detail;  // what was found, or how to fix it

  // Not confirmed: also "cannot check", since doctor must not call healthy what it could not see.
  [[nodiscard]] bool failed() const { return state != State::kOk && state != State::kAbsent; }
};

// In order: the store answers (ObjectStore::check_reachable); Dex's namespace, its ConfigMap
// (config.yaml parses, enablePasswordDB) and Deployment (replicas available); the Profile CRD;
// Dex's Password CRD (optional: only the password-crd backend needs it); Kubeflow's ClusterRoles
// kubeflow-admin/edit/view. When the store does not answer, that check is the only one. On a
// store that is not live (a manifests folder) only Dex's ConfigMap and Deployment are required:
// the rest often comes from another part of the install, so there it is "absent", not missing.
[[nodiscard]] std::vector<InstallCheck> check_installation(store::ObjectStore& store,
                                                           const TenancyContext& context);

struct DoctorReport {
  std::vector<InstallCheck> checks;
  std::vector<Finding> findings;  // diagnose()'s, when it could run
  // Why diagnose() could not run (a forbidden read, an unparsable config.yaml).
  std::optional<Error> findings_error;

  // No required check failed, no finding is an error, and diagnose() ran or was only forbidden
  // (a forbidden read shows as "cannot check" beside the checks that say what is missing).
  [[nodiscard]] bool healthy() const;
};

// check_installation, then diagnose() unless the store did not answer.
[[nodiscard]] DoctorReport run_doctor(store::ObjectStore& store, const TenancyContext& context);

// "ok", "MISSING", "absent", "unknown" (cannot check), "ERROR": as `doctor` prints them.
[[nodiscard]] std::string_view to_string(InstallCheck::State state);

// The report as `doctor -o json` prints it and GET /api/v1/doctor answers it:
// {healthy, checks: [{name, state, required, detail}], findings: [{severity: error|warning,
// object, message, fix?}], findingsError?}. Fixes are described, never run.
[[nodiscard]] nlohmann::json to_json(const DoctorReport& report);

}  // namespace kftenant::tenancy
