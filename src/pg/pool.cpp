#include "pg/pool.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "pg/errors.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <deque>
#include <vector>

namespace bakewind::pg {

namespace detail {

/// An acquire() suspended until a connection or a free slot is handed to it.
/// Lives in that coroutine's frame; the queue only points at it.
struct waiter {
  explicit waiter(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  std::unique_ptr<connection> conn;  // a released connection, handed over directly
  bool may_connect = false;          // a slot was freed and reserved for this waiter
};

/// Everything a pool is, shared with its pooled_connections and suspended
/// acquires so that either may outlive the pool object.
class pool_state {
 public:
  pool_state(asio::any_io_executor ex, std::string url, std::size_t max_size, std::chrono::milliseconds timeout)
      : executor(std::move(ex)), url(std::move(url)), max_size(max_size), timeout(timeout) {}

  /// Takes a connection back: to the first waiter, else to the idle list;
  /// discards it when broken, inside a transaction, or after close().
  void release(std::unique_ptr<connection> c) noexcept {
    if (!c) return;
    if (closed || c->broken() || c->in_transaction()) {
      c.reset();
      free_slot();
      return;
    }
    if (!waiters.empty()) {
      waiter* w = waiters.front();
      waiters.pop_front();
      w->conn = std::move(c);
      w->timer.cancel();
      return;
    }
    idle.push_back(std::move(c));
    publish();
  }

  /// A connection slot is gone: give the capacity to the first waiter.
  void free_slot() noexcept {
    --total;
    publish();
    if (closed || waiters.empty() || total >= max_size) return;
    waiter* w = waiters.front();
    waiters.pop_front();
    w->may_connect = true;
    ++total;
    w->timer.cancel();
  }

  void close() noexcept {
    closed = true;
    total -= idle.size();
    idle.clear();
    while (!waiters.empty()) {
      waiters.front()->timer.cancel();
      waiters.pop_front();
    }
    publish();
  }

  /// Copies the sizes to the atomics a scrape reads from another thread.
  void publish() noexcept {
    figures.open.store(total, std::memory_order_relaxed);
    figures.in_use.store(total - idle.size(), std::memory_order_relaxed);
  }

  asio::any_io_executor executor;
  std::string url;
  std::size_t max_size;
  std::chrono::milliseconds timeout;
  std::vector<std::unique_ptr<connection>> idle;
  std::deque<waiter*> waiters;
  std::size_t total = 0;  // idle + borrowed + being opened
  bool closed = false;
  bool prepare = false;
  pg::stats figures;
};

namespace {

/// A counted slot that is given back unless a connection took it over.
class slot_reservation {
 public:
  explicit slot_reservation(pool_state& s) : state_(s) {}
  ~slot_reservation() {
    if (held_) state_.free_slot();
  }
  slot_reservation(const slot_reservation&) = delete;
  slot_reservation& operator=(const slot_reservation&) = delete;
  void commit() noexcept { held_ = false; }

 private:
  pool_state& state_;
  bool held_ = true;
};

/// Queues a waiter and, however its coroutine ends, takes it off the queue
/// and returns anything handed to it that it did not use.
class queued_waiter {
 public:
  queued_waiter(pool_state& s, waiter& w) : state_(s), waiter_(w) { state_.waiters.push_back(&w); }
  ~queued_waiter() {
    auto it = std::find(state_.waiters.begin(), state_.waiters.end(), &waiter_);
    if (it != state_.waiters.end()) state_.waiters.erase(it);
    if (waiter_.conn) state_.release(std::move(waiter_.conn));
    if (waiter_.may_connect) state_.free_slot();
  }
  queued_waiter(const queued_waiter&) = delete;
  queued_waiter& operator=(const queued_waiter&) = delete;

 private:
  pool_state& state_;
  waiter& waiter_;
};

core::unavailable_error pool_closed() { return core::unavailable_error("postgres", "connection pool is closed"); }

asio::awaitable<pooled_connection> acquire(std::shared_ptr<pool_state> s, time_point deadline) {
  while (!s->idle.empty()) {
    std::unique_ptr<connection> c = std::move(s->idle.back());
    s->idle.pop_back();
    if (c->check_alive()) co_return pooled_connection(s, std::move(c));
    core::log_info("postgres idle connection lost; replacing it");
    --s->total;
  }
  if (s->closed) throw pool_closed();

  if (s->total < s->max_size) {
    ++s->total;
  } else {
    s->figures.waits.inc();
    waiter w(s->executor);
    queued_waiter queued(*s, w);
    w.timer.expires_at(deadline);
    std::tuple<boost::system::error_code> woken = co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)woken;
    if (w.conn) co_return pooled_connection(s, std::move(w.conn));
    // Cancelled (a shutdown ending the request): said as such, not as an
    // outage of PostgreSQL, and not counted as a pool error.
    const auto cancelled = (co_await asio::this_coro::cancellation_state).cancelled();
    if (!w.may_connect && cancelled != asio::cancellation_type::none) {
      throw boost::system::system_error(asio::error::operation_aborted);
    }
    if (!w.may_connect) {
      if (s->closed) throw pool_closed();
      s->figures.errors.inc();
      throw core::unavailable_error("postgres", "timed out waiting for a free connection");
    }
    w.may_connect = false;  // the slot is ours now, counted by the reservation below
  }

