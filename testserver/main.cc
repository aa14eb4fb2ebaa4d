// kftenant-test-apiserver: the test API server as a program, for trying kftenant by hand.
//   kftenant-test-apiserver --port N --write-kubeconfig FILE [--client-cert-kubeconfig]
//                           [--seed-kubeflow] [--rollout-delay-ms N]
//                           [--simulate-profile-controller | --no-profile-controller]
//                           [--profile-controller-delay-ms N]
// --seed-kubeflow turns the simulated profile controller on (a Kubeflow install runs one)
// unless --no-profile-controller is given.
// Prints "listening on https://127.0.0.1:PORT" and serves until SIGINT/SIGTERM.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "testserver/apiserver.h"

int main(int argc, char** argv) {
  CLI::App app{"Strict Kubernetes API server for kftenant's tests (HTTPS, in memory)"};
  int port = 0;
  std::string kubeconfig;
  bool client_cert = false;
  bool seed = false;
  int rollout_ms = 300;
  bool profile_controller = false;
  bool no_profile_controller = false;
  int profile_controller_ms = 100;
  app.add_option("--port", port, "port to listen on (0 = a random free port)");
  app.add_option("--write-kubeconfig", kubeconfig, "write a kubeconfig for this server here");
  app.add_flag("--client-cert-kubeconfig", client_cert,
               "authenticate with a client certificate in the kubeconfig instead of a token");
  app.add_flag("--seed-kubeflow", seed, "preload what a Kubeflow install has");
  app.add_option("--rollout-delay-ms", rollout_ms,
                 "delay before a deployment reports its rollout complete");
  auto* simulate = app.add_flag("--simulate-profile-controller", profile_controller,
                                "simulate the Kubeflow profile controller (implied by "
                                "--seed-kubeflow)");
  app.add_flag("--no-profile-controller", no_profile_controller,
               "do not simulate the Kubeflow profile controller, even with --seed-kubeflow")
      ->excludes(simulate);
  app.add_option("--profile-controller-delay-ms", profile_controller_ms,
                 "delay before the profile controller reconciles a change");
  CLI11_PARSE(app, argc, argv);

  // Block the signals before any thread starts, then wait for them synchronously.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  kftenant::testserver::Options options;
  options.port = port;
  options.seed_kubeflow = seed;
  options.rollout_delay = std::chrono::milliseconds(rollout_ms);
  options.simulate_profile_controller = profile_controller || (seed && !no_profile_controller);
  options.profile_controller_delay = std::chrono::milliseconds(profile_controller_ms);
  auto server = kftenant::testserver::ApiServer::start(options);
  if (!server) {
    std::cerr << "kftenant-test-apiserver: " << server.error().message << "\n";
    return 1;
  }
  if (!kubeconfig.empty()) {
    auto written = (*server)->write_kubeconfig(
        kubeconfig, client_cert ? kftenant::testserver::ApiServer::KubeconfigAuth::kClientCert
                                : kftenant::testserver::ApiServer::KubeconfigAuth::kToken);
    if (!written) {
      std::cerr << "kftenant-test-apiserver: " << written.error().message << "\n";
      return 1;
    }
  }
  std::cout << "listening on " << (*server)->url() << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  (*server)->stop();
  return 0;
}
