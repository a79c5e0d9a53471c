#pragma once
// Which Redis server a connection reaches, told by its `run_id` (INFO
// server). A server other than the one a connection reached before (a
// promoted replica, a server restarted from an older snapshot or AOF, or any
// server at the process's first connection) may lack writes that were
// acknowledged to us: a revocation, a lock's release or renewal. What keeps
// such promises in Redis trusts a server only once it has been refilled
// after the latest change (auth::revocation, locks::lock_service).

#include "redis/reply.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace bakewind::redis {

/// How many times a data connection of this process has reached a server
/// that may not hold what the process saw written before (every first
/// connection counts). Starts at 0, only grows; read from any thread.
std::uint64_t server_changes() noexcept;

/// The state of a data set that Redis holds on PostgreSQL's behalf
/// (revocations, locks), shared by every loop of the process: whether a
/// refill runs now, and the server_changes() figure its last complete refill
/// started at. Redis is vouched for only when nothing changed since.
struct refill_mark {
  std::atomic<bool> running{false};
  std::atomic<std::uint64_t> refilled_at{0};

  /// Whether the last complete refill started after the latest server change.
  bool current() const noexcept { return refilled_at.load(std::memory_order_acquire) == server_changes(); }
  /// Claims the one refill that may run; false when one runs already.
  bool begin() noexcept { return !running.exchange(true, std::memory_order_acq_rel); }
  /// A refill that began when server_changes() was `at` has written all.
  void completed(std::uint64_t at) noexcept { refilled_at.store(at, std::memory_order_release); }
  /// The refill ended, complete or not.
  void ended() noexcept { running.store(false, std::memory_order_release); }
};

/// Runs `fill` (a whole refill of the data set `mark` vouches for) and marks
/// it complete; again, up to three runs in all, while a connection reached
/// another server during the run (that server may have missed its writes).
boost::asio::awaitable<void> refill_until_current(refill_mark& mark, std::function<boost::asio::awaitable<void>()> fill);

namespace detail {

/// The `run_id` field of an `INFO server` reply; "" when the reply is an
/// error (INFO refused to a restricted ACL user) or has none.
std::string run_id_of(const reply& info);

/// Records that a connection whose previous server was `last_run_id` now
/// reaches `run_id`: counts a change unless both are the same known id, and
/// updates `last_run_id`. True when it counted one.
bool note_server(std::string& last_run_id, const std::string& run_id) noexcept;

}  // namespace detail
}  // namespace bakewind::redis
