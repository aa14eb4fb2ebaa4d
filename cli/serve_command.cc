#include "serve_command.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <memory>
#include <stop_token>

#include "interrupt.h"
#include "kftenant/clock.h"
#include "kftenant/store/cached_store.h"
#include "kftenant/version.h"
#include "server/event_loop_server.h"
#include "server/http_server.h"
#include "server/import_api.h"
#include "server/kfam_api.h"
#include "server/metrics.h"
#include "server/profile_writes.h"
#include "server/tenancy_api.h"
#include "server/user_writes.h"

namespace kftenant::cli {
namespace {

struct ServeFlags {
  std::string listen = "127.0.0.1:8080";
  std::vector<std::string> admins;
  std::vector<std::string> admin_groups;
  std::string identity = "header";
  bool rbac_admins = true;
  std::string groups_header = "kubeflow-groups";
  std::string tls_cert, tls_key;
  std::string userid_header = "kubeflow-userid";
  std::string userid_prefix;
  size_t max_body = 1 << 20;
  int threads = 32;
  int event_loop =
      2;  // loop threads of the event-loop server; 0: cpp-httplib's thread per connection
  int bcrypt_cost = dex::kDefaultBcryptCost;
};

int run_serve(const GlobalOptions& options, const ServeFlags& flags) {
  auto address = parse_listen_address(flags.listen);
  if (!address) return report_error(address.error());
  if (!options.manifests.empty())
    return report_error(usage_error(
        "serve needs a cluster: drop --manifests (a manifests folder is edited by the other "
        "commands, then applied with kustomize)"));
  if (flags.threads < 1 || flags.threads > 1024)
    return report_error(usage_error("--threads must be from 1 to 1024"));
  if (flags.bcrypt_cost < dex::kMinBcryptCost || flags.bcrypt_cost > dex::kMaxBcryptCost)
    return report_error(usage_error(fmt::format("--bcrypt-cost must be from {} to {}",
                                                dex::kMinBcryptCost, dex::kMaxBcryptCost)));
  if (flags.tls_cert.empty() != flags.tls_key.empty())
    return report_error(usage_error("--tls-cert and --tls-key go together: give both or neither"));
  std::shared_ptr<server::ServingCertificate> tls;
  if (!flags.tls_cert.empty()) {
    auto loaded = server::ServingCertificate::load(flags.tls_cert, flags.tls_key);
    if (!loaded) return report_error(usage_error(loaded.error().message));
    tls = std::move(*loaded);
  }
  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  server::ServeMetrics metrics{std::string(kVersion)};
  auto session = open_session(
      options, [&metrics](const kube::RequestEvent& e) { metrics.observe_apiserver(e); });
  if (!session) return report_error(session.error());
  if (auto reachable = session->store->check_reachable(); !reachable)
    return report_error(reachable.error());

  store::CachedStore cache(*session->store, *session->client);
  std::vector<std::string> skipped;
  if (auto cached = server::cache_what_requests_read(cache, *session->store, *context, &skipped);
      !cached)
    return report_error(cached.error());
  for (const auto& kind : skipped)
    std::fprintf(stderr, "kftenant serve: %s is not served by the cluster: read through\n",
                 kind.c_str());

  server::RouteTable routes;
  server::TenancyApi api(cache, *context, &cache);
  api.add_routes(routes);
  server::UserWriteOptions write_options;
  write_options.bcrypt_cost = flags.bcrypt_cost;
  write_options.contributor.userid_header = flags.userid_header;
  write_options.contributor.userid_prefix = flags.userid_prefix;
  server::UserWriteApi writes(cache, *context, write_options);
  writes.add_routes(routes);
  server::ProfileWriteApi profile_writes(cache, *context, api.views(), write_options.contributor);
  profile_writes.add_routes(routes);
  server::ClusterAccessReviews reviews(*session->client, system_clock());
  server::IdentityOptions identity;
  identity.mode =
      flags.identity == "token" ? server::IdentityMode::kToken : server::IdentityMode::kHeader;
  identity.userid_header = flags.userid_header;
  identity.userid_prefix = flags.userid_prefix;
  identity.groups_header = flags.groups_header;
  identity.admins = flags.admins;
  identity.admin_groups = flags.admin_groups;
  identity.rbac_admins = flags.rbac_admins;
  identity.reviews = &reviews;
  server::KfamApi kfam(api.views(), profile_writes,
                       [admins = server::Identity(identity)](std::string_view email) {
                         return admins.is_admin(email);
                       });
  kfam.add_routes(routes);
  server::ImportApi imports(cache, *context, {flags.bcrypt_cost, 0});
  imports.add_routes(routes);
  server::add_openapi_route(routes, kVersion);

  server::HttpServerOptions http;
  http.host = address->host;
  http.port = address->port;
  http.max_body_bytes = flags.max_body;
  http.threads = flags.threads;
  http.identity = identity;
  http.ready = [&cache] { return cache.synced(); };
  metrics.set_cache({[&cache] { return cache.synced(); }, [&cache] { return cache.informers(); }});
  http.metrics = &metrics;
  http.access_log = &std::cerr;
  http.audit_log = &std::cout;
  http.tls = tls;
  std::unique_ptr<server::HttpServer> threaded;
  std::unique_ptr<server::EventLoopServer> looped;
  if (flags.event_loop > 0) {
    if (http.host.empty()) http.host = "0.0.0.0";
    looped = std::make_unique<server::EventLoopServer>(std::move(routes), std::move(http),
                                                       flags.event_loop);
  } else {
    threaded = std::make_unique<server::HttpServer>(std::move(routes), std::move(http));
  }
  auto port = looped ? looped->bind() : threaded->bind();
  if (!port) return report_error(port.error());

  StopOnInterrupt interrupt;
  // A running import is asked to stop too: the answer streaming it then ends, and so can serve().
  std::stop_callback on_stop(interrupt.token(), [&threaded, &looped, &imports] {
    imports.stop();
    if (looped) looped->stop();
    if (threaded) threaded->stop();
  });
  const std::string how = identity.mode == server::IdentityMode::kToken
                              ? std::string("bearer tokens, by TokenReview")
                              : fmt::format("the {} header", flags.userid_header);
  std::string admins = fmt::format("{} administrator(s)", flags.admins.size());
  if (!flags.admin_groups.empty())
    admins += fmt::format(", group(s) {}", fmt::join(flags.admin_groups, ", "));
  if (flags.rbac_admins) admins += ", and whoever may update Profiles cluster-wide";
  std::fprintf(stderr, "kftenant serve: listening on %s://%s:%d (identity: %s; %s)\n",
               tls ? "https" : "http", address->host.empty() ? "0.0.0.0" : address->host.c_str(),
               *port, how.c_str(), admins.c_str());
  std::fflush(stderr);
  if (looped) looped->serve();
  if (threaded) threaded->serve();
  std::fprintf(stderr, "kftenant serve: stopped\n");
  return kExitOk;
}

}  // namespace

Result<ListenAddress> parse_listen_address(const std::string& text) {
  const auto colon = text.rfind(':');
  auto bad = [&] {
    return fail(usage_error(fmt::format(
        "--listen {}: give HOST:PORT (127.0.0.1:8080) or :PORT for every interface", text)));
  };
  if (colon == std::string::npos) return bad();
  ListenAddress out;
  out.host = text.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);  // [::1]:8080
  if (out.host.empty()) out.host = "0.0.0.0";
  const std::string port = text.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || out.port < 0 ||
      out.port > 65535)
    return bad();
  return out;
}

