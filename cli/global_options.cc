#include "global_options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "kftenant/kube/kubeconfig.h"
#include "kftenant/store/cluster_store.h"
#include "kftenant/store/manifest_store.h"
#include "kftenant/tenancy/validate.h"

namespace kftenant::cli {
namespace {

// An option that may be given with or without a value (CLI11 expected(0, 1)).
bool takes_optional_value(const CLI::Option* opt) {
  return opt->get_type_size() != 0 && opt->get_expected_min() == 0 &&
         opt->get_expected_max() == 1 && !opt->get_positional();
}

// The first long name of `opt` ("--wait" rather than "-w").
std::string long_name(const CLI::Option* opt) {
  const auto& names = opt->get_lnames();
  return names.empty() ? opt->get_name() : "--" + names.front();
}

// -v output: one line per call, written whole so that lines from several threads do not mix.
void verbose_line(std::string_view text) {
  static std::mutex mu;
  std::string line = "kftenant: " + tenancy::printable(text) + "\n";
  std::lock_guard lock(mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

// One -v line per request, retry wait and rate-limiter wait. Only what RequestEvent carries is
// printed (method, path and query, status, time), so no header, token or body can appear.
void log_request(const kube::RequestEvent& e, double qps) {
  const std::string attempt = e.attempt > 1 ? fmt::format(" (attempt {})", e.attempt) : "";
  switch (e.kind) {
    case kube::RequestEvent::Kind::kResponse:
      if (e.status != 0) {
        verbose_line(fmt::format("{} {} {} in {}ms{}", e.method, e.path_and_query, e.status,
                                 e.duration.count(), attempt));
      } else {
        verbose_line(fmt::format("{} {} failed after {}ms{}: {}", e.method, e.path_and_query,
                                 e.duration.count(), attempt, e.error));
      }
      break;
    case kube::RequestEvent::Kind::kRetryWait:
      verbose_line(fmt::format("waiting {}ms before attempt {} of {} {}", e.duration.count(),
                               e.attempt, e.method, e.path_and_query));
      break;
    case kube::RequestEvent::Kind::kRateLimitWait:
      verbose_line(fmt::format("client rate limit ({:g} requests/s): waited {}ms before {} {}", qps,
                               e.duration.count(), e.method, e.path_and_query));
      break;
  }
}

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string HelpFormatter::make_option_opts(const CLI::Option* opt) const {
  if (opt->get_option_text().empty() && takes_optional_value(opt)) {
    return "[=" + opt->get_type_name() + "]";
  }
  return CLI::Formatter::make_option_opts(opt);
}

std::string HelpFormatter::make_option_desc(const CLI::Option* opt) const {
  std::string desc = CLI::Formatter::make_option_desc(opt);
  if (!takes_optional_value(opt)) return desc;
  const std::string name = long_name(opt);
  std::string note = "off unless given";
  // Say what the bare option means unless the description already does.
  if (!opt->get_default_str().empty() && desc.find(name + " alone") == std::string::npos) {
    note += fmt::format("; {} alone means {}", name, opt->get_default_str());
  }
  return desc + (desc.empty() ? "" : " ") + "(" + note + ")";
}

std::string HelpFormatter::make_footer(const CLI::App* app) const {
  // What a subcommand accepts from its parents: their options, as long as each level falls
  // through to the next.
  std::vector<const CLI::Option*> inherited;
  for (const CLI::App* child = app; child->get_parent() != nullptr && child->get_fallthrough();
       child = child->get_parent()) {
    const CLI::App* parent = child->get_parent();
    for (const CLI::Option* opt : parent->get_options([parent](const CLI::Option* o) {
           return o->nonpositional() && o != parent->get_help_ptr() &&
                  o != parent->get_help_all_ptr() && o != parent->get_version_ptr();
         })) {
      inherited.push_back(opt);
    }
  }
  std::string out;
  if (!inherited.empty()) {
    out = make_group("Global options (before or after the subcommand)", false, inherited);
    out.erase(0, 1);  // make_help already put a blank line before the footer
    out += "\n";
  }
  return out + CLI::Formatter::make_footer(app);
}

std::optional<std::string> subcommand_error(const CLI::App& app, const CLI::ParseError& error) {
  // Only "a subcommand is required" and "arguments were not expected"; a missing option value or
  // an unknown option is worded well by CLI11.
  const std::string what = error.what();
  const bool missing =
      error.get_name() == "RequiredError" && what.find("ubcommand") != std::string::npos;
  if (!missing && error.get_name() != "ExtrasError") return std::nullopt;
  // The deepest subcommand that was recognised: the one whose subcommand is missing or wrong.
  const CLI::App* at = &app;
  while (!at->get_subcommands().empty()) at = at->get_subcommands().back();
  std::vector<std::string> names;
  for (const CLI::App* sub : at->get_subcommands({})) {
    if (!sub->get_name().empty() && !sub->get_disabled()) names.push_back(sub->get_name());
  }
  if (names.empty()) return std::nullopt;  // a leaf command: CLI11's message names the problem
  std::string chain;                       // "user", "" for the top level (whose name is argv[0])
  for (const CLI::App* p = at; p->get_parent() != nullptr; p = p->get_parent())
    chain = p->get_name() + (chain.empty() ? "" : " ") + chain;
  const std::string path = chain.empty() ? "kftenant" : "kftenant " + chain;
  std::string valid;
  for (const auto& n : names) valid += (valid.empty() ? "" : ", ") + n;

  // Words left over with fallthrough() end up in the top-level app's list.
  const std::vector<std::string> left = app.remaining(true);
  const auto is_option = [](const std::string& w) { return !w.empty() && w[0] == '-'; };
  const auto word = std::find_if_not(left.begin(), left.end(), is_option);
  const auto option = std::find_if(left.begin(), left.end(), is_option);
  const std::string see = fmt::format(" (see {} --help)", path);
  if (word == left.end()) {
    // No word that could have been a subcommand. An unknown option is its own problem, which
    // CLI11 names, unless the subcommand is missing too.
    if (!missing) return std::nullopt;
    std::string message = chain.empty()
                              ? fmt::format("a command is required: {}", valid)
                              : fmt::format("\"{}\" needs a subcommand: {}", chain, valid);
    if (option != left.end()) {
      message +=
          fmt::format("; {} is not an option of {}", tenancy::quote_for_message(*option), path);
    }
    return message + see;
  }
  std::string hint;
  std::size_t best = 3;  // suggest only near misses
  for (const auto& n : names) {
    std::size_t d = edit_distance(*word, n);
    if (d < best) {
      best = d;
      hint = fmt::format(" (did you mean \"{}\"?)", n);
    }
  }
  return fmt::format("unknown {} {}{}: use one of {}{}",
                     chain.empty() ? "command" : chain + " subcommand",
                     tenancy::quote_for_message(*word), hint, valid, see);
}

void add_global_options(CLI::App& app, GlobalOptions& options) {
  app.add_option("--kubeconfig", options.kubeconfig,
                 "Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)");
  app.add_option("--context", options.context, "The kubeconfig context to use");
  app.add_option("--dex-namespace", options.dex_namespace, "Namespace of Dex")
      ->capture_default_str();
  app.add_option("--dex-configmap", options.dex_configmap, "ConfigMap holding Dex's config.yaml")
      ->capture_default_str();
  app.add_option("--dex-deployment", options.dex_deployment, "Deployment running Dex")
      ->capture_default_str();
  app.add_option("--dex-backend", options.dex_backend,
                 "Where Dex users are stored: static (staticPasswords in config.yaml, what "
                 "Kubeflow ships), password-crd (dex.coreos.com/v1 Password objects, no restart) "
                 "or none (people sign in through a Dex connector: profiles and access only, "
                 "nothing of Dex is read or written)")
      ->capture_default_str();
  app.add_option("--manifests", options.manifests,
                 "Edit a kustomize manifests folder (GitOps) instead of a cluster");
  app.add_option("--dex-config-file", options.dex_config_file,
                 "With --manifests: the file (relative to the manifests folder, or absolute) whose "
                 "ConfigMap document holds the config.yaml to edit, when the kustomization graph "
                 "cannot decide (generated ConfigMap, several patches)");
  app.add_option("--qps", options.qps,
                 "Requests per second to the API server (the client's rate limiter; 0: no limit)")
      ->capture_default_str();
  app.add_option("--burst", options.burst, "Requests allowed at once above --qps")
      ->capture_default_str();
  app.add_flag("-v,--verbose", options.verbose,
               "Print the kubeconfig, context and server used and every API request (method, "
               "path, status, time, retries) on stderr; never a token or a body");
  app.formatter(std::make_shared<HelpFormatter>());
}

Result<std::unique_ptr<kube::Client>> make_client(const GlobalOptions& options,
                                                  kube::RequestLog observer) {
  kube::KubeconfigOptions kc;
  kc.explicit_path = options.kubeconfig;
  kc.context = options.context;
  auto config = kube::load_rest_config(kc);
  if (!config) return fail(config.error());
  // One command makes a handful of requests plus rollout polls; client-go's library default
  // (5 QPS, burst 10) would make the tail of `user add` wait on the limiter for no benefit.
  // Interactive kubectl allows a similar budget.
  kube::ClientOptions client_options;
  client_options.qps = options.qps;
  client_options.burst = options.burst;
  if (options.verbose) {
    const std::string where =
        config->source == "in-cluster"
            ? std::string("in-cluster config (the pod's service account)")
            : fmt::format("kubeconfig {}, context \"{}\", user \"{}\"", config->source,
                          config->context_name, config->user_name);
    verbose_line(fmt::format("using {} ({}), server {}, namespace {}", where,
                             kube::describe_auth(*config), config->server, config->namespace_name));
    const double qps = *client_options.qps;
    client_options.request_log = [qps, observer](const kube::RequestEvent& e) {
      log_request(e, qps);
      if (observer) observer(e);
    };
  } else {
    client_options.request_log = std::move(observer);
  }
  return kube::Client::create(*config, client_options);
}

Result<Session> open_session(const GlobalOptions& options, kube::RequestLog observer) {
  Session session;
  if (!options.dex_config_file.empty() && options.manifests.empty())
    return fail(
        usage_error("--dex-config-file needs --manifests (it names a file of the manifests "
                    "folder; on a cluster the ConfigMap is --dex-configmap)"));
  if (!options.manifests.empty()) {
    if (options.verbose) {
      verbose_line(
          fmt::format("using manifests folder {} (no cluster is contacted)", options.manifests));
    }
    store::ManifestStoreOptions store_options;
    // The Dex ConfigMap is the object whose file the graph may not decide; the choice (or, when
    // none is given, the option to make it) goes with the store so that its refusals name it.
    store_options.choices.push_back(
        {{"v1", "ConfigMap", options.dex_namespace, options.dex_configmap},
         options.dex_config_file,
         "--dex-config-file PATH"});
    auto store = store::ManifestStore::open(options.manifests, std::move(store_options));
    if (!store) return fail(store.error());
    for (const auto& warning : (*store)->warnings())
      std::fprintf(stderr, "kftenant: warning: %s\n", warning.c_str());
    session.store = std::move(*store);
    return session;
  }
  auto client = make_client(options, std::move(observer));
  if (!client) return fail(client.error());
  session.client = std::move(*client);
  session.store = std::make_unique<store::ClusterStore>(*session.client);
  return session;
}

Result<tenancy::TenancyContext> tenancy_context(const GlobalOptions& options) {
  tenancy::TenancyContext context;
  if (options.dex_backend == "none") {
    context.dex.managed = false;
  } else {
    auto backend = dex::parse_backend(options.dex_backend);
    if (!backend)
      return fail(usage_error("unknown Dex backend '" + options.dex_backend +
                              "': use static (staticPasswords in config.yaml), password-crd "
                              "(Password objects) or none (no Dex users: a connector signs "
                              "people in)"));
    context.backend = *backend;
  }
  context.dex.ns = options.dex_namespace;
  context.dex.configmap = options.dex_configmap;
  context.dex.deployment = options.dex_deployment;
  return context;
}

Error usage_error(std::string message) {
  Error e;
  e.code = ErrorCode::kInvalidArgument;
  e.message = std::move(message);
  return e;
}

int report_error(const Error& error) {
  std::fprintf(stderr, "kftenant: %s\n", error.message.c_str());
  return exit_code_for(error.code);
}

}  // namespace kftenant::cli
