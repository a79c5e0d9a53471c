// core/log_writer.hpp with real threads and a real pipe or file: lines of
// each thread in their order, nothing lost at a flush or a stop, and a
// blocked output that drops and counts lines instead of making them wait.

#include "core/log_writer.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

namespace bakewind::core {
namespace {

using namespace std::chrono_literals;

// A pipe whose reading end a thread drains into a string once started.
class pipe_reader {
 public:
  pipe_reader() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    read_end_ = fds[0];
    write_end_ = fds[1];
  }
  ~pipe_reader() {
    ::close(write_end_);  // the reader sees the end
    if (thread_.joinable()) thread_.join();
    ::close(read_end_);
  }

  int write_end() const { return write_end_; }

  void start() {
    thread_ = std::thread([this] {
      char buf[65536];
      for (;;) {
        const ssize_t n = ::read(read_end_, buf, sizeof buf);
        if (n <= 0) return;
        std::lock_guard lock(mutex_);
        text_.append(buf, static_cast<std::size_t>(n));
      }
    });
  }

  // What was read once `seen` holds for it, or at `timeout`.
  std::string wait_for(const std::function<bool(const std::string&)>& seen, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (seen(text_) || std::chrono::steady_clock::now() >= deadline) return text_;
      }
      std::this_thread::sleep_for(1ms);
    }
  }

 private:
  int read_end_ = -1;
  int write_end_ = -1;
  std::mutex mutex_;
  std::string text_;
  std::thread thread_;
};

std::size_t lines_in(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Appends "<who> <i>\n" for i in [0, n).
void write_numbered(log_writer& w, char who, int n) {
  for (int i = 0; i < n; ++i) {
    w.write([&](std::string& out) {
      out += who;
      out += ' ';
      out += std::to_string(i);
      out += '\n';
    });
  }
}

// Every "<who> <i>" line of `text`, checked to come in order with none
// missing for each writer; how many there were per writer.
std::map<char, int> check_in_order(const std::string& text) {
  std::map<char, int> next;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() < 3 || line[1] != ' ') continue;
    const int i = std::stoi(line.substr(2));
    EXPECT_EQ(i, next[line[0]]) << "writer " << line[0];
    next[line[0]] = i + 1;
  }
  return next;
}

TEST(log_writer, lines_of_two_threads_each_arrive_in_their_order) {
  pipe_reader out;
  out.start();
  log_writer w(out.write_end());
  constexpr int n = 20000;
  std::thread a([&] { write_numbered(w, 'a', n); });
  std::thread b([&] { write_numbered(w, 'b', n); });
  a.join();
  b.join();  // the lines of threads that have ended are written too
  const auto text = out.wait_for([](const std::string& t) { return lines_in(t) == 2 * n; }, 10s);
  ASSERT_EQ(lines_in(text), 2u * n);
  const auto counts = check_in_order(text);
  EXPECT_EQ(counts.at('a'), n);
  EXPECT_EQ(counts.at('b'), n);
}

TEST(log_writer, a_line_to_an_idle_writer_arrives_at_once) {
  pipe_reader out;
  out.start();
  log_writer w(out.write_end());
  std::this_thread::sleep_for(20ms);  // the writer has found nothing and sleeps
  const auto started = std::chrono::steady_clock::now();
  write_numbered(w, 'a', 1);
  const auto text = out.wait_for([](const std::string& t) { return lines_in(t) == 1; }, 5s);
  EXPECT_EQ(text, "a 0\n");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 100ms) << "the log promises 100 ms";
}

// A file in a fresh folder, open for appending; both go with it.
struct temp_log_file {
  test::temp_dir dir{"log-writer"};
  std::filesystem::path path = dir.path() / "out.log";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  ~temp_log_file() { ::close(fd); }
};

TEST(log_writer, flush_returns_once_every_line_is_written) {
  temp_log_file file;
  ASSERT_GE(file.fd, 0);
  log_writer w(file.fd);
  write_numbered(w, 'a', 1000);
  ASSERT_TRUE(w.flush(5s));
  EXPECT_EQ(lines_in(test::read_file(file.path)), 1000u);
}

