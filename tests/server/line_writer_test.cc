// LineWriter: every line, in order, each with its newline; flush() waits for the lines queued
// before it; a full queue makes writers wait instead of dropping; the destructor writes the rest;
// a burst of lines is one write and one flush of the stream, not one per line.
#include "server/line_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <sstream>
#include <thread>
#include <vector>

namespace kftenant::server {
namespace {

TEST(LineWriter, WritesEveryLineInOrderAndFlushWaitsForThem) {
  std::ostringstream out;
  LineWriter writer(out);
  for (int i = 0; i < 1000; ++i) writer.write("line " + std::to_string(i));
  writer.flush();
  std::istringstream in(out.str());
  std::string line;
  int n = 0;
  while (std::getline(in, line)) EXPECT_EQ(line, "line " + std::to_string(n++));
  EXPECT_EQ(n, 1000);
}

TEST(LineWriter, ManyThreadsLoseNothingEvenPastTheQueueBound) {
  std::ostringstream out;
  {
    LineWriter writer(out, 4);  // a tiny queue: writers wait for it to drain
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&writer, t] {
        for (int i = 0; i < 500; ++i) writer.write(std::to_string(t) + ":" + std::to_string(i));
      });
    for (auto& th : threads) th.join();
  }  // the destructor writes what is still queued
  std::istringstream in(out.str());
  std::string line;
  std::vector<int> next(8, 0);
  int lines = 0;
  while (std::getline(in, line)) {
    const int t = std::stoi(line.substr(0, line.find(':')));
    const int i = std::stoi(line.substr(line.find(':') + 1));
    EXPECT_EQ(i, next[t]++) << "one thread's lines stay in its order";
    ++lines;
  }
  EXPECT_EQ(lines, 8 * 500);
}

// A stream that counts its flushes (the writer's batches).
class CountingBuffer : public std::stringbuf {
 public:
  std::atomic<int> flushes{0};

 protected:
  int sync() override {
    ++flushes;
    return std::stringbuf::sync();
  }
};

TEST(LineWriter, ABurstOfLinesIsOneBatch) {
  CountingBuffer buffer;
  std::ostream out(&buffer);
  LineWriter writer(out, 65'536, std::chrono::seconds(10));
  for (int i = 0; i < 100; ++i) writer.write("line " + std::to_string(i));
  writer.flush();  // ends the linger: without it the batch would wait 10 s
  EXPECT_EQ(buffer.flushes.load(), 1);
  const std::string text = buffer.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 100);
}

TEST(LineWriter, AFullBatchIsWrittenWithoutWaitingForTheLinger) {
  CountingBuffer buffer;
  std::ostream out(&buffer);
  LineWriter writer(out, 65'536, std::chrono::seconds(10), 10);
  for (int i = 0; i < 10; ++i) writer.write("line " + std::to_string(i));
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (buffer.flushes.load() == 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(buffer.flushes.load(), 1) << "the tenth line ends the 10 s linger";
  writer.flush();
  const std::string text = buffer.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 10);
}

// Like std::cerr: no buffer, so each call the stream makes is a write(2) of its own.
class UnbufferedCountingBuffer : public std::streambuf {
 public:
  std::atomic<int> writes{0};
  std::string text;

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    ++writes;
    text += traits_type::to_char_type(c);
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    ++writes;
    text.append(s, static_cast<size_t>(n));
    return n;
  }
};

TEST(LineWriter, ABatchIsOneWriteToAnUnbufferedStream) {
  // kftenant serve's access lines go to stderr: written a line (and a '\n') at a time, a batch
  // was still two write(2)s per request (strace, bench_serve 2026-12-07).
  UnbufferedCountingBuffer buffer;
  std::ostream out(&buffer);
  {
    LineWriter writer(out, 65'536, std::chrono::seconds(10));
    for (int i = 0; i < 100; ++i) writer.write("line " + std::to_string(i));
    writer.flush();
    EXPECT_EQ(buffer.writes.load(), 1);
  }
  EXPECT_EQ(std::count(buffer.text.begin(), buffer.text.end(), '\n'), 100);
  EXPECT_EQ(buffer.text.substr(0, 14), "line 0\nline 1\n");
}

}  // namespace
}  // namespace kftenant::server
