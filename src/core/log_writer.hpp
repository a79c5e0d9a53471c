#pragma once
// Lines from many threads to one file descriptor without making them wait:
// each thread appends to a buffer of its own, and one writer thread writes
// the buffers out in batches (one writev for all of them).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bakewind::core {

class log_writer;

namespace detail {

/// One thread's lines, shared by that thread and the writer thread.
struct log_buffer {
  explicit log_buffer(const log_writer* w, bool closed_at_start) : owner(w), closed(closed_at_start) {}

  const log_writer* const owner;        ///< the writer it was registered with
  std::atomic<bool> orphaned{false};    ///< set when that writer is destroyed
  std::mutex mutex;                     ///< its thread's against the writer's swap only
  std::string lines;                    ///< guarded by mutex: whole lines, oldest first
  std::uint64_t dropped = 0;            ///< guarded by mutex: lines refused since the last batch
  bool closed;                          ///< guarded by mutex: after stop, lines bypass the buffer
  std::string writing;                  ///< the writer thread's alone: the batch being written
};

}  // namespace detail

/// How a log_writer batches; the defaults are the process log's.
struct log_writer_options {
  /// Longest a line waits in its buffer while lines keep coming (the log
  /// promises 100 ms; an idle writer is woken by the first line at once).
  std::chrono::milliseconds interval{50};
  /// A buffer this full wakes the writer at once.
  std::size_t batch_bytes = 64 * 1024;
  /// A buffer never grows past this: while the output is blocked, further
  /// lines of its thread are dropped and counted.
  std::size_t cap_bytes = 8 * 1024 * 1024;
  /// Appends the line that reports `n` dropped lines of one thread, written
  /// after that thread's lines kept; called on the writer thread. None when empty.
  std::function<void(std::string& out, std::uint64_t n)> report_drops;
};

/// Writes whole lines from any thread to `fd`, in order per thread, each
/// within `interval` of being appended while the output keeps up. Appending
/// takes only the calling thread's own buffer lock (shared with the writer's
/// brief swap, never held across a write), so it never waits on the output.
/// The destructor stops (writing everything out) and joins; the fd stays
/// open (the caller's).
class log_writer {
 public:
  explicit log_writer(int fd, log_writer_options options = {});
  ~log_writer();
  log_writer(const log_writer&) = delete;
  log_writer& operator=(const log_writer&) = delete;

  /// Appends what `format(std::string&)` appends (whole lines, each ending
  /// in '\n') to this thread's buffer; dropped and counted when the buffer
  /// is at its cap. After stop(), and from a thread's last destructors (its
  /// buffer is gone), writes it at once instead. Rethrows what `format` throws.
  template <class Format>
  void write(Format&& format);

  /// Writes out every line appended before the call: true once written,
  /// false when the output stayed blocked for `timeout`. Blocks the caller.
  bool flush(std::chrono::milliseconds timeout);

  /// Writes out everything, then ends the writer thread; every later line is
  /// written by its own thread at once (one write each, in order with what
  /// came before). False when the output stayed blocked for `timeout` (the
  /// thread is then left to finish, or to die with the process).
  bool stop(std::chrono::milliseconds timeout);

 private:
  detail::log_buffer* buffer_of_this_thread();
  void write_unbuffered(std::string_view lines);
  void wake();
  void run();
  bool write_batch(bool close);
  bool any_pending();

  const int fd_;
  const log_writer_options options_;
  std::atomic<bool> idle_{false};  ///< the writer sleeps until woken

  std::mutex mutex_;  ///< guards what follows, up to the thread
  std::condition_variable wake_cv_;
  std::condition_variable done_cv_;
  bool wake_ = false;
  bool stopping_ = false;
  bool exited_ = false;
  std::uint64_t flush_asked_ = 0;
  std::uint64_t flush_done_ = 0;

  std::mutex registry_mutex_;  ///< guards buffers_ and closed_
  std::vector<std::shared_ptr<detail::log_buffer>> buffers_;
  bool closed_ = false;
  std::vector<std::shared_ptr<detail::log_buffer>> batch_;  ///< the writer thread's

  std::mutex direct_mutex_;  ///< orders the final batch before writes made after stop
  std::thread thread_;
};

template <class Format>
void log_writer::write(Format&& format) {
  if (detail::log_buffer* b = buffer_of_this_thread()) {
    std::unique_lock lock(b->mutex);
    if (!b->closed) {
      const std::size_t before = b->lines.size();
      bool kept = before < options_.cap_bytes;
      if (kept) {
        try {
          format(b->lines);
        } catch (...) {
          b->lines.resize(before);  // never half a line
          throw;
        }
        kept = b->lines.size() <= options_.cap_bytes;
        if (!kept) b->lines.resize(before);
      }
      if (!kept) {
        ++b->dropped;
        return;
      }
      const std::size_t after = b->lines.size();
      lock.unlock();
      // The writer needs waking only when it sleeps with nothing to do, or
      // when a buffer fills up: not once per line.
      if ((before == 0 && idle_.load()) || (before < options_.batch_bytes && after >= options_.batch_bytes)) wake();
      return;
    }
  }
  std::string lines;
  format(lines);
  write_unbuffered(lines);
}

}  // namespace bakewind::core
