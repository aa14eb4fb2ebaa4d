#include "kftenant/listen_backlog.h"

#include <sys/socket.h>

namespace kftenant {

bool widen_listen_backlog(int fd) {
  int listening = 0;
  socklen_t size = sizeof listening;
  // listen() on a socket that is bound but not listening would start it listening: only
  // widen one that already is.
  if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || !listening)
    return false;
  return listen(fd, SOMAXCONN) == 0;
}

bool set_listen_socket_options(int fd) {
  const int yes = 1;
  return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) == 0;
}

}  // namespace kftenant