TEST(log_writer, stop_writes_everything_and_later_lines_go_straight_out_after_it) {
  temp_log_file file;
  ASSERT_GE(file.fd, 0);
  log_writer w(file.fd);
  std::thread a([&] { write_numbered(w, 'a', 5000); });
  write_numbered(w, 'b', 5000);
  a.join();
  ASSERT_TRUE(w.stop(5s));
  EXPECT_EQ(lines_in(test::read_file(file.path)), 10000u);
  w.write([](std::string& out) { out += "c 0\n"; });  // a destructor at exit, say
  const auto text = test::read_file(file.path);
  EXPECT_EQ(lines_in(text), 10001u);
  EXPECT_EQ(text.substr(text.size() - 4), "c 0\n");
  const auto counts = check_in_order(text);
  EXPECT_EQ(counts.at('a'), 5000);
  EXPECT_EQ(counts.at('b'), 5000);
}

// What a thread logs from its last destructors (main's are the process's
// static destructors) is written too, after its other lines.
TEST(log_writer, a_line_from_a_thread_s_last_destructors_comes_after_its_other_lines) {
  temp_log_file file;
  ASSERT_GE(file.fd, 0);
  log_writer w(file.fd);
  struct logs_when_destroyed {
    log_writer* w;
    ~logs_when_destroyed() { write_numbered(*w, 'z', 1); }
  };
  std::thread t([&w] {
    thread_local logs_when_destroyed last{&w};  // made before the thread's buffer, so destroyed after it
    write_numbered(w, 'a', 1000);
  });
  t.join();
  ASSERT_TRUE(w.flush(5s));
  const auto text = test::read_file(file.path);
  EXPECT_EQ(lines_in(text), 1001u);
  EXPECT_EQ(text.substr(text.size() - 4), "z 0\n");
  EXPECT_EQ(check_in_order(text).at('a'), 1000);
}

// Reads "a <i>" lines and "dropped <n>" reports: the next line number they
// account for, whether every line came where expected (a report skipping
// the lines it counts), and how many reports there were.
struct accounting {
  int next = 0;
  bool in_order = true;
  int reports = 0;
};
accounting account_for(const std::string& text) {
  accounting a;
  std::istringstream lines(text.substr(0, text.rfind('\n') + 1));  // whole lines: the reader may be mid-line
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("dropped ", 0) == 0) {
      a.next += std::stoi(line.substr(8));
      ++a.reports;
    } else if (line.rfind("a ", 0) == 0) {
      a.in_order = a.in_order && std::stoi(line.substr(2)) == a.next;
      ++a.next;
    }
  }
  return a;
}

// stdout blocked (nobody reads the pipe): appending never waits; a buffer
// stops at its cap, and the lines refused are counted in one line once the
// output takes lines again.
TEST(log_writer, a_blocked_output_caps_the_buffer_and_counts_the_lines_dropped) {
  pipe_reader out;
  const int fd = out.write_end();
  ASSERT_GT(::fcntl(fd, F_SETPIPE_SZ, 4096), 0);
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  const std::string filler = std::string(63, 'x') + "\n";
  while (::write(fd, filler.data(), filler.size()) == 64) {
  }
  ::fcntl(fd, F_SETFL, 0);

  log_writer_options options;
  options.batch_bytes = 1024;
  options.cap_bytes = 4096;
  options.report_drops = [](std::string& o, std::uint64_t n) { o += "dropped " + std::to_string(n) + "\n"; };
  log_writer w(fd, options);
  constexpr int n = 5000;  // about 34 KB: much more than the cap
  const auto started = std::chrono::steady_clock::now();
  write_numbered(w, 'a', n);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s) << "appending waited for the output";

  out.start();
  ASSERT_TRUE(w.flush(5s));
  const auto text = out.wait_for([](const std::string& t) { return account_for(t).next == n; }, 5s);
  const auto seen = account_for(text);
  EXPECT_TRUE(seen.in_order) << "each report stands where its lines were dropped";
  EXPECT_EQ(seen.next, n) << "every line is written or counted";
  EXPECT_GE(seen.reports, 1);
  EXPECT_LT(seen.reports, 5) << "one report per time the output blocked, not per line";
}

}  // namespace
}  // namespace bakewind::core
