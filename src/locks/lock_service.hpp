#pragma once
// Order edit-locks (DESIGN.md "Order locks: PostgreSQL decides, Redis answers
// fast"). PostgreSQL's order_locks row is the arbiter; Redis
// (`order_lock:{<bakeryId>}:<orderId>`, a Lua script per operation) answers
// contended acquires and every status read from memory. All keys of a bakery
// share its hash tag, so each script and MGET touches one cluster slot. Redis down: everything works
// from PostgreSQL alone. Every change is announced through `events`.

#include "locks/events.hpp"
#include "locks/lock_info.hpp"
#include "locks/lock_store.hpp"
#include "pg/pool.hpp"
#include "redis/server_identity.hpp"
#include "redis/service.hpp"

#include "observability/metric_types.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bakewind::locks {

/// Who asks: the caller of a lock route.
struct holder {
  std::string user_id;
  std::string user_name;
  std::string bakery_id;
  std::string session_id;
};

enum class acquire_outcome {
  acquired,    ///< 201: newly acquired
  reacquired,  ///< 200: the same user and session held it; its TTL starts again
  conflict,    ///< 409: someone else holds it (see `current`)
  not_found,   ///< 404: no such order in the caller's bakery
};

struct acquire_result {
  acquire_outcome outcome = acquire_outcome::not_found;
  std::optional<lock_info> current;  ///< the lock now: ours, or the other holder's
};

enum class change_outcome {
  done,       ///< renewed / released
  not_held,   ///< 404 `Lock not found`: the caller holds no live lock with that session
  conflict,   ///< 409 (renew): another holds it (see `current`)
  not_found,  ///< 404 `Order not found`
};

struct change_result {
  change_outcome outcome = change_outcome::not_found;
  std::optional<lock_info> current;
};

/// What the service did, for /metrics: readable from any thread.
struct lock_stats {
  observability::counter acquired;           ///< 201, Redis and PostgreSQL agreed
  observability::counter reacquired;         ///< 200, same holder again
  observability::counter conflict;           ///< 409
  observability::counter not_found;          ///< 404
  observability::counter fallback_postgres;  ///< granted by PostgreSQL alone: Redis could not answer
  observability::counter renewed;            ///< renew succeeded
  observability::counter renew_lost;         ///< renew refused: the caller no longer holds it
  observability::counter released;           ///< released by its holder
  observability::counter forced;             ///< force-released by a manager
  observability::counter expired;            ///< deleted and announced by the sweeper
};

namespace detail {
/// What the Redis step of an operation said; `known` is false when Redis
/// could not answer (down, timeout, script error): PostgreSQL alone decides.
struct redis_view {
  bool known = false;
  long long verdict = -2;
  std::optional<lock_info> current;
};
}  // namespace detail

class lock_service {
 public:
  /// All references must outlive the service.
  /// `mark` is shared by every loop's service: one refill at a time, and
  /// whether Redis was refilled since it last changed server.
  lock_service(redis::service& redis, pg::pool& pg, event_bus& events, std::chrono::seconds ttl,
               redis::refill_mark& mark);

  /// Acquires the order's lock for `who` (API.md POST .../lock).
  boost::asio::awaitable<acquire_result> acquire(std::string order_id, holder who);

  /// Renews the caller's live lock (PUT .../lock).
  boost::asio::awaitable<change_result> renew(std::string order_id, holder who);

  /// Releases the caller's live lock, or anyone's with `force` (DELETE .../lock).
  boost::asio::awaitable<change_result> release(std::string order_id, holder who, bool force);

  /// The order's live lock; nullopt when free. Does not check the order exists.
  boost::asio::awaitable<std::optional<lock_info>> status(std::string bakery_id, std::string order_id);

  /// The live locks of many orders in one round trip, in the order given.
  boost::asio::awaitable<std::vector<std::optional<lock_info>>> status_many(std::string bakery_id,
                                                                            std::vector<std::string> order_ids);

  /// The live locks of a bakery.
  boost::asio::awaitable<std::vector<lock_info>> list(std::string bakery_id);

  /// After an order was deleted (its row, and so its lock row, are gone):
  /// drops the Redis entry and announces `order.unlocked` (reason deleted)
  /// when there was a lock.
  boost::asio::awaitable<void> forget(std::string bakery_id, std::string order_id, std::optional<lock_info> had);

  /// Deletes expired lock rows and announces each (`order.unlocked`, reason
  /// expired); exactly one instance sees each row. Returns how many.
  boost::asio::awaitable<std::size_t> sweep_expired();

  /// When Redis has no `locks:ready:v2` marker (a fresh server, or one that
  /// lost its data; in a cluster, a master that did), or a connection
  /// reached another server since the last refill (one that may hold older
  /// entries: redis/server_identity), starts the refill that copies the live
  /// locks from PostgreSQL, drops entries PostgreSQL does not hold, and sets
  /// the marker, so that reads are answered by Redis even before a first
  /// request needed them (and while PostgreSQL is down later).
  /// Never throws; does nothing while Redis cannot answer.
  boost::asio::awaitable<void> ensure_ready();

  /// What the service did so far.
  const lock_stats& stats() const noexcept { return stats_; }
  /// Figures of the lock writes committed together (readable from any thread).
  const pg::batcher& write_batches() const noexcept { return store_.writes(); }

  /// Whether the order exists in the bakery (for a 404 on a free lock).
  boost::asio::awaitable<bool> order_exists(std::string order_id, std::string bakery_id) {
    return store_.order_exists(std::move(order_id), std::move(bakery_id));
  }

 private:
  boost::asio::awaitable<detail::redis_view> run_script(const redis::script& s, std::string order_id,
                                                        std::string bakery_id, std::vector<std::string> args);
  boost::asio::awaitable<void> mirror(const lock_info& l);
  // Drops the holder's entry from Redis, and publishes `announce` (an
  // event_bus message) in the same script when it is not empty.
  boost::asio::awaitable<void> unmirror(const std::string& order_id, const std::string& bakery_id,
                                        const std::string& user_id, const std::string& session_id,
                                        std::string announce = {});
  // Awaits a PostgreSQL write that decides the order's lock. When it gives
  // no answer (it may or may not have happened), drops the entry Redis
  // granted `redis_grant` (if set), repairs Redis from the record later,
  // and rethrows.
  template <class T>
  boost::asio::awaitable<T> decided(boost::asio::awaitable<T> write, const std::string& order_id,
                                    const std::string& bakery_id, const holder* redis_grant);
  void resync_later(const boost::asio::any_io_executor& ex, std::string order_id, std::string bakery_id);
  boost::asio::awaitable<void> resync(std::string order_id, std::string bakery_id);
  boost::asio::awaitable<bool> copy_from_record(const std::string& order_id, const std::string& bakery_id);
  void start_refill(const boost::asio::any_io_executor& ex);
  boost::asio::awaitable<void> refill();

  redis::service& redis_;
  lock_store store_;
  event_bus& events_;
  std::chrono::seconds ttl_;
  // How long after a grant its PostgreSQL statement may still be running
  // (every write ends by its deadline, the pool's timeout): a repair leaves a
  // Redis entry that young alone, as it may be a grant being confirmed.
  std::chrono::milliseconds write_window_;
  redis::refill_mark& mark_;
  // Orders with a repair running, and whether it must copy once more.
  std::map<std::string, bool> resyncing_;
  lock_stats stats_;
};

}  // namespace bakewind::locks