void add_serve_command(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto flags = std::make_shared<ServeFlags>();
  auto* cmd = app.add_subcommand(
      "serve",
      "Serve the REST API (/api/v1: users (read, create, delete, password), profiles (read, "
      "create, delete, quota, contributors, owner), import (CSV or YAML, progress as Server-Sent "
      "Events), doctor, me; KFAM's /kfam/v1 (bindings, profiles, "
      "role/clusteradmin) for the central dashboard; "
      "/api/v1/openapi.json; /healthz, /readyz, /metrics) over the cluster, reading from a "
      "watch-fed "
      "cache; audit lines on stdout, access lines on stderr");
  cmd->add_option("--listen", flags->listen, "HOST:PORT to listen on (:PORT: every interface)")
      ->capture_default_str();
  cmd->add_option("--admin", flags->admins,
                  "An administrator's email (repeat for several): may read and change every user")
      ->type_name("EMAIL");
  cmd->add_option("--admin-group", flags->admin_groups,
                  "A group whose members are administrators (repeat for several): the groups "
                  "header's, or the token's groups")
      ->type_name("GROUP");
  cmd->add_flag("--rbac-admins,!--no-rbac-admins", flags->rbac_admins,
                "Whoever may update Profiles cluster-wide (by SubjectAccessReview) is an "
                "administrator too (default: on)");
  cmd->add_option("--identity", flags->identity,
                  "How callers are identified: header (the ingress's kubeflow-userid, trusted "
                  "because only the gateway reaches the server) or token (Authorization: Bearer "
                  "<Kubernetes token>, by TokenReview; headers ignored)")
      ->check(CLI::IsMember({"header", "token"}))
      ->capture_default_str();
  cmd->add_option("--groups-header", flags->groups_header,
                  "The header with the signed-in user's groups, comma-separated (--identity "
                  "header; \"\" for none)")
      ->capture_default_str();
  cmd->add_option("--userid-header", flags->userid_header,
                  "The header the ingress puts the signed-in user in (as Kubeflow's web apps)")
      ->capture_default_str();
  cmd->add_option(
      "--userid-prefix", flags->userid_prefix,
      "Removed from the header's value, or the token's username (e.g. accounts.google.com:)");
  cmd->add_option("--tls-cert", flags->tls_cert,
                  "Serve HTTPS with this PEM certificate (chain), re-read when it changes")
      ->type_name("FILE");
  cmd->add_option("--tls-key", flags->tls_key, "The private key of --tls-cert (PEM)")
      ->type_name("FILE");
  cmd->add_option("--max-body", flags->max_body, "Largest request body in bytes (413 above)")
      ->capture_default_str();
  cmd->add_option(
         "--threads", flags->threads,
         "Workers for requests that write (with --event-loop 0: connections served at once)")
      ->capture_default_str();
  cmd->add_option("--event-loop", flags->event_loop,
                  "Threads of the event loop that serves connections (Boost.Beast); 0: a thread "
                  "per connection instead (cpp-httplib)")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  cmd->add_option("--bcrypt-cost", flags->bcrypt_cost,
                  "bcrypt cost of the passwords the API sets (10..16)")
      ->capture_default_str();
  cmd->callback([&options, &exit_code, flags] { exit_code = run_serve(options, *flags); });
}

}  // namespace kftenant::cli
