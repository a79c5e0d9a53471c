#pragma once
// Which Redis server a connection reaches, told by its `run_id` (INFO
// server). A server other than the one a connection reached before (a
// promoted replica, a server restarted from an older snapshot or AOF, or any
// server at the process's first connection) may lack writes that were
// acknowledged to us: a revocation, a lock's release or renewal. What keeps
// such promises in Redis trusts a server only once it has been refilled
// after the latest change (redis/mirror.hpp).

#include "redis/reply.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bakewind::redis {

/// The servers the data connections of one process reached: how many times
/// one reached a server that may not hold what the process saw written
/// before (every first connection counts), and who wants to hear of it.
/// One per process, given to its clients through options::servers.
class server_history {
 public:
  using listener = std::function<void()>;

  server_history() = default;
  server_history(const server_history&) = delete;
  server_history& operator=(const server_history&) = delete;

  /// Calls `l` after each change, on the thread of the connection that saw
  /// it; `l` must not block. Add every listener before a client connects.
  void on_change(listener l) { listeners_.push_back(std::move(l)); }

  /// Records that a connection whose previous server was `last_run_id` now
  /// reaches `run_id`: counts a change unless both are the same known id,
  /// tells the listeners, and updates `last_run_id`. True when it counted one.
  bool note(std::string& last_run_id, const std::string& run_id);

  /// The changes so far: starts at 0, only grows; read from any thread.
  std::uint64_t changes() const noexcept { return changes_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::uint64_t> changes_{0};
  std::vector<listener> listeners_;
};

/// The state of a data set that Redis holds on PostgreSQL's behalf
/// (revocations, locks), shared by every loop of the process: whether a
/// refill runs now, and the changes() figure its last complete refill
/// started at. Redis is vouched for only when nothing changed since.
class refill_mark {
 public:
  explicit refill_mark(const server_history& servers) : servers_(servers) {}

  /// Whether the last complete refill started after the latest server change.
  bool current() const noexcept { return refilled_at_.load(std::memory_order_acquire) == servers_.changes(); }
  /// Claims the one refill that may run; false when one runs already.
  bool begin() noexcept { return !running_.exchange(true, std::memory_order_acq_rel); }
  /// The changes() figure a refill starting now starts at.
  std::uint64_t now() const noexcept { return servers_.changes(); }
  /// A refill that began at `at` (now()) has written all.
  void completed(std::uint64_t at) noexcept { refilled_at_.store(at, std::memory_order_release); }
  /// The refill ended, complete or not.
  void ended() noexcept { running_.store(false, std::memory_order_release); }

 private:
  const server_history& servers_;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> refilled_at_{0};
};

/// Runs `fill` (a whole refill of the data set `mark` vouches for) and marks
/// it complete; again, up to three runs in all, while a connection reached
/// another server during the run (that server may have missed its writes).
boost::asio::awaitable<void> refill_until_current(refill_mark& mark, std::function<boost::asio::awaitable<void>()> fill);

namespace detail {

/// The `run_id` field of an `INFO server` reply; "" when the reply is an
/// error (INFO refused to a restricted ACL user) or has none.
std::string run_id_of(const reply& info);

}  // namespace detail
}  // namespace bakewind::redis
