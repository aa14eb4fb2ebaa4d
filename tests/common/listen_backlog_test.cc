#include "kftenant/listen_backlog.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

namespace kftenant {
namespace {

// A loopback socket listening with `backlog`, never accepting; its port in `port`.
int listening_socket(int backlog, int& port) {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(s, backlog) != 0 || getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return -1;
  port = ntohs(addr.sin_port);
  return s;
}

// Starts `n` connections to `port` at once and returns how many the kernel completed within
// half a second, with nobody accepting: the ones the accept queue (the backlog) holds.
int connections_completed(int port, int n) {
  std::vector<int> clients;
  for (int i = 0; i < n; ++i) {
    const int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    (void)connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    clients.push_back(c);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int completed = 0;
  for (int c : clients) {
    // Established: the server's side is in the accept queue, so data can be written and no
    // error is pending. A SYN the full queue dropped leaves the connect in progress.
    int error = 0;
    socklen_t len = sizeof error;
    pollfd p{c, POLLOUT, 0};
    char byte = 'x';
    if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) &&
        getsockopt(c, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0 &&
        send(c, &byte, 1, MSG_NOSIGNAL) == 1)
      ++completed;
    close(c);
  }
  return completed;
}

TEST(ListenBacklog, AFullBacklogOfOneLeavesConnectionsWaiting) {
  int port = 0;
  const int s = listening_socket(1, port);
  ASSERT_GE(s, 0);
  EXPECT_LT(connections_completed(port, 40), 10);
  close(s);
}

TEST(ListenBacklog, WideningItAdmitsEveryConnection) {
  int port = 0;
  const int s = listening_socket(1, port);
  ASSERT_GE(s, 0);
  EXPECT_TRUE(widen_listen_backlog(s));
  EXPECT_EQ(connections_completed(port, 40), 40);
  close(s);
}

TEST(ListenBacklog, ASocketThatIsNotListeningIsLeftAlone) {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  EXPECT_FALSE(widen_listen_backlog(s));
  int listening = 1;
  socklen_t size = sizeof listening;
  ASSERT_EQ(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size), 0);
  EXPECT_EQ(listening, 0);  // not made to listen
  close(s);
  EXPECT_FALSE(widen_listen_backlog(-1));
}

// A socket given `options` (ours, or httplib's SO_REUSEPORT alone), bound to loopback:`port`
// (0: any) and listening; -1 when bind or listen fails. The bound port in `port`.
int bound_socket(bool ours, int& port) {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  const int yes = 1;
  if (ours) {
    if (!set_listen_socket_options(s)) return -1;
  } else {
    setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof yes);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  socklen_t len = sizeof addr;
  if (bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(s, 16) != 0 ||
      getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(s);
    return -1;
  }
  port = ntohs(addr.sin_port);
  return s;
}

TEST(ListenSocketOptions, APortInUseIsRefusedToASecondServer) {
  int port = 0;
  const int first = bound_socket(true, port);
  ASSERT_GE(first, 0);
  int same = port;
  EXPECT_EQ(bound_socket(true, same), -1);
  close(first);
  // What httplib's own options did: both bind, and the kernel shares the connections out.
  int shared_port = 0;
  const int a = bound_socket(false, shared_port);
  ASSERT_GE(a, 0);
  int again = shared_port;
  const int b = bound_socket(false, again);
  EXPECT_GE(b, 0);
  close(a);
  if (b >= 0) close(b);
}

TEST(ListenSocketOptions, ARestartedServerBindsWhileItsOldConnectionsLinger) {
  int port = 0;
  const int server = bound_socket(true, port);
  ASSERT_GE(server, 0);
  const int client = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const int accepted = accept(server, nullptr, nullptr);
  ASSERT_GE(accepted, 0);
  // The server closes first, so its side of the connection waits in TIME_WAIT on `port`.
  close(accepted);
  char byte;
  EXPECT_EQ(recv(client, &byte, 1, 0), 0);
  close(client);
  close(server);
  int same = port;
  const int restarted = bound_socket(true, same);
  EXPECT_GE(restarted, 0) << "port " << port << " refused while TIME_WAIT lingers";
  if (restarted >= 0) close(restarted);
}

}  // namespace
}  // namespace kftenant
