// ClusterStore against the test API server (HTTPS on loopback): what denied() asks the API
// server, and what it answers.
#include "kftenant/store/cluster_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kftenant/kube/client.h"
#include "support/test_api_client.h"
#include "testserver/apiserver.h"

namespace kftenant::store {
namespace {

class ClusterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testserver::Options options;
    options.seed_kubeflow = true;
    auto started = testserver::ApiServer::start(options);
    ASSERT_TRUE(started) << started.error().message;
    server = std::move(*started);
    server->add_user_token("jane-token", "jane", {});
    admin = client_with(server->admin_token());
    jane = client_with("jane-token");
    ASSERT_TRUE(admin && jane);
  }
  std::unique_ptr<kube::Client> client_with(const std::string& token) {
    return kftenant::testing::test_api_client(*server, token);
  }
  size_t reviews_asked() const {
    size_t n = 0;
    for (const auto& r : server->requests())
      if (r.path.find("selfsubjectaccessreviews") != std::string::npos) ++n;
    return n;
  }
  std::unique_ptr<testserver::ApiServer> server;
  std::unique_ptr<kube::Client> admin, jane;
};

std::vector<AccessRequest> profile_creates(int n) {
  std::vector<AccessRequest> out;
  for (int i = 0; i < n; ++i)
    out.push_back({"create", {"kubeflow.org/v1", "Profile", "", "p" + std::to_string(i)}, {}});
  return out;
}

TEST_F(ClusterStoreTest, CreatesOfManyObjectsOfAKindAreOneReview) {
  ClusterStore store(*admin);
  auto requests = profile_creates(50);
  requests.push_back({"update", {"v1", "ConfigMap", "auth", "dex"}, {}});
  requests.push_back({"update", {"v1", "ConfigMap", "auth", "dex"}, {}});  // asked once
  server->clear_requests();
  auto denied = store.denied(requests);
  ASSERT_TRUE(denied) << denied.error().message;
  EXPECT_TRUE(denied->empty());
  // RBAC cannot restrict a create by name, so 50 creates ask one question (and the update one).
  EXPECT_EQ(reviews_asked(), 2u);
}

TEST_F(ClusterStoreTest, WhatIsDeniedIsNamedOnceWithItsResource) {
  ClusterStore store(*jane);  // authenticated, no role
  server->clear_requests();
  auto denied = store.denied(profile_creates(20));
  ASSERT_TRUE(denied) << denied.error().message;
  ASSERT_EQ(denied->size(), 1u);
  EXPECT_EQ((*denied)[0].verb, "create");
  EXPECT_EQ((*denied)[0].resource, "profiles.kubeflow.org");
  EXPECT_EQ((*denied)[0].key.name, "");  // not one profile's name: the kind as a whole
  EXPECT_EQ(reviews_asked(), 1u);
}

// serves() is discovery's answer, not the client's table of kinds (which lists Password whether
// or not Dex's CRD is installed): deleting the CRD makes it false, installing it again true.
TEST_F(ClusterStoreTest, ServesFollowsTheCrd) {
  ClusterStore store(*admin);
  auto yes = store.serves("dex.coreos.com/v1", "Password");
  ASSERT_TRUE(yes) << yes.error().message;
  EXPECT_TRUE(*yes);
  auto crd = server->get_object("apiextensions.k8s.io/v1", "customresourcedefinitions", "",
                                "passwords.dex.coreos.com");
  ASSERT_TRUE(crd) << crd.error().message;
  ASSERT_TRUE(server->delete_object("apiextensions.k8s.io/v1", "customresourcedefinitions", "",
                                    "passwords.dex.coreos.com"));
  ClusterStore fresh(*jane);  // a client that has not seen the CRD yet
  auto no = fresh.serves("dex.coreos.com/v1", "Password");
  ASSERT_TRUE(no) << no.error().message;
  EXPECT_FALSE(*no);
  EXPECT_FALSE(fresh.serves("no.such.group/v1", "Thing").value());

  nlohmann::json again = *crd;
  again["metadata"].erase("resourceVersion");
  again["metadata"].erase("uid");
  ASSERT_TRUE(server->put_object("apiextensions.k8s.io/v1", "customresourcedefinitions", again));
  auto back = fresh.serves("dex.coreos.com/v1", "Password");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(*back) << "a no is asked again";
}

}  // namespace
}  // namespace kftenant::store
