#include "kftenant/listen_backlog.h"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>

namespace kftenant {

int widen_listen_backlog(int port) {
  // httplib keeps its socket private: find it among the open descriptors, a listening socket
  // (SO_ACCEPTCONN) whose local port is `port`.
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return 0;
  int changed = 0;
  const int own = dirfd(dir);
  while (const dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == own) continue;
    struct stat st {};
    if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    int listening = 0;
    socklen_t size = sizeof listening;
    if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 ||
        !listening)
      continue;
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&addr), &len) != 0) continue;
    int bound = -1;
    if (addr.ss_family == AF_INET)
      bound = ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
    else if (addr.ss_family == AF_INET6)
      bound = ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
    if (bound == port && listen(static_cast<int>(fd), SOMAXCONN) == 0) ++changed;
  }
  closedir(dir);
  return changed;
}

}  // namespace kftenant
