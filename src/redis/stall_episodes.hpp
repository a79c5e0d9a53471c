#pragma once
// The spells in which Redis does not answer, for a whole process. Each data
// connection (one per event loop, or per cluster master) holds its server as
// not answering on its own (command_queue::stop_waiting); this joins them
// into episodes: one warning when the first connection stops waiting, one
// line when the last of them hears a reply again, and a count, so that an
// outage reads the same in the log and in /metrics however many loops the
// process runs. Thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

namespace bakewind::redis {

class stall_episodes {
 public:
  /// A connection to `endpoint` stopped waiting: its server owes a reply
  /// and sent nothing for `silent`. Logs the start of an episode when no
  /// other connection was stalled.
  void began(std::string_view endpoint, std::chrono::milliseconds silent);
  /// A connection that began() heard its server again. Logs the end of the
  /// episode, with how long it lasted, when it was the last one stalled.
  void ended(std::string_view endpoint);
  /// Episodes so far; lock-free (read on every cached order read).
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }

 private:
  mutable std::mutex mutex_;
  int stalled_ = 0;  ///< connections stalled now
  std::atomic<std::uint64_t> count_{0};
  std::chrono::steady_clock::time_point since_;  ///< when the current episode began
};

}  // namespace bakewind::redis
