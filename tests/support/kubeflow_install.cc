#include "support/kubeflow_install.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "kftenant/base64.h"
#include "kftenant/kube/resource.h"
#include "kftenant/yaml.h"

namespace kftenant::testing {
using json = nlohmann::json;
namespace res = kube::resources;

namespace {

// j at `pointer`, or `fallback` when anything on the way is missing.
nlohmann::json at_or(const nlohmann::json& j, const char* pointer, nlohmann::json fallback) {
  const nlohmann::json::json_pointer ptr(pointer);
  return j.contains(ptr) ? j.at(ptr) : fallback;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::vector<json>> documents(const std::string& path) {
  auto text = read_file(path);
  if (!text) return tl::unexpected(text.error());
  auto docs = yaml::parse_all(*text, path);
  if (!docs) return tl::unexpected(docs.error());
  std::vector<json> out;
  for (auto& d : *docs)
    if (d.is_object() && d.contains("kind")) out.push_back(std::move(d));
  return out;
}

json namespace_object(const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
}

}  // namespace

Result<std::vector<json>> kubeflow_install_objects(const std::string& data_dir) {
  const std::string km = data_dir + "/kubeflow-manifests/";
  std::vector<json> out;
  auto add_file = [&](const std::string& path, const std::string& ns) -> Result<void> {
    auto docs = documents(path);
    if (!docs) return tl::unexpected(docs.error());
    for (auto& d : *docs) {
      if (!ns.empty()) d["metadata"]["namespace"] = ns;
      out.push_back(std::move(d));
    }
    return {};
  };
  for (const char* ns : {"kubeflow", "istio-system"}) out.push_back(namespace_object(ns));
  for (const auto& [file, ns] : std::vector<std::pair<std::string, std::string>>{
           {km + "common/dex/base/namespace.yaml", ""},
           {km + "applications/profiles/upstream/crd/bases/kubeflow.org_profiles.yaml", ""},
           {km + "common/istio/authorizationpolicies.security.istio.io.yaml", ""},
           {km + "common/dex/base/upstream/crds.yaml", ""},
           {data_dir + "/dex-crds/passwords.dex.coreos.com.yaml", ""},
           {km + "common/kubeflow-roles/base/cluster-roles.yaml", ""},
           {km + "common/dex/base/serviceaccount.yaml", "auth"},
           {km + "common/dex/base/rbac.yaml", ""},
           {km + "common/dex/base/dex-passwords.yaml", "auth"},
           {km + "common/dex/overlays/oauth2-proxy/config-map.yaml", "auth"},
           {km + "common/dex/base/deployment.yaml", "auth"},
           {km + "common/user-namespace/base/profile-instance.yaml", ""}}) {
    if (auto r = add_file(file, ns); !r) return tl::unexpected(r.error());
  }
  // rbac.yaml holds a ClusterRole and a ClusterRoleBinding: no namespace. The binding's subject
  // names namespace auth itself.
  // secretGenerator dex-oidc-client from secret_params.env (disableNameSuffixHash: true).
  auto env = read_file(km + "common/dex/base/secret_params.env");
  if (!env) return tl::unexpected(env.error());
  json data = json::object();
  std::stringstream lines(*env);
  std::string line;
  while (std::getline(lines, line)) {
    auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    data[line.substr(0, eq)] = base64::encode(line.substr(eq + 1));
  }
  out.push_back({{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"metadata", {{"name", "dex-oidc-client"}, {"namespace", "auth"}}},
                 {"type", "Opaque"},
                 {"data", data}});
  return out;
}

Result<void> install_kubeflow(kube::Client& admin, const std::vector<json>& objects) {
  for (const auto& o : objects) {
    const std::string api_version = o.value("apiVersion", "");
    const std::string kind = o.value("kind", "");
    const std::string name = o["metadata"].value("name", "");
    // A kind from a CRD created just before is served a moment after it is Established.
    Result<kube::ResourceRef> ref = make_error(ErrorCode::kNotFound, "");
    for (int i = 0; i < 100; ++i) {
      ref = admin.resolve(api_version, kind);
      if (ref) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!ref) return tl::unexpected(ref.error().with_context(fmt::format("{} {}", kind, name)));
    auto created = admin.create(*ref, o["metadata"].value("namespace", ""), o);
    if (!created && created.error().code != ErrorCode::kAlreadyExists) {
      return tl::unexpected(created.error().with_context(fmt::format("create {} {}", kind, name)));
    }
    if (kind != "CustomResourceDefinition") continue;
    bool established = false;
    for (int i = 0; i < 100 && !established; ++i) {
      auto crd = admin.get(res::kCustomResourceDefinitions, "", name);
      if (crd) {
        for (const auto& c : at_or(*crd, "/status/conditions", json::array()))
          if (c.value("type", "") == "Established" && c.value("status", "") == "True")
            established = true;
      }
      if (!established) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!established)
      return make_error(ErrorCode::kTimeout,
                        "CustomResourceDefinition " + name + " not Established");
  }
  return {};
}

}  // namespace kftenant::testing
