// `kftenant doctor` run as a real process against the test API server over HTTPS.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/run_process.h"
#include "support/temp_dir.h"
#include "testserver/apiserver.h"

namespace {

using kftenant::testing::run_process;
using kftenant::testing::TempDir;
using kftenant::testserver::ApiServer;
using ::testing::HasSubstr;
using ::testing::Not;

class DoctorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kftenant::testserver::Options options;
    options.seed_kubeflow = true;
    auto server = ApiServer::start(options);
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
    kubeconfig_ = dir_.file("kubeconfig");
    ASSERT_TRUE(server_->write_kubeconfig(kubeconfig_));
  }

  kftenant::testing::ProcessResult doctor(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {KFTENANT_BINARY, "--kubeconfig", kubeconfig_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("doctor");
    return run_process(argv);
  }

  TempDir dir_;
  std::unique_ptr<ApiServer> server_;
  std::string kubeconfig_;
};

TEST_F(DoctorTest, SeededKubeflowPassesEveryCheck) {
  auto r = doctor();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("ok       ConfigMap auth/dex config.yaml"));
  EXPECT_THAT(r.out, HasSubstr("1 static user(s), storage kubernetes"));
  EXPECT_THAT(r.out, Not(HasSubstr("MISSING")));
}

TEST_F(DoctorTest, WorksWithClientCertificateCredentials) {
  ASSERT_TRUE(server_->write_kubeconfig(kubeconfig_, ApiServer::KubeconfigAuth::kClientCert));
  auto r = doctor();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(DoctorTest, MissingDexConfigMapIsReportedWithAHint) {
  ASSERT_TRUE(server_->delete_object("v1", "configmaps", "auth", "dex"));
  auto r = doctor();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("MISSING  ConfigMap auth/dex config.yaml"));
  EXPECT_THAT(r.out, HasSubstr("--dex-configmap"));
}

TEST_F(DoctorTest, OtherDexNamespaceIsHonoured) {
  auto r = doctor({"--dex-namespace", "dex-elsewhere"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("MISSING  Namespace dex-elsewhere"));
}

TEST_F(DoctorTest, MissingProfileCrdFails) {
  ASSERT_TRUE(server_->delete_object("apiextensions.k8s.io/v1", "customresourcedefinitions", "",
                                     "profiles.kubeflow.org"));
  auto r = doctor();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("MISSING  CRD profiles.kubeflow.org"));
}

TEST_F(DoctorTest, UnreadableKubeconfigNamesTheFile) {
  auto r = run_process({KFTENANT_BINARY, "--kubeconfig", dir_.file("nope"), "doctor"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(dir_.file("nope")));
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(DoctorTest, StoppedServerIsATransportFailure) {
  server_.reset();  // a server that no longer listens: transport error, exit 1
  auto r = doctor();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out + r.err, HasSubstr("127.0.0.1"));
}

}  // namespace
