// Ctrl-C (SIGINT) and SIGTERM during an apply: the first one asks the apply to stop at the next
// safe point (before a step, or in a wait), so that no step is cut half-way and the command can
// simply be run again; a second one ends the process at once (the default action).
#pragma once

#include <stop_token>
#include <thread>

namespace kftenant::cli {

// While it lives, SIGINT and SIGTERM request stop() instead of ending the process, once. A
// signal handler may only do async-signal-safe work, so it writes a byte to a pipe; a thread
// reads it and requests the stop. Not nested: one at a time per process.
class StopOnInterrupt {
 public:
  StopOnInterrupt();
  ~StopOnInterrupt();
  StopOnInterrupt(const StopOnInterrupt&) = delete;
  StopOnInterrupt& operator=(const StopOnInterrupt&) = delete;

  [[nodiscard]] std::stop_token token() const { return source_.get_token(); }

 private:
  std::stop_source source_;
  int pipe_[2] = {-1, -1};
  bool installed_ = false;
  std::thread watcher_;
};

}  // namespace kftenant::cli
