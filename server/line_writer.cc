#include "server/line_writer.h"

#include <algorithm>

namespace kftenant::server {

LineWriter::LineWriter(std::ostream& out, size_t max_queued, std::chrono::milliseconds linger,
                       size_t max_batch)
    : out_(out),
      max_queued_(max_queued),
      linger_(linger),
      max_batch_(std::clamp<size_t>(max_batch, 1, std::max<size_t>(1, max_queued))),
      thread_([this] { run(); }) {}

LineWriter::~LineWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void LineWriter::write(std::string line) {
  std::unique_lock lock(mu_);
  drained_.wait(lock, [&] { return queued_.size() < max_queued_ || stopping_; });
  queued_.push_back(std::move(line));
  ++queued_total_;
  // The first line wakes the thread, which then lingers; the batch's last line ends that.
  if (queued_.size() == 1 || queued_.size() == max_batch_) wake_.notify_one();
}

void LineWriter::flush() {
  std::unique_lock lock(mu_);
  const unsigned long long target = queued_total_;
  ++flushing_;
  wake_.notify_one();
  drained_.wait(lock, [&] { return written_total_ >= target; });
  --flushing_;
}

void LineWriter::run() {
  std::vector<std::string> batch;
  std::string joined;
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return !queued_.empty() || stopping_; });
    if (queued_.empty() && stopping_) return;
    wake_.wait_for(lock, linger_,
                   [&] { return stopping_ || flushing_ > 0 || queued_.size() >= max_batch_; });
    batch.swap(queued_);
    lock.unlock();
    // Only this thread writes to the stream. Joined first: to an unbuffered stream (stderr)
    // each << would be a write(2) of its own.
    joined.clear();
    for (const auto& line : batch) {
      joined += line;
      joined += '\n';
    }
    out_.write(joined.data(), static_cast<std::streamsize>(joined.size()));
    out_.flush();
    const size_t n = batch.size();
    batch.clear();
    lock.lock();
    written_total_ += n;
    drained_.notify_all();
  }
}

}  // namespace kftenant::server
