// Binding the servers' ports: a port another server holds is refused with a message naming it
// (httplib's own SO_REUSEPORT let a second `kftenant serve` share it silently), for kftenant
// serve's HttpServer and for the test API server the tests start by the dozen at once.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/http_server.h"
#include "testserver/apiserver.h"

namespace kftenant::server {
namespace {

TEST(HttpServerBind, APortAnotherServerHoldsIsRefusedNamingIt) {
  HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 1;
  HttpServer first(RouteTable{}, options);
  auto port = first.bind();
  ASSERT_TRUE(port) << port.error().message;
  options.port = *port;
  HttpServer second(RouteTable{}, options);
  auto refused = second.bind();
  ASSERT_FALSE(refused) << "a second server bound port " << *port;
  EXPECT_THAT(refused.error().message,
              ::testing::HasSubstr(fmt::format("cannot listen on 127.0.0.1:{}", *port)));
  EXPECT_THAT(refused.error().message, ::testing::HasSubstr("in use"));
}

TEST(HttpServerBind, TheTestApiServerRefusesAPortInUseToo) {
  auto first = testserver::ApiServer::start({});
  ASSERT_TRUE(first) << first.error().message;
  testserver::Options options;
  options.port = (*first)->port();
  auto second = testserver::ApiServer::start(options);
  EXPECT_FALSE(second) << "a second test API server bound port " << options.port;
  (*first)->stop();
}

}  // namespace
}  // namespace kftenant::server
