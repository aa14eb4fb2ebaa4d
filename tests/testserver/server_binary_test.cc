// The kftenant-test-apiserver program: prints its URL, writes a kubeconfig, serves, stops on
// SIGTERM.
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "kftenant/base64.h"
#include "kftenant/yaml.h"
#include "server_test_util.h"

namespace kftenant::testserver::testing {
namespace {

TEST(ServerBinary, ServesAndWritesKubeconfig) {
  TempFile kubeconfig;
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    execl(KFTENANT_TEST_APISERVER, KFTENANT_TEST_APISERVER, "--port", "0", "--write-kubeconfig",
          kubeconfig.path().c_str(), "--seed-kubeflow", "--client-cert-kubeconfig",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  char line[256] = {0};
  ASSERT_NE(fgets(line, sizeof line, f), nullptr);
  std::string first(line);
  EXPECT_EQ(first.rfind("listening on https://127.0.0.1:", 0), 0u) << first;
  int port = std::stoi(first.substr(first.rfind(':') + 1));

  std::ifstream in(kubeconfig.path());
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = yaml::parse(ss.str());
  ASSERT_TRUE(doc.has_value());
  auto user = (*doc)["users"][0]["user"];
  TempFile ca(*base64::decode(
      (*doc)["clusters"][0]["cluster"]["certificate-authority-data"].get<std::string>()));
  TempFile cert(*base64::decode(user["client-certificate-data"].get<std::string>()));
  TempFile key(*base64::decode(user["client-key-data"].get<std::string>()));
  httplib::SSLClient cli("127.0.0.1", port, cert.path(), key.path());
  cli.set_ca_cert_path(ca.path().c_str());
  cli.enable_server_certificate_verification(true);
  auto r = cli.Get("/api/v1/namespaces/auth/configmaps/dex");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);

  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  fclose(f);
}

}  // namespace
}  // namespace kftenant::testserver::testing
