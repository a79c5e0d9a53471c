#pragma once
// Orders as PostgreSQL last committed them, copied into Redis so that a read
// of an order skips PostgreSQL (README "Order cache"). The copy is exact for
// every instance, not merely fresh-ish:
//   - a writer marks the key (`order_cache:<id>` = "~") before its statement
//     and again after it, and answers its caller only then, so no copy taken
//     before a change outlives the change's acknowledgement;
//   - a reader copies what it read only into a key that holds no mark and no
//     copy from this server (one script), and only within the deadline the
//     mark's lifetime covers;
//   - a copy names the Redis server it was made on (its run_id) and counts
//     only there: a promoted replica or a server restarted from older data
//     (which may have missed a mark) serves none of the old copies.
// A mark that Redis did not answer in time is still written (retry::deliver):
// a stalled server runs it before any read asked of it later. And after
// Redis failed this process (it stopped answering, or a connection was lost
// and made again), no copy is read until every copy made before has expired:
// one of them may have missed the mark of a writer that could not reach it.
// Anything in doubt is a miss: the record answers. Off in a cluster (no one
// server to name) and where the server's run_id is unknown.

#include "core/log_limits.hpp"
#include "core/tasks.hpp"
#include "orders/order.hpp"
#include "redis/service.hpp"
#include "redis/stall_episodes.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>

namespace bakewind::orders {

/// What a reader needs to copy a record it is about to read: taken before
/// the read (see order_cache::before_read).
struct read_ticket {
  std::string run_id;  ///< the server copies would go to; "" = do not copy
  std::chrono::steady_clock::time_point started;
};

class order_cache {
 public:
  /// `redis` must outlive the cache. `statement_timeout` bounds every
  /// PostgreSQL statement (PG_TIMEOUT_MS): marks live longer than twice that.
  /// `copy_ttl` is how long a copy lives; zero switches the cache off.
  /// `stalls` are the process's not-answering episodes (any loop's
  /// connection may have been a writer's); they must outlive the cache.
  order_cache(redis::service& redis, std::chrono::milliseconds statement_timeout, std::chrono::seconds copy_ttl,
              const redis::stall_episodes& stalls);

  /// The copy of order `id` of `bakery_id`, or nullopt (a miss, also when
  /// Redis cannot answer within `budget`: never throws for Redis). A copy
  /// of another bakery's order is a miss, as the record's filter would be.
  boost::asio::awaitable<std::optional<order>> find(const std::string& id, const std::string& bakery_id,
                                                    redis::budget& budget);

  /// Taken right before reading the record of an order to copy it.
  read_ticket before_read() const;

  /// Copies `o`, read from the record after `ticket` was taken, unless a
  /// writer marked it since, the read took too long, the server changed,
  /// or `budget` is spent. Never throws.
  boost::asio::awaitable<void> keep(const order& o, const read_ticket& ticket, redis::budget& budget);

  /// Awaits `write`, a statement that may change or delete the row of order
  /// `id`, between two marks (before it, and after it whether answered or
  /// not; each awaited within `budget`), and returns its value or rethrows
  /// what it threw. Redis's trouble never fails the write (see mark_changing).
  template <class T>
  boost::asio::awaitable<T> changing(const std::string& id, boost::asio::awaitable<T> write, redis::budget& budget) {
    co_await mark_changing(id, budget);
    auto [value, failure] = co_await core::attempt(std::move(write));
    co_await mark_changing(id, budget);
    if (failure) std::rethrow_exception(failure);
    co_return std::move(value);
  }

  /// False in a cluster or when switched off: every read goes to the record.
  bool enabled() const noexcept { return enabled_; }

 private:
  // Marks order `id` as changing. Waits for Redis's answer within `budget`;
  // when there is none, marks again in the background until Redis answers
  // or copies made before have expired. Never throws.
  boost::asio::awaitable<void> mark_changing(const std::string& id, redis::budget& budget);
  // Whether copies may be read: not until copy_ttl after Redis last failed
  // this process (a stall of any loop's connection, this loop's connection
  // made again), when any copy made before may have missed a mark.
  bool copies_trusted();

  redis::service& redis_;
  // A mark that Redis did not take is logged once per 10 s, not once per
  // write while Redis is away.
  core::throttle mark_warnings_{std::chrono::seconds(10)};
  std::chrono::milliseconds mark_ttl_;
  std::chrono::milliseconds read_window_;
  std::chrono::seconds copy_ttl_;
  bool enabled_;
  const redis::stall_episodes& stalls_;
  std::uint64_t troubles_seen_ = 0;                      ///< Redis's stalls and reconnects, when last looked at
  std::chrono::steady_clock::time_point trusted_from_;  ///< copies are read from then on
};

}  // namespace bakewind::orders
