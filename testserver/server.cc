// ApiServer: lifecycle (certificates, TLS, listening thread), the public C++ API and the
// /testserver/ control endpoints.
#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include "kftenant/base64.h"
#include "kftenant/listen_backlog.h"
#include "testserver/bootstrap_policy.h"
#include "testserver/seed_kubeflow.h"
#include "testserver/server_impl.h"
#include "testserver/typing.h"

namespace kftenant::testserver {
namespace {

// The revision of the store at start: like a cluster that has been running for a while, so that
// resourceVersion=1 is too old (08-watch) and forged old continue tokens are compacted (19).
constexpr int64_t kBaseResourceVersion = 1000;

std::string random_token() {
  std::random_device rd;
  std::string s;
  static const char* hex = "0123456789abcdef";
  for (int i = 0; i < 40; ++i) s += hex[rd() % 16];
  return s;
}

bool use_pem(SSL_CTX& ctx, const KeyPair& pair) {
  BIO* cb = BIO_new_mem_buf(pair.cert_pem.data(), static_cast<int>(pair.cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  BIO_free(cb);
  BIO* kb = BIO_new_mem_buf(pair.key_pem.data(), static_cast<int>(pair.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(kb);
  bool ok = cert && key && SSL_CTX_use_certificate(&ctx, cert) == 1 &&
            SSL_CTX_use_PrivateKey(&ctx, key) == 1 && SSL_CTX_check_private_key(&ctx) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

// Client certificates are optional at the TLS level; each request checks the one presented.
int accept_any_client_cert(int, X509_STORE_CTX*) {
  return 1;
}

ojson fault_to_json(const FaultRule& f) {
  ojson j = {{"method", f.method},
             {"path_regex", f.path_regex},
             {"count", f.count},
             {"skip", f.skip},
             {"status", f.status},
             {"reason", f.reason},
             {"latency_ms", f.latency.count()},
             {"drop_connection", f.drop_connection},
             {"drop_before_processing", f.drop_before_processing},
             {"end_watch", f.end_watch}};
  if (f.retry_after_seconds) j["retry_after_seconds"] = *f.retry_after_seconds;
  return j;
}

}  // namespace

ApiServer::Impl::Impl(Options options)
    : opts(std::move(options)), store(opts.watch_history, kBaseResourceVersion) {
  rollout_delay_ms = opts.rollout_delay.count();
  profile_controller_paused = opts.profile_controller_paused;
}

ApiServer::Impl::~Impl() {
  stop();
}

Result<void> ApiServer::Impl::init() {
  auto ca_r = make_ca("kftenant-test-ca");
  if (!ca_r) return fail(ca_r.error().with_context("test API server: serving CA"));
  ca = *ca_r;
  auto client_ca_r = make_ca("kftenant-test-client-ca");
  if (!client_ca_r) return fail(client_ca_r.error().with_context("test API server: client CA"));
  client_ca = *client_ca_r;
  auto serving_r = make_serving_cert(ca);
  if (!serving_r) return fail(serving_r.error().with_context("test API server: serving cert"));
  serving = *serving_r;
  auto admin_r = make_client_cert(client_ca, "admin", {"system:masters"});
  if (!admin_r) return fail(admin_r.error().with_context("test API server: admin cert"));
  admin_cert = *admin_r;
  admin_token = random_token();
  tokens[admin_token] = User{"admin", {"system:masters"}, "", {}};

  KeyPair serving_copy = serving;
  http = std::make_unique<httplib::SSLServer>([serving_copy](SSL_CTX& ctx) {
    if (!use_pem(ctx, serving_copy)) return false;
    SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, accept_any_client_cert);
    return true;
  });
  if (!http->is_valid()) {
    return make_error(ErrorCode::kInternal, "test API server: cannot set up TLS");
  }
  http->new_task_queue = [threads = std::max(1, opts.threads)] {
    return new httplib::ThreadPool(threads);
  };
  http->set_keep_alive_max_count(10000);
  // SO_REUSEADDR, not httplib's SO_REUSEPORT (listen_backlog.h): with it, a test's server could
  // share a port with another test's. The socket is remembered to widen once bound.
  auto listening_fd = std::make_shared<int>(-1);
  http->set_socket_options([listening_fd](int sock) {
    (void)set_listen_socket_options(sock);
    *listening_fd = sock;
  });
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle plus the client's
  // delayed ACK adds ~40 ms to every answer on loopback.
  http->set_tcp_nodelay(true);
  http->set_read_timeout(30, 0);
  http->set_write_timeout(30, 0);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  http->Get(".*", handler);
  http->Post(".*", handler);
  http->Put(".*", handler);
  http->Patch(".*", handler);
  http->Delete(".*", handler);
  http->Options(".*", handler);
  if (opts.port == 0) {
    bound_port = http->bind_to_any_port(opts.host);
  } else {
    bound_port = http->bind_to_port(opts.host, opts.port) ? opts.port : -1;
  }
  if (bound_port <= 0) {
    return make_error(ErrorCode::kIo, "test API server: cannot listen on " + opts.host + ":" +
                                          std::to_string(opts.port) +
                                          " (port in use?); choose another --port");
  }
  widen_listen_backlog(*listening_fd);  // httplib's backlog of 5 (kftenant/listen_backlog.h)
  serve_thread = std::thread([this] { http->listen_after_bind(); });
  for (int i = 0; i < 500 && !http->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }

  auto lock = store.lock();
  auto ns_info = registry.find("", "v1", "namespaces");
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    ojson obj = {{"kind", "Namespace"}, {"apiVersion", "v1"}, {"metadata", {{"name", ns}}}};
    apply_defaults(*ns_info, obj);
    reset_status_on_create(*ns_info, obj);
    commit_create(*ns_info, obj);
  }
  seed_bootstrap_rbac();
  lock.unlock();
  if (opts.seed_kubeflow) seed_kubeflow();
  // A cluster that has been up for a moment has its aggregated ClusterRoles filled in. Each
  // pass settles one level of chained aggregation (view into edit into admin).
  lock.lock();
  for (int pass = 0; pass < 8; ++pass) {
    int64_t before = store.current_rv();
    run_role_aggregation();
    if (store.current_rv() == before) break;
  }
  return ok();
}

void ApiServer::Impl::seed_bootstrap_rbac() {
  for (const auto& objects : {bootstrap_cluster_roles(), bootstrap_cluster_role_bindings()}) {
    for (const auto& j : objects) {
      auto info = registry.find_kind("rbac.authorization.k8s.io", j.value("kind", ""));
      if (info) store_object(*info, to_ojson(j));
    }
  }
}

void ApiServer::Impl::stop() {
  if (stopping.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(fault_mu);
    for (auto& h : open_watch_handles) h->end = true;
  }
  store.changed().notify_all();
  scheduler.stop();
  if (http) http->stop();
  if (serve_thread.joinable()) serve_thread.join();
}

ojson ApiServer::Impl::store_object(const ResourceType& info, ojson obj) {
  // Note: inserting into an ordered_json invalidates references to its members.
  if (obj.value("kind", "").empty()) obj["kind"] = info.kind;
  if (obj.value("apiVersion", "").empty()) obj["apiVersion"] = info.api_version(info.versions[0]);
  std::string ns = info.namespaced ? obj["metadata"].value("namespace", "") : "";
  if (!info.namespaced) obj["metadata"].erase("namespace");
  const ojson* cur =
      store.get(info.group_resource(), Store::key(ns, obj["metadata"].value("name", "")));
  apply_defaults(info, obj);
  if (cur) {
    ojson old = *cur;
    for (const char* f : {"uid", "creationTimestamp", "generation", "deletionTimestamp",
                          "deletionGracePeriodSeconds"}) {
      if (old["metadata"].contains(f)) obj["metadata"][f] = old["metadata"][f];
    }
    return commit_update(info, old, obj);
  }
  for (const char* f : {"uid", "resourceVersion", "creationTimestamp", "generation"}) {
    obj["metadata"].erase(f);
  }
  if (!obj.contains("status")) reset_status_on_create(info, obj);
  return commit_create(info, obj);
}

void ApiServer::Impl::seed_kubeflow() {
  for (const auto& j : kubeflow_seed_objects()) {
    auto lock = store.lock();
    ojson obj = to_ojson(j);
    std::string api_version = obj.value("apiVersion", "");
    std::string group = api_version.find('/') == std::string::npos
                            ? ""
                            : api_version.substr(0, api_version.find('/'));
    auto info = registry.find_kind(group, obj.value("kind", ""));
    if (!info) continue;
    ojson stored = store_object(*info, obj);
    if (info->kind == "Deployment") {
      complete_rollout(Store::key(stored["metadata"].value("namespace", ""),
                                  stored["metadata"].value("name", "")));
    }
  }
}

Reply ApiServer::Impl::control(const httplib::Request& req) {
  if (req.path == "/testserver/faults" && req.method == "POST") {
    auto j = ojson::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return Reply::status_body(bad_request("fault rule: body must be a JSON object"));
    }
    FaultRule f;
    f.method = j.value("method", "");
    f.path_regex = j.value("path_regex", "");
    f.count = j.value("count", 1);
    f.skip = j.value("skip", 0);
    f.status = j.value("status", 0);
    if (j.contains("retry_after_seconds"))
      f.retry_after_seconds = j.value("retry_after_seconds", 1);
    f.reason = j.value("reason", "");
    f.latency = std::chrono::milliseconds(j.value("latency_ms", 0));
    f.drop_connection = j.value("drop_connection", false);
    f.drop_before_processing = j.value("drop_before_processing", false);
    f.end_watch = j.value("end_watch", false);
    inject(f);
    return Reply::object(201, fault_to_json(f));
  }
  if (req.path == "/testserver/faults" && req.method == "DELETE") {
    std::lock_guard<std::mutex> lock(fault_mu);
    faults.clear();
    return Reply::object(200, ojson::object());
  }
  if (req.path == "/testserver/faults" && req.method == "GET") {
    std::lock_guard<std::mutex> lock(fault_mu);
    ojson arr = ojson::array();
    for (const auto& f : faults) arr.push_back(fault_to_json(f));
    return Reply::object(200, arr);
  }
  if (req.path == "/testserver/requests" && (req.method == "GET" || req.method == "DELETE")) {
    std::lock_guard<std::mutex> lock(fault_mu);
    ojson arr = ojson::array();
    for (const auto& r : log) {
      arr.push_back({{"method", r.method},
                     {"path", r.path},
                     {"query", r.query},
                     {"user", r.user},
                     {"status", r.status},
                     {"fault", r.fault}});
    }
    if (req.method == "DELETE") log.clear();
    return Reply::object(200, arr);
  }
  Reply r;
  r.status = 404;
  r.plain_text = true;
  r.body_text = "404 page not found\n";
  return r;
}

void ApiServer::Impl::inject(FaultRule rule) {
  if (rule.end_watch) {
    int ended = 0;
    end_watches(rule.path_regex, &ended);
    if (ended > 0) return;
  }
  std::lock_guard<std::mutex> lock(fault_mu);
  faults.push_back(std::move(rule));
}

std::shared_ptr<const ResourceType> ApiServer::Impl::info_for(const std::string& api_version,
                                                              const std::string& plural) const {
  auto slash = api_version.find('/');
  std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
  return registry.find(group, version, plural);
}

// ---- ApiServer -------------------------------------------------------------------------------

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiServer::~ApiServer() {
  stop();
}

Result<std::unique_ptr<ApiServer>> ApiServer::start(Options options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  if (auto r = impl->init(); !r) return fail(r.error());
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

void ApiServer::stop() {
  if (impl_) impl_->stop();
}

int ApiServer::port() const {
  return impl_->bound_port;
}
std::string ApiServer::url() const {
  return "https://127.0.0.1:" + std::to_string(port());
}
std::string ApiServer::ca_pem() const {
  return impl_->ca.cert_pem;
}
std::string ApiServer::admin_token() const {
  return impl_->admin_token;
}
KeyPair ApiServer::admin_client_cert() const {
  return impl_->admin_cert;
}

KeyPair ApiServer::client_cert_for(const std::string& user,
                                   const std::vector<std::string>& groups) const {
  auto r = make_client_cert(impl_->client_ca, user, groups);
  return r ? *r : KeyPair{};
}

void ApiServer::add_user_token(const std::string& token, const std::string& user,
                               const std::vector<std::string>& groups, const std::string& uid) {
  std::lock_guard<std::mutex> lock(impl_->auth_mu);
  impl_->tokens[token] = User{user, groups, uid, {}};
}

Result<void> ApiServer::write_kubeconfig(const std::string& path, KubeconfigAuth auth) const {
  std::string user_block;
  if (auth == KubeconfigAuth::kToken) {
    user_block = "    token: " + impl_->admin_token + "\n";
  } else {
    user_block = "    client-certificate-data: " + base64::encode(impl_->admin_cert.cert_pem) +
                 "\n    client-key-data: " + base64::encode(impl_->admin_cert.key_pem) + "\n";
  }
  std::string text =
      "apiVersion: v1\n"
      "kind: Config\n"
      "clusters:\n"
      "- name: kftenant-test\n"
      "  cluster:\n"
      "    server: " +
      url() +
      "\n"
      "    certificate-authority-data: " +
      base64::encode(impl_->ca.cert_pem) +
      "\n"
      "contexts:\n"
      "- name: kftenant-test\n"
      "  context:\n"
      "    cluster: kftenant-test\n"
      "    user: kftenant-test-admin\n"
      "    namespace: default\n"
      "current-context: kftenant-test\n"
      "preferences: {}\n"
      "users:\n"
      "- name: kftenant-test-admin\n"
      "  user:\n" +
      user_block;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(ErrorCode::kIo, "cannot write kubeconfig " + path + ": " +
                                          std::strerror(errno) + "; check the folder exists");
  }
  ::fchmod(fd, 0600);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      return make_error(ErrorCode::kIo,
                        "cannot write kubeconfig " + path + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return ok();
}

void ApiServer::inject_fault(FaultRule rule) {
  impl_->inject(std::move(rule));
}

void ApiServer::clear_faults() {
  std::lock_guard<std::mutex> lock(impl_->fault_mu);
  impl_->faults.clear();
}

int ApiServer::open_watches(const std::string& path_regex) const {
  std::lock_guard<std::mutex> lock(impl_->fault_mu);
  int n = 0;
  for (const auto& h : impl_->open_watch_handles) {
    if (h->end) continue;
    try {
      if (path_regex.empty() || std::regex_search(h->path, std::regex(path_regex))) ++n;
    } catch (const std::regex_error&) {
    }
  }
  return n;
}

std::vector<RequestRecord> ApiServer::requests() const {
  std::lock_guard<std::mutex> lock(impl_->fault_mu);
  return impl_->log;
}

void ApiServer::clear_requests() {
  std::lock_guard<std::mutex> lock(impl_->fault_mu);
  impl_->log.clear();
}

Result<nlohmann::json> ApiServer::get_object(const std::string& api_version,
                                             const std::string& resource, const std::string& ns,
                                             const std::string& name) const {
  auto lock = impl_->store.lock();
  auto info = impl_->info_for(api_version, resource);
  if (!info)
    return make_error(ErrorCode::kNotFound, "no resource " + resource + " in " + api_version);
  const ojson* obj =
      impl_->store.get(info->group_resource(), Store::key(info->namespaced ? ns : "", name));
  if (!obj) {
    Error e;
    e.code = ErrorCode::kNotFound;
    e.http_status = 404;
    e.reason = "NotFound";
    e.message = info->group_resource() + " \"" + name + "\" not found";
    return fail(e);
  }
  auto version = api_version.substr(api_version.find('/') + 1);
  return to_json(impl_->present(*info, version, *obj));
}

Result<nlohmann::json> ApiServer::put_object(const std::string& api_version,
                                             const std::string& resource, nlohmann::json object) {
  auto lock = impl_->store.lock();
  auto info = impl_->info_for(api_version, resource);
  if (!info)
    return make_error(ErrorCode::kNotFound, "no resource " + resource + " in " + api_version);
  if (!object.is_object() || !object.contains("metadata") ||
      object["metadata"].value("name", "").empty()) {
    return make_error(ErrorCode::kInvalidArgument, "put_object: metadata.name is required");
  }
  return to_json(impl_->store_object(*info, to_ojson(object)));
}

Result<void> ApiServer::delete_object(const std::string& api_version, const std::string& resource,
                                      const std::string& ns, const std::string& name) {
  auto lock = impl_->store.lock();
  auto info = impl_->info_for(api_version, resource);
  if (!info)
    return make_error(ErrorCode::kNotFound, "no resource " + resource + " in " + api_version);
  const ojson* obj =
      impl_->store.get(info->group_resource(), Store::key(info->namespaced ? ns : "", name));
  if (!obj) return make_error(ErrorCode::kNotFound, resource + " \"" + name + "\" not found");
  const std::string key_name = name;
  impl_->begin_delete(*info, *obj, "");
  // The finalizer controller's pass at once, so that a test deleting a CRD can go on without
  // waiting (over HTTP it runs crd_controller_delay later).
  if (info->kind == "CustomResourceDefinition" && !info->custom) impl_->run_crd_cleanup(key_name);
  return ok();
}

Result<std::vector<nlohmann::json>> ApiServer::list_objects(const std::string& api_version,
                                                            const std::string& resource,
                                                            const std::string& ns) const {
  auto lock = impl_->store.lock();
  auto info = impl_->info_for(api_version, resource);
  if (!info)
    return make_error(ErrorCode::kNotFound, "no resource " + resource + " in " + api_version);
  std::vector<nlohmann::json> out;
  auto version = api_version.substr(api_version.find('/') + 1);
  for (const auto& [key, obj] :
       impl_->store.list(info->group_resource(), info->namespaced && !ns.empty() ? ns + "/" : "")) {
    out.push_back(to_json(impl_->present(*info, version, *obj)));
  }
  return out;
}

int64_t ApiServer::current_resource_version() const {
  auto lock = impl_->store.lock();
  return impl_->store.current_rv();
}

void ApiServer::set_deployment_rollout_delay(std::chrono::milliseconds delay) {
  impl_->rollout_delay_ms = delay.count();
}

void ApiServer::set_profile_controller_paused(bool paused) {
  auto lock = impl_->store.lock();
  bool was = impl_->profile_controller_paused.exchange(paused);
  if (was && !paused) impl_->enqueue_all_profiles();
}

bool ApiServer::profile_controller_idle() const {
  auto lock = impl_->store.lock();  // a running reconcile holds it
  return impl_->pending_profiles.empty();
}

int64_t ApiServer::profile_controller_reconciles(const std::string& profile) const {
  auto lock = impl_->store.lock();
  auto it = impl_->profile_reconciles.find(profile);
  return it == impl_->profile_reconciles.end() ? 0 : it->second;
}

}  // namespace kftenant::testserver