  slot_reservation slot(*s);
  s->publish();
  std::unique_ptr<connection> c;
  try {
    c = co_await connection::connect(s->executor, s->url, deadline);
  } catch (...) {
    s->figures.errors.inc();
    throw;
  }
  if (s->closed) throw pool_closed();
  c->set_default_timeout(s->timeout);
  c->set_stats(&s->figures);
  c->set_prepare_statements(s->prepare);
  slot.commit();
  co_return pooled_connection(s, std::move(c));
}

asio::awaitable<result> run_query(std::shared_ptr<pool_state> s, std::string sql, std::vector<param> params) {
  const time_point deadline = std::chrono::steady_clock::now() + s->timeout;
  pooled_connection c = co_await acquire(s, deadline);
  result r = co_await c->query(sql, params, deadline);
  co_return r;
}

asio::awaitable<void> run_ping(std::shared_ptr<pool_state> s, std::chrono::milliseconds timeout) {
  const time_point deadline = std::chrono::steady_clock::now() + timeout;
  pooled_connection c = co_await acquire(s, deadline);
  try {
    result r = co_await c->query("SELECT 1", {}, deadline);
  } catch (const query_error& e) {
    // "SELECT 1" is only refused by a server that cannot serve (starting up, read-only mode...).
    c->mark_broken();
    throw core::unavailable_error("postgres", std::string("ping refused: ") + e.what());
  }
}

}  // namespace
}  // namespace detail

pooled_connection::pooled_connection(std::shared_ptr<detail::pool_state> owner,
                                     std::unique_ptr<connection> conn) noexcept
    : owner_(std::move(owner)), conn_(std::move(conn)) {
  if (owner_) owner_->publish();
}

pooled_connection& pooled_connection::operator=(pooled_connection&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = std::move(other.owner_);
    conn_ = std::move(other.conn_);
  }
  return *this;
}

pooled_connection::~pooled_connection() { reset(); }

void pooled_connection::reset() noexcept {
  if (conn_ && owner_) owner_->release(std::move(conn_));
  conn_.reset();
  owner_.reset();
}

pool::pool(asio::any_io_executor ex, std::string url, std::size_t max_size, std::chrono::milliseconds timeout)
    : state_(std::make_shared<detail::pool_state>(std::move(ex), std::move(url), std::max<std::size_t>(max_size, 1),
                                                  timeout)),
      timeout_(timeout) {}

pool::~pool() { close(); }

asio::awaitable<pooled_connection> pool::acquire() {
  return detail::acquire(state_, std::chrono::steady_clock::now() + timeout_);
}

asio::awaitable<pooled_connection> pool::acquire(time_point deadline) { return detail::acquire(state_, deadline); }

asio::awaitable<result> pool::query(std::string_view sql, std::initializer_list<param> params) {
  return detail::run_query(state_, std::string(sql), std::vector<param>(params));
}

asio::awaitable<result> pool::query(std::string_view sql, std::span<const param> params) {
  return detail::run_query(state_, std::string(sql), std::vector<param>(params.begin(), params.end()));
}

asio::awaitable<void> pool::ping(std::chrono::milliseconds timeout) { return detail::run_ping(state_, timeout); }

void pool::close() noexcept { state_->close(); }

std::size_t pool::idle() const noexcept { return state_->idle.size(); }

std::size_t pool::in_use() const noexcept { return state_->total - state_->idle.size(); }

std::size_t pool::max_size() const noexcept { return state_->max_size; }

void pool::prepare_statements(bool on) noexcept { state_->prepare = on; }

const pg::stats& pool::stats() const noexcept { return state_->figures; }

asio::awaitable<void> pool::finish_transaction(connection& c, std::exception_ptr failure,
                                               std::chrono::milliseconds timeout) {
  if (!failure && c.in_failed_transaction()) {
    // COMMIT of an aborted transaction "succeeds" as a ROLLBACK: never let that pass silently.
    failure = std::make_exception_ptr(
        query_error("25P02", "", "transaction aborted by an earlier error that the body caught"));
  }
  if (!failure) {
    result committed = co_await c.query("COMMIT", {}, std::chrono::steady_clock::now() + timeout);
    co_return;
  }
  if (!c.broken()) {
    bool rolled_back = false;
    try {
      result r = co_await c.query("ROLLBACK", {}, std::chrono::steady_clock::now() + timeout);
      rolled_back = true;
    } catch (...) {
      // The original failure matters more; the pool discards this connection.
    }
    if (!rolled_back) c.mark_broken();
  }
  std::rethrow_exception(failure);
}

}  // namespace bakewind::pg
