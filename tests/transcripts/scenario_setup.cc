#include "transcripts/scenario_setup.h"

namespace kftenant::transcripts {
namespace {

const char kConfigMaps[] = "/api/v1/namespaces/rec/configmaps";

SetupAction create_configmap(std::string before_step, const std::string& name, Json labels,
                             Json data) {
  SetupAction a;
  a.before_step = std::move(before_step);
  a.method = "POST";
  a.path = kConfigMaps;
  a.content_type = "application/json";
  a.body = {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", "rec"}}},
            {"data", std::move(data)}};
  if (!labels.is_null()) a.body["metadata"]["labels"] = std::move(labels);
  return a;
}

}  // namespace

ScenarioSetup setup_for(const std::string& scenario) {
  ScenarioSetup s;
  if (scenario == "06-delete") {
    // "the object was modified (unrecorded merge patch) after 'create-for-preconditions'"
    SetupAction patch;
    patch.before_step = "delete-precondition-stale-rv";
    patch.method = "PATCH";
    patch.path = std::string(kConfigMaps) + "/rec-cm-pre";
    patch.content_type = "application/merge-patch+json";
    patch.body = {{"data", {{"k", "v2"}}}};
    s.actions.push_back(patch);
    // "two ConfigMaps labelled rec-col=1 were created beforehand (unrecorded)"; names and data
    // as the answer of 'delete-collection' shows them.
    for (const char* name : {"rec-cm-col-1", "rec-cm-col-2"}) {
      s.actions.push_back(
          create_configmap("delete-collection", name, {{"rec-col", "1"}}, {{"k", "v"}}));
    }
  } else if (scenario == "07-list-paging") {
    // "ConfigMaps rec-page-1..5 labelled rec-set=page and rec-other labelled rec-set=other"
    for (int i = 1; i <= 5; ++i) {
      s.actions.push_back(create_configmap("", "rec-page-" + std::to_string(i),
                                           {{"rec-set", "page"}}, {{"i", std::to_string(i)}}));
    }
    s.actions.push_back(create_configmap("", "rec-other", {{"rec-set", "other"}}, {{"k", "v"}}));
  } else if (scenario == "08-watch") {
    // "ConfigMap rec-watch-existing (label rec-watch=1) was created just before 'list'."
    s.actions.push_back(
        create_configmap("list", "rec-watch-existing", {{"rec-watch", "1"}}, {{"k", "v"}}));
    // In the recording 'list-profiles' answered a revision newer than every write of the file:
    // unrelated writes landed in between (the README: the API server renews its own Lease every
    // 10 s, and the watches above took ~10 s). The test server has no background writers, so
    // one such write is made here.
    SetupAction unrelated;
    unrelated.before_step = "list-profiles";
    unrelated.method = "POST";
    unrelated.path = "/apis/coordination.k8s.io/v1/namespaces/rec/leases";
    unrelated.content_type = "application/json";
    unrelated.body = {{"apiVersion", "coordination.k8s.io/v1"},
                      {"kind", "Lease"},
                      {"metadata", {{"name", "rec-unrelated-write"}, {"namespace", "rec"}}},
                      {"spec", {{"holderIdentity", "kube-apiserver"}}}};
    s.actions.push_back(unrelated);
  } else if (scenario == "16-deployment-defaults") {
    SetupAction wait;  // the step is named 'get-after-1s'
    wait.before_step = "get-after-1s";
    wait.sleep = std::chrono::milliseconds(1000);
    s.actions.push_back(wait);
  } else if (scenario == "18-content-negotiation") {
    // Not in the file's notes, but every step reads rec-cm-neg; its content is what
    // 'accept-json-wildcard' shows.
    s.actions.push_back(create_configmap("accept-yaml", "rec-cm-neg", Json(),
                                         {{"k", "v"}, {"multi", "line one\nline two\n"}}));
  } else if (scenario == "19-paging-edges") {
    // "ConfigMaps rec-pg-1..4 labelled rec-set=pg."
    for (int i = 1; i <= 4; ++i) {
      s.actions.push_back(
          create_configmap("", "rec-pg-" + std::to_string(i), {{"rec-set", "pg"}}, {{"k", "v"}}));
    }
    s.steps_using_first_continue = {"continue-with-resource-version",
                                    "continue-with-resource-version-0"};
  }
  return s;
}

}  // namespace kftenant::transcripts
