#pragma once
// A bounded pool of PostgreSQL connections for ONE event loop.
//
// No locks by design: a pool, its connections and every coroutine that uses
// them run on one io_context's thread (one pool per loop, DESIGN.md).

#include "pg/connection.hpp"

#include <chrono>
#include <cstddef>
#include <exception>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace bakewind::pg {

namespace detail {
class pool_state;
}  // namespace detail

/// A connection borrowed from a pool: returned to it on destruction, or
/// discarded when broken or left inside a transaction. Movable, not copyable.
/// May outlive the pool object (it then closes instead of returning).
class pooled_connection {
 public:
  /// Holds nothing.
  pooled_connection() noexcept = default;
  /// Takes `conn`, to be returned to `owner`.
  pooled_connection(std::shared_ptr<detail::pool_state> owner, std::unique_ptr<connection> conn) noexcept;
  pooled_connection(pooled_connection&&) noexcept = default;
  pooled_connection& operator=(pooled_connection&& other) noexcept;
  ~pooled_connection();

  /// The connection; precondition: holds one.
  connection& operator*() const noexcept { return *conn_; }
  connection* operator->() const noexcept { return conn_.get(); }
  /// True while holding a connection.
  explicit operator bool() const noexcept { return conn_ != nullptr; }
  /// Returns the connection to the pool now.
  void reset() noexcept;

 private:
  std::shared_ptr<detail::pool_state> owner_;
  std::unique_ptr<connection> conn_;
};

/// The value a transaction body `F` (called as `f(connection&)`, returning
/// asio::awaitable<T>) produces: T.
template <class F>
using transaction_result_t = typename std::invoke_result_t<F&, connection&>::value_type;

/// Up to `max_size` connections to one database, opened lazily. Every wait is
/// bounded by `timeout`; failures throw core::unavailable_error("postgres", ...),
/// rejected statements pg::query_error. Idle connections that the server
/// dropped are detected on acquire and replaced, so a pool survives a
/// PostgreSQL restart without being re-created.
class pool {
 public:
  /// Connects nothing yet. `url` is a libpq URI; `timeout` bounds each
  /// acquire (waiting + connecting) and each statement of `query`/`transaction`.
  pool(asio::any_io_executor ex, std::string url, std::size_t max_size, std::chrono::milliseconds timeout);
  /// Closes the pool (see close()).
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  /// A connection: an idle live one, else a new one while below max_size,
  /// else the first one released (waiters are served in FIFO order), all
  /// within `timeout`. Throws core::unavailable_error on timeout, connect
  /// failure, or a closed pool.
  asio::awaitable<pooled_connection> acquire();
  /// As acquire(), with an explicit deadline.
  asio::awaitable<pooled_connection> acquire(time_point deadline);

  /// Acquires a connection and runs one statement, all within `timeout`:
  /// `co_await pool.query("SELECT ... $1", pg::params(id))`. Arguments are
  /// copied before the first suspension. Throws query_error or
  /// core::unavailable_error (a connection that failed is discarded).
  asio::awaitable<result> query(std::string_view sql, std::span<const param> params);
  /// As above, for a braced list (in practice `{}`: GCC 12 rejects a
  /// non-empty one inside co_await; use pg::params) or no parameters.
  asio::awaitable<result> query(std::string_view sql, std::initializer_list<param> params = {});

  /// `SELECT 1` on a pooled connection within `timeout` (for readiness probes).
  /// Throws core::unavailable_error when PostgreSQL cannot answer in time.
  asio::awaitable<void> ping(std::chrono::milliseconds timeout);

  /// Runs `co_await f(connection&)` between BEGIN and COMMIT on one pooled
  /// connection and returns its value. If `f` throws, or the transaction was
  /// aborted by an error `f` swallowed, it rolls back (a connection that
  /// cannot roll back is discarded) and the exception propagates (a swallowed
  /// error becomes query_error 25P02). Inside `f`, `c.query(sql, pg::params(...))`
  /// applies the pool's timeout to each statement.
  /// Example: `int n = co_await pool.transaction([&](pg::connection& c) -> asio::awaitable<int> { ... });`
  /// The pool must outlive the returned awaitable.
  template <class F>
  asio::awaitable<transaction_result_t<F>> transaction(F f);

  /// Whether connections opened from now on run lone statements as named
  /// prepared statements (see connection::set_prepare_statements). Off by
  /// default; switch it off behind a pooler in transaction mode.
  void prepare_statements(bool on) noexcept;

  /// Closes idle connections, fails current waiters with unavailable_error,
  /// refuses new acquires; connections in use close when released.
  void close() noexcept;

  /// Connections idle in the pool.
  std::size_t idle() const noexcept;
  /// Connections borrowed or being opened.
  std::size_t in_use() const noexcept;
  /// The bound on open connections.
  std::size_t max_size() const noexcept;
  /// The bound on each wait.
  std::chrono::milliseconds timeout() const noexcept { return timeout_; }
  /// Sizes, waits, failures and statement latency; readable from any thread.
  const pg::stats& stats() const noexcept;

 private:
  static asio::awaitable<void> finish_transaction(connection& c, std::exception_ptr failure,
                                                  std::chrono::milliseconds timeout);

  std::shared_ptr<detail::pool_state> state_;
  std::chrono::milliseconds timeout_;
};

template <class F>
asio::awaitable<transaction_result_t<F>> pool::transaction(F f) {
  using value_type = transaction_result_t<F>;
  const std::chrono::milliseconds timeout = timeout_;
  pooled_connection conn = co_await acquire();
  result begun = co_await conn->query("BEGIN", {}, std::chrono::steady_clock::now() + timeout);
  std::exception_ptr failure;
  // No co_await inside a handler (the language forbids it): carry the exception out.
  if constexpr (std::is_void_v<value_type>) {
    try {
      co_await f(*conn);
    } catch (...) {
      failure = std::current_exception();
    }
    co_await finish_transaction(*conn, failure, timeout);
  } else {
    std::optional<value_type> value;
    try {
      value_type v = co_await f(*conn);
      value.emplace(std::move(v));
    } catch (...) {
      failure = std::current_exception();
    }
    co_await finish_transaction(*conn, failure, timeout);
    co_return std::move(*value);
  }
}

}  // namespace bakewind::pg
