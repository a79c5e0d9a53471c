#pragma once
// Group commit on our side: lone write statements of concurrent requests run
// together, several to a transaction, in one round trip. Each commit waits
// for a WAL flush; on this machine the flush, not the statements, bounds how
// many writes per second PostgreSQL takes, so sharing it is the lever.

#include "pg/combine.hpp"
#include "pg/connection.hpp"
#include "pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace bakewind::pg {

/// Runs statements like pool::query, but while `lanes` batches are in
/// flight, later statements wait and go together in the next one: one
/// pipeline, one transaction, one commit. Under no load a statement runs
/// alone, at once. For independent single-statement writes whose callers
/// accept that a write commits with others: either all of a batch took
/// effect or none did, and when the server rejects one statement the rest
/// of its batch run again one by one, so only that caller sees the error.
/// Inside a batch statements run ordered by `key`, so two batches lock
/// rows in the same order; statements given a `combiner` run as one
/// set-based statement with the others of their kind in the batch (one
/// plan, one executor run for all), and statements of one key keep their
/// order of arrival. One per event loop; not thread-safe. Must outlive the
/// loop's run.
class batcher {
 public:
  /// At most `lanes` batches at once, of at most `max_batch` statements.
  batcher(pool& pool, std::size_t lanes, std::size_t max_batch);
  ~batcher();
  batcher(const batcher&) = delete;
  batcher& operator=(const batcher&) = delete;

  /// Runs `sql` with `params`, together with others; its rows. Waits at
  /// most the pool's timeout in all. With `combine` (which must outlive the
  /// batcher), it may run inside combine's set-based statement instead,
  /// with the same rows as its answer (see pg::combiner for the key's
  /// spelling). Throws what pool::query throws: query_error (rejected;
  /// nothing of it took effect) or core::unavailable_error (outcome unknown).
  boost::asio::awaitable<result> query(std::string key, std::string_view sql, std::span<const param> params,
                                       const combiner* combine = nullptr);

  /// Batches run with more than one statement, and the statements in them;
  /// readable from any thread.
  std::uint64_t batches() const noexcept { return batches_.load(std::memory_order_relaxed); }
  std::uint64_t batched_statements() const noexcept { return batched_statements_.load(std::memory_order_relaxed); }
  /// Set-based statements run (each for two or more callers), and the callers they answered.
  std::uint64_t combined() const noexcept { return combined_.load(std::memory_order_relaxed); }
  std::uint64_t combined_statements() const noexcept { return combined_statements_.load(std::memory_order_relaxed); }
  /// Batches the server rejected, run again one statement at a time.
  std::uint64_t rejected_batches() const noexcept { return rejected_batches_.load(std::memory_order_relaxed); }

 private:
  struct waiting;
  using waiting_ptr = std::shared_ptr<waiting>;

  boost::asio::awaitable<void> run_lane();
  boost::asio::awaitable<void> run_batch(std::vector<waiting_ptr> batch);
  boost::asio::awaitable<void> run_alone(const waiting_ptr& w);
  std::vector<batch_group> plan(const std::vector<waiting_ptr>& batch, std::vector<statement>& statements);
  void answer(const std::vector<waiting_ptr>& batch, const std::vector<batch_group>& groups,
              std::vector<result>& results);

  pool& pool_;
  std::size_t lanes_;
  std::size_t max_batch_;
  std::size_t busy_lanes_ = 0;
  std::deque<waiting_ptr> queue_;
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> batched_statements_{0};
  std::atomic<std::uint64_t> combined_{0};
  std::atomic<std::uint64_t> combined_statements_{0};
  std::atomic<std::uint64_t> rejected_batches_{0};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bakewind::pg
