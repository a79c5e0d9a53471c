#include "pg/batcher.hpp"

#include "core/error.hpp"
#include "core/tasks.hpp"
#include "pg/errors.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>
#include <optional>

namespace bakewind::pg {

namespace asio = boost::asio;

namespace {

constexpr auto wake_margin = std::chrono::milliseconds(250);

}  // namespace

/// One caller's statement, waiting for its batch to run it.
struct batcher::waiting {
  waiting(const asio::any_io_executor& ex, std::string k, statement s, const combiner* c, time_point d)
      : key(std::move(k)), stmt(std::move(s)), combine(c), deadline(d), wake(ex) {}
  std::string key;
  statement stmt;
  const combiner* combine;
  time_point deadline;
  std::optional<result> answer;
  std::exception_ptr failure;
  bool done = false;
  bool abandoned = false;  // its caller stopped waiting: do not run it any more
  asio::steady_timer wake;

  void finish() {
    done = true;
    wake.cancel();
  }
};

batcher::batcher(pool& pool, std::size_t lanes, std::size_t max_batch)
    : pool_(pool), lanes_(std::max<std::size_t>(lanes, 1)), max_batch_(std::max<std::size_t>(max_batch, 1)) {}

batcher::~batcher() {
  *alive_ = false;
}

asio::awaitable<result> batcher::query(std::string key, std::string_view sql, std::span<const param> params,
                                       const combiner* combine) {
  const auto ex = co_await asio::this_coro::executor;
  auto w = std::make_shared<waiting>(ex, std::move(key),
                                     statement{std::string(sql), std::vector<param>(params.begin(), params.end())},
                                     combine, std::chrono::steady_clock::now() + pool_.timeout());
  queue_.push_back(w);
  if (busy_lanes_ < lanes_) {
    ++busy_lanes_;
    core::spawn_logged(ex, run_lane(), "postgres write batch");
  }
  // A lane finishes every statement it takes by the statement's deadline;
  // the margin only covers the loop's own delay in resuming us. A wait cut
  // short (the timer, or the request cancelled) leaves the outcome unknown.
  if (!w->done) {
    w->wake.expires_at(w->deadline + wake_margin);
    co_await w->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (!w->done) {
    w->abandoned = true;
    throw core::unavailable_error("postgres", "no answer from a write batch in time");
  }
  if (w->failure) std::rethrow_exception(w->failure);
  co_return std::move(*w->answer);
}

asio::awaitable<void> batcher::run_lane() {
  const auto alive = alive_;
  while (*alive && !queue_.empty()) {
    std::vector<waiting_ptr> batch;
    const auto now = std::chrono::steady_clock::now();
    while (!queue_.empty() && batch.size() < max_batch_) {
      waiting_ptr w = std::move(queue_.front());
      queue_.pop_front();
      if (w->abandoned) continue;
      if (w->deadline <= now) {
        w->failure =
            std::make_exception_ptr(core::unavailable_error("postgres", "timed out waiting for a write batch"));
        w->finish();
        continue;
      }
      batch.push_back(std::move(w));
    }
    if (batch.size() == 1) {
      co_await run_alone(batch.front());
    } else if (!batch.empty()) {
      co_await run_batch(std::move(batch));
    }
  }
  if (*alive) --busy_lanes_;
}

asio::awaitable<void> batcher::run_alone(const waiting_ptr& w) {
  try {
    pooled_connection conn = co_await pool_.acquire(w->deadline);
    w->answer = co_await conn->query(w->stmt.sql, w->stmt.params, w->deadline);
  } catch (...) {
    w->failure = std::current_exception();
  }
  w->finish();
}

// The statements that run `batch` (sorted by key): one per group, a
// combined one where a group has several members.
std::vector<batch_group> batcher::plan(const std::vector<waiting_ptr>& batch, std::vector<statement>& statements) {
  std::vector<std::string> keys;
  std::vector<const combiner*> kinds;
  for (const waiting_ptr& w : batch) {
    keys.push_back(w->key);
    kinds.push_back(w->combine);
  }
  std::vector<batch_group> groups = group_batch(keys, kinds);
  std::vector<const statement*> members;
  for (const batch_group& g : groups) {
    if (g.members.size() == 1) {
      statements.push_back(batch[g.members.front()]->stmt);
      continue;
    }
    members.clear();
    for (const std::size_t m : g.members) members.push_back(&batch[m]->stmt);
    statements.push_back(combined_statement(*g.combine, members));
    combined_.fetch_add(1, std::memory_order_relaxed);
    combined_statements_.fetch_add(g.members.size(), std::memory_order_relaxed);
  }
  return groups;
}

// Hands each caller of `batch` its rows: a group's result whole, or the
// combined result's rows of the caller's key.
void batcher::answer(const std::vector<waiting_ptr>& batch, const std::vector<batch_group>& groups,
                     std::vector<result>& results) {
  std::vector<std::string_view> keys;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const std::vector<std::size_t>& members = groups[g].members;
    if (members.size() == 1) {
      batch[members.front()]->answer = std::move(results[g]);
      continue;
    }
    keys.clear();
    for (const std::size_t m : members) keys.push_back(batch[m]->key);
    std::vector<result> split = split_rows(results[g], groups[g].combine->key_column, keys);
    for (std::size_t i = 0; i < members.size(); ++i) batch[members[i]]->answer = std::move(split[i]);
  }
}

asio::awaitable<void> batcher::run_batch(std::vector<waiting_ptr> batch) {
  // Sorted by key, so that batches lock rows in one order; stable, so that
  // statements of one key keep their order of arrival.
  std::stable_sort(batch.begin(), batch.end(),
                   [](const waiting_ptr& a, const waiting_ptr& b) { return a->key < b->key; });
  // The earliest caller's deadline bounds the whole batch: nobody waits longer than it was promised.
  time_point deadline = time_point::max();
  for (const waiting_ptr& w : batch) deadline = std::min(deadline, w->deadline);
  batches_.fetch_add(1, std::memory_order_relaxed);
  batched_statements_.fetch_add(batch.size(), std::memory_order_relaxed);
  std::exception_ptr failure;
  bool rejected = false;
  try {
    std::vector<statement> statements;
    const std::vector<batch_group> groups = plan(batch, statements);
    pooled_connection conn = co_await pool_.acquire(deadline);
    std::vector<result> results = co_await conn->pipeline(std::move(statements), deadline);
    answer(batch, groups, results);
    for (const waiting_ptr& w : batch) w->finish();
    co_return;
  } catch (const query_error&) {
    rejected = true;
  } catch (...) {
    failure = std::current_exception();
  }
  if (rejected) {
    // Nothing of the batch took effect: each statement again on its own, so
    // that only the one at fault fails.
    rejected_batches_.fetch_add(1, std::memory_order_relaxed);
    for (const waiting_ptr& w : batch) co_await run_alone(w);
    co_return;
  }
  for (const waiting_ptr& w : batch) {
    w->failure = failure;
    w->finish();
  }
}

}  // namespace bakewind::pg
