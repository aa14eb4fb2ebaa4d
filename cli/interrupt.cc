#include "interrupt.h"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

namespace kftenant::cli {
namespace {

int g_write_end = -1;  // the pipe the handler writes to
struct sigaction g_old_int, g_old_term;

extern "C" void on_interrupt(int signal) {
  const char byte = signal == SIGTERM ? 'T' : 'I';
  if (g_write_end >= 0) (void)!write(g_write_end, &byte, 1);
}

}  // namespace

StopOnInterrupt::StopOnInterrupt() {
  if (pipe2(pipe_, O_CLOEXEC) != 0) return;  // no pipe: signals keep their default action
  g_write_end = pipe_[1];
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: the second signal finds the default action and ends the process.
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &action, &g_old_int);
  sigaction(SIGTERM, &action, &g_old_term);
  installed_ = true;
  watcher_ = std::thread([this] {
    char byte = 0;
    while (read(pipe_[0], &byte, 1) < 0) {
    }
    if (byte == 'I' || byte == 'T') {
      std::fprintf(stderr,
                   "kftenant: %s: stopping at the next safe point (again to quit at once)\n",
                   byte == 'I' ? "interrupted" : "terminated");
      source_.request_stop();
    }
  });
}

StopOnInterrupt::~StopOnInterrupt() {
  if (!installed_) return;
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  const char quit = 'q';
  (void)!write(pipe_[1], &quit, 1);  // wakes the watcher if no signal came
  watcher_.join();
  g_write_end = -1;
  close(pipe_[0]);
  close(pipe_[1]);
}

}  // namespace kftenant::cli
