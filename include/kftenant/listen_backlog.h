// Debian's cpp-httplib (0.11) listens with a backlog of 5 and offers no way to change it: when
// 200 clients connect at once (wrk, a burst of dashboard users, an Envoy pool warming up) the
// kernel drops the connections over the backlog and each waits for TCP's retransmission, one
// second and more (bench_serve saw ~2,000 ListenOverflows per run and a p99 near one second).
// listen() again on a listening socket only changes its backlog; the servers learn their
// socket from httplib's socket-options callback (it sees the socket it then binds).
//
// That callback replaces httplib's own options, which on Linux are SO_REUSEPORT alone: with it a
// second server (another `kftenant serve`, a test's server on a port just handed out) binds the
// same port as the first and the kernel splits the connections between the two, where an
// administrator expects "address already in use".
#pragma once

namespace kftenant {

// Raises the backlog of the listening socket `fd` to SOMAXCONN (the kernel caps it at
// net.core.somaxconn). False when `fd` is not a listening socket.
bool widen_listen_backlog(int fd);

// The options a listening socket gets before bind(): SO_REUSEADDR (a restarted server binds
// while the old connections linger in TIME_WAIT), never SO_REUSEPORT (a port in use stays
// refused). False when setsockopt fails.
bool set_listen_socket_options(int fd);

}  // namespace kftenant
