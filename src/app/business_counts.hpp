#pragma once
// The business figures of /health and /metrics, counted in the background
// and cached, so that neither endpoint ever waits on a count or makes Redis
// walk its keyspace for a request:
//   activeOrderLocks, revokedTokens  PostgreSQL, the record (indexed counts, asked of the lock and revocation stores)
//   pendingTransferSessions          Redis, an incremental SCAN of auth:transfer:* (every master of a cluster)
//   usedMemoryBytes                  Redis, INFO memory (summed over a cluster's masters)
// Never KEYS. Figures are -1 until first counted.

#include "auth/revocation.hpp"
#include "locks/lock_service.hpp"
#include "redis/service.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace bakewind::app {

class business_counts {
 public:
  struct figures {
    std::int64_t active_locks = -1;
    std::int64_t revoked_tokens = -1;
    std::int64_t pending_transfers = -1;
    std::int64_t used_memory_bytes = -1;
    std::int64_t counted_at_ms = 0;  ///< system clock; 0 until a refresh has fully succeeded
  };

  /// The services of one loop that count: they must outlive the refresh.
  struct sources {
    locks::lock_service& locks;
    auth::revocation& revocations;
    redis::service& redis;
  };

  /// The latest figures; any thread.
  figures read() const noexcept;

  /// Seconds since the last full refresh; negative when there was none.
  double age_seconds() const noexcept;

  /// Counts again with one loop's clients. Each figure that could be counted
  /// is updated; the age only moves when all were. At most one refresh runs
  /// at a time: a second caller returns at once. Never throws.
  boost::asio::awaitable<void> refresh(sources from);

  /// Starts refresh() detached on `ex` when the figures are older than
  /// `fresh` (and none is running), without waiting for it.
  void refresh_if_older(std::chrono::milliseconds fresh, const boost::asio::any_io_executor& ex, sources from);

 private:
  std::atomic<std::int64_t> active_locks_{-1};
  std::atomic<std::int64_t> revoked_tokens_{-1};
  std::atomic<std::int64_t> pending_transfers_{-1};
  std::atomic<std::int64_t> used_memory_bytes_{-1};
  std::atomic<std::int64_t> counted_at_ms_{0};
  std::atomic<bool> running_{false};
};

}  // namespace bakewind::app
