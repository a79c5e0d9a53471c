#pragma once
// The lock arbiter in PostgreSQL: all SQL about order_locks. Each method is
// one statement, so each decision is atomic. Timestamps come from the
// caller (ms since the epoch) so that Redis and PostgreSQL agree on them.
// The writes (acquire, renew, release) of concurrent requests commit
// together (pg::batcher): one WAL flush for several lock writes.

#include "locks/lock_info.hpp"
#include "pg/batcher.hpp"
#include "pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bakewind::locks {

class lock_store {
 public:
  explicit lock_store(pg::pool& pg) : pg_(pg), writes_(pg, write_lanes, max_write_batch) {}

  /// Lock writes in flight at once per loop, and the most in one transaction.
  /// One lane: the writes that wait meanwhile go together in the next batch,
  /// and bigger batches cost PostgreSQL less per write (one loop on 2 cores:
  /// 19 against 25 us of its CPU per `lock_cycle` request, 18,800 against
  /// 17,900 req/s with two lanes; bench/README.md).
  static constexpr std::size_t write_lanes = 1;
  static constexpr std::size_t max_write_batch = 32;

  /// Figures of the batched writes (batches of more than one, statements in them).
  const pg::batcher& writes() const noexcept { return writes_; }

  /// Takes the order's lock when it is free, expired, or already this
  /// holder's (keeping acquiredAt then); the lock row, or nullopt when another
  /// live holder has it or the order is not in the bakery. The writes
  /// (try_acquire, renew, release) leave user_name empty: the caller knows it.
  boost::asio::awaitable<std::optional<lock_info>> try_acquire(std::string order_id, std::string bakery_id,
                                                               std::string user_id, std::string session_id,
                                                               long long now_ms, long long expires_ms);

  /// Extends this holder's live lock; nullopt when it holds none.
  boost::asio::awaitable<std::optional<lock_info>> renew(std::string order_id, std::string bakery_id,
                                                         std::string user_id, std::string session_id, long long now_ms,
                                                         long long expires_ms);

  /// Deletes this holder's live lock (anyone's when user_id is empty); the
  /// deleted row, or nullopt.
  boost::asio::awaitable<std::optional<lock_info>> release(std::string order_id, std::string bakery_id,
                                                           std::string user_id, std::string session_id);

  /// The order's live lock.
  boost::asio::awaitable<std::optional<lock_info>> live(std::string order_id, std::string bakery_id);

  /// The live locks of a bakery, or of every bakery when `bakery_id` is empty.
  boost::asio::awaitable<std::vector<lock_info>> live_in(std::string bakery_id);

  /// Whether the order exists in the bakery.
  boost::asio::awaitable<bool> order_exists(std::string order_id, std::string bakery_id);

  /// Deletes expired rows and returns them; of concurrent sweepers, each row
  /// goes to exactly one.
  boost::asio::awaitable<std::vector<lock_info>> delete_expired();

  /// How many locks are live now, in every bakery.
  boost::asio::awaitable<std::int64_t> count_active();

 private:
  pg::pool& pg_;
  pg::batcher writes_;
};

}  // namespace bakewind::locks
