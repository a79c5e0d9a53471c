#include "core/log_writer.hpp"

#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <utility>

namespace bakewind::core {
namespace {

// The buffer this thread appends to, registered with a writer at the
// thread's first line to it. thread_local, so that finding it takes no lock
// and no look-up per line; the writer holds a reference too, so that the
// last lines of a thread that ends are still written.
struct thread_slot {
  std::shared_ptr<detail::log_buffer> buffer;
  ~thread_slot();
};
thread_local thread_slot this_thread;
// Set once the slot is gone, for what the thread's later destructors log
// (main's include the process's static destructors): plain data, so it can
// still be read then.
thread_local bool this_thread_ending = false;

thread_slot::~thread_slot() { this_thread_ending = true; }

// Moves the front of `iov` past `n` written bytes.
void advance(std::vector<iovec>& iov, std::size_t& first, std::size_t n) {
  while (n > 0 && first < iov.size()) {
    if (n >= iov[first].iov_len) {
      n -= iov[first].iov_len;
      ++first;
    } else {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + n;
      iov[first].iov_len -= n;
      n = 0;
    }
  }
}

// Writes all of `iov` unless the output is gone (closed pipe, bad fd): then
// there is nowhere left to put these lines, and the next batch tries again.
void write_fully(int fd, std::vector<iovec>& iov) {
  std::size_t first = 0;
  while (first < iov.size()) {
    const auto count = static_cast<int>(std::min<std::size_t>(iov.size() - first, IOV_MAX));
    const ssize_t n = ::writev(fd, iov.data() + first, count);
    if (n >= 0) {
      advance(iov, first, static_cast<std::size_t>(n));
    } else if (errno == EAGAIN) {
      // A non-blocking output (a terminal someone set so): wait until it drains.
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 100);
    } else if (errno != EINTR) {
      return;
    }
  }
}

}  // namespace

log_writer::log_writer(int fd, log_writer_options options)
    : fd_(fd), options_(std::move(options)), thread_([this] { run(); }) {}

log_writer::~log_writer() {
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    wake_cv_.notify_one();
    done_cv_.wait(lock, [this] { return exited_; });
    if (thread_.joinable()) thread_.join();
  }
  // A thread that still holds one of these buffers must not append to a
  // later writer that happens to live at the same address.
  std::lock_guard registry(registry_mutex_);
  for (const auto& b : buffers_) b->orphaned.store(true, std::memory_order_release);
}

bool log_writer::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (exited_) return true;  // stopped: every line has been written as it came
  const auto ticket = ++flush_asked_;
  wake_cv_.notify_one();
  return done_cv_.wait_for(lock, timeout, [&] { return flush_done_ >= ticket || exited_; });
}

bool log_writer::stop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  wake_cv_.notify_one();
  if (!done_cv_.wait_for(lock, timeout, [this] { return exited_; })) return false;
  // Under the lock, so that two callers never join at once; the thread has
  // released it for good once exited_ is set.
  if (thread_.joinable()) thread_.join();
  return true;
}

detail::log_buffer* log_writer::buffer_of_this_thread() {
  if (this_thread_ending) return nullptr;
  auto& b = this_thread.buffer;
  if (b && b->owner == this && !b->orphaned.load(std::memory_order_acquire)) return b.get();
  std::lock_guard registry(registry_mutex_);
  b = std::make_shared<detail::log_buffer>(this, closed_);
  buffers_.push_back(b);
  return b.get();
}

void log_writer::write_unbuffered(std::string_view lines) {
  // An ending thread's earlier lines may still wait in its old buffer.
  if (this_thread_ending) flush(std::chrono::seconds(5));
  std::lock_guard direct(direct_mutex_);
  std::vector<iovec> iov{{const_cast<char*>(lines.data()), lines.size()}};
  write_fully(fd_, iov);
}

void log_writer::wake() {
  {
    std::lock_guard lock(mutex_);
    wake_ = true;
  }
  wake_cv_.notify_one();
}

// The writer thread: a batch, then a wait of `interval` while lines keep
// coming, or until woken once there are none (no wake-ups on an idle server).
void log_writer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto asked = flush_asked_;
    const bool stopping = stopping_;
    wake_ = false;
    lock.unlock();
    const bool wrote = write_batch(stopping);
    lock.lock();
    flush_done_ = asked;
    if (stopping) exited_ = true;
    done_cv_.notify_all();
    if (stopping) return;
    const auto woken = [&] { return wake_ || stopping_ || flush_asked_ != asked; };
    if (wrote) {
      wake_cv_.wait_for(lock, options_.interval, woken);
      continue;
    }
    // Idle from here on: a thread that now appends to an empty buffer wakes
    // us. Set before looking at the buffers, so that a line appended after
    // the look sees it set (its buffer's lock orders the two).
    idle_.store(true);
    lock.unlock();
    const bool pending = any_pending();
    lock.lock();
    if (!pending) wake_cv_.wait(lock, woken);
    idle_.store(false);
  }
}

// Takes every buffer's lines (swapping strings: no copy, no allocation once
// they have grown), writes them in one writev, and forgets the buffers of
// threads that have ended. With `close`, also makes every later line bypass
// the buffers; direct_mutex_ keeps those behind this batch.
bool log_writer::write_batch(bool close) {
  std::unique_lock direct(direct_mutex_, std::defer_lock);
  if (close) direct.lock();
  {
    std::lock_guard registry(registry_mutex_);
    closed_ = closed_ || close;
    batch_.assign(buffers_.begin(), buffers_.end());
  }
  std::vector<iovec> iov;
  iov.reserve(batch_.size());
  for (const auto& b : batch_) {
    std::uint64_t dropped = 0;
    {
      std::lock_guard lock(b->mutex);
      b->closed = b->closed || close;
      b->lines.swap(b->writing);
      dropped = std::exchange(b->dropped, 0);
    }
    if (dropped > 0 && options_.report_drops) options_.report_drops(b->writing, dropped);
    if (!b->writing.empty()) iov.push_back({b->writing.data(), b->writing.size()});
  }
  const bool wrote = !iov.empty();
  write_fully(fd_, iov);
  for (const auto& b : batch_) {
    b->writing.clear();
    // A burst (a blocked output) may have grown it to the cap: give that back.
    if (b->writing.capacity() > 4 * options_.batch_bytes) std::string().swap(b->writing);
  }
  batch_.clear();
  std::lock_guard registry(registry_mutex_);
  std::erase_if(buffers_, [](const std::shared_ptr<detail::log_buffer>& b) {
    if (b.use_count() > 1) return false;  // its thread still runs
    std::lock_guard lock(b->mutex);
    return b->lines.empty() && b->dropped == 0;
  });
  return wrote;
}

bool log_writer::any_pending() {
  std::lock_guard registry(registry_mutex_);
  return std::any_of(buffers_.begin(), buffers_.end(), [](const std::shared_ptr<detail::log_buffer>& b) {
    std::lock_guard lock(b->mutex);
    return !b->lines.empty() || b->dropped > 0;
  });
}

}  // namespace bakewind::core
