#pragma once
// Order edit-locks (DESIGN.md "Order locks: PostgreSQL decides, Redis answers
// fast"). PostgreSQL's order_locks row is the arbiter; Redis
// (`order_lock:{<bakeryId>}:<orderId>`, a Lua script per operation) answers
// contended acquires and every status read from memory. All keys of a bakery
// share its hash tag, so each script and MGET touches one cluster slot. Redis down: everything works
// from PostgreSQL alone. Every change is announced through `events`.

#include "core/clock.hpp"
#include "core/log_limits.hpp"
#include "locks/arbitration.hpp"
#include "locks/events.hpp"
#include "locks/lock_info.hpp"
#include "locks/lock_store.hpp"
#include "pg/pool.hpp"
#include "redis/mirror.hpp"
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

class lock_service {
 public:
  /// All references must outlive the service.
  /// `mirror` (made from mirror_spec) is shared by every loop's service: it
  /// says whether Redis holds every live lock, and refills it when not.
  /// `clock` tells the time of every expiry this service computes.
  lock_service(redis::service& redis, pg::pool& pg, event_bus& events, std::chrono::seconds ttl,
               redis::mirror& mirror, const core::wall_clock& clock = core::wall_clock::system());

  /// The lock keys' marker, and what logs name when reads fall back.
  static redis::mirror_spec mirror_spec();

  // Every request's call asks Redis within `budget` (the request's), and
  // goes to PostgreSQL alone once it is spent.

  /// Acquires the order's lock for `who` (API.md POST .../lock).
  boost::asio::awaitable<acquire_result> acquire(std::string order_id, holder who, redis::budget& budget);

  /// Renews the caller's live lock (PUT .../lock).
  boost::asio::awaitable<change_result> renew(std::string order_id, holder who, redis::budget& budget);

  /// Releases the caller's live lock, or anyone's with `force` (DELETE .../lock).
  boost::asio::awaitable<change_result> release(std::string order_id, holder who, bool force, redis::budget& budget);

  /// The order's live lock; nullopt when free. Does not check the order exists.
  boost::asio::awaitable<std::optional<lock_info>> status(std::string bakery_id, std::string order_id,
                                                          redis::budget& budget);

  /// The live locks of many orders in one round trip, in the order given.
  boost::asio::awaitable<std::vector<std::optional<lock_info>>> status_many(std::string bakery_id,
                                                                            std::vector<std::string> order_ids,
                                                                            redis::budget& budget);

  /// The live locks of a bakery.
  boost::asio::awaitable<std::vector<lock_info>> list(std::string bakery_id, redis::budget& budget);

  /// After an order was deleted (its row, and so its lock row, are gone):
  /// drops the Redis entry and announces `order.unlocked` (reason deleted)
  /// when there was a lock.
  boost::asio::awaitable<void> forget(std::string bakery_id, std::string order_id, std::optional<lock_info> had,
                                      redis::budget& budget);

  /// Deletes expired lock rows and announces each (`order.unlocked`, reason
  /// expired); exactly one instance sees each row. Returns how many.
  boost::asio::awaitable<std::size_t> sweep_expired();

  /// Copies the live locks from PostgreSQL into Redis and drops entries
  /// PostgreSQL does not hold (the mirror sets the marker after), so that
  /// reads are answered by Redis again.
  boost::asio::awaitable<void> refill();

  /// How many live locks the record holds (for /health and /metrics).
  boost::asio::awaitable<std::int64_t> count_active() { return store_.count_active(); }

  /// What the service did so far.
  const lock_stats& stats() const noexcept { return stats_; }
  /// Figures of the lock writes committed together (readable from any thread).
  const pg::batcher& write_batches() const noexcept { return store_.writes(); }

  /// Whether the order exists in the bakery (for a 404 on a free lock).
  boost::asio::awaitable<bool> order_exists(std::string order_id, std::string bakery_id) {
    return store_.order_exists(std::move(order_id), std::move(bakery_id));
  }

 private:
  // The helpers below ask Redis `within` a request's budget, or (null) for
  // upkeep outside any request, bounded by each command's own deadline.

  // Runs a lock script on the order's keys. Unknown verdict when Redis
  // cannot answer; a script error (a bug, OOM) is also logged.
  boost::asio::awaitable<redis_answer> run_script(const redis::script& s, std::string order_id,
                                                  std::string bakery_id, std::vector<std::string> args,
                                                  redis::budget* within);
  // Tells Redis what the record decided (`fix`, other than confirm) about
  // `row` or the caller's grant.
  boost::asio::awaitable<void> apply(redis_fix fix, const std::string& order_id, const holder& who,
                                     const std::optional<lock_info>& row, redis::budget* within);
  // redis_fix::confirm: `granted`'s entry, written as `unconfirmed` by its
  // acquire, confirmed, and `announce` published, in one round trip.
  boost::asio::awaitable<void> confirm(const lock_info& granted, std::string unconfirmed, std::string announce,
                                       redis::budget* within);
  // Runs `s` with `args`, then the event channel and `announce` when there
  // is one (the script publishes it); counts the event published, or
  // dropped (`not_run`) and repairs the order later when Redis did not run it.
  boost::asio::awaitable<void> write_announcing(const redis::script& s, std::string_view not_run,
                                                const std::string& order_id, const std::string& bakery_id,
                                                std::vector<std::string> args, std::string announce,
                                                redis::budget* within);
  // After a refusal: the live holder and whether the order exists.
  boost::asio::awaitable<std::pair<refusal_verdict, std::optional<lock_info>>> look_up_holder(
      bool acquiring, const std::string& order_id, const std::string& bakery_id);
  boost::asio::awaitable<void> mirror(const lock_info& l, redis::budget* within);
  // Drops the holder's entry from Redis, and publishes `announce` (an
  // event_bus message) in the same script when it is not empty.
  boost::asio::awaitable<void> unmirror(const std::string& order_id, const std::string& bakery_id,
                                        const std::string& user_id, const std::string& session_id,
                                        std::string announce, redis::budget* within);
  // Awaits a PostgreSQL write that decides the order's lock. When it gives
  // no answer (it may or may not have happened), drops the entry Redis
  // granted `redis_grant` (if set), repairs Redis from the record later,
  // and rethrows.
  template <class T>
  boost::asio::awaitable<T> decided(boost::asio::awaitable<T> write, const std::string& order_id,
                                    const std::string& bakery_id, const holder* redis_grant, redis::budget& budget);
  void resync_later(const boost::asio::any_io_executor& ex, std::string order_id, std::string bakery_id);
  boost::asio::awaitable<void> resync(std::string order_id, std::string bakery_id);
  boost::asio::awaitable<bool> copy_from_record(const std::string& order_id, const std::string& bakery_id);
  // Copies each order (id -> bakery id) from the record until settled or
  // the write window has passed; repairs the rest in the background.
  boost::asio::awaitable<void> settle(std::map<std::string, std::string> unsettled);

  redis::service& redis_;
  lock_store store_;
  event_bus& events_;
  std::chrono::seconds ttl_;
  // How long after a grant its PostgreSQL statement may still be running
  // (every write ends by its deadline, the pool's timeout): a repair leaves a
  // Redis entry that young alone, as it may be a grant being confirmed.
  std::chrono::milliseconds write_window_;
  redis::mirror& mirror_;
  const core::wall_clock& clock_;
  core::throttle script_errors_{std::chrono::seconds(10)};  ///< logged at most once per 10 s
  // Orders with a repair running, and whether it must copy once more.
  std::map<std::string, bool> resyncing_;
  lock_stats stats_;
};

}  // namespace bakewind::locks
