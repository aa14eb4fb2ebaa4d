// Lines written to a stream by a thread of their own, so that a request handler only queues its
// access line: with the stream written and flushed under a lock by every handler, 200 connections
// convoyed on that lock (bench_serve: p99 184 ms with the log, 61 ms without). Lines keep their
// order; none is dropped (past `max_queued` a writer waits for the queue to drain). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace kftenant::server {

class LineWriter {
 public:
  // `out` must outlive the writer; each line is written with a '\n' and the stream flushed
  // after each batch.
  explicit LineWriter(std::ostream& out, size_t max_queued = 65'536);
  ~LineWriter();  // writes what is queued, then stops
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  void write(std::string line);
  // Returns once every line queued before the call is in the stream (and flushed).
  void flush();

 private:
  void run();

  std::ostream& out_;
  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable wake_;     // the writer thread: lines queued, or stopping
  std::condition_variable drained_;  // flush() and full queues: a batch was written
  std::vector<std::string> queued_;
  unsigned long long queued_total_ = 0, written_total_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kftenant::server
